"""The labels of the current attribute: thumbnail, file name and an editable value per photo."""

import logging
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QCursor, QDrag, QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget
from shiboken6 import isValid

from large_desktop.app.mime import encode_photo_ids
from large_desktop.app.operations import BackgroundOp, report_failure
from large_desktop.core.errors import LargeError
from large_desktop.core.imaging import thumbnail
from large_desktop.core.labels import LabelRow, LabelValue

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 48  # pixels, long side
PHOTO_COLUMN, VALUE_COLUMN = 0, 1
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole


def to_qimage(image: Image.Image) -> QImage:
    """Copy an RGB Pillow image into a QImage that owns its pixels."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class LabelList(QTableWidget):
    """Two columns: the labeled photo (thumbnail and name) and its value, editable in place.

    Delete or Backspace removes the selected labels; so does dragging them out
    of the list and dropping them where nothing accepts them. Dragging them onto
    a drop zone relabels them there.

    Signals:
        value_edited(int, str): photo id and the text typed into its value cell.
        remove_requested(list): photo ids whose labels the user removed.
    """

    value_edited = Signal(int, str)
    remove_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([self.tr("Photo"), self.tr("Value")])
        self.horizontalHeader().setSectionResizeMode(PHOTO_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(VALUE_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setVisible(False)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

        self._icons: dict[int, QIcon] = {}
        self._populating = False
        self.itemChanged.connect(self._on_item_changed)

    def set_labels(self, rows: list[LabelRow]) -> None:
        """Show these labels, keeping the thumbnails already loaded."""
        self._populating = True
        try:
            self.setRowCount(len(rows))
            for index, row in enumerate(rows):
                name = Path(row.path).name if row.path else self.tr("photo %1 (file missing)").replace("%1", str(row.photo_id))
                photo = QTableWidgetItem(name)
                photo.setData(PHOTO_ID_ROLE, row.photo_id)
                photo.setToolTip(row.path or "")
                photo.setFlags(photo.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if row.photo_id in self._icons:
                    photo.setIcon(self._icons[row.photo_id])
                elif row.path:
                    self._load_thumbnail(row.photo_id, Path(row.path))
                value = QTableWidgetItem(LabelValue(row.kind, row.value).text)
                value.setData(PHOTO_ID_ROLE, row.photo_id)
                value.setToolTip(self.tr("Type a number, low or high"))
                self.setItem(index, PHOTO_COLUMN, photo)
                self.setItem(index, VALUE_COLUMN, value)
        finally:
            self._populating = False

    def photo_ids(self) -> list[int]:
        return [self.item(row, PHOTO_COLUMN).data(PHOTO_ID_ROLE) for row in range(self.rowCount())]

    def selected_photo_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [self.item(row, PHOTO_COLUMN).data(PHOTO_ID_ROLE) for row in rows]

    def value_text(self, photo_id: int) -> str | None:
        for row in range(self.rowCount()):
            if self.item(row, VALUE_COLUMN).data(PHOTO_ID_ROLE) == photo_id:
                return self.item(row, VALUE_COLUMN).text()
        return None

    # ------------------------------------------------------------- thumbnails

    def _load_thumbnail(self, photo_id: int, path: Path) -> None:
        BackgroundOp(lambda: thumbnail(path, THUMBNAIL_SIZE)).on_success(
            lambda image: self._on_thumbnail(photo_id, image)
        ).on_failure(lambda exc: self._on_thumbnail_failed(path, exc)).run()

    def _on_thumbnail(self, photo_id: int, image: Image.Image) -> None:
        if not isValid(self):
            return  # the list was closed while the thumbnail loaded
        icon = QIcon(QPixmap.fromImage(to_qimage(image)))
        self._icons[photo_id] = icon
        for row in range(self.rowCount()):
            item = self.item(row, PHOTO_COLUMN)
            if item is not None and item.data(PHOTO_ID_ROLE) == photo_id:
                item.setIcon(icon)

    def _on_thumbnail_failed(self, path: Path, exc: BaseException) -> None:
        if isinstance(exc, LargeError):
            logger.info("no thumbnail for label photo %s: %s", path, exc.message)
        else:
            report_failure(exc)

    # ------------------------------------------------------------ user edits

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._populating or item.column() != VALUE_COLUMN:
            return
        self.value_edited.emit(int(item.data(PHOTO_ID_ROLE)), item.text().strip())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.state() != QAbstractItemView.State.EditingState:
            photo_ids = self.selected_photo_ids()
            if photo_ids:
                self.remove_requested.emit(photo_ids)
                event.accept()
                return
        super().keyPressEvent(event)

    def startDrag(self, supported_actions: Qt.DropAction) -> None:
        photo_ids = self.selected_photo_ids()
        if not photo_ids:
            return
        drag = QDrag(self)
        drag.setMimeData(encode_photo_ids(photo_ids))
        result = drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction, Qt.DropAction.MoveAction)
        self.finish_drag(photo_ids, result, QCursor.pos())

    def finish_drag(self, photo_ids: list[int], result: Qt.DropAction, global_position: QPoint) -> None:
        """Remove the dragged labels when nothing took the drop and it ended outside the list."""
        inside = self.viewport().rect().contains(self.viewport().mapFromGlobal(global_position))
        if result == Qt.DropAction.IgnoreAction and not inside:
            logger.debug("labels of photos %s dragged out of the list", photo_ids)
            self.remove_requested.emit(photo_ids)
