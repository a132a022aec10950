"""The main window: layout and wiring of folders, grid, panels, status and menus.

The window contains no library logic. `LibrarySession` runs the library off the
UI thread, `LibraryModel` owns the rows, and the widgets only show them.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from large_desktop.app import operations
from large_desktop.app.about import show_about
from large_desktop.app.export_actions import build_export_menu
from large_desktop.app.folders_panel import FoldersPanel
from large_desktop.app.grid_view import DEFAULT_ZOOM, MAX_ZOOM, MIN_ZOOM, GridView
from large_desktop.app.index_worker import IndexReport
from large_desktop.app.library_model import LibraryModel, PathRole
from large_desktop.app.library_session import LibrarySession
from large_desktop.app.models_dialog import show_models_dialog
from large_desktop.app.preview_panel import PreviewPanel
from large_desktop.app.status_bar import IndexStatus, MessageBar
from large_desktop.app.thumbnails import ThumbnailLoader
from large_desktop.app.undo_history import UndoGate

logger = logging.getLogger(__name__)

PRIORITY_DELAY_MS = 150  # after scrolling stops, tell the indexer which rows are on screen
# While indexing, re-score at most this often: each re-score reloads every latent.
RESCORE_DURING_INDEXING_MS = 3000
ATTRIBUTE_DOCK_SHARE = 70  # percent of the right-hand column, until the user moves the split


def _make_attribute_panel(library, undo_stack: QUndoStack, parent: QWidget):
    """Create the attribute panel when its module is installed, else return None."""
    try:
        from large_desktop.app.attribute_panel import AttributePanel
    except ModuleNotFoundError as exc:
        if exc.name != "large_desktop.app.attribute_panel":
            raise
        logger.info("attribute panel not available: %s", exc)
        return None
    return AttributePanel(library, undo_stack, parent)


class MainWindow(QMainWindow):
    """Folders on the left, the grid in the centre, attribute and preview docks on the right.

    Args:
        settings: where geometry, zoom, reverse and the last library persist.
        cache_folder: the thumbnail disk cache.
        log_file: shown by Help → Show Log File.
    """

    def __init__(self, settings: QSettings, cache_folder: Path, log_file: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.log_file = log_file
        self.db_path: Path | None = None
        self.setWindowTitle(self.tr("large-desktop"))
        self.setAcceptDrops(True)

        self.session = LibrarySession(self)
        self.thumbnails = ThumbnailLoader(cache_folder, self)
        self.model = LibraryModel(self.thumbnails, self)
        self.undo_stack = QUndoStack(self)
        self.undo_gate = UndoGate(self.undo_stack, self)
        self.undo_action = self._history_action(self.tr("&Undo"), QKeySequence.StandardKey.Undo, self.undo_gate.undo)
        self.redo_action = self._history_action(self.tr("&Redo"), QKeySequence.StandardKey.Redo, self.undo_gate.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda command: self.undo_action.setText(self.tr("&Undo %1").replace("%1", command) if command else self.tr("&Undo"))
        )
        self.undo_stack.redoTextChanged.connect(
            lambda command: self.redo_action.setText(self.tr("&Redo %1").replace("%1", command) if command else self.tr("&Redo"))
        )
        self.attribute_panel = None
        self._attribute_panel_scheduled = False

        self._build_central()
        self._build_docks()
        self._build_toolbar()
        self._build_menus()
        self.index_status = IndexStatus(self)
        self.statusBar().addPermanentWidget(self.index_status, 1)
        self._wire()
        self._restore_settings()
        operations.set_message_sink(self.message_bar.show_message)

    # ------------------------------------------------------------- layout

    def _build_central(self) -> None:
        self.message_bar = MessageBar(self)
        self.grid = GridView(self)
        self.grid.setModel(self.model)
        self.empty_hint = QLabel(self.tr("Add a folder of photos (Library → Add Folder…) or drop one here."), self)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.grid, 1)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        self.folders_panel = FoldersPanel(self)
        folders_dock = QDockWidget(self.tr("Folders"), self)
        folders_dock.setObjectName("folders-dock")
        folders_dock.setWidget(self.folders_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, folders_dock)

        self.attribute_dock = QDockWidget(self.tr("Attribute"), self)
        self.attribute_dock.setObjectName("attribute-dock")
        self.attribute_dock.setWidget(QLabel(self.tr("The attribute panel appears once the library is open."), self))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.attribute_dock)

        self.preview = PreviewPanel(self)
        self.preview_dock = QDockWidget(self.tr("Preview"), self)
        self.preview_dock.setObjectName("preview-dock")
        self.preview_dock.setWidget(self.preview)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.preview_dock)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("View"), self)
        toolbar.setObjectName("view-toolbar")
        self.reverse_action = QAction(self.tr("↑↓ Reverse"), self, checkable=True)
        self.reverse_action.setToolTip(self.tr("Lowest scores first"))
        self.unsorted_action = QAction(self.tr("Unsorted"), self, checkable=True)
        self.unsorted_action.setToolTip(self.tr("Show the library in folder order, ignoring scores"))
        toolbar.addAction(self.reverse_action)
        toolbar.addAction(self.unsorted_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(self.tr("Zoom"), self))
        self.zoom_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.zoom_slider.setRange(MIN_ZOOM, MAX_ZOOM)
        self.zoom_slider.setValue(DEFAULT_ZOOM)
        self.zoom_slider.setMaximumWidth(160)
        self.zoom_slider.setToolTip(self.tr("Thumbnail size (Ctrl+wheel over the grid)"))
        toolbar.addWidget(self.zoom_slider)
        self.addToolBar(toolbar)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(self.tr("&Open Library…"), self._choose_library)
        file_menu.addAction(self.tr("&New Library…"), self._choose_new_library)
        file_menu.addSeparator()
        export_menu = build_export_menu(self, lambda: self.session.library, self._current_attribute, self.message_bar.show_message)
        export_menu.setTitle(self.tr("&Export"))
        file_menu.addMenu(export_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.tr("&Quit"), self.close).setShortcut("Ctrl+Q")

        library_menu = bar.addMenu(self.tr("&Library"))
        library_menu.addAction(self.tr("&Add Folder…"), self._choose_folder)
        self.remove_folder_action = library_menu.addAction(self.tr("&Remove Selected Folder"), self._remove_current_folder)
        library_menu.addAction(self.tr("Re&scan Folders"), self.session.rescan)
        library_menu.addSeparator()
        self.pause_action = library_menu.addAction(self.tr("&Pause Indexing"))
        self.pause_action.setCheckable(True)
        library_menu.addAction(self.tr("Retry &Failed Photos"), self.session.retry_failed)
        self.problems_action = library_menu.addAction(self.tr("Show Only Failed / No &Face"))
        self.problems_action.setCheckable(True)

        attribute_menu = bar.addMenu(self.tr("&Attribute"))
        attribute_menu.addAction(self.undo_action)
        attribute_menu.addAction(self.redo_action)
        attribute_menu.addSeparator()
        attribute_menu.addAction(self.tr("Label Selection &Low\t1"), lambda: self._label(self.grid.selected_photo_ids(), "low"))
        attribute_menu.addAction(self.tr("Label Selection &High\t2"), lambda: self._label(self.grid.selected_photo_ids(), "high"))
        attribute_menu.addAction(self.tr("Remove &Labels of Selection\tDel"), lambda: self._unlabel(self.grid.selected_photo_ids()))

        self.models_menu = bar.addMenu(self.tr("&Models"))
        self.pack_group = QActionGroup(self)
        self.pack_group.setExclusive(True)

        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.tr("Show &Log File"), self._show_log_file)
        help_menu.addAction(self.tr("&About"), self._show_about)

    # ------------------------------------------------------------- wiring

    def _wire(self) -> None:
        session = self.session
        session.opened.connect(self._on_opened)
        session.listing_loaded.connect(self.model.set_listing)
        session.listing_loaded.connect(self._on_listing_loaded)
        session.folders_changed.connect(self.folders_panel.set_folders)
        session.report.connect(self._on_report)
        session.batch_written.connect(self.model.update_statuses)

        self.model.statuses_changed.connect(self._on_statuses_changed)
        self.model.modelReset.connect(self._on_rows_changed)
        self.model.order_changed.connect(self._on_rows_changed)

        self.folders_panel.add_requested.connect(self._choose_folder)
        self.folders_panel.remove_requested.connect(session.remove_folder)

        self.grid.label_requested.connect(self._label)
        self.grid.unlabel_requested.connect(self._unlabel)
        self.grid.zoom_requested.connect(self.zoom_slider.setValue)
        self.grid.number_typed.connect(self._on_number_typed)
        self.grid.selectionModel().currentChanged.connect(self._on_current_changed)
        self._rescore_timer = QTimer(self)
        self._rescore_timer.setSingleShot(True)
        self._rescore_timer.setInterval(RESCORE_DURING_INDEXING_MS)
        self._rescore_timer.timeout.connect(self._rescore)
        self._priority_timer = QTimer(self)
        self._priority_timer.setSingleShot(True)
        self._priority_timer.timeout.connect(lambda: session.set_priority(self.grid.visible_photo_ids()))
        self.grid.visible_rows_changed.connect(lambda: self._priority_timer.start(PRIORITY_DELAY_MS))

        self.zoom_slider.valueChanged.connect(self.grid.set_thumb_size)
        self.reverse_action.toggled.connect(self.model.set_reverse)
        self.unsorted_action.toggled.connect(self.model.set_unsorted)
        self.problems_action.toggled.connect(self.model.set_problems_only)
        self.pause_action.toggled.connect(self._set_paused)
        self.index_status.pause_toggled.connect(self._set_paused)
        self.index_status.failed_clicked.connect(lambda: self.problems_action.setChecked(True))

    # ------------------------------------------------------------ library

    def open_library(self, db_path: Path, folders: list[Path] | None = None, pack_id: str | None = None) -> None:
        """Open a library database in the background; `folders` are added once it is open."""
        self.db_path = db_path
        self.setWindowTitle(self.tr("%1 — large-desktop").replace("%1", str(db_path)))
        self.settings.setValue("library/last", str(db_path))
        self.thumbnails.forget()
        self.index_status.set_report(IndexReport("starting"))
        self.session.open(db_path, pack_id=pack_id, then_add=folders)

    def add_folders(self, folders: list[Path]) -> None:
        self.session.add_folders(folders)

    def _on_opened(self, library) -> None:
        if self.attribute_panel is not None:
            self.attribute_panel.set_library(library)
        self.undo_stack.clear()
        self._load_packs(library.pack_id)

    def _on_listing_loaded(self, _listing) -> None:
        if self.attribute_panel is None and not self._attribute_panel_scheduled:
            # Built after the grid has its rows: the panel's imports and its first
            # queries would otherwise compete with the listing query for the CPU.
            self._attribute_panel_scheduled = True
            QTimer.singleShot(0, self._create_attribute_panel)

    def _create_attribute_panel(self) -> None:
        library = self.session.library
        if library is None:
            self._attribute_panel_scheduled = False  # the next listing of an open library tries again
            return
        self.attribute_panel = _make_attribute_panel(library, self.undo_stack, self)
        if self.attribute_panel is not None:
            # A scroll area keeps the panel's plots at their minimum height when the dock is short.
            scroll = QScrollArea(self.attribute_dock)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(self.attribute_panel)
            self.attribute_dock.setWidget(scroll)
            if not self.settings.contains("window/state"):
                self.resizeDocks([self.attribute_dock, self.preview_dock], [ATTRIBUTE_DOCK_SHARE, 100 - ATTRIBUTE_DOCK_SHARE], Qt.Orientation.Vertical)
            self.attribute_panel.scores_ready.connect(self.model.apply_scores)
            self.attribute_panel.photos_indexed.connect(lambda _ids: self.session.reload_listing())
            self.session.batch_written.connect(lambda _updates: self._rescore_timer.start())
        else:
            self.attribute_dock.setWidget(QLabel(self.tr("The attribute panel is not installed in this build."), self))

    def _current_attribute(self) -> str | None:
        return self.attribute_panel.attribute if self.attribute_panel is not None else None

    def _rescore(self) -> None:
        if self.attribute_panel is not None:
            self.attribute_panel.rescore()

    def _load_packs(self, current: str) -> None:
        from large_desktop.core.packs import available_packs

        def fill(manifests) -> None:
            self.models_menu.clear()
            for action in self.pack_group.actions():
                self.pack_group.removeAction(action)
            for pack_id, manifest in sorted(manifests.items()):
                action = self.models_menu.addAction(manifest.name)
                action.setCheckable(True)
                action.setChecked(pack_id == current)
                action.setData(pack_id)
                action.setToolTip(pack_id)
                self.pack_group.addAction(action)
                action.triggered.connect(lambda _checked=False, chosen=pack_id: self._switch_pack(chosen))
            self.models_menu.addSeparator()
            self.models_menu.addAction(self.tr("&Manage Packs…"), self._show_models_dialog)

        operations.BackgroundOp(available_packs).on_success(fill).run()

    def _show_models_dialog(self) -> None:
        library = self.session.library
        current = library.pack_id if library is not None else None
        dialog = show_models_dialog(self, current)
        if not dialog.property("wired"):
            dialog.pack_chosen.connect(self._switch_pack)
            dialog.packs_changed.connect(lambda: self._load_packs(self.session.library.pack_id if self.session.library else ""))
            dialog.setProperty("wired", True)

    def _switch_pack(self, pack_id: str) -> None:
        library = self.session.library
        if self.db_path is None or (library is not None and library.pack_id == pack_id):
            return
        logger.info("switching library %s to pack %s", self.db_path, pack_id)
        self.open_library(self.db_path, pack_id=pack_id)

    def _choose_library(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open Library"), str(self.db_path or ""), self.tr("Libraries (*.sqlite);;All files (*)"))
        if path:
            self.open_library(Path(path))

    def _choose_new_library(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("New Library"), "library.sqlite", self.tr("Libraries (*.sqlite)"))
        if path:
            self.open_library(Path(path))

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add Folder"))
        if folder:
            self.add_folders([Path(folder)])

    def _remove_current_folder(self) -> None:
        folder = self.folders_panel.current_folder()
        if folder is None:
            self.message_bar.show_message(self.tr("Select a folder in the Folders list first."))
            return
        self.session.remove_folder(folder)

    # ------------------------------------------------------------- labels

    def _history_action(self, text: str, shortcut: QKeySequence.StandardKey, slot) -> QAction:  # noqa: ANN001 - a bound slot
        """Make a disabled Undo or Redo action that goes through the undo gate."""
        action = QAction(text, self)
        action.setShortcuts(shortcut)
        action.setEnabled(False)
        action.triggered.connect(slot)
        return action

    def _label(self, photo_ids: list[int], value: str) -> None:
        if not photo_ids:
            return
        if self.attribute_panel is None:
            self.message_bar.show_message(self.tr("Labels need the attribute panel, which is not installed in this build."))
            return
        self.attribute_panel.label_photos(photo_ids, value)

    def _unlabel(self, photo_ids: list[int]) -> None:
        if photo_ids and self.attribute_panel is not None:
            self.attribute_panel.remove_labels(photo_ids)

    def _on_number_typed(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(self.tr("Value %1 — Enter labels the selection, Esc cancels").replace("%1", text))
        else:
            self.statusBar().clearMessage()

    # ------------------------------------------------------------- status

    def _on_report(self, report: IndexReport) -> None:
        self.index_status.set_report(report)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(report.state == "paused")
        self.pause_action.blockSignals(False)

    def _set_paused(self, paused: bool) -> None:
        if paused:
            self.session.pause()
        else:
            self.session.resume()

    def _on_statuses_changed(self) -> None:
        counts = self.model.status_counts()
        self.index_status.set_problem_count(counts.get("failed", 0), counts.get("no_face", 0))

    def _on_rows_changed(self) -> None:
        empty = self.model.rowCount() == 0 and not self.model.problems_only
        self.empty_hint.setVisible(empty)
        self._priority_timer.start(PRIORITY_DELAY_MS)

    def _on_current_changed(self, current, _previous) -> None:
        library = self.session.library
        path = current.data(PathRole) if current.isValid() else None
        self.preview.show_photo(path, library.pack_id if library is not None else None)

    def _show_log_file(self) -> None:
        text = str(self.log_file) if self.log_file else self.tr("Logging to a file is off in this session.")
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Log File"), text, QMessageBox.StandardButton.Ok, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if self.log_file:
            open_button = box.addButton(self.tr("Open Folder"), QMessageBox.ButtonRole.ActionRole)
            open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file.parent))))
        box.setModal(False)
        box.show()
        self.log_box = box

    def _show_about(self) -> None:
        show_about(self)

    # --------------------------------------------------------- drag, drop

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and self.attribute_panel is not None:
            # The CLI or another window may have changed labels while this one was
            # in the background: re-read them and re-score, off the UI thread.
            self.attribute_panel.refresh()
            self.attribute_panel.rescore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        # Whether each path is a folder is checked off the UI thread, where the scan starts.
        folders = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not folders:
            event.ignore()
            return
        event.acceptProposedAction()
        logger.info("folders dropped on the window: %s", folders)
        self.add_folders(folders)

    # ----------------------------------------------------------- settings

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.zoom_slider.setValue(int(self.settings.value("view/zoom", DEFAULT_ZOOM)))
        self.reverse_action.setChecked(self.settings.value("view/reverse", False) in (True, "true"))

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("view/zoom", self.zoom_slider.value())
        self.settings.setValue("view/reverse", self.reverse_action.isChecked())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.statusBar().showMessage(self.tr("Finishing the batch in progress…"))
        # Blocks until the worker has finished its batch and the writer has committed it.
        self.session.shutdown()
        self.thumbnails.wait_idle(5_000)
        self.preview.wait_idle(5_000)
        operations.set_message_sink(None)
        super().closeEvent(event)
