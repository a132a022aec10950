"""CLI tests for `directions list|import|remove` and `sort --direction NAME`."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from large_desktop.cli import main
from large_desktop.core.library import Library
from large_desktop.core.packs.folders import DATA_DIR_ENV

from shared_data import E4E_DIRECTIONS
PHOTOS = [f"d{i:04d}.jpg" for i in range(1, 7)]


def cli(*args, db):
    return main([*map(str, args), "--db", str(db), "-q"])


@pytest.fixture
def small_library(tmp_path, dev_faces, monkeypatch):
    """A dlib library of six real portraits, with its own data folder."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PHOTOS:
        shutil.copyfile(dev_faces / name, folder / name)
    db = tmp_path / "library.sqlite"
    assert cli("index", folder, db=db) == 0
    return db, folder


def sorted_names(output: str) -> list[str]:
    rows = [line.split("\t") for line in output.splitlines()[1:] if "\t" in line]
    return [Path(row[3]).name for row in rows if row[0] != "-"]


def test_import_and_sort_by_name(small_library, tmp_path, capsys):
    db, folder = small_library
    direction = np.random.default_rng(7).standard_normal((1, 128)).astype(np.float32)
    path = tmp_path / "made.npy"
    np.save(path, direction)

    assert cli("directions", "import", "made", path, db=db) == 0
    assert "imported 1 direction(s) made for pack dlib-face-128" in capsys.readouterr().out
    assert cli("directions", "list", "--pack", "dlib-face-128", db=db) == 0
    listing = capsys.readouterr().out
    assert "dlib-face-128\tmade\tw\t1x128\timported\t" in listing
    assert (tmp_path / "data" / "packs" / "dlib-face-128" / "directions" / "made.npy").is_file()

    assert cli("sort", "--direction", "made", db=db) == 0
    captured = capsys.readouterr()
    assert "direction: imported direction made" in captured.err
    by_name = sorted_names(captured.out)

    # The expected order, from latents computed outside the sort path.
    library = Library(db)
    scores = {name: float(library.encode_image(folder / name).faces[0].latent.ravel() @ direction.ravel()) for name in PHOTOS}
    assert by_name == sorted(PHOTOS, key=scores.get, reverse=True)

    assert cli("sort", "--direction", path, db=db) == 0  # a file path still works
    assert sorted_names(capsys.readouterr().out) == by_name


def test_remove_then_sort_fails(small_library, tmp_path, capsys):
    db, _ = small_library
    path = tmp_path / "made.npy"
    np.save(path, np.ones(128, dtype=np.float32))
    cli("directions", "import", "made", path, db=db)

    assert cli("directions", "remove", "made", db=db) == 0
    assert "removed 1 direction(s) from pack dlib-face-128: made" in capsys.readouterr().out
    assert cli("sort", "--direction", "made", db=db) == 2
    assert "pack 'dlib-face-128' has no direction named 'made'" in capsys.readouterr().err


def test_e4e_direction_rejected_for_dlib(small_library, capsys):
    if not (E4E_DIRECTIONS / "age.pt").is_file():
        pytest.skip(f"e4e directions not found at {E4E_DIRECTIONS}")
    db, _ = small_library

    assert cli("directions", "import", "age", E4E_DIRECTIONS / "age.pt", db=db) == 2

    error = capsys.readouterr().err
    assert "age.pt has shape (1, 512), but this pack's latents have shape (1, 128)" in error
    assert cli("directions", "list", db=db) == 0
    assert "\tage\t" not in capsys.readouterr().out


def test_unknown_pack_rejected(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    assert cli("directions", "list", "--pack", "no-such-pack", db=tmp_path / "none.sqlite") == 2
    assert "unknown pack 'no-such-pack'" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()
