"""Plots of an attribute's scores: a histogram with the labeled photos marked, and label vs prediction.

pyqtgraph is imported when the first scores are drawn: its import takes about
0.5 s with PySide6 (measured on two busy CPU cores), which would delay the
window's first paint.
"""

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from large_desktop.core.labels import LabelRow
from large_desktop.core.library import ScoreResult

if TYPE_CHECKING:
    import pyqtgraph

logger = logging.getLogger(__name__)

HISTOGRAM_BINS = 40
PLOT_MIN_HEIGHT = 120  # px
MIN_SCATTER_LABELS = 3
LABEL_BRUSHES = {"low": (70, 130, 220), "high": (220, 90, 60), "value": (60, 160, 90)}


def label_rows_in(result: ScoreResult, labels: list[LabelRow]) -> tuple[np.ndarray, list[LabelRow]]:
    """Return the rows of `result` that contain scored labeled photos, and those labels."""
    photo_ids = np.array([label.photo_id for label in labels], dtype=np.int64)
    positions = np.searchsorted(result.photo_ids, photo_ids)  # photo_ids are ascending
    positions = np.minimum(positions, max(len(result.photo_ids) - 1, 0))
    found = result.photo_ids[positions] == photo_ids if len(result.photo_ids) else np.zeros(len(labels), dtype=bool)
    return positions[found], [label for label, hit in zip(labels, found, strict=True) if hit]


class PlotPanel(QWidget):
    """A score histogram and, with 3 or more numeric labels, a label-vs-prediction scatter.

    Signals: none; the panel calls `show_scores` and `clear`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.histogram: "pyqtgraph.PlotWidget | None" = None  # built with the first scores
        self.scatter: "pyqtgraph.PlotWidget | None" = None
        self.scatter_caption = QLabel(self)
        self.scatter_caption.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        # Reserves the histogram's height until pyqtgraph is imported, so the
        # surrounding splitter does not lay out a panel that later grows over its caption.
        self._placeholder = QWidget(self)
        self._placeholder.setMinimumHeight(PLOT_MIN_HEIGHT)
        self._layout.addWidget(self._placeholder)
        self._layout.addWidget(self.scatter_caption)
        self.clear()

    def _build_plots(self) -> "tuple[pyqtgraph.PlotWidget, pyqtgraph.PlotWidget]":
        if self.histogram is not None and self.scatter is not None:
            return self.histogram, self.scatter
        import pyqtgraph as pg

        self.histogram = pg.PlotWidget(self)
        self.histogram.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.histogram.setLabel("bottom", self.tr("score"))
        self.histogram.setLabel("left", self.tr("photos"))
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.hideButtons()

        self.scatter = pg.PlotWidget(self)
        self.scatter.setMinimumHeight(PLOT_MIN_HEIGHT)
        self.scatter.setLabel("bottom", self.tr("label"))
        self.scatter.setLabel("left", self.tr("prediction"))
        self.scatter.hideButtons()
        self.scatter.setVisible(False)

        self._layout.replaceWidget(self._placeholder, self.histogram)
        self._placeholder.deleteLater()
        self._layout.insertWidget(1, self.scatter)
        self.updateGeometry()
        return self.histogram, self.scatter

    def clear(self) -> None:
        if self.histogram is not None and self.scatter is not None:
            self.histogram.clear()
            self.scatter.clear()
            self.scatter.setVisible(False)
        self.scatter_caption.setText(self.tr("Label 3 photos with numbers to compare labels with predictions."))
        self.marked_photo_ids: list[int] = []

    def show_scores(self, result: ScoreResult, labels: list[LabelRow]) -> None:
        """Draw the histogram of every score and mark each labeled photo's score on it."""
        import pyqtgraph as pg

        histogram, scatter = self._build_plots()
        histogram.clear()
        counts, edges = np.histogram(result.scores, bins=HISTOGRAM_BINS)
        histogram.addItem(pg.PlotDataItem(edges, counts, stepMode="center", fillLevel=0, brush=(150, 150, 150, 120)))

        rows, scored_labels = label_rows_in(result, labels)
        self.marked_photo_ids = [label.photo_id for label in scored_labels]
        top = float(counts.max()) if counts.size else 1.0
        for row, label in zip(rows, scored_labels, strict=True):
            line = pg.InfiniteLine(pos=float(result.scores[row]), angle=90, pen=pg.mkPen(LABEL_BRUSHES[label.kind], width=2))
            histogram.addItem(line)
        if len(rows):
            marks = pg.ScatterPlotItem(
                x=result.scores[rows], y=np.full(len(rows), top * 1.05),
                brush=[LABEL_BRUSHES[label.kind] for label in scored_labels], size=9,
            )
            histogram.addItem(marks)
        self._show_scatter(scatter, result, rows, scored_labels)

    def _show_scatter(self, scatter: "pyqtgraph.PlotWidget", result: ScoreResult, rows: np.ndarray, labels: list[LabelRow]) -> None:
        import pyqtgraph as pg

        scatter.clear()
        numeric = [(row, label.value) for row, label in zip(rows, labels, strict=True) if label.kind == "value"]
        if result.predicted is None or len(numeric) < MIN_SCATTER_LABELS:
            scatter.setVisible(False)
            self.scatter_caption.setText(self.tr("Label 3 photos with numbers to compare labels with predictions."))
            return

        truth = np.array([value for _, value in numeric], dtype=np.float64)
        predicted = result.predicted[np.array([row for row, _ in numeric], dtype=np.int64)]
        low, high = float(min(truth.min(), predicted.min())), float(max(truth.max(), predicted.max()))
        scatter.addItem(pg.PlotDataItem([low, high], [low, high], pen=pg.mkPen((160, 160, 160), style=pg.QtCore.Qt.PenStyle.DashLine)))
        scatter.addItem(pg.ScatterPlotItem(x=truth, y=predicted, brush=LABEL_BRUSHES["value"], size=8))
        scatter.setVisible(True)
        if result.loo_error is None:
            self.scatter_caption.setText(self.tr("No leave-one-out error for these labels."))
        else:
            self.scatter_caption.setText(self.tr("Leave-one-out error: %1").replace("%1", f"{result.loo_error:.3g}"))
