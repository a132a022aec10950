"""The indexing line of the status bar and the non-modal message area.

"Indexing 1,204 / 5,310 · 38 faces/s · ETA 1m48s · CPU  [pause]  3 failed ▸"
"""

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from large_desktop.app.index_worker import IndexReport
from large_desktop.app.qt_workarounds import emit

logger = logging.getLogger(__name__)

MESSAGE_SECONDS = 20  # a message hides itself after this long unless another arrives


def format_duration(seconds: float) -> str:
    """Format an ETA: "45s", "1m48s", "2h05m"."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class IndexStatus(QWidget):
    """Indexing progress, speed, ETA and device, a pause toggle and the failed count.

    Signals:
        pause_toggled(bool): the user paused (True) or resumed (False) indexing.
        failed_clicked(): the user clicked the failed count (show those photos).
    """

    pause_toggled = Signal(bool)
    failed_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel(self)
        self.pause_button = QToolButton(self)
        self.pause_button.setCheckable(True)
        self.pause_button.setText(self.tr("pause"))
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.failed_button = QToolButton(self)
        self.failed_button.setAutoRaise(True)
        self.failed_button.clicked.connect(self.failed_clicked)
        self.failed_button.setToolTip(self.tr("Show the photos that failed or have no face"))
        self.failed_button.hide()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.pause_button)
        layout.addWidget(self.failed_button)
        self.set_report(IndexReport("starting"))

    def set_report(self, report: IndexReport) -> None:
        self.text.setText(self.describe(report))
        self.pause_button.setVisible(report.state in ("running", "paused"))
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(report.state == "paused")
        self.pause_button.setText(self.tr("resume") if report.state == "paused" else self.tr("pause"))
        self.pause_button.blockSignals(False)

    def set_problem_count(self, failed: int, no_face: int) -> None:
        """Show "N failed ▸" (and photos without a face) when there are any."""
        parts = []
        if failed:
            parts.append(self.tr("%n failed", "", failed))
        if no_face:
            parts.append(self.tr("%n without a face", "", no_face))
        self.failed_button.setText(" · ".join(parts) + " ▸")
        self.failed_button.setVisible(bool(parts))

    def describe(self, report: IndexReport) -> str:
        if report.state == "starting":
            return self.tr("Opening the library…")
        if report.state in ("idle", "stopped"):
            return self.tr("Indexed") if report.done else self.tr("Ready")
        if report.state == "waiting":
            return self.tr("Waiting: another large-desktop process is indexing this library")
        prefix = self.tr("Paused") if report.state == "paused" else self.tr("Indexing")
        parts = [f"{prefix} {report.done:,} / {report.total:,}"]
        if report.state == "running" and report.rate > 0:
            rate = report.face_rate if report.face_rate > 0 else report.rate
            unit = self.tr("faces/s") if report.face_rate > 0 else self.tr("photos/s")
            parts.append(f"{rate:.1f} {unit}" if rate < 10 else f"{rate:.0f} {unit}")
        if report.state == "running" and report.eta_s is not None:
            parts.append(self.tr("ETA %1").replace("%1", format_duration(report.eta_s)))
        if report.device:
            parts.append(report.device)
        return " · ".join(parts)

    def _on_pause_toggled(self, checked: bool) -> None:
        self.pause_button.setText(self.tr("resume") if checked else self.tr("pause"))
        emit(self.pause_toggled, checked)


class MessageBar(QFrame):
    """A non-modal line above the grid for errors a user can act on; closes by button or timeout."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("MessageBar { background: #fff3cd; color: #5c4400; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str) -> None:
        logger.info("message shown: %s", text)
        self.label.setText(text)
        self.show()
        self._timer.start(MESSAGE_SECONDS * 1000)

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
