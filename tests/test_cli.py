import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from platformdirs import user_data_dir

from large_desktop.cli import build_parser, default_db_path, main


def cli(*args, db):
    return main([*map(str, args), "--db", str(db), "-q"])


def labels(dev_faces):
    with (dev_faces / "labels.csv").open() as handle:
        return {row["file"]: int(row["age"]) for row in csv.DictReader(handle)}


def test_sort_lists_every_dev_photo(dev_library, dev_faces, tmp_path, capsys):
    db = dev_library.db_path
    ages = labels(dev_faces)
    young = min(ages, key=ages.get)
    old = max(ages, key=ages.get)
    out = tmp_path / "out.csv"

    assert cli("attribute", "create", "age", db=db) == 0
    assert cli("label", "age", dev_faces / young, 5, db=db) == 0
    assert cli("label", "age", dev_faces / old, 80, db=db) == 0
    assert cli("sort", "age", "--csv", out, "--contact-sheet", tmp_path / "sheet.jpg", db=db) == 0

    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 200
    assert set(rows[0]) >= {"rank", "path", "score", "value"}
    scored = [row for row in rows if row["score"]]
    assert len(scored) >= 195
    assert all(row["value"] for row in scored)
    assert all(not row["score"] for row in rows[len(scored):])
    assert (tmp_path / "sheet.jpg").stat().st_size > 10_000


def test_two_labels_sort_by_age(dev_library, dev_faces, tmp_path):
    db = dev_library.db_path
    ages = labels(dev_faces)
    out = tmp_path / "out.csv"
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / "d0002.jpg", ages["d0002.jpg"], db=db)
    cli("label", "age", dev_faces / "d0003.jpg", ages["d0003.jpg"], db=db)
    cli("sort", "age", "--csv", out, db=db)

    with out.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["score"]]
    predicted = np.array([float(row["value"]) for row in rows])
    truth = np.array([ages[os.path.basename(row["path"])] for row in rows])
    rank_correlation = np.corrcoef(np.argsort(np.argsort(predicted)), np.argsort(np.argsort(truth)))[0, 1]
    # Two labeled faces order the other 195 by age well above chance.
    assert rank_correlation > 0.3


def test_label_outside_library_indexed(dev_library, sample_photo, capsys):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)

    assert cli("label", "age", sample_photo("grace_hopper"), "high", db=db) == 0
    assert cli("attribute", "list", db=db) == 0
    assert "age\t1 labels" in capsys.readouterr().out


def test_label_without_face_rejected(dev_library, sample_photo, tmp_path, capsys):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not an image")
    capsys.readouterr()

    assert cli("label", "age", sample_photo("coffee"), "low", db=db) == 2
    assert "no face found" in capsys.readouterr().err
    assert cli("label", "age", text_file, "low", db=db) == 2
    assert "notes.jpg" in capsys.readouterr().err

    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM files WHERE folder_id IS NULL").fetchone()[0] == 0


def test_mixed_word_and_number_labels(dev_library, dev_faces, tmp_path):
    db = dev_library.db_path
    ages = labels(dev_faces)
    young, old = min(ages, key=ages.get), max(ages, key=ages.get)
    out = tmp_path / "out.csv"
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / young, 5, db=db)
    cli("label", "age", dev_faces / old, "high", db=db)

    assert cli("sort", "age", "--csv", out, db=db) == 0
    with out.open() as handle:
        ranked = [os.path.basename(row["path"]) for row in csv.DictReader(handle)]
    # "high" beside a single number means "more than 5", so the old face ranks above the young one.
    assert ranked.index(old) < ranked.index(young)


def test_tied_values_skip_loo(dev_library, dev_faces, capsys):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / "d0001.jpg", 30, db=db)
    cli("label", "age", dev_faces / "d0002.jpg", 30, db=db)
    cli("label", "age", dev_faces / "d0003.jpg", 70, db=db)

    assert cli("sort", "age", db=db) == 0
    assert "leave-one-out" not in capsys.readouterr().err


def test_predict_adds_nothing(dev_library, sample_photo, dev_faces):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / "d0002.jpg", 17, db=db)
    cli("label", "age", dev_faces / "d0003.jpg", 65, db=db)
    with sqlite3.connect(db) as connection:
        before = connection.execute("SELECT count(*) FROM files").fetchone()[0]

    cli("predict", "age", sample_photo("grace_hopper"), sample_photo("coffee"), db=db)

    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM files").fetchone()[0] == before


