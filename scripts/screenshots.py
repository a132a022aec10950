"""Render the main window's states to docs/screenshots/*.png with QWidget.grab().

States: an empty library, indexing in progress (paused mid-way, so the
picture is stable), and a library sorted by an attribute taught through the
attribute panel with one "less" and one "more" example.

The photos are the sample images shipped inside scikit-image and matplotlib,
indexed with the whole-photo pack. The dev faces are not used, because their
licence does not allow copies in this repository, and a screenshot of them
would be one.

Runs under xvfb-run when it is installed, else on Qt's offscreen platform:
    xvfb-run -a .venv/bin/python scripts/screenshots.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
"""

import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
TIMEOUT_S = 300
PACK_ID = "efficientnet-lite0-photo"
ATTRIBUTE, LESS, MORE = "animal", "coins.png", "chelsea.png"


def package_folder(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: the package {package} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def sample_photos() -> list[Path]:
    """Return the colour and grey sample images of scikit-image and matplotlib."""
    found = sorted(package_folder("skimage", "data").glob("*.png")) + sorted(package_folder("skimage", "data").glob("*.jpg"))
    found.append(package_folder("matplotlib", "mpl-data/sample_data") / "grace_hopper.jpg")
    return found


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
    from large_desktop.app.library_model import PathRole, ScoreRole
    from large_desktop.app.main_window import MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="large-screenshots-") as temporary:
        folder = Path(temporary)
        photos = folder / "photos"
        photos.mkdir()
        sources = sample_photos()
        for source in sources:
            shutil.copyfile(source, photos / source.name)

        window = MainWindow(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat), folder / "thumbnails")
        window.session.batch_size = 4
        window.resize(1440, 1000)
        window.show()
        window.open_library(folder / "library.sqlite", pack_id=PACK_ID)
        wait_for(app, lambda: window.session.library is not None and "Ready" in window.index_status.text.text())
        window.grab().save(str(OUT / "empty-library.png"))

        window.add_folders([photos])
        wait_for(app, lambda: window.model.rowCount() == len(sources) and window.model.status_counts().get("done", 0) >= 8)
        window.session.pause()
        wait_for(app, lambda: "Paused" in window.index_status.text.text())
        window.thumbnails.wait_idle()
        settle(app, 0.5)
        window.grab().save(str(OUT / "indexing.png"))

        window.session.resume()
        wait_for(app, lambda: window.model.status_counts().get("pending", 0) == 0)
        panel = window.attribute_panel
        panel.create_attribute(ATTRIBUTE)
        wait_for(app, lambda: panel.attribute == ATTRIBUTE)
        by_name = {Path(window.model.index(row).data(PathRole)).name: window.model.photo_id_at(row) for row in range(window.model.rowCount())}
        panel.label_photos([by_name[LESS]], "low")
        panel.label_photos([by_name[MORE]], "high")
        wait_for(app, lambda: len(panel.labels) == 2 and window.model.index(0).data(ScoreRole) is not None)
        settle(app, 2.0)
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
