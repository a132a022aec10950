"""Fixtures for app tests: a real window on a real SQLite file, and folders of real photos."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app_helpers import copy_faces

from large_desktop.app.main_window import MainWindow



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

