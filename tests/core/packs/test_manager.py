"""The model manager: install, import, recorded hashes, removal, and the registry's view of installed packs."""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from large_desktop.core.errors import CheckpointError, Interrupted, UserInputError
from large_desktop.core.packs import available_packs, load_pack, manager
from large_desktop.core.packs.download import ChecksumError, DownloadError, part_path
from large_desktop.core.packs.registry import installed_pack_manifests
from local_file_server import FileServer
from pack_fixtures import MISSING_PREPARER, STAND_IN_PREPARER, catalogue_entry, checkpoint_bytes, copy_dcgan_preparer


@pytest.fixture
def served(tmp_path, data_dir, monkeypatch):
    """A local server with one checkpoint and a catalogue whose packs point at it."""
    body = checkpoint_bytes(0)
    with FileServer() as server:
        server.behaviour.files["/e4e.pt"] = body
        entries = [
            catalogue_entry("e4e-test", server.url("/e4e.pt"), len(body)),
            catalogue_entry("e4e-exact", server.url("/e4e.pt"), len(body), exact=True),
        ]
        path = tmp_path / "catalogue.json"
        path.write_text(json.dumps({"format": 1, "packs": entries}))
        monkeypatch.setenv("LARGE_DESKTOP_CATALOGUE", str(path))
        monkeypatch.setitem(manager.PREPARERS, "e4e", MISSING_PREPARER)
        yield server, body