def test_predict_prints_values(dev_library, dev_faces, sample_photo, capsys):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / "d0002.jpg", 17, db=db)
    cli("label", "age", dev_faces / "d0003.jpg", 65, db=db)
    capsys.readouterr()

    assert cli("predict", "age", sample_photo("grace_hopper"), sample_photo("chelsea"), db=db) == 0

    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert float(lines[0].split("\t")[1]) > 0
    assert "no face" in lines[1]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("label", "nope", "x.jpg", "low"), "no attribute named 'nope'"),
        (("attribute", "delete", "nope"), "no attribute named 'nope'"),
        (("sort", "age"), "label at least one photo 'low' and one 'high'"),
        (("label", "age", "missing.jpg", "low"), "missing.jpg"),
        (("label", "age", "missing.jpg", "older"), "label value 'older' is not a number"),
        (("sort", "--component", "999"), "component 999 does not exist"),
        (("index", "--pack", "no-such-pack", "."), "unknown pack 'no-such-pack'"),
    ],
)
def test_user_errors_one_line(dev_library, capsys, args, fragment):
    cli("attribute", "create", "age", db=dev_library.db_path)
    capsys.readouterr()

    status = cli(*args, db=dev_library.db_path)

    error = capsys.readouterr().err.strip()
    assert status == 2
    assert fragment in error
    assert len(error.splitlines()) == 1
    assert "Traceback" not in error


def test_direction_file_wrong_shape(dev_library, tmp_path, capsys):
    path = tmp_path / "age.npy"
    np.save(path, np.ones((5, 7), dtype=np.float32))

    status = cli("sort", "--direction", path, db=dev_library.db_path)

    assert status == 2
    assert "age.npy" in capsys.readouterr().err


def test_direction_pickle_never_runs(dev_library, tmp_path, capsys):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    payload = (
        "import os, pickle\n"
        "class Evil:\n"
        f"    def __reduce__(self): return (os.system, ('touch {marker}',))\n"
        f"open({str(path)!r}, 'wb').write(pickle.dumps(Evil()))\n"
    )
    subprocess.run([sys.executable, "-c", payload], check=True)

    status = cli("sort", "--direction", path, db=dev_library.db_path)

    assert status == 2
    assert "evil.pt" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.slow
def test_sigkill_mid_index_loses_nothing(tmp_path, dev_faces):
    db = tmp_path / "lib.sqlite"
    command = [sys.executable, "-m", "large_desktop.cli", "index", str(dev_faces), "--db", str(db), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    deadline = time.monotonic() + 120
    committed = 0
    while committed < 32 and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db, timeout=5) as connection:
                committed = connection.execute("SELECT count(*) FROM photo_status").fetchone()[0]
        except sqlite3.OperationalError:
            committed = 0  # the table is not created yet
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        survived = connection.execute("SELECT count(*) FROM photo_status").fetchone()[0]
    assert 32 <= survived < 200

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"indexed {200 - survived} of {200 - survived} pending photos" in resumed.stdout

    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM photo_status").fetchone()[0] == 200
        orphans = connection.execute("SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM latents)").fetchone()[0]
        assert orphans == 0
        done = connection.execute("SELECT count(*) FROM photo_status WHERE status = 'done'").fetchone()[0]
        largest = connection.execute("SELECT count(*) FROM items WHERE face_index = 0").fetchone()[0]
        assert done == largest


@pytest.mark.slow
def test_ctrl_c_stops_after_batch(tmp_path, dev_faces):
    db = tmp_path / "lib.sqlite"
    command = [sys.executable, "-m", "large_desktop.cli", "index", str(dev_faces), "--db", str(db), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    deadline = time.monotonic() + 120
    committed = 0
    while committed < 16 and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db, timeout=5) as connection:
                committed = connection.execute("SELECT count(*) FROM photo_status").fetchone()[0]
        except sqlite3.OperationalError:
            committed = 0
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT count(*) FROM photo_status").fetchone()[0]
    assert stored % 16 == 0
    assert 16 <= stored < 200


@pytest.mark.parametrize("folder_name", ["What?", "p%20q"])
def test_db_path_kept_literally(tmp_path, photo_folder, folder_name):
    db = tmp_path / folder_name / "lib.sqlite"

    assert cli("index", photo_folder, db=db) == 0

    assert db.is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([folder_name, "photos"])


def test_index_missing_folder_rejected(tmp_path, capsys):
    status = cli("index", tmp_path / "typo", db=tmp_path / "lib.sqlite")

    assert status == 2
    assert "folder" in capsys.readouterr().err
    with sqlite3.connect(tmp_path / "lib.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM folders").fetchone()[0] == 0


def test_index_while_locked_rejected(tmp_path, photo_folder, capsys):
    from large_desktop.core.library import Library

    library = Library(tmp_path / "lib.sqlite")
    with library.exclusive():
        status = cli("index", photo_folder, db=tmp_path / "lib.sqlite")

    assert status == 2
    assert "already indexing" in capsys.readouterr().err


