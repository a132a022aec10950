"""A drop target for examples: photos dragged from the grid or image files from a file manager."""

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from large_desktop.app.mime import PHOTO_IDS_MIME, decode_photo_ids

logger = logging.getLogger(__name__)


def local_files(mime: QMimeData) -> list[Path]:
    """Return the local file paths among a drag's URLs."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class DropZone(QFrame):
    """A framed box that accepts photo ids (PHOTO_IDS_MIME) and local image files.

    Photo ids win when a drag carries both, because they need no indexing.

    Signals:
        photos_dropped(list): photo ids dropped on the zone.
        files_dropped(list): `Path`s of local files dropped on the zone.
    """

    photos_dropped = Signal(list)
    files_dropped = Signal(list)

    def __init__(self, title: str, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Sunken)
        self.setMinimumSize(96, 72)
        self.setProperty("dropActive", False)

        self._title = QLabel(title, self)
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._hint = QLabel(hint, self)
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._hint)

    def _accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(PHOTO_IDS_MIME) or bool(local_files(mime))

    def _set_active(self, active: bool) -> None:
        self.setProperty("dropActive", active)
        self.setFrameShadow(QFrame.Shadow.Raised if active else QFrame.Shadow.Sunken)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self._set_active(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001 - QDragLeaveEvent
        self._set_active(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_active(False)
        mime = event.mimeData()
        photo_ids = decode_photo_ids(mime)
        if photo_ids:
            event.acceptProposedAction()
            logger.debug("%d photo ids dropped on %s", len(photo_ids), self._title.text())
            self.photos_dropped.emit(photo_ids)
            return
        files = local_files(mime)
        if files:
            event.acceptProposedAction()
            logger.debug("%d files dropped on %s", len(files), self._title.text())
            self.files_dropped.emit(files)
            return
        event.ignore()
