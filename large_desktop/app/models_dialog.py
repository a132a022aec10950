"""The Models dialog: list, install, import and remove model packs, and pick one for the library.

Everything that reads or writes the packs folder or the network runs as a
`BackgroundOp` through `core.packs.manager`. This module only shows rows,
requests confirmation and relays progress.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from large_desktop.app.operations import BackgroundOp
from large_desktop.app.pack_rows import (
    BROKEN,
    DOWNLOADED,
    INSTALLED,
    NOT_INSTALLED,
    PARTIAL,
    SHIPPED,
    PackListing,
    PackRow,
    TransferMeter,
    TransferReading,
    read_pack_rows,
)
from large_desktop.app.pack_table import PackTableModel
from large_desktop.core.errors import Interrupted, LargeError
from large_desktop.core.packs import manager
from large_desktop.core.packs.base import PackManifest
from large_desktop.core.packs.download import format_bytes

logger = logging.getLogger(__name__)

DOWNLOAD = "download"
IMPORT = "import"
PROGRESS_STEPS = 1000  # the bar counts permille because QProgressBar takes a 32-bit int, which a file over 2 GiB overflows


class _TransferRelay(QObject):
    """Carries a transfer's byte counts from the pool thread to the dialog on the main thread.

    Signals:
        progressed(object, object, object): pack id, bytes done, bytes in all (None when unknown).
    """

    progressed = Signal(object, object, object)


class ModelsDialog(QDialog):
    """Lists every pack and installs, imports, removes or chooses one.

    Shipped packs, installed packs and the catalogue's downloadable packs
    share one table. One download or import runs at a time. Closing the
    dialog hides it, and the transfer goes on.

    Signals:
        pack_chosen(str): the user chose the pack with this id for the open library.
        packs_changed(): a pack was installed, imported or removed, so other pack lists are stale.
    """

    pack_chosen = Signal(str)
    packs_changed = Signal()

    def __init__(self, parent: QWidget | None = None, current_pack_id: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setModal(False)

        self._model = PackTableModel(self)
        self._model.set_current_pack(current_pack_id)
        self._relay = _TransferRelay(self)
        self._relay.progressed.connect(self._on_transfer_progress)
        self._refresh_generation = 0  # only the latest listing is shown when refreshes overlap
        self._loading = False
        self._transfer_pack: PackRow | None = None
        self._transfer_verb = DOWNLOAD
        self._stop = threading.Event()
        self._meter = TransferMeter()

        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        self.loading_label = QLabel(self.tr("Loading…"))

        self.table = QTableView()
        self.table.setModel(self._model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

        self.install_button = QPushButton(self.tr("Install"))
        self.install_button.setToolTip(self.tr("Download the selected pack, after showing its licence"))
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.setToolTip(self.tr("Install the selected pack from a checkpoint file you already have"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.use_button = QPushButton(self.tr("Use for this library"))
        self.install_button.clicked.connect(self.install_selected)
        self.import_button.clicked.connect(self.import_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.use_button.clicked.connect(self.use_selected)

        actions = QHBoxLayout()
        for button in (self.install_button, self.import_button, self.remove_button, self.use_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.transfer_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the transfer; a stopped download resumes at the next Install"))
        self.cancel_button.clicked.connect(self.cancel_transfer)
        self.transfer_row = QWidget()
        transfer = QHBoxLayout(self.transfer_row)
        transfer.setContentsMargins(0, 0, 0, 0)
        transfer.addWidget(self.progress_bar, 1)
        transfer.addWidget(self.transfer_label, 2)
        transfer.addWidget(self.cancel_button)
        self.transfer_row.hide()

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.loading_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.transfer_row)
        layout.addWidget(self.message_label)
        layout.addWidget(QLabel(self.tr("ρ: Spearman rank correlation with age from two labeled faces; – where not measured.")))
        layout.addWidget(buttons)
        self.resize(900, 420)

    # ------------------------------------------------------------ public interface

    def model(self) -> PackTableModel:
        return self._model

    def set_current_pack(self, pack_id: str | None) -> None:
        """Mark the pack of the open library."""
        self._model.set_current_pack(pack_id)

    def refresh(self) -> None:
        """Read the pack list again off the UI thread, showing "Loading…" until it arrives."""
        self._refresh_generation += 1
        generation = self._refresh_generation
        self._loading = True
        self.loading_label.show()
        self._update_actions()
        (
            BackgroundOp(read_pack_rows)
            .on_success(lambda listing: self._on_rows(generation, listing))
            .on_failure(lambda exc: self._on_rows_failed(generation, exc))
            .run()
        )

    def is_loading(self) -> bool:
        return self._loading

    def is_transferring(self) -> bool:
        return self._transfer_pack is not None

    def select_pack(self, pack_id: str) -> bool:
        """Select a pack's row, or return False when the list has no such pack."""
        row = self._model.row_of(pack_id)
        if row is None:
            return False
        self.table.selectionModel().select(
            self._model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self._model.index(row, 0))
        return True

    def selected_pack(self) -> PackRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self._model.pack(rows[0].row()) if rows else None

    def message(self) -> str:
        """Return the text of the message line ("" when none is shown)."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    # ------------------------------------------------------------ listing

    def _on_rows(self, generation: int, listing: PackListing) -> None:
        if not isValid(self) or generation != self._refresh_generation:
            return
        selected = self.selected_pack()
        self._model.set_rows(listing.rows)
        if selected is not None:
            self.select_pack(selected.id)
        self._loading = False
        self.loading_label.hide()
        if listing.catalogue_problem:
            self._show_message(self.tr("Downloadable packs are not listed: {problem}").format(problem=listing.catalogue_problem))
        self._update_actions()

    def _on_rows_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._refresh_generation:
            return
        self._loading = False
        self.loading_label.hide()
        self._show_failure(self.tr("Could not list the packs"), exc)
        self._update_actions()

    # ------------------------------------------------------------ actions

    @Slot()
    def _update_actions(self) -> None:
        pack = self.selected_pack()
        busy = self._transfer_pack is not None
        transferring_this = busy and pack is not None and self._transfer_pack.id == pack.id

        can_fetch = pack is not None and pack.in_catalogue and pack.status in (NOT_INSTALLED, PARTIAL, DOWNLOADED, BROKEN)
        self.install_button.setEnabled(can_fetch and not busy)
        self.import_button.setEnabled(can_fetch and not busy)
        self.remove_button.setEnabled(
            pack is not None and not transferring_this and pack.status in (SHIPPED, INSTALLED, PARTIAL, DOWNLOADED, BROKEN)
        )
        self.use_button.setEnabled(pack is not None and pack.usable)
        if pack is not None and pack.status == PARTIAL:
            self.install_button.setText(self.tr("Resume install"))
        else:
            self.install_button.setText(self.tr("Install"))

    @Slot()
    def install_selected(self) -> None:
        """Show the selected pack's licence, then download and install it if the user accepts."""
        pack = self.selected_pack()
        if pack is None or self.is_transferring():
            return
        self._confirm_license(pack, lambda: self._start_transfer(pack, DOWNLOAD, None))

    @Slot()
    def import_selected(self) -> None:
        """Ask for a checkpoint file of the selected pack, then import it."""
        pack = self.selected_pack()
        if pack is None or self.is_transferring():
            return
        chooser = QFileDialog(self, self.tr("Checkpoint for {name}").format(name=pack.name))
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setNameFilters([self.tr("PyTorch checkpoints (*.pt *.pth *.ckpt)"), self.tr("All files (*)")])
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.fileSelected.connect(lambda path: self.import_file(pack.id, Path(path)))
        chooser.open()

    def import_file(self, pack_id: str, file: Path) -> None:
        """Show a pack's licence, then install it from `file` if the user accepts."""
        pack = self._model.pack_by_id(pack_id)
        if pack is None or self.is_transferring():
            return
        self._confirm_license(pack, lambda: self._start_transfer(pack, IMPORT, file))

    @Slot()
    def remove_selected(self) -> None:
        """Ask for confirmation, then delete the selected pack's folder.

        Shipped packs go straight to the manager, which rejects them with its
        own message.
        """
        pack = self.selected_pack()
        if pack is None:
            return
        if pack.status == SHIPPED:
            self._run_remove(pack)
            return

        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove pack"))
        box.setText(self.tr("Remove {name} ({id})?").format(name=pack.name, id=pack.id))
        details = self.tr("Its folder and any partial download are deleted. Latents computed with it stay in the libraries.")
        if pack.usable and pack.id == self._model.current_pack_id():
            details += " " + self.tr("The open library uses this pack; choose another one afterwards.")
        box.setInformativeText(details)
        confirm = box.addButton(self.tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._run_remove(pack) if box.clickedButton() is confirm else None)
        box.open()

    @Slot()
    def use_selected(self) -> None:
        """Emit `pack_chosen` with the selected pack, if a library can use it."""
        pack = self.selected_pack()
        if pack is None or not pack.usable:
            return
        self._model.set_current_pack(pack.id)
        logger.info("pack %s chosen for the library", pack.id)
        self.pack_chosen.emit(pack.id)

    @Slot()
    def cancel_transfer(self) -> None:
        """Stop the transfer after its current chunk. A download keeps its .part file for resuming."""
        if self._transfer_pack is None:
            return
        self._stop.set()
        self.cancel_button.setEnabled(False)
        self.transfer_label.setText(self.tr("Stopping…"))

    # ------------------------------------------------------------ licence

    def _confirm_license(self, pack: PackRow, on_accept: Callable[[], None]) -> None:
        """Show the full licence in a window-modal box, and call `on_accept` only when the user accepts it."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("Licence of {name}").format(name=pack.name))
        box.setText(self.tr("{name} is licensed under: {licence}").format(name=pack.name, licence=pack.license_short))
        text = pack.license_text
        if pack.project:
            text += "\n\n" + self.tr("Source: {url}").format(url=pack.project)
        box.setInformativeText(text)
        accept = box.addButton(self.tr("Accept and install"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is accept:
                logger.info("licence of pack %s accepted", pack.id)
                on_accept()
            else:
                logger.info("licence of pack %s declined; nothing installed", pack.id)

        box.finished.connect(answered)
        box.open()

    # ------------------------------------------------------------ transfers

    def _start_transfer(self, pack: PackRow, verb: str, file: Path | None) -> None:
        if not isValid(self) or self._transfer_pack is not None:
            return
        stop = threading.Event()
        progressed = self._relay.progressed
        pack_id = pack.id

        def report(done: int, total: int | None) -> None:
            progressed.emit(pack_id, done, total)

        # The work runs on a pool thread and reaches the dialog only through the relay's signal.
        # The manager reports progress through a callback, not as a generator, so ProgressOp does not fit.
        def work() -> PackManifest:
            if verb == DOWNLOAD:
                return manager.install(pack_id, progress=report, stop=stop.is_set)
            return manager.import_pack(pack_id, file, progress=report, stop=stop.is_set)

        self._stop = stop
        self._transfer_pack = pack
        self._transfer_verb = verb
        self._meter = TransferMeter()
        # Quitting the app must not wait for the whole download on the pool thread.
        QCoreApplication.instance().aboutToQuit.connect(stop.set)

        self.message_label.hide()
        self.progress_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        if verb == DOWNLOAD:
            self.transfer_label.setText(self.tr("Connecting for {name}…").format(name=pack.name))
        else:
            self.transfer_label.setText(self.tr("Reading {file}…").format(file=file))
        self.transfer_row.show()
        self._model.set_transfer(pack_id, verb, None)
        self._update_actions()
        logger.info("pack %s: %s started", pack_id, verb)

        (
            BackgroundOp(work)
            .on_success(lambda manifest: self._on_transfer_done(pack, stop))
            .on_failure(lambda exc: self._on_transfer_failed(pack, verb, stop, exc))
            .run()
        )

    @Slot(object, object, object)
    def _on_transfer_progress(self, pack_id: str, done: int, total: int | None) -> None:
        if self._transfer_pack is None or pack_id != self._transfer_pack.id or self._stop.is_set():
            return
        reading = self._meter.update(done, total)
        fraction = reading.fraction
        self._model.set_transfer(pack_id, self._transfer_verb, fraction)

        if fraction is not None and fraction >= 1.0:
            # The manager reports no progress while it hashes and converts, so the bar turns busy.
            self.progress_bar.setRange(0, 0)
            self.transfer_label.setText(self.tr("Checking and converting {name}…").format(name=self._transfer_pack.name))
            return
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, PROGRESS_STEPS)
            self.progress_bar.setValue(int(fraction * PROGRESS_STEPS))
        self.transfer_label.setText(self.describe_reading(reading))

    def describe_reading(self, reading: TransferReading) -> str:
        """Format bytes done, speed and time left, e.g. "412 MB of 1.2 GB · 8.3 MB/s · 2 min left"."""
        if reading.total is not None:
            parts = [self.tr("{done} of {total}").format(done=format_bytes(reading.done), total=format_bytes(reading.total))]
        else:
            parts = [format_bytes(reading.done)]
        if reading.rate is not None:
            parts.append(self.tr("{rate}/s").format(rate=format_bytes(reading.rate)))
        if reading.eta is not None:
            parts.append(self.describe_time_left(reading.eta))
        return " · ".join(parts)

    def describe_time_left(self, seconds: float) -> str:
        if seconds < 60:
            return self.tr("{seconds} s left").format(seconds=int(seconds) + 1)
        if seconds < 3600:
            return self.tr("{minutes} min left").format(minutes=round(seconds / 60))
        return self.tr("{hours} h {minutes} min left").format(hours=int(seconds // 3600), minutes=int(seconds % 3600) // 60)

    def _on_transfer_done(self, pack: PackRow, stop: threading.Event) -> None:
        self._end_transfer(stop)
        if not isValid(self):
            return
        logger.info("pack %s installed from the dialog", pack.id)
        self._show_message(self.tr("Installed {name} ({id}).").format(name=pack.name, id=pack.id))
        self.refresh()
        self.packs_changed.emit()

    def _on_transfer_failed(self, pack: PackRow, verb: str, stop: threading.Event, exc: BaseException) -> None:
        self._end_transfer(stop)
        if not isValid(self):
            return
        if isinstance(exc, Interrupted):
            logger.info("pack %s: transfer stopped by the user", pack.id)
        else:
            if verb == DOWNLOAD:
                context = self.tr("Could not download {name} ({id})").format(name=pack.name, id=pack.id)
            else:
                context = self.tr("Could not import {name} ({id})").format(name=pack.name, id=pack.id)
            self._show_failure(context, exc)
        self.refresh()

    def _end_transfer(self, stop: threading.Event) -> None:
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.disconnect(stop.set)
        if not isValid(self):
            return
        self._transfer_pack = None
        self._model.set_transfer(None)
        self.transfer_row.hide()
        self._update_actions()

    # ------------------------------------------------------------ removal

    def _run_remove(self, pack: PackRow) -> None:
        if not isValid(self):
            return
        self.remove_button.setEnabled(False)
        (
            BackgroundOp(lambda: manager.remove(pack.id))
            .on_success(lambda folder: self._on_removed(pack, folder))
            .on_failure(lambda exc: self._on_remove_failed(pack, exc))
            .run()
        )

    def _on_removed(self, pack: PackRow, folder: Path) -> None:
        if not isValid(self):
            return
        self._show_message(self.tr("Removed {name} ({id}) from {folder}.").format(name=pack.name, id=pack.id, folder=folder))
        self.refresh()
        self.packs_changed.emit()

    def _on_remove_failed(self, pack: PackRow, exc: BaseException) -> None:
        if not isValid(self):
            return
        self._show_failure(self.tr("Could not remove {name} ({id})").format(name=pack.name, id=pack.id), exc)
        self.refresh()

    # ------------------------------------------------------------ messages

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.show()

    def _show_failure(self, context: str, exc: BaseException) -> None:
        """Show a domain error's message after `context`, and log anything else as a bug with its traceback."""
        if isinstance(exc, LargeError):
            # TODO: manager and download messages are worded for the command line
            # ("run the same command again"); the dialog shows them unchanged.
            logger.warning("%s: %s", context, exc.message)
            self._show_message(self.tr("{context}: {message}").format(context=context, message=exc.message))
            return
        logger.error("%s: unexpected error", context, exc_info=(type(exc), exc, exc.__traceback__))
        self._show_message(
            self.tr("{context}: unexpected error {error}. The log file has the details.").format(context=context, error=repr(exc))
        )


def show_models_dialog(parent: QWidget | None, current_pack_id: str | None) -> ModelsDialog:
    """Show the Models dialog of `parent` without blocking, creating it on first use.

    The dialog is reused while it exists, so a transfer started earlier
    stays visible when the menu opens it again.
    """
    dialog = parent.findChild(ModelsDialog) if parent is not None else None
    if dialog is None:
        dialog = ModelsDialog(parent, current_pack_id)
    else:
        dialog.set_current_pack(current_pack_id)
        dialog.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
