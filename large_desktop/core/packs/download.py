"""Resumable, verified HTTP(S) downloads of pack files, with urllib only.

Bytes go to `<dest>.part`. A dropped connection resumes from the end of
that file with an HTTP Range request. The file is renamed over `dest` only
after its size and SHA-256 match, so `dest` never contains a partial or
unverified file.
"""

import errno
import http.client
import logging
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from large_desktop import __version__
from large_desktop.core.errors import Interrupted, LargeError, UserInputError
from large_desktop.core.hashing import sha256_of

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]  # (bytes done, bytes in total or None when unknown)
StopCallback = Callable[[], bool]  # returns True once the user asked to stop

CHUNK_SIZE = 1 << 20  # bytes per read; the stop callback is polled between reads
DEFAULT_TIMEOUT = 30.0  # seconds to wait for a connection or for the next bytes
DEFAULT_RETRIES = 3  # automatic resumes after a dropped connection, per call
MAX_RESTARTS = 2  # downloads started over from byte 0 per call, so a confused server cannot loop forever
USER_AGENT = f"large-desktop/{__version__}"
CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")


class DownloadError(LargeError):
    """A download failed; the message names the URL or file and what to do."""


class NetworkError(DownloadError):
    """The server cannot be reached, or the connection dropped or timed out; a partial file is kept."""


class ChecksumError(DownloadError):
    """A downloaded or imported file has the wrong size or SHA-256; the partial file is removed."""


class DiskFullError(DownloadError):
    """The disk holding the packs folder is full."""


class ConnectionDropped(Exception):
    """Internal: the connection ended before the whole file arrived; the caller resumes."""


class RestartDownload(Exception):
    """Internal: the partial file cannot be resumed (the server ignored Range); start over."""


def part_path(dest: Path) -> Path:
    """Return the path of the partial file for `dest` (`name.part`, next to it)."""
    return dest.with_name(dest.name + ".part")


def download_file(
    url: str,
    dest: Path,
    *,
    size: int | None = None,              # Exact bytes expected; None = accept what the server sends.
    sha256: str | None = None,            # Hex digest expected; None = no hash check.
    max_size: int | None = None,          # Bytes accepted at most when `size` is None; None = no limit.
    progress: ProgressCallback | None = None,
    stop: StopCallback | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,       # Resumes after a dropped connection before giving up.
) -> Path:
    """Download `url` to `dest`, resuming a partial download and verifying the result.

    Redirects are followed. A server that replies to a Range request with the
    whole file (200) is handled by starting over.

    Returns:
        `dest`, which then contains the verified file.

    Raises:
        Interrupted: `stop` returned True; the partial file is kept for resuming.
        NetworkError: the host is unreachable, or the connection dropped more
            than `retries` times; the partial file is kept.
        DownloadError: the server answered with an HTTP error or a web page.
        ChecksumError: wrong size or SHA-256, or more than `max_size` bytes;
            the partial file is removed.
        DiskFullError: no space left in the destination folder.
    """
    if not url.startswith(("https://", "http://")):
        raise UserInputError(f"cannot download {url!r}: only http and https addresses are supported")

    part = part_path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, dest.parent, url) from exc
    check_free_space(dest.parent, part, size, url)

    attempt = restarts = 0
    while True:
        try:
            fetch_into(url, part, size, max_size, progress, stop, timeout)
            break
        except RestartDownload as exc:
            restarts += 1
            truncate(part, url)
            if restarts > MAX_RESTARTS:
                raise DownloadError(f"download of {url} failed: {exc}; try again later") from None
            logger.info("restarting download of %s from the first byte: %s", url, exc)
        except ConnectionDropped as exc:
            attempt += 1
            kept = part.stat().st_size if part.exists() else 0
            if attempt > retries:
                raise NetworkError(
                    f"download of {url} failed: {exc}; {kept} bytes are kept in {part}, "
                    "check the connection and run the same command again to resume"
                ) from None
            logger.warning("download of %s dropped after %d bytes (%s); resuming, attempt %d of %d", url, kept, exc, attempt, retries)

    verify_and_commit(part, dest, size, sha256, url)
    return dest


