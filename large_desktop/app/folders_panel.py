"""The list of the library's folders on the left, with add and remove buttons."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from large_desktop.app.qt_workarounds import emit


class FoldersPanel(QWidget):
    """Shows folders; missing ones (an unplugged drive) are marked.

    Signals:
        add_requested(): the user wants to choose a folder to add.
        remove_requested(str): the user wants to stop tracking this folder.
    """

    add_requested = Signal()
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setToolTip(self.tr("Drop a folder from your file manager onto the window to add it"))
        self.add_button = QPushButton(self.tr("Add…"), self)
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setToolTip(self.tr("Stop showing this folder; its labels and index stay saved"))
        self.remove_button.clicked.connect(self._on_remove)
        self.remove_button.setEnabled(False)
        self.list.currentItemChanged.connect(lambda current, _: self.remove_button.setEnabled(current is not None))

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel(self.tr("Folders"), self))
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def set_folders(self, folders: list[tuple[str, bool]]) -> None:
        self.list.clear()
        for path, missing in folders:
            item = QListWidgetItem(path + (self.tr(" (missing)") if missing else ""))
            item.setData(Qt.ItemDataRole.UserRole, path)  # the path as stored
            item.setToolTip(path)
            self.list.addItem(item)
        self.remove_button.setEnabled(False)

    def folders(self) -> list[str]:
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.list.count())]

    def current_folder(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_remove(self) -> None:
        folder = self.current_folder()
        if folder is not None:
            emit(self.remove_requested, folder)
