"""Opening another library while one is still opening: only the newest one gets folders and a worker."""

import sqlite3

from app_helpers import INDEX_TIMEOUT_MS, copy_faces, make_window  # noqa: F401 (fixtures)


def folder_rows(db_path) -> list[str]:
    with sqlite3.connect(db_path) as connection:
        return [path for (path,) in connection.execute("SELECT path FROM folders ORDER BY path")]


def test_open_during_open_uses_newest(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "photos"
    copy_faces(dev_faces, folder, 2)
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    window = make_window()

    # The second open comes before the first database has reached the main thread,
    # as when File → Open Library is chosen while the last library still opens.
    window.open_library(first)
    window.open_library(second, folders=[folder])
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=INDEX_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.session.worker is not None and window.session.worker._state == "idle", timeout=INDEX_TIMEOUT_MS)

    assert window.session.library.db_path == second
    assert window.session.worker.library.db_path == second
    assert folder_rows(second) == [str(folder)]
    assert folder_rows(first) == []
