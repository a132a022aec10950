"""A public-layout e4e checkpoint through `packs import`, then index, label and sort with the CLI.

The checkpoint contains the oracle encoder weights (random, not a trained
encoder), so the order tells nothing about age. What is tested is the path:
import verifies and converts the file, the library indexes real faces into
W+ codes of shape (18, 512), and a sort by two labels lists every photo.
"""

import csv
import json
import shutil
import sqlite3

import pytest
import torch
from PIL import Image

from .checkpoints import OPTS, layout_state
from large_desktop.cli import main
from pack_fixtures import catalogue_entry
from large_desktop.core.packs.stylegan2.generator import Generator
from large_desktop.core.packs.stylegan2.pack import PREVIEW_SIZE

pytestmark = pytest.mark.slow  # writes a 1.2 GB checkpoint and its converted copy, renders one 1024² face

PACK_ID = "e4e-ffhq-oracle"
NUM_FACES = 4


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    entry = catalogue_entry(PACK_ID, "http://127.0.0.1:9/unused", 1_000_000_000) | {
        "name": "e4e FFHQ (oracle weights)",
        "file": "e4e_ffhq_encode.pt",
        "license": {"short": "test", "text": "Test weights made by the test."},
    }
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps({"packs": [entry]}))
    monkeypatch.setenv("LARGE_DESKTOP_CATALOGUE", str(path))
    monkeypatch.setenv("LARGE_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    return path


def test_import_index_sort(tmp_path, catalogue, oracle_state, oracle_latent_avg, dev_faces, capsys):
    checkpoint = tmp_path / "downloads" / "e4e_ffhq_encode.pt"
    checkpoint.parent.mkdir()
    # Freshly initialised generator weights: enough to prove the render path, not a face model.
    decoder = {f"decoder.{key}": value for key, value in Generator(1024).state_dict().items()}
    torch.save({"state_dict": oracle_state | decoder, "opts": OPTS["e4e"], "latent_avg": oracle_latent_avg}, checkpoint)
    folder = tmp_path / "photos"
    folder.mkdir()
    names = sorted(path.name for path in dev_faces.glob("d*.jpg"))[:NUM_FACES]
    for name in names:
        shutil.copyfile(dev_faces / name, folder / name)
    db = str(tmp_path / "library.sqlite")

    assert main(["packs", "import", PACK_ID, str(checkpoint), "--accept-license", "-q"]) == 0
    assert main(["index", str(folder), "--db", db, "--pack", PACK_ID, "-q"]) == 0
    assert main(["attribute", "create", "age", "--db", db]) == 0
    assert main(["label", "age", str(folder / names[0]), "low", "--db", db]) == 0
    assert main(["label", "age", str(folder / names[1]), "high", "--db", db]) == 0
    assert main(["sort", "age", "--db", db, "--csv", str(tmp_path / "sorted.csv")]) == 0

    with (tmp_path / "sorted.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["path"].rsplit("/", 1)[-1] for row in rows) == names
    assert all(row["score"] not in ("", None) for row in rows)
    with sqlite3.connect(db) as connection:
        shapes = connection.execute("SELECT DISTINCT num_rows, row_dim FROM packs WHERE id = ?", (PACK_ID,)).fetchall()
    assert shapes == [(18, 512)]

    # One 1024² render on CPU: the generator is read from the imported checkpoint only now.
    assert main(["reconstruct", str(folder / names[2]), "--out", str(tmp_path / "pair.png"), "--pack", PACK_ID]) == 0
    with Image.open(tmp_path / "pair.png") as pair:
        assert pair.size == (2 * PREVIEW_SIZE, PREVIEW_SIZE)


def test_import_wrong_shape_named(tmp_path, catalogue, capsys):
    state = layout_state("e4e")
    state["encoder.styles.3.linear.weight"] = torch.zeros(256, 512)
    checkpoint = tmp_path / "bad.pt"
    torch.save({"state_dict": state, "opts": OPTS["e4e"], "latent_avg": torch.zeros(18, 512)}, checkpoint)

    status = main(["packs", "import", PACK_ID, str(checkpoint), "--accept-license", "-q"])

    error = capsys.readouterr().err
    assert status == 2
    assert "encoder.styles.3.linear.weight" in error
    folder = tmp_path / "data" / "packs" / PACK_ID
    assert not (folder / "manifest.json").exists()
    assert not (folder / "e4e_ffhq_encode.pt").exists()  # nothing left for the next install to reuse
    hashes = tmp_path / "data" / "packs" / "hashes.json"
    assert not hashes.exists() or PACK_ID not in hashes.read_text()  # a rejected file is never trusted


def test_import_folder_named(tmp_path, catalogue, capsys):
    status = main(["packs", "import", PACK_ID, str(tmp_path), "--accept-license", "-q"])

    assert status == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err
