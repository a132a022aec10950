"""`large-desktop packs list | install | import | remove` against a local server and a test catalogue."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from large_desktop.cli import main
from large_desktop.core.packs import manager
from local_file_server import FileServer
from pack_fixtures import MISSING_PREPARER, STAND_IN_PREPARER, catalogue_entry, checkpoint_bytes


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private data folder and a catalogue with one pack served from 127.0.0.1."""
    body = checkpoint_bytes(0) * 8  # about 4 MB, so a slow download is still running when the test stops it
    with FileServer() as server:
        server.behaviour.files["/e4e.pt"] = body
        catalogue = tmp_path / "catalogue.json"
        catalogue.write_text(json.dumps({"format": 1, "packs": [catalogue_entry("e4e-test", server.url("/e4e.pt"), len(body))]}))
        monkeypatch.setenv("LARGE_DESKTOP_CATALOGUE", str(catalogue))
        monkeypatch.setenv("LARGE_DESKTOP_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setitem(manager.PREPARERS, "e4e", STAND_IN_PREPARER)
        yield server, body, tmp_path / "data" / "packs" / "e4e-test"


def list_rows(capsys) -> dict[str, list[str]]:
    assert main(["packs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {line[2:].split("\t")[0]: line[2:].split("\t") for line in lines[1:] if "\t" in line}


def test_list_shows_shipped_and_catalogue(env, capsys):
    rows = list_rows(capsys)

    assert rows["dlib-face-128"][4] == "0.58"  # the measured k = 2 accuracy column
    assert rows["dlib-face-128"][7] == "shipped"
    assert rows["e4e-test"][6] == "NVIDIA-NC (non-commercial)"
    assert rows["e4e-test"][7] == "not installed"
    assert rows["e4e-test"][3] == "18x512"


def test_install_needs_license_flag(env, capsys):
    server, body, folder = env

    status = main(["packs", "install", "e4e-test"])

    error = capsys.readouterr().err
    assert status == 2
    assert "Non-commercial use only." in error
    assert error.strip().splitlines()[-1].startswith("error: pack e4e-test is licensed for non-commercial use only")
    assert server.behaviour.requests == []


def test_install_list_remove(env, capsys):
    server, body, folder = env

    assert main(["packs", "install", "e4e-test", "--accept-license", "-q"]) == 0
    assert f"installed e4e-test in {folder}" in capsys.readouterr().out
    assert (folder / "e4e_test_encode.pt").read_bytes() == body
    assert list_rows(capsys)["e4e-test"][7] == "installed"

    assert main(["packs", "remove", "e4e-test"]) == 0
    assert not folder.exists()
    assert list_rows(capsys)["e4e-test"][7] == "not installed"


def test_install_without_converter_fails(env, capsys, monkeypatch):
    server, body, folder = env
    monkeypatch.setitem(manager.PREPARERS, "e4e", MISSING_PREPARER)

    status = main(["packs", "install", "e4e-test", "--accept-license", "-q"])

    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 2
    assert "cannot convert e4e checkpoints" in error
    assert (folder / "e4e_test_encode.pt").is_file()
    assert list_rows(capsys)["e4e-test"][7] == "downloaded, not converted"


def test_import_from_file(env, tmp_path, capsys):
    server, body, folder = env
    source = tmp_path / "mine.pt"
    source.write_bytes(body)

    assert main(["packs", "import", "e4e-test", str(source), "--accept-license", "-q"]) == 0

    assert (folder / "e4e_test_encode.pt").read_bytes() == body
    assert server.behaviour.requests == []


def test_errors_one_line(env, capsys):
    for args, fragment in [
        (["packs", "install", "nope", "--accept-license"], "pack 'nope' is not in the catalogue"),
        (["packs", "remove", "dlib-face-128"], "'dlib-face-128' ships with large-desktop"),
        (["packs", "remove", "e4e-test"], "'e4e-test' is not installed"),
        (["packs", "import", "e4e-test", "/nonexistent/e4e.pt", "--accept-license"], "/nonexistent/e4e.pt not found"),
    ]:
        assert main(args) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert fragment in error[-1]
        assert error[-1].startswith("error: ")


def test_not_found_download_one_line(env, capsys):
    server, body, folder = env
    del server.behaviour.files["/e4e.pt"]

    assert main(["packs", "install", "e4e-test", "--accept-license", "-q"]) == 2

    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "HTTP 404" in error
    assert server.url("/e4e.pt") in error


@pytest.mark.slow
def test_ctrl_c_keeps_partial_download(env, tmp_path):
    server, body, folder = env
    server.behaviour.delay_per_chunk = 0.05  # 64 kB per 50 ms: about 3 s for the whole file
    part = folder / "e4e_test_encode.pt.part"
    process = subprocess.Popen(
        [sys.executable, "-m", "large_desktop.cli", "packs", "install", "e4e-test", "--accept-license", "-q"],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 0) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert 0 < part.stat().st_size < len(body)
    assert not (folder / "e4e_test_encode.pt").exists()
