import dataclasses
import io
import shutil

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select, text

from large_desktop.core.cache.schema import File, Item, Latent, PhotoStatus
from large_desktop.core.errors import DatabaseError
from large_desktop.core.faces import FaceDetector
from large_desktop.core.indexer import encode_batch, index_pending
from large_desktop.core.library import Library
from large_desktop.core.packs.registry import DEFAULT_PACK_ID, load_pack


def run_all(generator):
    last = None
    for last in generator:
        pass
    return last


def statuses(library):
    with library.session() as session:
        rows = session.execute(select(File.path, PhotoStatus.status, PhotoStatus.error).join(PhotoStatus, PhotoStatus.photo_id == File.photo_id))
        return {path.rsplit("/", 1)[-1]: (status, error) for path, status, error in rows}


@pytest.fixture
def bad_folder(tmp_path, sample_photo):
    """Real photos mixed with every kind of bad or unusual file."""
    folder = tmp_path / "mixed photos"
    folder.mkdir()
    face = Image.open(sample_photo("grace_hopper")).convert("RGB")

    shutil.copyfile(sample_photo("grace_hopper"), folder / "good.jpg")
    data = (folder / "good.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("definitely not a JPEG")
    Image.new("1", (20000, 20000)).save(folder / "huge.png", optimize=True)
    face.convert("CMYK").save(folder / "cmyk.jpg")
    grey16 = (np.asarray(face.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(grey16).save(folder / "grey16.png")
    palette = face.convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    palette.save(folder / "palette.gif", transparency=0)

    # Stored lying on its side with EXIF Orientation 8: upright only after the rotation is applied.
    exif = Image.Exif()
    exif[0x0112] = 8
    face.transpose(Image.Transpose.ROTATE_270).save(folder / "rotated.jpg", exif=exif)
    return folder


def test_bad_files_recorded_not_fatal(tmp_path, bad_folder):
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([bad_folder]))

    progress = run_all(library.index())

    assert progress.done == 9
    found = statuses(library)
    assert found["good.jpg"][0] == "done"
    for name in ("truncated.jpg", "empty.jpg", "text.jpg", "huge.png"):
        status, error = found[name]
        assert status == "failed", name
        assert name in error
    for name in ("cmyk.jpg", "grey16.png", "palette.gif", "rotated.jpg"):
        assert found[name][0] == "done", name


def test_rotated_face_box_upright(tmp_path, bad_folder):
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([bad_folder]))
    run_all(library.index())

    with library.session() as session:
        photo_id = session.scalar(select(File.photo_id).where(File.path.endswith("rotated.jpg")))
        item = session.scalar(select(Item).where(Item.photo_id == photo_id))
    # Grace Hopper's face sits in the upper half of the upright 512×600 photo.
    assert item.bottom < 400
    assert item.right - item.left > 100


def test_file_deleted_before_decode_stays_pending(tmp_path, photo_folder):
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([photo_folder]))
    (photo_folder / "camera.png").unlink()

    run_all(library.index())

    with library.session() as session:
        row = session.scalar(select(File).where(File.path.endswith("camera.png")))
        assert row.missing
        assert session.get(PhotoStatus, (row.photo_id, library.pack_id)) is None


def test_folder_vanishing_mid_index(tmp_path, dev_faces):
    folder = tmp_path / "usb"
    shutil.copytree(dev_faces, folder)
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([folder]))

    batches = 0
    for progress in library.index():
        batches += 1
        if batches == 2:
            shutil.rmtree(folder)  # the drive is pulled after the first batch
    assert progress.done == progress.total == 200

    with library.session() as session:
        done = session.scalar(select(func.count()).select_from(PhotoStatus))
        missing = session.scalar(select(func.count()).select_from(File).where(File.missing))
    assert 0 < done < 200
    assert done + missing == 200


def test_full_database_keeps_earlier_batches(tmp_path, dev_faces):
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([dev_faces]))

    with library.session() as session:
        generator = index_pending(session, library.pack, library.db_path)
        next(generator)
        next(generator)  # one batch committed
        pages = session.execute(text("PRAGMA page_count")).scalar_one()
        session.execute(text(f"PRAGMA max_page_count={pages + 2}"))  # the disk fills up now
        with pytest.raises(DatabaseError, match="is full"):
            run_all(generator)

    with library.session() as session:
        stored = session.scalar(select(func.count()).select_from(Latent))
    assert stored >= 16


