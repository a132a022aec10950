"""The main window on real photos: indexing, statuses, resume, pause, drops, zoom."""

import sqlite3

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel

from large_desktop.app.library_model import ErrorRole, StatusRole
from app_helpers import INDEX_TIMEOUT_MS, copy_faces, make_window, mixed_folder, wait_indexed  # noqa: F401 (fixtures)


def drop_urls(window, paths) -> QDropEvent:
    """Drag local file URLs onto the window and drop them, as a file manager does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def statuses_by_name(window) -> dict[str, str]:
    model = window.model
    return {model.index(row).data(Qt.ItemDataRole.ToolTipRole).split("\n")[0].rsplit("/", 1)[-1]: model.index(row).data(StatusRole)
            for row in range(model.rowCount())}


def status_rows(db_path) -> list[tuple[int, str]]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute("SELECT photo_id, status FROM photo_status ORDER BY photo_id").fetchall()


def test_window_indexes_folder(qtbot, make_window, tmp_path, mixed_folder):
    window = make_window()
    window.open_library(tmp_path / "library.sqlite", folders=[mixed_folder])
    wait_indexed(qtbot, window, rows=6)

    statuses = statuses_by_name(window)
    assert statuses["coffee.png"] == "no_face"
    assert statuses["broken.jpg"] == "failed"
    assert [statuses[f"d000{i}.jpg"] for i in range(1, 5)] == ["done"] * 4
    assert not window.empty_hint.isVisible()


def test_no_face_reason_in_tooltip(qtbot, make_window, tmp_path, mixed_folder):
    window = make_window()
    window.open_library(tmp_path / "library.sqlite", folders=[mixed_folder])
    wait_indexed(qtbot, window, rows=6)
    rows = {window.model.index(row).data(StatusRole): row for row in range(window.model.rowCount())}

    no_face_tip = window.model.index(rows["no_face"]).data(Qt.ItemDataRole.ToolTipRole)
    failed = window.model.index(rows["failed"])
    assert "no face found" in no_face_tip
    assert "not an image" in failed.data(ErrorRole)
    assert failed.data(ErrorRole) in failed.data(Qt.ItemDataRole.ToolTipRole)


def test_failed_count_turns_on_filter(qtbot, make_window, tmp_path, mixed_folder):
    window = make_window()
    window.open_library(tmp_path / "library.sqlite", folders=[mixed_folder])
    wait_indexed(qtbot, window, rows=6)
    button = window.index_status.failed_button

    assert button.isVisible()
    assert "1 failed" in button.text()
    button.click()
    assert window.problems_action.isChecked()
    assert sorted(window.model.index(row).data(StatusRole) for row in range(window.model.rowCount())) == ["failed", "no_face"]


def test_quit_mid_index_resumes(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "faces"
    copy_faces(dev_faces, folder, 24)
    db_path = tmp_path / "library.sqlite"

    first = make_window(batch_size=2)
    with qtbot.waitSignal(first.session.batch_written, timeout=INDEX_TIMEOUT_MS):
        first.open_library(db_path, folders=[folder])
    first.close()  # blocks until the batch in flight is written
    written = status_rows(db_path)
    assert 2 <= len(written) < 24
    assert len(written) % 2 == 0

    second = make_window(batch_size=2)
    second.open_library(db_path)
    wait_indexed(qtbot, second, rows=24)
    second.close()

    final = status_rows(db_path)
    assert len(final) == 24
    assert len({photo_id for photo_id, _ in final}) == 24
    assert dict(written).items() <= dict(final).items()
    with sqlite3.connect(db_path) as connection:
        items = connection.execute("SELECT photo_id, face_index, COUNT(*) FROM items GROUP BY photo_id, face_index").fetchall()
    assert all(count == 1 for _, _, count in items)


# Enough photos that indexing cannot finish between the first batch and the pause.
PAUSE_PHOTOS = 24


def test_pause_and_resume(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "faces"
    copy_faces(dev_faces, folder, PAUSE_PHOTOS)
    window = make_window(batch_size=2)
    with qtbot.waitSignal(window.session.batch_written, timeout=INDEX_TIMEOUT_MS):
        window.open_library(tmp_path / "library.sqlite", folders=[folder])
    window.index_status.pause_button.setChecked(True)
    with qtbot.waitSignal(window.session.report, timeout=INDEX_TIMEOUT_MS, check_params_cb=lambda report: report.state == "paused"):
        pass
    qtbot.wait(300)  # a batch written during the pause would have been encoded before it
    paused_at = len(status_rows(tmp_path / "library.sqlite"))
    qtbot.wait(1500)

    assert len(status_rows(tmp_path / "library.sqlite")) == paused_at
    assert paused_at < PAUSE_PHOTOS
    assert window.pause_action.isChecked()
    assert "Paused" in window.index_status.text.text()

    window.index_status.pause_button.setChecked(False)
    wait_indexed(qtbot, window, rows=PAUSE_PHOTOS)
    assert len(status_rows(tmp_path / "library.sqlite")) == PAUSE_PHOTOS


def test_folder_drop_adds_folder(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "dropped"
    copy_faces(dev_faces, folder, 2)
    window = make_window()
    window.open_library(tmp_path / "library.sqlite")
    qtbot.waitUntil(lambda: window.session.library is not None, timeout=10_000)

    event = drop_urls(window, [folder])

    assert event.isAccepted()
    qtbot.waitUntil(lambda: window.folders_panel.folders() == [str(folder)], timeout=10_000)
    wait_indexed(qtbot, window, rows=2)


def test_drop_of_a_file_reports_message(qtbot, make_window, tmp_path, dev_faces):
    files = copy_faces(dev_faces, tmp_path / "loose", 1)
    window = make_window()
    window.open_library(tmp_path / "library.sqlite")
    qtbot.waitUntil(lambda: window.session.library is not None, timeout=10_000)

    drop_urls(window, files)

    qtbot.waitUntil(lambda: "is not a folder" in window.message_bar.text(), timeout=10_000)


def test_ctrl_wheel_zooms(qtbot, make_window, tmp_path):
    window = make_window()
    before = window.zoom_slider.value()
    viewport = window.grid.viewport()
    center = QPointF(viewport.rect().center())
    event = QWheelEvent(center, viewport.mapToGlobal(center), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)

    assert window.zoom_slider.value() == before + 16
    assert window.grid.thumb_size == before + 16


def test_remove_folder_keeps_labels_and_latents(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "faces"
    copy_faces(dev_faces, folder, 2)
    db_path = tmp_path / "library.sqlite"
    window = make_window()
    window.open_library(db_path, folders=[folder])
    wait_indexed(qtbot, window, rows=2)

    window.session.remove_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.rowCount() == 0 and window.folders_panel.folders() == [], timeout=10_000)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM latents").fetchone()[0] == 2

    window.add_folders([folder])
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    assert window.model.status_counts() == {"done": 2}


def test_settings_persist(qtbot, make_window, tmp_path):
    window = make_window()
    window.zoom_slider.setValue(200)
    window.reverse_action.setChecked(True)
    window.open_library(tmp_path / "library.sqlite")
    window.close()

    again = make_window()
    assert again.zoom_slider.value() == 200
    assert again.reverse_action.isChecked()
    assert again.settings.value("library/last") == str(tmp_path / "library.sqlite")


def test_help_about_shows_version(qtbot, make_window):
    from large_desktop import __version__
    from large_desktop.app.about import AboutDialog

    window = make_window()
    window._show_about()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is not None, timeout=5000)

    dialog = window.findChild(AboutDialog)
    assert __version__ in " ".join(label.text() for label in dialog.findChildren(QLabel))
    dialog.close()


def test_reopen_rescans_after_first_listing(qtbot, make_window, tmp_path, dev_faces):
    folder = tmp_path / "faces"
    photos = copy_faces(dev_faces, folder, 3)
    db_path = tmp_path / "library.sqlite"
    first = make_window()
    first.open_library(db_path, folders=[folder])
    wait_indexed(qtbot, first, rows=3)
    first.close()
    photos[0].unlink()

    second = make_window()
    listings = []
    second.session.listing_loaded.connect(listings.append)
    second.open_library(db_path)
    qtbot.waitUntil(lambda: "missing" in second.model.status_counts(), timeout=INDEX_TIMEOUT_MS)

    first_listing = dict(zip(listings[0].paths, listings[0].statuses))
    assert first_listing[str(photos[0])] == "done"  # shown before the rescan ran
    assert statuses_by_name(second)[photos[0].name] == "missing"
    assert second.attribute_panel is not None


def test_index_waits_for_other_process_lock(qtbot, make_window, tmp_path, dev_faces):
    from large_desktop.core.file_lock import file_lock

    folder = tmp_path / "faces"
    copy_faces(dev_faces, folder, 3)
    db_path = tmp_path / "library.sqlite"
    window = make_window()

    # The CLI's `index` holds this lock while it runs; flock locks from two
    # opens conflict even within one process, so this stands for it.
    with file_lock(db_path.with_name(db_path.name + ".index-lock"), blocking=False) as taken:
        assert taken
        window.open_library(db_path, folders=[folder])
        qtbot.waitUntil(lambda: "another large-desktop process" in window.index_status.text.text(), timeout=INDEX_TIMEOUT_MS)
        assert status_rows(db_path) == []

    wait_indexed(qtbot, window, rows=3)
    assert len(status_rows(db_path)) == 3


def test_activation_shows_labels_from_cli(qtbot, make_window, tmp_path, dev_faces):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from large_desktop.core.library import Library

    folder = tmp_path / "faces"
    copied = copy_faces(dev_faces, folder, 3)
    db_path = tmp_path / "library.sqlite"
    window = make_window()
    window.open_library(db_path, folders=[folder])
    wait_indexed(qtbot, window, rows=3)
    panel = window.attribute_panel
    panel.create_attribute("age")
    qtbot.waitUntil(lambda: panel.attribute == "age", timeout=INDEX_TIMEOUT_MS)

    Library(db_path).label_file("age", copied[0], "high")  # what `large-desktop label` does
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    QApplication.sendEvent(window, QEvent(QEvent.Type.ActivationChange))

    qtbot.waitUntil(lambda: [label.photo_id for label in panel.labels] != [], timeout=INDEX_TIMEOUT_MS)
    assert [label.kind for label in panel.labels] == ["high"]