def fetch_into(
    url: str, part: Path, size: int | None, max_size: int | None, progress: ProgressCallback | None, stop: StopCallback | None, timeout: float
) -> None:
    """Append the rest of the file at `url` to `part`, starting where `part` ends.

    Raises:
        ConnectionDropped: the connection ended early; `part` contains what arrived.
        RestartDownload: `part` cannot be continued and must be emptied first.
    """
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:
        raise RestartDownload(f"{part} has {offset} bytes, more than the expected {size}")
    if size is not None and offset == size:
        return  # complete already; only the checks remain

    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    response = open_url(urllib.request.Request(url, headers=headers), offset, timeout)
    if response is None:
        return  # the server confirmed that `part` is already complete

    with response:
        total = expected_total(response, url, offset)
        if response.status == 200 and offset:
            logger.info("server of %s ignored the Range request; downloading from the first byte", url)
            offset = 0
        if size is not None and total is not None and total != size:
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"the server offers {total} bytes at {url}, but the pack expects {size}; the file there has changed, "
                "so download it in a browser and install it with `large-desktop packs import`"
            )
        if max_size is not None and total is not None and total > max_size:
            part.unlink(missing_ok=True)
            raise ChecksumError(too_large_message(url, max_size, part))
        # A server that announces no size, or a false one, must not fill the disk.
        limits = [limit for limit in (total, size, max_size) if limit is not None]
        with open_part(part, offset, url) as handle:
            offset = copy_stream(response, handle, offset, min(limits, default=None), part, url, progress, stop)

    if size is not None and offset > size:
        part.unlink()
        raise ChecksumError(f"{url} sent more than the expected {size} bytes; removed {part}, the file there has changed")
    if max_size is not None and offset > max_size:
        part.unlink()
        raise ChecksumError(too_large_message(url, max_size, part))
    if total is not None and offset < total:
        raise ConnectionDropped(f"the connection closed after {offset} of {total} bytes")


def too_large_message(url: str, max_size: int, part: Path) -> str:
    return (
        f"{url} sent more than the maximum of {max_size} bytes expected; removed {part} because the file there is another one, "
        "so download it in a browser, check it and use `large-desktop packs import`"
    )


def open_url(request: urllib.request.Request, offset: int, timeout: float) -> http.client.HTTPResponse | None:
    """Send the request; return the response, or None when a resumed file turns out complete (HTTP 416)."""
    url = request.full_url
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with exc:
            if exc.code == 416 and offset:
                match = UNSATISFIED_RANGE.match(exc.headers.get("Content-Range", ""))
                if match and int(match.group(1)) == offset:
                    return None
                raise RestartDownload("the server rejected the Range request (HTTP 416)") from None
            if 300 <= exc.code < 400:
                # urllib gives up on a redirect loop with a reason of several lines.
                raise DownloadError(
                    f"{url} redirected in a loop or too many times (HTTP {exc.code}); try again later, or download "
                    "the file in a browser and use `large-desktop packs import`"
                ) from None
            if exc.code == 404:
                raise DownloadError(f"{url} was not found (HTTP 404); the file was moved or deleted, check for a newer large-desktop") from None
            if exc.code in (401, 403, 429):
                raise DownloadError(
                    f"{url} refused the download (HTTP {exc.code} {exc.reason}); the host may limit downloads, "
                    "so try later or download the file in a browser and use `large-desktop packs import`"
                ) from None
            raise DownloadError(f"{url} failed with HTTP {exc.code} {exc.reason}; try again later") from None
    except urllib.error.URLError as exc:
        raise NetworkError(f"cannot reach {url} ({exc.reason}); check the network connection and try again") from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise NetworkError(f"cannot reach {url} ({exc or type(exc).__name__}); check the network connection and try again") from exc


def expected_total(response: http.client.HTTPResponse, url: str, offset: int) -> int | None:
    """Return the full file size the response announces, or None when it gives none.

    Raises:
        DownloadError: the server sent a web page instead of a file.
        RestartDownload: a partial response starts somewhere other than `offset`.
    """
    if response.headers.get_content_type() == "text/html":
        raise DownloadError(
            f"{url} returned a web page instead of the file; the host may require a sign-in or limit downloads, "
            "so download the file in a browser and use `large-desktop packs import`"
        )

    length = response.headers.get("Content-Length")
    length = int(length) if length and length.isdigit() else None
    if response.status != 206:
        return length

    match = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if not match or int(match.group(1)) != offset:
        raise RestartDownload(f"the server sent range {response.headers.get('Content-Range')!r} for a request from byte {offset}")
    return int(match.group(3)) if match.group(3) != "*" else None


