"""Render the main window's states to docs/screenshots/*.png with QWidget.grab().

States: an empty library, indexing in progress (paused mid-way, so the
picture is stable), and a library sorted by scores. The sorted state uses the
first principal component of the library's latents as scores, because the
attribute panel that turns labels into scores is a separate module.

Runs under xvfb-run when it is installed, else on Qt's offscreen platform:
    xvfb-run -a .venv/bin/python scripts/screenshots.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
"""

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEV_FACES = REPO.parent / "shared" / "data" / "faces_age_dev"
OUT = REPO / "docs" / "screenshots"
TIMEOUT_S = 180


@dataclass
class Scores:
    photo_ids: np.ndarray
    scores: np.ndarray
    predicted: np.ndarray | None
    attribute: str = "component 1"


def wait_for(app, condition, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("error: timed out waiting for the window")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    """Process events for a while, so queued thumbnails and previews are painted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from large_desktop.app.main_window import MainWindow
    from large_desktop.core.library import Library

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="large-screenshots-") as temporary:
        folder = Path(temporary)
        photos = folder / "photos"
        photos.mkdir()
        for source in sorted(DEV_FACES.glob("d*.jpg"))[:40]:
            shutil.copyfile(source, photos / source.name)

        window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), folder / "thumbnails")
        window.session.batch_size = 4
        window.resize(1280, 800)
        window.show()
        window.open_library(folder / "library.sqlite")
        wait_for(app, lambda: window.session.library is not None and "Ready" in window.index_status.text.text())
        window.grab().save(str(OUT / "empty-library.png"))

        window.add_folders([photos])
        wait_for(app, lambda: window.model.rowCount() == 40 and window.model.status_counts().get("done", 0) >= 8)
        window.session.pause()
        wait_for(app, lambda: "Paused" in window.index_status.text.text())
        window.thumbnails.wait_idle()
        settle(app, 0.5)
        window.grab().save(str(OUT / "indexing.png"))

        window.session.resume()
        wait_for(app, lambda: window.model.status_counts().get("pending", 0) == 0)
        library = Library(folder / "library.sqlite")
        result = library.sort(component=1)
        ranked = [row for row in result.rows if row.score is not None]
        window.model.apply_scores(Scores(
            np.array([row.photo_id for row in ranked], dtype=np.int64),
            np.array([row.score for row in ranked]),
            None,
        ))
        window.grid.setCurrentIndex(window.model.index(0))
        window.preview.wait_idle()
        window.thumbnails.wait_idle()
        settle(app, 1.0)
        window.grab().save(str(OUT / "sorted.png"))
        window.close()
    print(f"wrote {', '.join(sorted(path.name for path in OUT.glob('*.png')))} to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
