"""The sort command's exports through core/export.py: XMP ratings and linked copies."""

import hashlib
import logging

from large_desktop.cli import main
from large_desktop.core import xmp


def cli(*args, db):
    return main([*map(str, args), "--db", str(db), "-q"])


def test_sort_writes_xmp_ratings(tmp_path, photo_folder, capsys):
    db = tmp_path / "lib.sqlite"
    assert cli("index", photo_folder, db=db) == 0
    hashes = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in photo_folder.iterdir()}

    assert cli("sort", "--component", "1", "--xmp-ratings", db=db) == 0

    sidecars = sorted(photo_folder.glob("*.xmp"))
    assert len(sidecars) >= 2  # one per photo with a face
    assert all(1 <= xmp.read_rating(sidecar) <= 5 for sidecar in sidecars)
    assert "star ratings" in capsys.readouterr().err
    assert {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in hashes} == hashes


def test_sort_symlinks_in_order(tmp_path, photo_folder):
    db = tmp_path / "lib.sqlite"
    cli("index", photo_folder, db=db)
    out = tmp_path / "sorted"

    assert cli("sort", "--component", "1", "--copy-to", out, "--copy-mode", "symlink", db=db) == 0
    assert cli("sort", "--component", "1", "--copy-to", out, "--copy-mode", "symlink", db=db) == 0

    links = sorted(out.iterdir())
    assert all(link.is_symlink() for link in links)
    assert links[0].name.startswith("0001_")
    assert any(" (2)" in link.name for link in links)  # the second run kept the first run's links


def test_sort_refuses_copy_into_library_folder(tmp_path, photo_folder, capsys):
    db = tmp_path / "lib.sqlite"
    cli("index", photo_folder, db=db)
    before = sorted(photo_folder.iterdir())
    capsys.readouterr()

    assert cli("sort", "--component", "1", "--csv", tmp_path / "s.csv", "--copy-to", photo_folder / "sorted", db=db) != 0

    err = capsys.readouterr().err
    assert f"cannot export into {photo_folder / 'sorted'}: it lies inside the library folder {photo_folder}" in err
    assert "choose a folder outside the library" in err
    assert sorted(photo_folder.iterdir()) == before
    assert not (tmp_path / "s.csv").exists()


def test_sort_reports_skipped_sidecar_once(tmp_path, photo_folder, capsys, caplog):
    db = tmp_path / "lib.sqlite"
    cli("index", photo_folder, db=db)
    photo = next(path for path in sorted(photo_folder.iterdir()) if path.suffix != ".xmp")
    sidecar = xmp.sidecar_path(photo)
    sidecar.write_text("<x:xmpmeta><unclosed></x:xmpmeta>")
    capsys.readouterr()
    caplog.set_level(logging.DEBUG)

    assert cli("sort", "--component", "1", "--xmp-ratings", db=db) == 0

    err = capsys.readouterr().err
    logged = [record for record in caplog.records if record.levelno > logging.DEBUG and str(sidecar) in record.getMessage()]
    assert err.count(str(sidecar)) == 1
    assert logged == []
