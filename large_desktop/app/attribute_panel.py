"""The attribute side of the window: attributes, Less/More drop zones, labels, plots, walk and export.

Every label or attribute change is a command on the window's QUndoStack.
Its write runs on the writer pool. Each finished write re-reads the labels
and re-scores the library off the UI thread (see `rescore.Rescorer`).
"""

import logging
from pathlib import Path

from PySide6.QtCore import QThreadPool, QTimer, Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from large_desktop.app.drop_zone import DropZone
from large_desktop.app.export_actions import build_export_menu
from large_desktop.app.label_list import LabelList
from large_desktop.app.operations import BackgroundOp, report_failure, writer_pool
from large_desktop.app.plot_panel import PlotPanel
from large_desktop.app.rescore import Rescorer
from large_desktop.app.undo_commands import (
    CreateAttributeCommand,
    DeleteAttributeCommand,
    RenameAttributeCommand,
    SetLabelsCommand,
)
from large_desktop.app.undo_history import drop_failed_commands
from large_desktop.app.walk_strip import WalkStrip
from large_desktop.core.errors import LargeError, UserInputError
from large_desktop.core.labels import LabelRow, LabelValue, parse_label_value
from large_desktop.core.library import Library, PreparedImage, ScoreResult

logger = logging.getLogger(__name__)

NAME_ROLE = Qt.ItemDataRole.UserRole


