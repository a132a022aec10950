"""Helpers and fixtures shared by the app tests (a conftest.py here would shadow tests/conftest.py's module name)."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from large_desktop.app.main_window import MainWindow

INDEX_TIMEOUT_MS = 90_000  # dlib on two shared CPU cores; a dozen photos usually take a few seconds


def copy_faces(dev_faces: Path, target: Path, count: int) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(dev_faces.glob("d*.jpg"))[:count]:
        copied.append(Path(shutil.copyfile(source, target / source.name)))
    return copied


def wait_indexed(qtbot, window, rows: int) -> None:
    """Wait until the grid lists `rows` photos and none of them is pending."""
    def done() -> bool:
        counts = window.model.status_counts()
        return window.model.rowCount() == rows and counts.get("pending", 0) == 0

    qtbot.waitUntil(done, timeout=INDEX_TIMEOUT_MS)


@pytest.fixture
def mixed_folder(tmp_path, dev_faces, sample_photo) -> Path:
    """Four dev faces, a photo without a face (coffee) and a file that is not an image."""
    folder = tmp_path / "photos"
    copy_faces(dev_faces, folder, 4)
    shutil.copyfile(sample_photo("coffee"), folder / "coffee.png")
    (folder / "broken.jpg").write_text("not a JPEG at all")
    return folder


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Build main windows with settings and thumbnail cache in tmp_path; close them afterwards."""
    windows = []

    def make(batch_size: int | None = None) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, tmp_path / "thumbnails", tmp_path / "app.log")
        if batch_size is not None:
            window.session.batch_size = batch_size
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.isVisible():
            window.close()

