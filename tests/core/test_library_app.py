"""Library functions the app relies on: listing, priority, retry, folder removal."""

import shutil

import pytest
from sqlalchemy import func, select

from large_desktop.core.cache.schema import Label, Latent, Photo
from large_desktop.core.errors import UserInputError
from large_desktop.core.library import Library


def run_all(generator):
    for _ in generator:
        pass


def test_pending_priority_first(tmp_path, photo_folder):
    library = Library(tmp_path / "library.sqlite")
    run_all(library.scan([photo_folder]))
    ids = library.listing().photo_ids.tolist()

    jobs = library.pending(priority=[ids[3], ids[1]], limit=3)
    rest = library.pending(exclude={ids[0], ids[1]})

    assert [photo_id for photo_id, _ in jobs] == [ids[3], ids[1], min(ids)]
    assert sorted(photo_id for photo_id, _ in rest) == sorted(set(ids) - {ids[0], ids[1]})
    assert library.pending_count() == 5


def test_retry_failed_makes_pending(tmp_path, photo_folder):
    (photo_folder / "broken.jpg").write_text("not a JPEG")
    library = Library(tmp_path / "library.sqlite")
    run_all(library.scan([photo_folder]))
    run_all(library.index())
    before = library.listing()

    assert before.statuses.count("failed") == 1
    assert library.retry_failed() == 1
    assert library.listing().statuses.count("failed") == 0
    assert library.pending_count() == 1


def test_remove_folder_keeps_latents_and_labels(tmp_path, photo_folder, sample_photo):
    library = Library(tmp_path / "library.sqlite")
    run_all(library.scan([photo_folder]))
    run_all(library.index())
    library.create_attribute("age")
    library.label("age", photo_folder / "astronaut.png", "low")

    forgotten = library.remove_folder(photo_folder)

    assert forgotten == 5
    assert len(library.listing()) == 0
    assert library.folders() == []
    with library.session() as session:
        assert session.scalar(select(func.count(Label.id))) == 1
        assert session.scalar(select(func.count()).select_from(Latent)) >= 3

    copy = tmp_path / "copy"
    shutil.copytree(photo_folder, copy)
    run_all(library.scan([copy]))
    assert library.pending_count() == 0
    assert set(library.listing().statuses) == {"done", "no_face"}


def test_listing_first_path_per_photo(tmp_path, photo_folder):
    shutil.copyfile(photo_folder / "astronaut.png", photo_folder / "a-copy.png")
    library = Library(tmp_path / "library.sqlite")
    run_all(library.scan([photo_folder]))

    listing = library.listing()

    assert listing.paths == sorted(listing.paths)
    assert len(listing) == len(set(listing.photo_ids.tolist())) == 5
    assert str(photo_folder / "a-copy.png") in listing.paths
    assert str(photo_folder / "astronaut.png") not in listing.paths
    assert set(listing.statuses) == {"pending"}
    assert len(listing.content_hashes) == len(listing.errors) == 5


def test_listing_missing_when_all_files_gone(tmp_path, photo_folder):
    shutil.copyfile(photo_folder / "astronaut.png", photo_folder / "a-copy.png")
    library = Library(tmp_path / "library.sqlite")
    run_all(library.scan([photo_folder]))
    run_all(library.index())
    copy_row = library.listing().paths.index(str(photo_folder / "a-copy.png"))
    photo_id = int(library.listing().photo_ids[copy_row])

    (photo_folder / "a-copy.png").unlink()
    run_all(library.scan([photo_folder]))
    one_left = library.listing()
    (photo_folder / "astronaut.png").unlink()
    run_all(library.scan([photo_folder]))
    none_left = library.listing()

    row = one_left.photo_ids.tolist().index(photo_id)
    assert one_left.statuses[row] == "done"
    assert one_left.paths[row] == str(photo_folder / "a-copy.png")  # the first path, missing or not
    row = none_left.photo_ids.tolist().index(photo_id)
    assert none_left.statuses[row] == "missing"
    assert none_left.errors[row] is None


def test_prepared_image_stored_only_when_added(tmp_path, sample_photo):
    library = Library(tmp_path / "library.sqlite")
    photo = sample_photo("astronaut")

    prepared = library.prepare_image(photo)

    assert prepared.result is not None and prepared.result.status == "done"
    assert len(library.listing()) == 0
    photo_id = library.add_prepared(prepared)
    assert library.listing().photo_ids.tolist() == [photo_id]
    assert photo_id in library.latent_index()


def test_same_image_prepared_twice_added_once(tmp_path, sample_photo):
    library = Library(tmp_path / "library.sqlite")
    photo = sample_photo("astronaut")
    first, second = library.prepare_image(photo), library.prepare_image(photo)

    # The second was prepared before the first was stored, as with two quick drops of one file.
    assert library.add_prepared(first) == library.add_prepared(second)
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(Latent)) == len(first.result.faces)
    assert library.prepare_image(photo).result is None  # known content is not encoded again


def test_file_changed_after_prepare_rejected(tmp_path, dev_faces):
    library = Library(tmp_path / "library.sqlite")
    photo = tmp_path / "dropped.jpg"
    shutil.copyfile(dev_faces / "d0001.jpg", photo)
    prepared = library.prepare_image(photo)

    # Another picture saved under the same name while the first was encoded.
    shutil.copyfile(dev_faces / "d0002.jpg", photo)

    with pytest.raises(UserInputError, match="changed while it was being added"):
        library.add_prepared(prepared)
    assert len(library.listing()) == 0
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(Latent)) == 0
        assert session.scalar(select(func.count()).select_from(Photo)) == 0
