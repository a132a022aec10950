"""Exports: CSV, photos placed in rank order without overwriting, star ratings in XMP sidecars."""

import csv
import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from large_desktop.core import export, xmp
from large_desktop.core.errors import UserInputError
from large_desktop.core.library import SortRow

SIDECAR_WITH_OTHER_FIELDS = """<?xml version="1.0" encoding="UTF-8"?>
<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<!-- written by another tool -->
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:darktable="http://darktable.sf.net/"
    darktable:xmp_version="5">
   <dc:subject><rdf:Bag><rdf:li>holiday</rdf:li><rdf:li>beach</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def photos(tmp_path, dev_faces) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for number in range(1, 7):
        name = f"d{number:04d}.jpg"
        shutil.copyfile(dev_faces / name, folder / name)
        paths.append(folder / name)
    return paths


def sorted_rows(paths: list[Path]) -> list[SortRow]:
    """Ranked rows with falling scores, plus one unranked photo without a face."""
    rows = [SortRow(rank, rank * 10, str(path), 1.0 - rank / 10, None, "done") for rank, path in enumerate(paths[:-1], start=1)]
    rows.append(SortRow(None, 99, str(paths[-1]), None, None, "no_face"))
    return rows


def drain(progress) -> list[str]:
    skipped = []
    last = None
    for last in progress:
        skipped.extend(last.skipped)
    assert last is not None
    assert last.done == last.total
    return skipped


def test_csv_lists_every_row(tmp_path, photos):
    out = tmp_path / "sorted.csv"

    assert export.write_csv(out, sorted_rows(photos)) == 6

    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["rank"] for row in rows] == ["1", "2", "3", "4", "5", ""]
    assert rows[-1]["status"] == "no_face"
    assert rows[0]["path"] == str(photos[0])


def test_csv_unwritable_path_named(tmp_path, photos):
    out = tmp_path / "missing-folder" / "sorted.csv"

    with pytest.raises(UserInputError, match="missing-folder"):
        export.write_csv(out, sorted_rows(photos))


@pytest.mark.parametrize("mode", export.PLACE_MODES)
def test_place_photos_in_rank_order(tmp_path, photos, mode):
    out = tmp_path / "sorted"

    assert drain(export.place_photos(out, sorted_rows(photos), mode)) == []

    names = sorted(path.name for path in out.iterdir())
    assert names == [f"{rank:04d}_{photos[rank - 1].name}" for rank in range(1, 6)]
    first = out / names[0]
    assert first.read_bytes() == photos[0].read_bytes()
    assert first.is_symlink() == (mode == export.SYMLINK)
    if mode == export.HARDLINK:
        assert first.stat().st_ino == photos[0].stat().st_ino


def test_place_photos_never_overwrites(tmp_path, photos):
    out = tmp_path / "sorted"
    out.mkdir()
    taken = out / f"0001_{photos[0].name}"
    taken.write_bytes(b"someone else's file")

    drain(export.place_photos(out, sorted_rows(photos)))
    drain(export.place_photos(out, sorted_rows(photos)))

    assert taken.read_bytes() == b"someone else's file"
    assert (out / f"0001_{photos[0].stem} (2).jpg").read_bytes() == photos[0].read_bytes()
    assert (out / f"0001_{photos[0].stem} (3).jpg").read_bytes() == photos[0].read_bytes()
    assert (out / f"0002_{photos[1].stem} (2).jpg").is_file()
    assert len(list(out.iterdir())) == 1 + 2 * 5


def test_place_long_name_twice(tmp_path, photos):
    long_photo = photos[0].with_name("é" * 125 + ".jpg")  # 254 bytes, near the file name limit
    photos[0].rename(long_photo)
    rows = sorted_rows([long_photo, *photos[1:]])
    out = tmp_path / "sorted"

    drain(export.place_photos(out, rows))
    drain(export.place_photos(out, rows))

    copies = sorted(path for path in out.iterdir() if path.name.startswith("0001_"))
    assert len(copies) == 2
    assert all(len(path.name.encode()) <= export.MAX_NAME_BYTES for path in copies)
    assert copies[1].read_bytes() == long_photo.read_bytes()


def test_place_photos_skips_vanished(tmp_path, photos):
    rows = sorted_rows(photos)
    photos[1].unlink()

    skipped = drain(export.place_photos(tmp_path / "sorted", rows))

    assert len(skipped) == 1
    assert str(photos[1]) in skipped[0]
    assert "vanished" in skipped[0]
    assert len(list((tmp_path / "sorted").iterdir())) == 4


def test_place_photos_stops_when_asked(tmp_path, photos):
    progress = list(export.place_photos(tmp_path / "sorted", sorted_rows(photos), stop=lambda: len(list((tmp_path / "sorted").iterdir())) >= 2))

    assert progress[-1].done == 2
    assert len(list((tmp_path / "sorted").iterdir())) == 2


def test_place_into_file_rejected(tmp_path, photos):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")

    with pytest.raises(UserInputError, match="cannot create folder .*not-a-folder"):
        drain(export.place_photos(blocker, sorted_rows(photos)))


@pytest.fixture
def read_only_folder(tmp_path) -> Path:
    """A folder this process cannot create files in: a 0555 folder, or sysfs for root, who ignores modes."""
    if os.name != "posix":
        pytest.skip("folder modes are POSIX")
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    sysfs = Path("/sys")
    try:
        (sysfs / "large-desktop-probe").open("xb").close()
    except PermissionError:
        yield sysfs
        return
    except OSError:
        pass
    else:
        (sysfs / "large-desktop-probe").unlink()
    pytest.skip("running as root without a read-only folder to write into")


def test_place_into_read_only_folder_named(read_only_folder, photos):
    with pytest.raises(UserInputError, match=f"cannot write {read_only_folder}/0001_.*choose a folder you can write to"):
        drain(export.place_photos(read_only_folder, sorted_rows(photos)))


def test_rank_prefix_fits_name_limit():
    name = export.rank_prefixed_name(7, 4, "é" * 200 + ".jpeg")

    assert name.startswith("0007_")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= 255


def test_star_ratings_by_quintile():
    scores = np.arange(10, dtype=np.float64)

    assert export.star_ratings(scores).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert export.star_ratings(np.full(4, 0.5)).tolist() == [3, 3, 3, 3]
    assert export.star_ratings(np.zeros(0)).tolist() == []


def test_xmp_ratings_new_sidecars(photos):
    hashes = [digest(path) for path in photos]

    assert drain(export.write_xmp_ratings(sorted_rows(photos))) == []

    ratings = [xmp.read_rating(xmp.sidecar_path(path)) for path in photos[:5]]
    assert ratings == [5, 4, 3, 2, 1]
    assert not xmp.sidecar_path(photos[5]).exists()
    assert [digest(path) for path in photos] == hashes


def test_xmp_merge_keeps_other_fields(photos):
    sidecar = xmp.sidecar_path(photos[0])
    sidecar.write_text(SIDECAR_WITH_OTHER_FIELDS, encoding="utf-8")
    hashes = [digest(path) for path in photos]

    drain(export.write_xmp_ratings(sorted_rows(photos)))

    text = sidecar.read_text(encoding="utf-8")
    assert xmp.read_rating(sidecar) == 5
    assert "<rdf:li>holiday</rdf:li><rdf:li>beach</rdf:li>" in text
    assert 'darktable:xmp_version="5"' in text
    assert 'x:xmptk="XMP Core 4.4.0"' in text
    assert "<!-- written by another tool -->" in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<?xpacket begin=')
    assert text.rstrip().endswith('<?xpacket end="w"?>')
    assert [digest(path) for path in photos] == hashes


def test_xmp_existing_rating_replaced(photos):
    sidecar = xmp.sidecar_path(photos[4])
    sidecar.write_text(SIDECAR_WITH_OTHER_FIELDS.replace('darktable:xmp_version="5"', 'darktable:xmp_version="5" xmp:Rating="5" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'))

    drain(export.write_xmp_ratings(sorted_rows(photos)))

    text = sidecar.read_text()
    assert xmp.read_rating(sidecar) == 1
    assert text.count("Rating") == 1


def test_xmp_rating_element_updated(tmp_path):
    sidecar = tmp_path / "a.jpg.xmp"
    sidecar.write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>2</xmp:Rating></rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    )

    xmp.write_rating(tmp_path / "a.jpg", 4)

    assert xmp.read_rating(sidecar) == 4
    assert "<xmp:Rating>4</xmp:Rating>" in sidecar.read_text()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>", "not valid XML"),
        ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "declares a DTD"),
        ("<notes>plain XML, no RDF</notes>", "no rdf:RDF element"),
    ],
)
def test_xmp_unparsable_sidecar_left_alone(photos, content, fragment):
    sidecar = xmp.sidecar_path(photos[0])
    sidecar.write_text(content)

    skipped = drain(export.write_xmp_ratings(sorted_rows(photos)))

    assert len(skipped) == 1
    assert str(sidecar) in skipped[0]
    assert fragment in skipped[0]
    assert sidecar.read_text() == content
    assert xmp.read_rating(xmp.sidecar_path(photos[1])) == 4


def test_xmp_utf16_entities_not_expanded(photos):
    # Without a byte order mark every ASCII character is followed by a zero byte:
    # valid UTF-8 to a decoder, but expat reads it as UTF-16 and would expand the entities.
    content = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "AAAAAAAAAA">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="">&a;&a;&a;</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode("utf-16-le")
    sidecar = xmp.sidecar_path(photos[0])
    sidecar.write_bytes(content)

    with pytest.raises(UserInputError, match=f"sidecar {sidecar}"):
        xmp.write_rating(photos[0], 3)
    assert sidecar.read_bytes() == content


def test_xmp_write_rating_raises_named_error(photos):
    sidecar = xmp.sidecar_path(photos[0])
    sidecar.write_bytes(b"\xff\xfe not utf-8")

    with pytest.raises(UserInputError, match="not UTF-8"):
        xmp.write_rating(photos[0], 3)
    assert sidecar.read_bytes() == b"\xff\xfe not utf-8"
    assert [path.name for path in sidecar.parent.iterdir() if path.name.endswith(".tmp")] == []


def test_contact_sheet_of_ranked_rows(tmp_path, photos):
    out = tmp_path / "sheet.jpg"

    assert export.write_contact_sheet(out, sorted_rows(photos)) == 5
    assert out.stat().st_size > 5_000


@pytest.mark.parametrize("inside", ["photos", "photos/sorted", "photos/./a/../sorted"])
def test_place_inside_library_folder_rejected(tmp_path, photos, inside):
    out = tmp_path / inside
    library_folder = tmp_path / "photos"

    with pytest.raises(UserInputError, match=re.escape(f"cannot export into {out}: it lies inside the library folder {library_folder}") + ".*choose a folder outside the library"):
        drain(export.place_photos(out, sorted_rows(photos), library_folders={str(library_folder)}))

    assert sorted(library_folder.iterdir()) == photos


def test_place_through_symlink_into_library_rejected(tmp_path, photos):
    alias = tmp_path / "alias"
    alias.symlink_to(tmp_path / "photos")

    with pytest.raises(UserInputError, match="inside the library folder"):
        drain(export.place_photos(alias / "sorted", sorted_rows(photos), library_folders=[tmp_path / "photos"]))


def test_place_beside_library_folder_allowed(tmp_path, photos):
    out = tmp_path / "photos-sorted"  # shares a name prefix, not a parent

    assert drain(export.place_photos(out, sorted_rows(photos), library_folders={str(tmp_path / "photos")})) == []
    assert len(list(out.iterdir())) == 5