def test_copy_to_skips_vanished(tmp_path, photo_folder, capsys):
    db = tmp_path / "lib.sqlite"
    cli("index", photo_folder, db=db)
    (photo_folder / "camera.png").unlink()  # gone since the scan
    out = tmp_path / "sorted"

    assert cli("sort", "--component", "1", "--copy-to", out, db=db) == 0

    assert "vanished" in capsys.readouterr().err
    assert len(list(out.iterdir())) >= 2


def test_sort_name_and_direction_conflict(dev_library, tmp_path, capsys):
    path = tmp_path / "age.npy"
    np.save(path, np.ones((1, 128), dtype=np.float32))

    assert cli("sort", "age", "--direction", path, db=dev_library.db_path) == 2
    assert "not both" in capsys.readouterr().err


def test_reconstruct_and_walk_write_images(tmp_path, dev_faces, sample_photo, capsys):
    db = tmp_path / "gan.sqlite"
    assert main(["index", str(dev_faces), "--db", str(db), "--pack", "dcgan-face-64", "-q"]) == 0
    cli("attribute", "create", "age", db=db)
    cli("label", "age", dev_faces / "d0002.jpg", 17, db=db)
    cli("label", "age", dev_faces / "d0004.jpg", 92, db=db)

    assert cli("reconstruct", sample_photo("grace_hopper"), "--out", tmp_path / "rebuilt.png", db=db) == 0
    assert cli("walk", "age", "--out", tmp_path / "walk.png", db=db) == 0

    assert (tmp_path / "rebuilt.png").stat().st_size > 1000
    assert (tmp_path / "walk.png").stat().st_size > 1000
    assert cli("walk", "age", "--out", tmp_path / "walk.png", "--steps", "1", db=db) == 2


def test_walk_limits_named(tmp_path, capsys):
    db = tmp_path / "lib.sqlite"

    assert cli("walk", "age", "--out", tmp_path / "w.png", "--steps", "100000000", db=db) == 2
    assert "--steps 100000000 is invalid" in capsys.readouterr().err
    assert cli("walk", "age", "--out", tmp_path / "w.png", "--spread", "1e9", db=db) == 2
    assert "--spread 1e+09 is invalid" in capsys.readouterr().err


def test_unknown_pack_named_everywhere(tmp_path, capsys):
    assert cli("sort", "--component", "1", "--pack", "bogus", db=tmp_path / "lib.sqlite") == 2
    assert "unknown pack 'bogus'" in capsys.readouterr().err


def test_library_with_two_gan_packs(tmp_path, photo_folder):
    from large_desktop.core.library import Library

    db = tmp_path / "lib.sqlite"
    main(["index", str(photo_folder), "--db", str(db), "--pack", "dcgan-face-64-hybrid", "-q"])
    main(["index", str(photo_folder), "--db", str(db), "--pack", "dcgan-face-64", "-q"])

    assert Library(db).pack_id == "dcgan-face-64"
    assert cli("sort", "--component", "1", db=db) == 0


@pytest.mark.parametrize("value", ["-1e3", "-2.5E-1", "-.5e+2", "-7"])
def test_label_negative_scientific_value(dev_library, dev_faces, value, capsys):
    db = dev_library.db_path
    cli("attribute", "create", "age", db=db)

    assert cli("label", "age", dev_faces / "d0001.jpg", value, db=db) == 0

    assert [label.value for label in dev_library.labels("age")] == [float(value)]


def test_attribute_name_spaces_trimmed(dev_library, dev_faces, capsys):
    db = dev_library.db_path

    assert cli("attribute", "create", " age ", db=db) == 0
    assert "created attribute 'age';" in capsys.readouterr().out
    assert cli("label", " age ", dev_faces / "d0001.jpg", "low", db=db) == 0
    assert "for 'age'" in capsys.readouterr().out
    assert cli("attribute", "delete", " age", db=db) == 0
    assert "deleted attribute 'age' and its 1 labels" in capsys.readouterr().out


def test_default_db_follows_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LARGE_DESKTOP_DATA_DIR", f" {tmp_path / 'data'} ")

    assert default_db_path() == tmp_path / "data" / "library.sqlite"
    assert build_parser().parse_args(["attribute", "list"]).db == str(tmp_path / "data" / "library.sqlite")


def test_default_db_without_data_dir(monkeypatch):
    monkeypatch.delenv("LARGE_DESKTOP_DATA_DIR", raising=False)

    assert default_db_path() == Path(user_data_dir("large-desktop", appauthor=False)) / "library.sqlite"
