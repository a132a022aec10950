"""Shared fixtures: real photos, a library database, an indexed dev library."""

import importlib.util
import shutil
import sqlite3
from pathlib import Path

import pytest
from shared_data import DEV_FACES



def package_file(package: str, relative: str) -> Path:
    """Locate a data file shipped inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"package {package} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / relative


SAMPLES = {
    "astronaut": ("skimage", "data/astronaut.png"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    "camera": ("skimage", "data/camera.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "chelsea": ("skimage", "data/chelsea.png"),
}


@pytest.fixture
def sample_photo():
    """Return the path of a sample photo by name (astronaut, grace_hopper, camera, coffee, chelsea)."""
    return lambda name: package_file(*SAMPLES[name])


@pytest.fixture
def dev_faces() -> Path:
    if not (DEV_FACES / "labels.csv").is_file():
        pytest.skip(f"dev faces not found at {DEV_FACES}")
    return DEV_FACES


@pytest.fixture
def photo_folder(tmp_path, sample_photo) -> Path:
    """A folder of copies of the five sample photos (three with faces)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, (_, relative) in SAMPLES.items():
        shutil.copyfile(sample_photo(name), folder / f"{name}{Path(relative).suffix}")
    return folder


@pytest.fixture(scope="session")
def indexed_dev_db(tmp_path_factory) -> Path:
    """A library database with all 200 dev faces indexed once per test session."""
    if not (DEV_FACES / "labels.csv").is_file():
        pytest.skip(f"dev faces not found at {DEV_FACES}")
    from large_desktop.core.library import Library

    path = tmp_path_factory.mktemp("dev") / "dev.sqlite"
    library = Library(path)
    for _ in library.scan([DEV_FACES]):
        pass
    for _ in library.index():
        pass
    return path


@pytest.fixture
def dev_library(indexed_dev_db, tmp_path):
    """A private copy of the indexed dev library, safe to modify."""
    from large_desktop.core.library import Library

    copy = tmp_path / "dev.sqlite"
    # The backup API includes pages still in the write-ahead log.
    with sqlite3.connect(indexed_dev_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return Library(copy)


@pytest.fixture(autouse=True)
def qt_garbage_on_main_thread(request):
    """Collect garbage on the main thread during Qt tests, as the app does (see app/qt_workarounds.py)."""
    if "qapp" not in request.fixturenames:
        yield
        return
    from large_desktop.app.qt_workarounds import collect_garbage_on_main_thread, stop_collecting_on_main_thread

    collect_garbage_on_main_thread(request.getfixturevalue("qapp"))
    yield
    stop_collecting_on_main_thread()


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A per-test user data folder, through LARGE_DESKTOP_DATA_DIR."""
    folder = tmp_path / "data"
    monkeypatch.setenv("LARGE_DESKTOP_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def messages():
    """The user-facing messages of failed app operations, in order."""
    from large_desktop.app import operations

    received: list[str] = []
    operations.set_message_sink(received.append)
    yield received
    operations.set_message_sink(None)
