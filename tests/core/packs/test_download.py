"""Downloads against a local HTTP server: resume, restart, verification, errors."""

import errno
import hashlib
import io
import shutil

import pytest
import torch

from large_desktop.core.errors import Interrupted, UserInputError
from large_desktop.core.packs.download import (
    ChecksumError,
    DiskFullError,
    DownloadError,
    NetworkError,
    check_free_space,
    download_file,
    format_bytes,
    part_path,
    write_error,
)
from local_file_server import FileServer


@pytest.fixture(scope="module")
def checkpoint_bytes() -> bytes:
    """A small torch checkpoint of about 2.6 MB, so a download spans several reads."""
    generator = torch.Generator().manual_seed(0)
    state = {"encoder.weight": torch.randn(640, 1024, generator=generator), "latent_avg": torch.randn(18, 512, generator=generator)}
    buffer = io.BytesIO()
    torch.save({"state_dict": state}, buffer)
    return buffer.getvalue()


@pytest.fixture
def server(checkpoint_bytes):
    with FileServer() as running:
        running.behaviour.files["/e4e.pt"] = checkpoint_bytes
        yield running


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_full_download_verifies(server, checkpoint_bytes, tmp_path):
    dest = tmp_path / "packs" / "e4e.pt"
    seen = []

    result = download_file(server.url("/e4e.pt"), dest, size=len(checkpoint_bytes), sha256=sha256(checkpoint_bytes),
                           progress=lambda done, total: seen.append((done, total)))

    assert result == dest
    assert dest.read_bytes() == checkpoint_bytes
    assert not part_path(dest).exists()
    assert seen[-1] == (len(checkpoint_bytes), len(checkpoint_bytes))
    assert torch.load(dest, weights_only=True)["state_dict"]["latent_avg"].shape == (18, 512)


