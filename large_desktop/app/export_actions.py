"""The Export menu: CSV, photos copied or linked in order, contact sheet and XMP ratings, with progress.

Each export sorts the library by the current attribute and runs a
`core.export` generator on a pool thread. A cancellable QProgressDialog
follows it, and the outcome (or the error) reaches the user as one message.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget
from shiboken6 import isValid

from large_desktop.app.operations import ProgressOp, report_failure
from large_desktop.core import export
from large_desktop.core.errors import LargeError
from large_desktop.core.export import ExportProgress
from large_desktop.core.library import Library

logger = logging.getLogger(__name__)

CSV = "csv"
COPY = export.COPY
HARDLINK = export.HARDLINK
SYMLINK = export.SYMLINK
CONTACT_SHEET = "contact_sheet"
XMP_RATINGS = "xmp_ratings"
KINDS = (CSV, COPY, HARDLINK, SYMLINK, CONTACT_SHEET, XMP_RATINGS)

# Export runs in flight; each must outlive the menu action that started it.
_RUNNING: set["ExportRun"] = set()


def _tr(text: str) -> str:
    return QCoreApplication.translate("ExportActions", text)


def export_steps(
    kind: str, library: Library, attribute: str, target: Path | None, stop: Callable[[], bool]
) -> Iterator[ExportProgress]:
    """Sort the library by the attribute and export it; runs on a pool thread."""
    assert kind in KINDS, kind
    yield ExportProgress(0, 0)  # sorting: no total known yet
    rows = library.sort(attribute).rows
    if kind == CSV:
        count = export.write_csv(target, rows)
        yield ExportProgress(count, count)
    elif kind == CONTACT_SHEET:
        count = export.write_contact_sheet(target, rows)
        yield ExportProgress(count, count)
    elif kind == XMP_RATINGS:
        yield from export.write_xmp_ratings(rows, stop)
    else:
        yield from export.place_photos(target, rows, kind, stop, library_folders=library.folder_paths())


class ExportRun(QObject):
    """One export, started on construction without asking for a target, with its progress dialog.

    The menu's actions create one after their file dialogs; it keeps itself
    alive until it has finished.

    Signals:
        finished(str): the user message describing the outcome (also given to `notify`).
    """

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        kind: str,
        library: Library,
        attribute: str,
        target: Path | None,
        notify: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.target = target
        self.attribute = attribute
        self._notify = notify
        self._stop = threading.Event()
        self._last = ExportProgress(0, 0)
        self.skipped: list[str] = []

        self.dialog = QProgressDialog(_tr("Exporting…"), _tr("Cancel"), 0, 0, parent)
        self.dialog.setWindowTitle(_tr("Export"))
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(500)  # milliseconds; short exports show no dialog
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)

        _RUNNING.add(self)
        logger.info("export %s of attribute %r to %s started", kind, attribute, target)
        ProgressOp(lambda: export_steps(kind, library, attribute, target, self._stop.is_set)).on_progress(
            self._on_progress
        ).on_success(self._on_finished).on_failure(self._on_failed).run()

    def cancel(self) -> None:
        """Ask the export to stop after the current photo."""
        self._stop.set()

    def _on_progress(self, progress: ExportProgress) -> None:
        self._last = progress
        self.skipped.extend(progress.skipped)
        if progress.total and isValid(self.dialog):
            self.dialog.setMaximum(progress.total)
            self.dialog.setValue(progress.done)
            self.dialog.setLabelText(_tr("Exporting %1 of %2 photos…").replace("%1", str(progress.done)).replace("%2", str(progress.total)))

    def _on_finished(self, _last: ExportProgress | None) -> None:
        done, total = self._last.done, self._last.total
        if self._stop.is_set() and done < total:
            message = _tr("Export cancelled after %1 of %2 photos.").replace("%1", str(done)).replace("%2", str(total))
        else:
            message = self._success_message(done - len(self.skipped))
        if self.skipped:
            message += " " + _tr("Skipped %1: %2").replace("%1", str(len(self.skipped))).replace("%2", export.summarise_skipped(self.skipped))
        self._finish(message)

    def _success_message(self, written: int) -> str:
        count = str(written)
        if self.kind == CSV:
            return _tr("Wrote %1 rows to %2.").replace("%1", count).replace("%2", str(self.target))
        if self.kind == CONTACT_SHEET:
            return _tr("Wrote a contact sheet of %1 photos to %2.").replace("%1", count).replace("%2", str(self.target))
        if self.kind == XMP_RATINGS:
            return _tr("Wrote star ratings into the sidecars of %1 photos.").replace("%1", count)
        return _tr("Exported %1 photos to %2.").replace("%1", count).replace("%2", str(self.target))

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, LargeError):
            logger.warning("export %s to %s failed: %s", self.kind, self.target, exc.message)
            self._finish(exc.message)
            return
        report_failure(exc)
        self._finish(_tr("The export failed with an unexpected error; the log file has the details."))

    def _finish(self, message: str) -> None:
        if isValid(self.dialog):  # the window may have closed, deleting the dialog with it
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
        _RUNNING.discard(self)
        logger.info("export %s finished: %s", self.kind, message)
        self._notify(message)
        if isValid(self):
            self.finished.emit(message)


def show_message_box(parent: QWidget | None, message: str) -> None:
    """Show an outcome without blocking the event loop."""
    box = QMessageBox(QMessageBox.Icon.Information, _tr("Export"), message, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def build_export_menu(
    parent: QWidget,
    get_library: Callable[[], Library | None],
    get_attribute: Callable[[], str | None],
    notify: Callable[[str], None] | None = None,
) -> QMenu:
    """Build the Export menu; its actions ask for a target, then export the library sorted by the current attribute.

    Args:
        parent: Owner of the menu, the dialogs and the progress dialog.
        get_library: Returns the open library, or None.
        get_attribute: Returns the current attribute's name, or None.
        notify: Shows an outcome message; by default a non-blocking message box.
    """
    tell = notify or (lambda message: show_message_box(parent, message))
    menu = QMenu(_tr("Export"), parent)

    def run(kind: str) -> None:
        library, attribute = get_library(), get_attribute()
        if library is None or attribute is None:
            tell(_tr("Choose an attribute with at least two labels before exporting."))
            return
        target = _ask_target(parent, kind, attribute)
        if target is None and kind != XMP_RATINGS:
            return
        if kind == XMP_RATINGS and not _confirm_xmp(parent):
            return
        ExportRun(parent, kind, library, attribute, target, tell)

    entries = [
        (CSV, _tr("Sorted list as CSV…")),
        (COPY, _tr("Copy photos into a folder in order…")),
        (HARDLINK, _tr("Hard-link photos into a folder in order…")),
        (SYMLINK, _tr("Symlink photos into a folder in order…")),
        (CONTACT_SHEET, _tr("Contact sheet…")),
        (XMP_RATINGS, _tr("Star ratings into XMP sidecars…")),
    ]
    for kind, text in entries:
        action = menu.addAction(text)
        action.setData(kind)
        action.triggered.connect(lambda _checked=False, kind=kind: run(kind))
    return menu


def _ask_target(parent: QWidget, kind: str, attribute: str) -> Path | None:
    if kind == CSV:
        path, _ = QFileDialog.getSaveFileName(parent, _tr("Export CSV"), f"{attribute}.csv", _tr("CSV files (*.csv)"))
    elif kind == CONTACT_SHEET:
        path, _ = QFileDialog.getSaveFileName(parent, _tr("Save contact sheet"), f"{attribute}.jpg", _tr("Images (*.jpg *.png)"))
    elif kind == XMP_RATINGS:
        return None
    else:
        path = QFileDialog.getExistingDirectory(parent, _tr("Export photos into folder"))
    return Path(path) if path else None


def _confirm_xmp(parent: QWidget) -> bool:
    answer = QMessageBox.question(
        parent,
        _tr("Write star ratings"),
        _tr("Write 1 to 5 stars by score into a .xmp sidecar next to every sorted photo? "
            "Photos are not changed; existing sidecars keep their other fields."),
    )
    return answer == QMessageBox.StandardButton.Yes