def test_several_faces_largest_first(tmp_path, sample_photo):
    folder = tmp_path / "group"
    folder.mkdir()
    shutil.copyfile(sample_photo("astronaut"), folder / "astronaut.png")
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([folder]))

    run_all(library.index())

    with library.session() as session:
        items = session.scalars(select(Item).order_by(Item.face_index)).all()
    areas = [(item.right - item.left) * (item.bottom - item.top) for item in items]
    assert len(items) >= 2
    assert areas == sorted(areas, reverse=True)
    assert items[0].top < 100  # Eileen Collins' face, near the top of the photo


def test_whole_photo_pack_one_item_each(tmp_path, photo_folder):
    library = Library(tmp_path / "lib.sqlite", pack_id="efficientnet-lite0-photo")
    run_all(library.scan([photo_folder]))

    progress = run_all(library.index())

    assert progress.faces == 5  # the cat and the coffee too
    with library.session() as session:
        items = session.scalars(select(Item)).all()
    assert {item.pack_id for item in items} == {"efficientnet-lite0-photo"}
    assert all(item.left == 0 and item.top == 0 and item.right > 0 for item in items)
    assert Library(tmp_path / "lib.sqlite").pack_id == "efficientnet-lite0-photo"


def test_tiny_images_no_face(tmp_path, sample_photo):
    folder = tmp_path / "web page"
    folder.mkdir()
    Image.new("P", (1, 1)).save(folder / "spacer.gif")
    Image.new("RGB", (3, 100)).save(folder / "thin.png")
    Image.new("RGB", (2048, 2)).save(folder / "rule.png")
    shutil.copyfile(sample_photo("grace_hopper"), folder / "zz_face.jpg")
    library = Library(tmp_path / "lib.sqlite")
    run_all(library.scan([folder]))

    progress = run_all(library.index())

    found = statuses(library)
    assert progress.done == 4
    assert found["spacer.gif"][0] == "no_face"
    assert found["thin.png"][0] == "no_face"
    assert found["rule.png"][0] == "no_face"
    assert found["zz_face.jpg"][0] == "done"


def test_face_too_small_for_ffhq_is_no_face(tmp_path, dev_faces):
    # A 33 px face on a grey canvas: dlib still detects it, but its FFHQ crop
    # square (about 52 px) is under the minimum, so the photo gets "no_face"
    # with the reason instead of aborting the batch.
    portrait = Image.open(dev_faces / "d0004.jpg").convert("RGB")
    small = portrait.resize((portrait.width // 6, portrait.height // 6), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (200, 200), (128, 128, 128))
    canvas.paste(small, (60, 60))
    canvas.save(tmp_path / "tiny-face.png")

    pack = load_pack(DEFAULT_PACK_ID)
    ffhq_pack = type(pack)(dataclasses.replace(pack.manifest, alignment="ffhq_256"), None)
    results = encode_batch([(1, tmp_path / "tiny-face.png")], ffhq_pack, FaceDetector())

    assert results[0].status == "no_face"
    assert "too small" in results[0].error
    assert results[0].faces == []


def test_pack_version_change_reencodes(tmp_path, dev_faces):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("d0001.jpg", "d0002.jpg"):
        shutil.copyfile(dev_faces / name, folder / name)
    library = Library(tmp_path / "library.sqlite")
    list(library.scan([folder]))
    list(library.index())
    with library.session() as session:
        session.execute(text("UPDATE packs SET version = 'old'"))
        session.execute(text("UPDATE latents SET data = zeroblob(length(data))"))  # stand-in for another encoder's codes
        session.commit()

    progress = list(Library(tmp_path / "library.sqlite").index())

    assert progress[-1].done == 2
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(Latent)) == 2
        assert session.scalar(text("SELECT version FROM packs")) == load_pack(DEFAULT_PACK_ID).manifest.version
        assert all(any(byte for byte in blob) for blob in session.scalars(select(Latent.data)))