class AttributePanel(QWidget):
    """Create and choose attributes, label examples, and see how the library sorts.

    The window calls `label_photos` and `remove_labels` for the grid's keys
    (1 = low, 2 = high, a typed number, Delete) and listens to the signals.

    Signals:
        scores_ready(object): a `core.library.ScoreResult` for the current
            attribute after each label or attribute change, or None when the
            library is unsorted (no attribute, or too few labels).
        attribute_changed(object): the name of the attribute now chosen, or None.
        photos_indexed(list): photo ids of files dropped from outside that
            were just added to the library, so the grid can list them.
    """

    scores_ready = Signal(object)
    attribute_changed = Signal(object)
    photos_indexed = Signal(list)

    def __init__(self, library: Library | None, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._undo_stack = undo_stack
        # After an undo or redo, a failed command may lie next to the index, so it is dropped once the stack has settled.
        undo_stack.indexChanged.connect(self._on_undo_index_changed)
        # One thread, because the library's face detector is not safe to share between threads.
        self._encode_pool = QThreadPool(self)
        self._encode_pool.setMaxThreadCount(1)
        self._encode_pool.setObjectName("dropped-file-encoder")
        self._attribute: str | None = None
        self._attribute_names: list[str] = []
        self._labels: list[LabelRow] = []
        self._last_result: ScoreResult | None = None
        self._refresh_generation = 0
        self._select_when_listed: str | None = None  # an attribute just created, chosen once it is read back

        self.rescorer = Rescorer(self)
        self.rescorer.scored.connect(self._on_scored)
        self.rescorer.unsorted.connect(self._on_unsorted)

        self._build_widgets()
        self.refresh()

    # ------------------------------------------------------------------ layout

    def _build_widgets(self) -> None:
        self.attribute_list = QListWidget(self)
        self.attribute_list.setMaximumHeight(90)
        self.attribute_list.currentItemChanged.connect(self._on_current_item_changed)
        self.new_button = self._tool_button(self.tr("New…"), self.tr("Create an attribute"), self._ask_create)
        self.rename_button = self._tool_button(self.tr("Rename…"), self.tr("Rename the attribute"), self._ask_rename)
        self.delete_button = self._tool_button(self.tr("Delete"), self.tr("Delete the attribute and its labels (undoable)"), self._delete_current)
        self.export_button = QToolButton(self)
        self.export_button.setText(self.tr("Export"))
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setMenu(build_export_menu(self, lambda: self._library, lambda: self._attribute))

        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)

        self.less_zone = DropZone(self.tr("Less"), self.tr("Drop photos with less of it"), self)
        self.more_zone = DropZone(self.tr("More"), self.tr("Drop photos with more of it"), self)
        self.less_zone.photos_dropped.connect(lambda photo_ids: self.label_photos(photo_ids, "low"))
        self.more_zone.photos_dropped.connect(lambda photo_ids: self.label_photos(photo_ids, "high"))
        self.less_zone.files_dropped.connect(lambda paths: self.label_files(paths, "low"))
        self.more_zone.files_dropped.connect(lambda paths: self.label_files(paths, "high"))
        zones = QHBoxLayout()
        zones.addWidget(self.less_zone)
        zones.addWidget(self.more_zone)

        self.status = QLabel(self)
        self.status.setWordWrap(True)

        self.label_list = LabelList(self)
        self.label_list.value_edited.connect(self._on_value_edited)
        self.label_list.remove_requested.connect(self.remove_labels)
        self.plot_panel = PlotPanel(self)
        self.walk_strip = WalkStrip(self)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.label_list)
        splitter.addWidget(self.plot_panel)
        splitter.addWidget(self.walk_strip)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Attributes"), self))
        layout.addWidget(self.attribute_list)
        layout.addLayout(buttons)
        layout.addLayout(zones)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        self._update_enabled()

    def _tool_button(self, text: str, tip: str, slot) -> QToolButton:  # noqa: ANN001 - a bound method
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _update_enabled(self) -> None:
        has_library = self._library is not None
        has_attribute = self._attribute is not None
        self.new_button.setEnabled(has_library)
        self.rename_button.setEnabled(has_attribute)
        self.delete_button.setEnabled(has_attribute)
        self.less_zone.setEnabled(has_attribute)
        self.more_zone.setEnabled(has_attribute)
        if not has_attribute:
            self.status.setText(self.tr("Create or choose an attribute, then drop example photos on Less and More."))

    # ------------------------------------------------------------- public API

    @property
    def library(self) -> Library | None:
        return self._library

    @property
    def attribute(self) -> str | None:
        """The name of the chosen attribute, or None."""
        return self._attribute

    @property
    def labels(self) -> list[LabelRow]:
        """The labels of the chosen attribute, as last read."""
        return list(self._labels)

    def set_library(self, library: Library | None) -> None:
        """Show another library; the undo history of the old one is cleared."""
        self._library = library
        self._undo_stack.clear()
        self._attribute_names = []
        self._set_attribute(None)
        self.refresh()

    def select_attribute(self, name: str | None) -> None:
        """Choose the attribute to sort by (None: unsorted)."""
        self._set_attribute(name)
        self._sync_list_selection()

    def create_attribute(self, name: str) -> None:
        """Create an attribute (undoable) and choose it once it exists."""
        name = name.strip()
        if self._library is None or not name:
            return
        self._select_when_listed = name
        self._undo_stack.push(CreateAttributeCommand(self._library, name, self._after_attribute_write))

    def rename_attribute(self, old: str, new: str) -> None:
        """Rename an attribute (undoable)."""
        new = new.strip()
        if self._library is None or not new or new == old:
            return
        self._undo_stack.push(RenameAttributeCommand(self._library, old, new, self._after_attribute_write))

    def delete_attribute(self, name: str) -> None:
        """Delete an attribute with its labels (undoable, so no confirmation)."""
        if self._library is None:
            return
        self._undo_stack.push(DeleteAttributeCommand(self._library, name, self._after_attribute_write))

    def label_photos(self, photo_ids: list[int], value_text: str) -> None:
        """Label photos of the library for the chosen attribute: "low", "high" or a number (undoable)."""
        if not photo_ids:
            return
        if self._library is None or self._attribute is None:
            report_failure(UserInputError(self.tr("Choose or create an attribute before labeling photos.")))
            return
        try:
            text = LabelValue(*parse_label_value(value_text)).text
        except UserInputError as exc:
            report_failure(exc)
            self.label_list.set_labels(self._labels)  # put back the value the user mistyped
            return
        command = SetLabelsCommand(self._library, self._attribute, photo_ids, text, self._after_label_write)
        self._undo_stack.push(command)

    def remove_labels(self, photo_ids: list[int]) -> None:
        """Remove the chosen attribute's labels of these photos (undoable)."""
        if not photo_ids or self._library is None or self._attribute is None:
            return
        self._undo_stack.push(SetLabelsCommand(self._library, self._attribute, photo_ids, None, self._after_label_write))

    def label_files(self, paths: list[Path], value_text: str) -> None:
        """Index image files from outside the library on the writer pool, then label them."""
        if not paths or self._library is None or self._attribute is None:
            return
        library, attribute = self._library, self._attribute
        self.status.setText(self.tr("Indexing %n dropped file(s)…", "", len(paths)))
        logger.info("indexing %d dropped files for attribute %r", len(paths), attribute)

        # Encoding a file can take seconds with a GAN pack on a CPU, so it runs on its own thread
        # and only the quick store waits in the writer pool's queue.
        def prepare() -> tuple[list[PreparedImage], list[str]]:
            prepared, problems = [], []
            for path in paths:
                try:
                    prepared.append(library.prepare_image(path))
                except LargeError as exc:
                    problems.append(exc.message)
            return prepared, problems

        BackgroundOp(prepare).on_success(
            lambda outcome: self._store_files(library, attribute, value_text, *outcome)
        ).run(self._encode_pool)

    def _store_files(
        self, library: Library, attribute: str, value_text: str, prepared: list[PreparedImage], problems: list[str]
    ) -> None:
        if not isValid(self):
            return  # the panel was closed while the files were encoded
        if library is not self._library:
            logger.info("dropping %d encoded files: library %s was closed meanwhile", len(prepared), library.db_path)
            return

        def store() -> tuple[list[int], list[str]]:
            photo_ids = []
            for item in prepared:
                try:
                    photo_ids.append(library.add_prepared(item))
                except LargeError as exc:
                    problems.append(exc.message)
            return photo_ids, problems

        BackgroundOp(store).on_success(lambda outcome: self._on_files_indexed(library, attribute, value_text, *outcome)).run(writer_pool())

    def rescore(self) -> None:
        """Score the library again by the chosen attribute, for example after more photos were indexed."""
        if self._library is not None and self._attribute is not None:
            self.rescorer.request(self._library, self._attribute)

    def refresh(self) -> None:
        """Re-read the attributes and the chosen attribute's labels off the UI thread."""
        self._refresh_generation += 1
        generation, library, attribute = self._refresh_generation, self._library, self._attribute
        if library is None:
            self._show_attributes([], None, [])
            return

        def read() -> tuple[list[tuple[str, int]], list[LabelRow]]:
            attributes = library.attributes()
            names = {name for name, _ in attributes}
            return attributes, library.labels(attribute) if attribute in names else []

        BackgroundOp(read).on_success(
            lambda outcome: self._on_refreshed(generation, attribute, *outcome)
        ).run()

    # ---------------------------------------------------------------- events

    def _ask_create(self) -> None:
        name, accepted = QInputDialog.getText(self, self.tr("New attribute"), self.tr("Name (e.g. age, smile):"))
        if accepted:
            self.create_attribute(name)

    def _ask_rename(self) -> None:
        if self._attribute is None:
            return
        name, accepted = QInputDialog.getText(self, self.tr("Rename attribute"), self.tr("New name:"), text=self._attribute)
        if accepted:
            self.rename_attribute(self._attribute, name)

    def _delete_current(self) -> None:
        if self._attribute is not None:
            self.delete_attribute(self._attribute)

    def _on_current_item_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._set_attribute(current.data(NAME_ROLE) if current is not None else None)

    def _on_value_edited(self, photo_id: int, text: str) -> None:
        label = next((row for row in self._labels if row.photo_id == photo_id), None)
        if label is not None and LabelValue(label.kind, label.value).text == text:
            return
        self.label_photos([photo_id], text)

    def _on_files_indexed(self, library: Library, attribute: str, value_text: str, photo_ids: list[int], problems: list[str]) -> None:
        if not isValid(self):
            return  # the panel was closed while the files were indexed
        for problem in problems:
            report_failure(UserInputError(problem))
        if photo_ids:
            self.photos_indexed.emit(photo_ids)
        if library is self._library and attribute == self._attribute and photo_ids:
            self.label_photos(photo_ids, value_text)
        else:
            self.refresh()

    def _after_label_write(self, ok: bool) -> None:
        if not isValid(self):
            return
        logger.debug("label write finished (ok=%s); re-reading and re-scoring", ok)
        if not ok:
            drop_failed_commands(self._undo_stack)
        self.refresh()
        self.rescorer.request(self._library, self._attribute)

    def _on_undo_index_changed(self, _index: int) -> None:
        QTimer.singleShot(0, self, self._drop_failed_commands)

    def _drop_failed_commands(self) -> None:
        drop_failed_commands(self._undo_stack)

    def _after_attribute_write(self, ok: bool) -> None:
        if not isValid(self):
            return
        logger.debug("attribute write finished (ok=%s)", ok)
        if not ok:
            drop_failed_commands(self._undo_stack)
        self.refresh()

    # ------------------------------------------------------- state and views

    def _set_attribute(self, name: str | None) -> None:
        if name == self._attribute:
            return
        self._attribute = name
        self._labels = []
        self._last_result = None
        self.label_list.set_labels([])
        self.plot_panel.clear()
        self._update_enabled()
        logger.info("attribute %r chosen", name)
        self.attribute_changed.emit(name)
        self.refresh()
        self.rescorer.request(self._library, name)

    def _on_refreshed(self, generation: int, attribute: str | None, attributes: list[tuple[str, int]], labels: list[LabelRow]) -> None:
        if not isValid(self) or generation != self._refresh_generation:
            return  # the panel was closed, or a newer read is on its way
        previous_names = set(self._attribute_names)
        names = [name for name, _ in attributes]
        chosen = self._attribute
        if self._select_when_listed in names:
            chosen, self._select_when_listed = self._select_when_listed, None
        elif chosen is None or chosen not in names:
            # The chosen attribute was renamed or deleted (also by an undo), or none
            # is chosen: follow a single new name (a rename, an undone delete), else choose none.
            appeared = [name for name in names if name not in previous_names]
            chosen = appeared[0] if len(appeared) == 1 else None
        self._show_attributes(attributes, chosen, labels if chosen == attribute else None)
        if chosen != self._attribute:
            self._set_attribute(chosen)

    def _show_attributes(self, attributes: list[tuple[str, int]], chosen: str | None, labels: list[LabelRow] | None) -> None:
        self._attribute_names = [name for name, _ in attributes]
        self.attribute_list.blockSignals(True)
        try:
            self.attribute_list.clear()
            for name, count in attributes:
                # The name goes in last, so a "%2" in it stays as typed.
                item = QListWidgetItem(self.tr("%1 (%2)").replace("%2", str(count)).replace("%1", name))
                item.setData(NAME_ROLE, name)
                self.attribute_list.addItem(item)
        finally:
            self.attribute_list.blockSignals(False)
        self._sync_list_selection(chosen)
        if labels is not None:
            self._labels = labels
            self.label_list.set_labels(labels)
            self._redraw_plot()

    def _sync_list_selection(self, name: str | None = None) -> None:
        name = self._attribute if name is None else name
        self.attribute_list.blockSignals(True)
        try:
            self.attribute_list.setCurrentRow(-1)
            for row in range(self.attribute_list.count()):
                if self.attribute_list.item(row).data(NAME_ROLE) == name:
                    self.attribute_list.setCurrentRow(row)
        finally:
            self.attribute_list.blockSignals(False)

    def _on_scored(self, result: ScoreResult | None) -> None:
        if result is not None and result.attribute != self._attribute:
            return  # scored for an attribute the user has left; a newer request follows
        self._last_result = result
        if result is not None:
            self.status.setText(
                self.tr("Sorted by %1 labels · %2").replace("%1", str(result.num_labels)).replace("%2", result.estimator)
            )
        self._redraw_plot()
        self.walk_strip.show_walk(self._library, result)
        self.scores_ready.emit(result)

    def _on_unsorted(self, reason: str) -> None:
        if self._attribute is None:
            self._update_enabled()
            return
        logger.debug("unsorted: %s", reason)
        self.status.setText(self.tr("Drop at least one photo on Less and one on More to sort by %1.").replace("%1", self._attribute))

    def _redraw_plot(self) -> None:
        if self._last_result is None:
            self.plot_panel.clear()
        else:
            self.plot_panel.show_scores(self._last_result, self._labels)