def test_dropped_connection_resumes_with_range(server, checkpoint_bytes, tmp_path):
    server.behaviour.drop_after = 1_000_000
    server.behaviour.drops_left = 1
    dest = tmp_path / "e4e.pt"

    download_file(server.url("/e4e.pt"), dest, size=len(checkpoint_bytes), sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes
    assert server.behaviour.requests == [("/e4e.pt", None), ("/e4e.pt", "bytes=1000000-")]


def test_resume_in_a_later_call(server, checkpoint_bytes, tmp_path):
    server.behaviour.drop_after = 700_000
    server.behaviour.drops_left = 1
    dest = tmp_path / "e4e.pt"

    with pytest.raises(NetworkError, match="run the same command again to resume"):
        download_file(server.url("/e4e.pt"), dest, sha256=sha256(checkpoint_bytes), retries=0)
    assert part_path(dest).read_bytes() == checkpoint_bytes[:700_000]
    assert not dest.exists()

    download_file(server.url("/e4e.pt"), dest, sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes
    assert server.behaviour.requests[-1] == ("/e4e.pt", "bytes=700000-")


def test_server_ignoring_range_restarts(server, checkpoint_bytes, tmp_path):
    server.behaviour.ignore_range = True
    dest = tmp_path / "e4e.pt"
    part_path(dest).write_bytes(b"x" * 500_000)  # a stale partial file that is not a prefix of the checkpoint

    download_file(server.url("/e4e.pt"), dest, size=len(checkpoint_bytes), sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes
    assert server.behaviour.requests == [("/e4e.pt", "bytes=500000-")]


def test_complete_partial_file_needs_no_body(server, checkpoint_bytes, tmp_path):
    dest = tmp_path / "e4e.pt"
    part_path(dest).write_bytes(checkpoint_bytes)

    download_file(server.url("/e4e.pt"), dest, sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes
    assert server.behaviour.requests == [("/e4e.pt", f"bytes={len(checkpoint_bytes)}-")]


def test_corrupted_byte_rejected(server, checkpoint_bytes, tmp_path):
    corrupted = bytearray(checkpoint_bytes)
    corrupted[123_456] ^= 0xFF
    server.behaviour.files["/e4e.pt"] = bytes(corrupted)
    dest = tmp_path / "e4e.pt"

    with pytest.raises(ChecksumError) as caught:
        download_file(server.url("/e4e.pt"), dest, size=len(checkpoint_bytes), sha256=sha256(checkpoint_bytes))

    assert "SHA-256" in caught.value.message
    assert str(part_path(dest)) in caught.value.message
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_not_found_names_url(server, tmp_path):
    url = server.url("/missing.pt")

    with pytest.raises(DownloadError) as caught:
        download_file(url, tmp_path / "missing.pt")

    assert url in caught.value.message
    assert "HTTP 404" in caught.value.message
    assert not (tmp_path / "missing.pt").exists()


def test_size_mismatch_rejected(server, checkpoint_bytes, tmp_path):
    dest = tmp_path / "e4e.pt"

    with pytest.raises(ChecksumError) as caught:
        download_file(server.url("/e4e.pt"), dest, size=len(checkpoint_bytes) + 10)

    assert f"offers {len(checkpoint_bytes)} bytes" in caught.value.message
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_stop_keeps_partial_file(server, checkpoint_bytes, tmp_path):
    dest = tmp_path / "e4e.pt"
    received = []

    with pytest.raises(Interrupted) as caught:
        download_file(server.url("/e4e.pt"), dest, progress=lambda done, total: received.append(done), stop=lambda: bool(received))

    assert "resume" in caught.value.message
    assert not dest.exists()
    assert part_path(dest).stat().st_size == received[0]
    assert 0 < received[0] < len(checkpoint_bytes)


def test_redirect_followed(server, checkpoint_bytes, tmp_path):
    server.behaviour.redirects["/download?id=e4e"] = "/e4e.pt"
    dest = tmp_path / "e4e.pt"

    download_file(server.url("/download?id=e4e"), dest, sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes


def test_web_page_rejected(server, tmp_path):
    server.behaviour.files["/page"] = b"<html>Google Drive can't scan this file for viruses</html>"
    server.behaviour.content_type = "text/html; charset=utf-8"

    with pytest.raises(DownloadError, match="web page instead of the file"):
        download_file(server.url("/page"), tmp_path / "e4e.pt")
    assert not (tmp_path / "e4e.pt").exists()


def test_stalled_server_times_out(server, tmp_path):
    server.behaviour.stall = 1.5

    with pytest.raises(NetworkError, match="check the network connection"):
        download_file(server.url("/e4e.pt"), tmp_path / "e4e.pt", timeout=0.3, retries=0)


def test_unreachable_host_network_error(tmp_path):
    with FileServer() as closed:
        url = closed.url("/e4e.pt")
    # The server is shut down and its port closed, so the connection is refused.

    with pytest.raises(NetworkError) as caught:
        download_file(url, tmp_path / "e4e.pt")
    assert url in caught.value.message


def test_only_http_urls_accepted(tmp_path):
    source = tmp_path / "source.pt"
    source.write_bytes(b"data")

    with pytest.raises(UserInputError, match="only http and https"):
        download_file(source.as_uri(), tmp_path / "copy.pt")


def test_disk_full_names_folder(tmp_path):
    error = write_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path, "http://127.0.0.1/e4e.pt")

    assert isinstance(error, DiskFullError)
    assert str(tmp_path) in error.message
    assert "free some space" in error.message


def test_disk_full_message_neutral(tmp_path):
    # The app shows this message as it is, so it names no command to run.
    error = write_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path, "http://127.0.0.1/e4e.pt")

    assert error.message.endswith("then try again to resume the download")
    assert "command" not in error.message


def test_redirect_loop_one_line(server, tmp_path):
    server.behaviour.redirects["/loop"] = "/loop"

    with pytest.raises(DownloadError) as caught:
        download_file(server.url("/loop"), tmp_path / "e4e.pt")
    assert "\n" not in caught.value.message
    assert "redirect" in caught.value.message
    assert server.url("/loop") in caught.value.message


def test_unannounced_size_capped(server, checkpoint_bytes, tmp_path):
    server.behaviour.send_length = False
    dest = tmp_path / "e4e.pt"

    with pytest.raises(ChecksumError, match="more than the maximum of 1000000 bytes"):
        download_file(server.url("/e4e.pt"), dest, max_size=1_000_000)
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_announced_size_over_cap_rejected(server, tmp_path):
    dest = tmp_path / "e4e.pt"

    with pytest.raises(ChecksumError, match="maximum of 1000000 bytes"):
        download_file(server.url("/e4e.pt"), dest, max_size=1_000_000)
    assert not part_path(dest).exists()
    assert not dest.exists()


def test_unannounced_size_within_cap(server, checkpoint_bytes, tmp_path):
    server.behaviour.send_length = False
    dest = tmp_path / "e4e.pt"

    download_file(server.url("/e4e.pt"), dest, max_size=2 * len(checkpoint_bytes), sha256=sha256(checkpoint_bytes))

    assert dest.read_bytes() == checkpoint_bytes


@pytest.mark.parametrize(
    ("free", "size", "expected"),
    [
        (300, 1_500, "has 300 B free but http://127.0.0.1/a.pt needs 1.5 kB more"),
        (20_000, 2_500_000, "has 20 kB free but http://127.0.0.1/a.pt needs 2.5 MB more"),
        (1_200_000_000, 4_000_000_000, "has 1.2 GB free but http://127.0.0.1/a.pt needs 4 GB more"),
    ],
)
def test_disk_full_sizes_in_fitting_unit(tmp_path, monkeypatch, free, size, expected):
    # The disk cannot be filled in a test, so the free space the operating system reports is replaced.
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _folder: usage._replace(free=free))

    with pytest.raises(DiskFullError) as caught:
        check_free_space(tmp_path, tmp_path / "a.pt.part", size, "http://127.0.0.1/a.pt")

    assert expected in caught.value.message
    assert str(tmp_path) in caught.value.message


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1_000, "1 kB"), (1_536, "1.54 kB"), (2_500_000, "2.5 MB"), (1.07e9, "1.07 GB")],
)
def test_format_bytes_units(size, text):
    assert format_bytes(size) == text
