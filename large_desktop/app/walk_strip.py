"""Faces rendered along an attribute's direction, from less to more, for packs with a generator."""

import logging

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QWidget
from shiboken6 import isValid

from large_desktop.app.label_list import to_qimage
from large_desktop.app.operations import BackgroundOp, report_failure
from large_desktop.core.library import Library, ScoreResult
from large_desktop.core.previews import walk

logger = logging.getLogger(__name__)

WALK_STEPS = 7
SPREAD_STDS = 2.0  # how far the walk goes each way, in standard deviations of the library's scores


def render_walk(library: Library, result: ScoreResult, steps: int = WALK_STEPS) -> Image.Image | None:
    """Render the library's mean latent moved along the result's direction; None without a generator.

    Loads the pack on first use, so it runs off the UI thread.
    """
    if not library.pack.manifest.has_generator:
        return None
    basis = library.latent_index().basis
    center = basis.mean.reshape(basis.latent_shape)  # [L, D]
    spread = SPREAD_STDS * float(np.std(result.scores))
    return walk(library.pack, center, result.direction.vector, spread, steps=steps)


class WalkStrip(QLabel):
    """Shows the walk for the latest scores; hidden when the library's pack has no generator.

    Only the newest request is shown: a render that finishes after a newer
    request started is dropped.

    Signals:
        rendered(): a walk image is on screen.
    """

    rendered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setScaledContents(False)
        self.setToolTip(self.tr("The library's average face moved from less (left) to more (right)"))
        self._generation = 0
        self.setVisible(False)

    def show_walk(self, library: Library | None, result: ScoreResult | None) -> None:
        """Render the walk for `result` off-thread, or hide the strip."""
        self._generation += 1
        if library is None or result is None:
            self.clear()
            self.setVisible(False)
            return
        generation = self._generation
        BackgroundOp(lambda: render_walk(library, result)).on_success(
            lambda image: self._on_rendered(generation, image)
        ).on_failure(report_failure).run()

    def _on_rendered(self, generation: int, image: Image.Image | None) -> None:
        if not isValid(self) or generation != self._generation:
            return
        if image is None:
            self.clear()
            self.setVisible(False)
            return
        pixmap = QPixmap.fromImage(to_qimage(image))
        width = max(self.width(), 1)
        self.setPixmap(pixmap.scaledToWidth(min(width, pixmap.width()), Qt.TransformationMode.SmoothTransformation))
        self.setVisible(True)
        self.rendered.emit()
