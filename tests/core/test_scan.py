import os
import shutil

import pytest
from sqlalchemy import select

from large_desktop.core.cache.schema import File, Photo
from large_desktop.core.cache.store import open_database
from large_desktop.core.scan import scan_folder


def scan(sessions, folder):
    with sessions() as session:
        progress = None
        for progress in scan_folder(session, folder):
            pass
        return progress


def files_by_name(sessions):
    with sessions() as session:
        return {os.path.basename(row.path): row for row in session.scalars(select(File))}


@pytest.fixture
def sessions(tmp_path):
    return open_database(tmp_path / "lib.sqlite")


def test_scan_finds_supported_images(sessions, photo_folder):
    (photo_folder / "notes.txt").write_text("not a photo")

    progress = scan(sessions, photo_folder)

    assert progress.seen == 5
    assert progress.new == 5
    assert set(files_by_name(sessions)) == {"astronaut.png", "grace_hopper.jpg", "camera.png", "coffee.png", "chelsea.png"}


def test_rescan_hashes_only_changed(sessions, photo_folder, sample_photo):
    scan(sessions, photo_folder)
    shutil.copyfile(sample_photo("astronaut"), photo_folder / "coffee.png")  # new content, same name

    progress = scan(sessions, photo_folder)

    assert progress.hashed == 1
    assert progress.seen == 5


def test_renamed_file_keeps_photo(sessions, photo_folder):
    scan(sessions, photo_folder)
    before = files_by_name(sessions)["camera.png"].photo_id
    (photo_folder / "sub").mkdir()
    os.rename(photo_folder / "camera.png", photo_folder / "sub" / "renamed.png")

    scan(sessions, photo_folder)
    rows = files_by_name(sessions)

    assert rows["renamed.png"].photo_id == before
    assert rows["camera.png"].missing
    with sessions() as session:
        assert len(session.scalars(select(Photo)).all()) == 5


def test_deleted_file_marked_missing_then_back(sessions, photo_folder, tmp_path):
    scan(sessions, photo_folder)
    shutil.move(photo_folder / "chelsea.png", tmp_path / "chelsea.png")

    progress = scan(sessions, photo_folder)

    assert progress.missing == 1
    assert files_by_name(sessions)["chelsea.png"].missing

    shutil.move(tmp_path / "chelsea.png", photo_folder / "chelsea.png")
    scan(sessions, photo_folder)
    assert not files_by_name(sessions)["chelsea.png"].missing


def test_unmounted_folder_keeps_rows(sessions, photo_folder, tmp_path):
    scan(sessions, photo_folder)
    os.rename(photo_folder, tmp_path / "unplugged")

    progress = scan(sessions, photo_folder)

    assert progress.folder_missing
    rows = files_by_name(sessions)
    assert len(rows) == 5
    assert all(row.missing for row in rows.values())

    os.rename(tmp_path / "unplugged", photo_folder)
    scan(sessions, photo_folder)
    assert not any(row.missing for row in files_by_name(sessions).values())


def test_hidden_folders_skipped(sessions, photo_folder, sample_photo):
    hidden = photo_folder / ".thumbnails"
    hidden.mkdir()
    shutil.copyfile(sample_photo("camera"), hidden / "copy.png")

    assert scan(sessions, photo_folder).seen == 5


def test_symlink_loop_terminates(sessions, photo_folder):
    (photo_folder / "loop").symlink_to(photo_folder, target_is_directory=True)

    assert scan(sessions, photo_folder).seen == 5


def test_unicode_and_spaces_in_path(sessions, tmp_path, sample_photo):
    folder = tmp_path / "Фото с пробелом" / "été 2026"
    folder.mkdir(parents=True)
    shutil.copyfile(sample_photo("grace_hopper"), folder / "Grace Hopper — 1984.jpg")

    assert scan(sessions, tmp_path / "Фото с пробелом").seen == 1
    assert "Grace Hopper — 1984.jpg" in files_by_name(sessions)
