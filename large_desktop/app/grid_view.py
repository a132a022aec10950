"""The thumbnail grid: a virtualised list view, its delegate and its keys.

Keys on the grid: 1 labels the selection "low" and 2 "high" (after a short
pause, because a number may follow), a number then Enter labels it with that
value, Delete removes its labels, Ctrl+wheel zooms.
"""

import logging

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette, QPixmap, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from large_desktop.app.library_model import LibraryModel, StatusRole
from large_desktop.app.qt_workarounds import emit

logger = logging.getLogger(__name__)

MIN_ZOOM, MAX_ZOOM, DEFAULT_ZOOM = 64, 256, 128  # thumbnail side in pixels
ZOOM_STEP = 16
LAYOUT_BATCH = 2000  # rows laid out per event-loop pass
CAPTION_HEIGHT = 18
SPACING = 6
STATUS_COLOURS = {
    "pending": QColor(150, 150, 150),
    "no_face": QColor(200, 140, 40),
    "failed": QColor(200, 50, 50),
    "missing": QColor(120, 120, 200),
}


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a thumbnail scaled into a square cell with its caption (score, value or status) below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_size = DEFAULT_ZOOM

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.thumb_size + SPACING, self.thumb_size + CAPTION_HEIGHT + SPACING)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        rect = option.rect.adjusted(SPACING // 2, SPACING // 2, -SPACING // 2, -SPACING // 2)
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))

        square = QRect(rect.left(), rect.top(), rect.width(), rect.width())
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.size().scaled(square.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(square.center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawPixmap(target, pixmap)
        else:
            painter.fillRect(square.adjusted(4, 4, -4, -4), palette.color(QPalette.ColorRole.AlternateBase))

        status = index.data(StatusRole)
        if status in STATUS_COLOURS:
            painter.fillRect(QRect(square.right() - 11, square.top() + 3, 8, 8), STATUS_COLOURS[status])

        caption = QRect(rect.left(), square.bottom() + 1, rect.width(), CAPTION_HEIGHT)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        painter.setPen(palette.color(
            QPalette.ColorRole.HighlightedText if option.state & QStyle.StateFlag.State_Selected else QPalette.ColorRole.Text
        ))
        elided = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideMiddle, caption.width())
        painter.drawText(caption, Qt.AlignmentFlag.AlignCenter, elided)


class GridView(QListView):
    """A wrapping, uniform-size list of thumbnails; drags carry the selected photo ids.

    Signals:
        label_requested(object, str): photo ids and "low", "high" or a number typed by the user.
        unlabel_requested(object): photo ids whose labels to remove.
        zoom_requested(int): the thumbnail size the user zoomed to with Ctrl+wheel.
        number_typed(str): the number being typed ("" when it was applied or cancelled).
        visible_rows_changed(): the rows on screen changed (scroll, resize, new order).
    """

    label_requested = Signal(object, str)
    unlabel_requested = Signal(object)
    zoom_requested = Signal(int)
    number_typed = Signal(str)
    visible_rows_changed = Signal()

    WORD_DELAY_MS = 700  # how long 1 or 2 waits for more digits before meaning "low" or "high"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)  # lets the view lay out 100,000 rows without asking each one
        # Qt lays out every row after a re-order and calls the model's rowCount
        # twice per row; in batches, the first screen paints after the first batch.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self._delegate)
        self._typed = ""
        self._word_timer = QTimer(self)
        self._word_timer.setSingleShot(True)
        self._word_timer.timeout.connect(self._apply_word)
        self.verticalScrollBar().valueChanged.connect(lambda _: emit(self.visible_rows_changed))

    # --------------------------------------------------------------- zoom

    @property
    def thumb_size(self) -> int:
        return self._delegate.thumb_size

    def set_thumb_size(self, size: int) -> None:
        size = max(MIN_ZOOM, min(MAX_ZOOM, size))
        if size == self._delegate.thumb_size:
            return
        self._delegate.thumb_size = size
        self.scheduleDelayedItemsLayout()  # uniform sizes are cached; force a new layout
        emit(self.visible_rows_changed)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y()
            # One wheel notch is 120; a touchpad sends smaller deltas, which still zoom one step.
            steps = int(delta / 120) or (delta > 0) - (delta < 0)
            if steps:
                emit(self.zoom_requested, max(MIN_ZOOM, min(MAX_ZOOM, self.thumb_size + steps * ZOOM_STEP)))
            event.accept()
            return
        super().wheelEvent(event)

    # ----------------------------------------------------------- selection

    def selected_photo_ids(self) -> list[int]:
        model = self.model()
        if not isinstance(model, LibraryModel):
            return []
        return model.photo_ids_of(self.selectionModel().selectedIndexes())

    def visible_photo_ids(self) -> list[int]:
        """Return the photo ids of the rows on screen, top left first."""
        model = self.model()
        if not isinstance(model, LibraryModel) or model.rowCount() == 0:
            return []
        viewport = self.viewport().rect()
        inset = QPoint(SPACING, SPACING)
        first = self.indexAt(viewport.topLeft() + inset)
        last_line = self.indexAt(QPoint(viewport.left() + SPACING, viewport.bottom() - SPACING))
        start = first.row() if first.isValid() else 0
        if last_line.isValid():
            end = min(model.rowCount() - 1, last_line.row() + self._columns() - 1)
        else:
            end = model.rowCount() - 1  # the rows end above the bottom of the viewport
        return [model.photo_id_at(row) for row in range(start, end + 1)]

    def _columns(self) -> int:
        cell = self._delegate.sizeHint(QStyleOptionViewItem(), QModelIndex())
        return max(1, self.viewport().width() // cell.width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        emit(self.visible_rows_changed)

    # ---------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.NoModifier or modifiers == Qt.KeyboardModifier.ShiftModifier:
            if text and (text.isdigit() or (text in ".-" and (text == "-" and not self._typed or text == "." and "." not in self._typed))):
                self._typed += text
                emit(self.number_typed, self._typed)
                if self._typed in ("1", "2"):
                    self._word_timer.start(self.WORD_DELAY_MS)
                else:
                    self._word_timer.stop()
                event.accept()
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._typed:
                self._word_timer.stop()
                value, self._typed = self._typed, ""
                emit(self.number_typed, "")
                self._emit_label(value)
                event.accept()
                return
            if key == Qt.Key.Key_Escape and self._typed:
                self._cancel_typing()
                event.accept()
                return
            if key == Qt.Key.Key_Backspace and self._typed:
                self._typed = self._typed[:-1]
                emit(self.number_typed, self._typed)
                event.accept()
                return
            if key == Qt.Key.Key_Delete:
                self._cancel_typing()
                ids = self.selected_photo_ids()
                if ids:
                    emit(self.unlabel_requested, ids)
                event.accept()
                return
        super().keyPressEvent(event)

    def _apply_word(self) -> None:
        word = {"1": "low", "2": "high"}.get(self._typed)
        self._typed = ""
        emit(self.number_typed, "")
        if word is not None:
            self._emit_label(word)

    def _cancel_typing(self) -> None:
        self._word_timer.stop()
        self._typed = ""
        emit(self.number_typed, "")

    def _emit_label(self, value: str) -> None:
        ids = self.selected_photo_ids()
        if ids:
            emit(self.label_requested, ids, value)