def copy_stream(
    response: http.client.HTTPResponse,
    handle: BinaryIO,
    offset: int,
    total: int | None,
    part: Path,
    url: str,
    progress: ProgressCallback | None,
    stop: StopCallback | None,
) -> int:
    """Copy the response body to the open partial file; return its size in bytes after the copy.

    Copying ends early once the file is larger than `total` bytes, so a
    server that announces no size cannot fill the disk.
    """
    while total is None or offset <= total:
        if stop is not None and stop():
            handle.flush()
            raise Interrupted(f"download of {url} stopped; {offset} bytes are kept in {part}, run the same command again to resume")
        try:
            chunk = response.read(CHUNK_SIZE)
        except (http.client.IncompleteRead, OSError) as exc:  # OSError covers resets and timeouts of the socket
            handle.flush()
            raise ConnectionDropped(f"the connection failed after {offset} bytes ({exc or type(exc).__name__})") from exc
        if not chunk:
            break
        try:
            handle.write(chunk)
        except OSError as exc:
            raise write_error(exc, part.parent, url) from exc
        offset += len(chunk)
        if progress is not None:
            progress(offset, total)
    try:
        handle.flush()
        os.fsync(handle.fileno())
    except OSError as exc:
        raise write_error(exc, part.parent, url) from exc
    return offset


def open_part(part: Path, offset: int, url: str) -> BinaryIO:
    """Open the partial file for writing at `offset`, dropping anything after it."""
    try:
        handle = part.open("r+b" if offset else "wb")
        handle.seek(offset)
        handle.truncate()
    except OSError as exc:
        raise write_error(exc, part.parent, url) from exc
    return handle


def truncate(part: Path, url: str) -> None:
    try:
        part.unlink(missing_ok=True)
    except OSError as exc:
        raise write_error(exc, part.parent, url) from exc


def verify_and_commit(part: Path, dest: Path, size: int | None, sha256: str | None, source: str) -> None:
    """Check the partial file's size and hash, then rename it over `dest`.

    Raises:
        ChecksumError: a mismatch; the partial file is removed first.
    """
    actual_size = part.stat().st_size
    if size is not None and actual_size != size:
        part.unlink()
        raise ChecksumError(f"{source} gave {actual_size} bytes, expected {size}; removed {part}, run the same command again")

    if sha256 is not None:
        digest = sha256_of(part)
        if digest != sha256.lower():
            part.unlink()
            raise ChecksumError(
                f"{source} has SHA-256 {digest}, expected {sha256}; the transfer was corrupted or the file changed, "
                f"so {part} was removed; run the same command again"
            )

    commit(part, dest)


def commit(part: Path, dest: Path) -> None:
    """Rename a verified file over `dest` and make the rename durable."""
    os.replace(part, dest)
    sync_folder(dest.parent)
    logger.info("verified and saved %s", dest)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk so that a rename survives a power cut (POSIX only)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def format_bytes(size: float) -> str:
    """Format a byte count with a decimal unit (kB, MB, GB), three significant digits."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{int(size)} B"


def check_free_space(folder: Path, part: Path, size: int | None, source: str) -> None:
    """Fail early when the disk cannot hold the rest of a file of known size."""
    if size is None:
        return
    needed = size - (part.stat().st_size if part.exists() else 0)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DiskFullError(
            f"{folder} has {format_bytes(free)} free but {source} needs {format_bytes(needed)} more; "
            "free some space or set LARGE_DESKTOP_DATA_DIR to a folder on another disk"
        )


def write_error(exc: OSError, folder: Path, source: str) -> DownloadError:
    """Translate a failed write into an error naming the folder and what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"no space left in {folder} while saving {source}; free some space or set LARGE_DESKTOP_DATA_DIR "
            "to a folder on another disk, then try again to resume the download"
        )
    return DownloadError(f"cannot write to {folder} while saving {source}: {exc.strerror or exc}; check the folder's permissions")