# Run in another process: hold a pack's lock until a line arrives on stdin.
HOLD_LOCK = """
import sys
from large_desktop.core.packs import manager
with manager.pack_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded(data_dir: Path) -> dict:
    return json.loads((data_dir / "packs" / "hashes.json").read_text())


def test_packs_folder_follows_env(data_dir):
    assert manager.packs_folder() == data_dir / "packs"


def test_install_downloads_and_records_hash(served, data_dir):
    server, body = served
    checkpoint = data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt"

    with pytest.raises(CheckpointError) as caught:
        manager.install("e4e-test")

    assert "no_such_converter" in caught.value.message
    assert str(checkpoint) in caught.value.message
    assert checkpoint.read_bytes() == body
    assert recorded(data_dir)["e4e-test"] == {"file": "e4e_test_encode.pt", "size": len(body), "sha256": sha256(body)}
    assert manager.installed_packs()["e4e-test"].status == "downloaded"


def test_install_reuses_verified_checkpoint(served, data_dir):
    server, body = served
    with pytest.raises(CheckpointError):
        manager.install("e4e-test")
    requests = len(server.behaviour.requests)

    with pytest.raises(CheckpointError):
        manager.install("e4e-test")

    assert len(server.behaviour.requests) == requests


def test_install_replaces_corrupted_checkpoint(served, data_dir):
    server, body = served
    with pytest.raises(CheckpointError):
        manager.install("e4e-test")
    checkpoint = data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt"
    checkpoint.write_bytes(body[:-1] + bytes([body[-1] ^ 0xFF]))
    requests = len(server.behaviour.requests)

    with pytest.raises(CheckpointError, match="no_such_converter"):
        manager.install("e4e-test")

    assert checkpoint.read_bytes() == body
    assert len(server.behaviour.requests) == requests + 1


def test_install_rejects_changed_download(served, data_dir):
    server, body = served
    with pytest.raises(CheckpointError):
        manager.install("e4e-test")
    manager.remove("e4e-test")
    server.behaviour.files["/e4e.pt"] = checkpoint_bytes(1)

    with pytest.raises(ChecksumError, match="SHA-256"):
        manager.install("e4e-test")

    assert not (data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt").exists()
    assert not part_path(data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt").exists()


def test_install_prepares_loadable_pack(served, data_dir, monkeypatch):
    monkeypatch.setitem(manager.PREPARERS, "e4e", STAND_IN_PREPARER)

    manifest = manager.install("e4e-test")

    assert manifest.id == "e4e-test"
    assert "e4e-test" in available_packs()
    assert manager.installed_packs()["e4e-test"].status == "installed"
    pack = load_pack("e4e-test")
    assert pack.weights_folder == data_dir / "packs" / "e4e-test"


def test_import_records_then_checks_hash(served, data_dir, tmp_path):
    server, body = served
    first = tmp_path / "first.pt"
    first.write_bytes(body)
    checkpoint = data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt"

    with pytest.raises(CheckpointError, match="no_such_converter"):
        manager.import_pack("e4e-test", first)
    assert checkpoint.read_bytes() == body
    assert recorded(data_dir)["e4e-test"]["sha256"] == sha256(body)

    changed = tmp_path / "changed.pt"
    changed.write_bytes(checkpoint_bytes(1))
    with pytest.raises(ChecksumError) as caught:
        manager.import_pack("e4e-test", changed)

    assert str(changed) in caught.value.message
    assert "--forget-hash" in caught.value.message
    assert checkpoint.read_bytes() == body
    assert not part_path(checkpoint).exists()
    assert changed.read_bytes() == checkpoint_bytes(1)


def test_import_after_forget_hash(served, data_dir, tmp_path):
    server, body = served
    first = tmp_path / "first.pt"
    first.write_bytes(body)
    with pytest.raises(CheckpointError):
        manager.import_pack("e4e-test", first)
    manager.remove("e4e-test", forget_hash=True)
    changed = tmp_path / "changed.pt"
    changed.write_bytes(checkpoint_bytes(1))

    with pytest.raises(CheckpointError, match="no_such_converter"):
        manager.import_pack("e4e-test", changed)

    assert recorded(data_dir)["e4e-test"]["sha256"] == sha256(checkpoint_bytes(1))


def test_import_wrong_size_rejected(served, data_dir, tmp_path):
    server, body = served
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(body[:-1])

    with pytest.raises(ChecksumError) as caught:
        manager.import_pack("e4e-exact", truncated)

    assert f"{len(body) - 1} bytes" in caught.value.message
    assert not (data_dir / "packs" / "e4e-exact" / "e4e_test_encode.pt").exists()
    assert "e4e-exact" not in manager.recorded_hashes()


def test_import_missing_file_named(served, tmp_path):
    with pytest.raises(UserInputError, match="nowhere.pt not found"):
        manager.import_pack("e4e-test", tmp_path / "nowhere.pt")


def test_import_unknown_id_lists_catalogue(served, tmp_path):
    with pytest.raises(UserInputError) as caught:
        manager.import_pack("../escape", tmp_path / "x.pt")
    assert "e4e-exact, e4e-test" in caught.value.message


@pytest.fixture
def foreign_folder(data_dir):
    """A temporary folder on another file system than the packs folder, where hard links fail."""
    data_dir.mkdir()
    for candidate in ("/dev/shm", tempfile.gettempdir()):
        if os.path.isdir(candidate) and os.access(candidate, os.W_OK) and os.stat(candidate).st_dev != data_dir.stat().st_dev:
            folder = Path(tempfile.mkdtemp(dir=candidate))
            yield folder
            shutil.rmtree(folder)
            return
    pytest.skip("no writable folder on a second file system")


def test_import_copies_across_file_systems(served, data_dir, foreign_folder):
    server, body = served
    source = foreign_folder / "e4e.pt"
    source.write_bytes(body)
    seen = []

    with pytest.raises(CheckpointError, match="no_such_converter"):
        manager.import_pack("e4e-test", source, progress=lambda done, total: seen.append((done, total)))

    checkpoint = data_dir / "packs" / "e4e-test" / "e4e_test_encode.pt"
    assert checkpoint.read_bytes() == body
    assert checkpoint.stat().st_ino != source.stat().st_ino
    assert seen[-1] == (len(body), len(body))


def test_import_copy_stopped(served, data_dir, foreign_folder):
    server, body = served
    source = foreign_folder / "e4e.pt"
    source.write_bytes(body * 3)  # several copy chunks

    with pytest.raises(Interrupted):
        manager.import_pack("e4e-test", source, progress=lambda done, total: None, stop=lambda: True)

    assert list((data_dir / "packs" / "e4e-test").iterdir()) == []


def test_remove_deletes_folder_keeps_hash(served, data_dir):
    with pytest.raises(CheckpointError):
        manager.install("e4e-test")

    folder = manager.remove("e4e-test")

    assert folder == data_dir / "packs" / "e4e-test"
    assert not folder.exists()
    assert "e4e-test" in recorded(data_dir)
    assert "e4e-test" not in manager.installed_packs()


def test_install_while_other_process_installs(served, data_dir):
    server, _ = served
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, "e4e-test"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"

        with pytest.raises(UserInputError, match="pack e4e-test is being installed or removed by another"):
            manager.install("e4e-test")

        assert server.behaviour.requests == []
        assert list((data_dir / "packs").glob("e4e-test/*")) == []
    finally:
        holder.communicate("release\n", timeout=30)

    # Once the other process is done, the same install goes ahead.
    with pytest.raises(CheckpointError, match="no_such_converter"):
        manager.install("e4e-test")


def test_remove_during_install_rejected(served, data_dir):
    with pytest.raises(CheckpointError):
        manager.install("e4e-test")
    folder = data_dir / "packs" / "e4e-test"

    with manager.pack_lock("e4e-test"):
        with pytest.raises(UserInputError, match="being installed or removed"):
            manager.remove("e4e-test")
        assert folder.is_dir()

    manager.remove("e4e-test")
    assert not folder.exists()


def test_import_own_part_file_kept(served, data_dir):
    _, body = served
    folder = data_dir / "packs" / "e4e-test"
    folder.mkdir(parents=True)
    part = part_path(folder / "e4e_test_encode.pt")
    part.write_bytes(body)

    with pytest.raises(UserInputError, match="is the unfinished download of pack e4e-test"):
        manager.import_pack("e4e-test", part)

    assert part.read_bytes() == body


def test_unopenable_lock_file_stops_install(served, data_dir):
    server, _ = served
    (data_dir / "packs" / "e4e-test.lock").mkdir(parents=True)  # a folder where the lock file belongs

    with pytest.raises(DownloadError, match="cannot write to"):
        manager.install("e4e-test")

    assert server.behaviour.requests == []


def test_remove_shipped_rejected(data_dir):
    with pytest.raises(UserInputError, match="'dlib-face-128' ships with large-desktop"):
        manager.remove("dlib-face-128")


def test_remove_not_installed_rejected(data_dir):
    with pytest.raises(UserInputError, match="'e4e-ffhq' is not installed"):
        manager.remove("e4e-ffhq")


def test_installed_packs_reports_partial(data_dir):
    folder = data_dir / "packs" / "e4e-ffhq"
    folder.mkdir(parents=True)
    (folder / "e4e_ffhq_encode.pt.part").write_bytes(b"x" * 1000)

    status = manager.installed_packs()["e4e-ffhq"]

    assert status.status == "partial"
    assert status.partial_bytes == 1000


def install_dcgan_copy(data_dir: Path, pack_id: str) -> Path:
    folder = data_dir / "packs" / pack_id
    folder.mkdir(parents=True)
    copy_dcgan_preparer(folder / "checkpoint.pt", folder, {"id": pack_id, "name": "DCGAN copy"})
    return folder


def test_registry_lists_installed_manifest(data_dir):
    install_dcgan_copy(data_dir, "dcgan-copy")

    packs = available_packs()

    assert "dcgan-copy" in packs
    assert "dlib-face-128" in packs
    assert installed_pack_manifests()["dcgan-copy"][1] == data_dir / "packs" / "dcgan-copy"


def test_load_pack_reads_pack_folder(data_dir):
    folder = install_dcgan_copy(data_dir, "dcgan-copy")
    assert load_pack("dcgan-copy").weights_folder == folder

    encoder = folder / "dcgan-encoder.safetensors"
    encoder.write_bytes(encoder.read_bytes()[:-1] + b"\0")

    with pytest.raises(CheckpointError) as caught:
        load_pack("dcgan-copy")
    assert str(encoder) in caught.value.message


def test_broken_installed_manifest_skipped(data_dir, caplog):
    install_dcgan_copy(data_dir, "dcgan-copy")
    broken = data_dir / "packs" / "broken-pack"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")

    with caplog.at_level(logging.WARNING):
        packs = available_packs()

    assert "dcgan-copy" in packs
    assert "broken-pack" not in packs
    assert "broken-pack" in caplog.text
    assert manager.installed_packs()["broken-pack"].status == "broken"


def test_manifest_with_other_id_skipped(data_dir, caplog):
    folder = install_dcgan_copy(data_dir, "dcgan-copy")
    folder.rename(data_dir / "packs" / "renamed")

    with caplog.at_level(logging.WARNING):
        packs = available_packs()

    assert "dcgan-copy" not in packs
    assert "renamed" not in packs
    assert "declares id 'dcgan-copy'" in caplog.text


def test_install_caps_estimated_size(served, data_dir):
    server, body = served
    server.behaviour.files["/e4e.pt"] = body * 3
    server.behaviour.send_length = False
    folder = data_dir / "packs" / "e4e-test"

    with pytest.raises(ChecksumError, match="more than the maximum"):
        manager.install("e4e-test")
    assert not (folder / "e4e_test_encode.pt").exists()
    assert not part_path(folder / "e4e_test_encode.pt").exists()
    assert not (data_dir / "packs" / "hashes.json").exists()
