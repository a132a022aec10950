"""The preview of the selected photo: the photo, its aligned face and, for GAN packs, the reconstruction.

Previews are made on a one-thread pool of their own: dlib and the generator
are not thread-safe, and a preview must never wait behind indexing writes.
"""

import logging
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from large_desktop.app.operations import BackgroundOp
from large_desktop.core.errors import LargeError
from large_desktop.core.photo_preview import PhotoPreview, PreviewMaker

logger = logging.getLogger(__name__)

PREVIEW_SIZE = 512  # pixels, long side of the photo preview


def pil_to_qimage(image: Image.Image) -> QImage:
    """Copy an RGB PIL image into a QImage; safe off the main thread."""
    pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))  # [H, W, 3] uint8
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class PreviewPanel(QWidget):
    """Shows the selected photo large, its aligned face and its reconstruction."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._makers: dict[str, PreviewMaker] = {}  # touched only on the pool's thread
        self._generation = 0

        self.photo = QLabel(self.tr("Select a photo to preview it"), self)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setMinimumHeight(160)
        self.photo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.face = QLabel(self)
        self.reconstruction = QLabel(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        for label in (self.face, self.reconstruction):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        inner = QWidget(self)
        layout = QVBoxLayout(inner)
        layout.addWidget(self.photo, 3)
        layout.addWidget(self.face)
        layout.addWidget(self.reconstruction)
        layout.addWidget(self.note)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._pixmap: QPixmap | None = None

    def show_photo(self, path: str | None, pack_id: str | None) -> None:
        """Start making the preview of a photo; None clears the panel."""
        self._generation += 1
        generation = self._generation
        self.face.clear()
        self.reconstruction.clear()
        self.note.clear()
        if path is None or pack_id is None:
            self._pixmap = None
            self.photo.setText(self.tr("Select a photo to preview it"))
            return
        self.photo.setText(self.tr("Loading…"))

        def work() -> tuple[QImage, QImage | None, QImage | None, str | None]:
            maker = self._makers.get(pack_id)
            if maker is None:
                maker = self._makers[pack_id] = PreviewMaker(pack_id)
            preview: PhotoPreview = maker.make(Path(path), PREVIEW_SIZE)
            return (
                pil_to_qimage(preview.photo),
                pil_to_qimage(preview.face) if preview.face is not None else None,
                pil_to_qimage(preview.reconstruction) if preview.reconstruction is not None else None,
                preview.note,
            )

        BackgroundOp(work).on_success(lambda result: self._show(generation, result)).on_failure(
            lambda exc: self._failed(generation, exc)
        ).run(self._pool)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _show(self, generation: int, result: tuple) -> None:
        if generation != self._generation:
            return  # another photo was selected meanwhile
        photo, face, reconstruction, note = result
        self._pixmap = QPixmap.fromImage(photo)
        self._fit_photo()
        if face is not None:
            self.face.setPixmap(QPixmap.fromImage(face).scaled(150, 150, Qt.AspectRatioMode.KeepAspectRatio))
            self.face.setToolTip(self.tr("The aligned face the pack encodes"))
        if reconstruction is not None:
            self.reconstruction.setPixmap(QPixmap.fromImage(reconstruction).scaled(150, 150, Qt.AspectRatioMode.KeepAspectRatio))
            self.reconstruction.setToolTip(self.tr("The generator's reconstruction from the face's latent"))
        if note:
            self.note.setText(note)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._pixmap = None
        if isinstance(exc, LargeError):
            self.photo.setText(exc.message)
        else:
            logger.error("preview failed", exc_info=(type(exc), exc, exc.__traceback__))
            self.photo.setText(self.tr("The preview failed; the log file has the details."))

    def _fit_photo(self) -> None:
        if self._pixmap is not None:
            self.photo.setPixmap(self._pixmap.scaled(
                self.photo.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            ))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_photo()
