"""The model manager: install, import and remove downloadable packs.

A pack from the catalogue is installed in three steps: its checkpoint is
downloaded (or copied from a file the user has) into
`packs_folder()/<id>/`, verified, and handed to the preparer of its family,
which writes `manifest.json` and the converted weights next to it. The
registry then lists and loads the pack from that folder.

Where the catalogue has no published SHA-256, the hash of the first
verified download or import is recorded in `hashes.json` in the packs
folder, and later downloads and imports of that pack must match it.
"""

import importlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from large_desktop.core.errors import CheckpointError, Interrupted, UserInputError
from large_desktop.core.file_lock import file_lock
from large_desktop.core.hashing import sha256_of
from large_desktop.core.packs.base import PackManifest
from large_desktop.core.packs.catalogue import PACK_ID_PATTERN, CatalogueEntry, catalogue_entry
from large_desktop.core.packs.download import (
    ChecksumError,
    ProgressCallback,
    StopCallback,
    commit,
    download_file,
    part_path,
    sync_folder,
    write_error,
)
from large_desktop.core.packs.folders import packs_folder
from large_desktop.core.packs.registry import MANIFEST_FILE, shipped_packs

logger = logging.getLogger(__name__)

HASHES_FILE = "hashes.json"
COPY_CHUNK_SIZE = 1 << 20  # bytes per read when an import cannot hard-link
# A download of a pack whose catalogue size is an estimate may reach this
# many times the estimate before it is rejected, so a server cannot fill the disk.
# NOTE: the factor is a guess; the estimates were not compared with every real file.
ESTIMATE_MARGIN = 2

# A catalogue entry's family names the function that turns its verified
# checkpoint into an installed pack:
# install_from_checkpoint(checkpoint: Path, pack_folder: Path, entry: dict) -> PackManifest.
PREPARERS = {
    "e4e": "large_desktop.core.packs.stylegan2.checkpoint:install_from_checkpoint",
    "psp": "large_desktop.core.packs.stylegan2.checkpoint:install_from_checkpoint",
    "restyle_e4e": "large_desktop.core.packs.stylegan2.checkpoint:install_from_checkpoint",
    "restyle_psp": "large_desktop.core.packs.stylegan2.checkpoint:install_from_checkpoint",
}

__all__ = ["InstalledPack", "import_pack", "install", "installed_packs", "packs_folder", "remove"]


@dataclass(frozen=True)
class InstalledPack:
    """The contents of one pack's folder in the packs folder."""

    id: str
    folder: Path
    status: str  # "installed", "broken" (unreadable manifest), "downloaded" (not prepared), "partial" or "empty"
    manifest: PackManifest | None
    partial_bytes: int  # bytes of an unfinished download, 0 when there is none


#----------------------------------------------------------------------------
# Install, import, remove


def install(pack_id: str, progress: ProgressCallback | None = None, stop: StopCallback | None = None) -> PackManifest:
    """Download a catalogue pack's checkpoint, verify it and prepare the pack.

    An interrupted download resumes. A checkpoint already downloaded is
    verified and prepared again without downloading, or downloaded again
    when it no longer verifies.

    Raises:
        UserInputError: the id is not in the catalogue, or another process or thread is installing or removing the pack.
        Interrupted: `stop` returned True; the partial download is kept.
        DownloadError: the download failed (see `download.download_file`).
        ChecksumError: the file does not match the published or recorded hash.
        CheckpointError: the family's preparer is missing or rejects the file.
    """
    entry = catalogue_entry(pack_id)
    with pack_lock(entry.id):
        return _install(entry, progress, stop)


def _install(entry: CatalogueEntry, progress: ProgressCallback | None, stop: StopCallback | None) -> PackManifest:
    folder = pack_folder(entry.id)
    checkpoint = folder / entry.file
    expected = expected_sha256(entry)

    if checkpoint.is_file():
        logger.info("pack %s: checkpoint %s is already downloaded; verifying it", entry.id, checkpoint)
        try:
            verify_checkpoint(checkpoint, entry, expected, source=str(checkpoint))
        except ChecksumError as exc:
            logger.warning("pack %s: downloading again because %s", entry.id, exc.message)
            checkpoint.unlink()
    if not checkpoint.is_file():
        # TODO: the Google Drive addresses in catalogue.json were never fetched by
        # this code; if Drive replies with its confirmation page, download_file
        # raises its web-page error and the user has to fall back to `packs import`.
        max_size = None if entry.size_exact else ESTIMATE_MARGIN * entry.size
        download_file(
            entry.url, checkpoint, size=entry.known_size, sha256=expected, max_size=max_size, progress=progress, stop=stop
        )

    if expected is None:
        record_hash(entry, checkpoint, sha256_of(checkpoint))
    return prepare(entry, checkpoint, folder)


def import_pack(pack_id: str, file: Path, progress: ProgressCallback | None = None, stop: StopCallback | None = None) -> PackManifest:
    """Install a catalogue pack from a checkpoint file the user already has.

    The file is hard-linked into the pack folder when both are on one file
    system, else copied. The linked or copied file is verified before it
    replaces any earlier checkpoint, and the source file is never changed.

    Raises:
        UserInputError: the id is not in the catalogue, the file is missing, or another process or thread is
            installing or removing the pack.
        Interrupted: `stop` returned True during the copy; nothing is installed.
        ChecksumError: wrong size, or a hash other than the published or recorded one.
        CheckpointError: the family's preparer is missing or rejects the file.
    """
    entry = catalogue_entry(pack_id)
    source = Path(file)
    if source.is_dir():
        raise UserInputError(f"{source} is a folder; give the path of the checkpoint file {entry.file} inside it")
    if not source.is_file():
        raise UserInputError(f"checkpoint {source} not found; give the path of the downloaded {entry.file}")
    if not os.access(source, os.R_OK):
        raise UserInputError(f"cannot read checkpoint {source}; check the file's permissions")
    with pack_lock(entry.id):
        return _import(entry, source, progress, stop)


def _import(entry: CatalogueEntry, source: Path, progress: ProgressCallback | None, stop: StopCallback | None) -> PackManifest:
    folder = pack_folder(entry.id)
    checkpoint = folder / entry.file
    expected = expected_sha256(entry)

    if checkpoint.exists() and checkpoint.samefile(source):
        verify_checkpoint(checkpoint, entry, expected, source=str(source))
        digest = sha256_of(checkpoint)
    else:
        part = part_path(checkpoint)
        if part.exists() and part.samefile(source):
            # link_or_copy replaces the part file first, which would delete the source.
            raise UserInputError(
                f"{source} is the unfinished download of pack {entry.id}; run `large-desktop packs install {entry.id}` "
                "to finish it, or import a copy kept elsewhere"
            )
        link_or_copy(source, part, progress, stop)
        try:
            digest = verify_checkpoint(part, entry, expected, source=str(source))
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise
        commit(part, checkpoint)

    if expected is None:
        record_hash(entry, checkpoint, digest)
    return prepare(entry, checkpoint, folder)


def remove(pack_id: str, forget_hash: bool = False) -> Path:
    """Delete an installed pack's folder; return the folder.

    The hash recorded for the pack stays in hashes.json unless `forget_hash`,
    so a later download of a different file is still detected.

    Raises:
        UserInputError: the pack is shipped with large-desktop, not installed, or being installed.
    """
    if pack_id in shipped_packs():
        raise UserInputError(f"pack {pack_id!r} ships with large-desktop and cannot be removed")
    if not PACK_ID_PATTERN.fullmatch(pack_id) or not (packs_folder() / pack_id).is_dir():
        installed = ", ".join(sorted(installed_packs())) or "none"
        raise UserInputError(f"pack {pack_id!r} is not installed; installed packs: {installed}")

    folder = packs_folder() / pack_id
    with pack_lock(pack_id):
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise UserInputError(f"cannot remove {folder}: {exc.strerror or exc}; close programs using it and try again") from exc
    if forget_hash:
        forget_recorded_hash(pack_id)
    logger.info("removed pack %s from %s", pack_id, folder)
    return folder


def installed_packs() -> dict[str, InstalledPack]:
    """Describe every pack folder under `packs_folder()`, keyed by pack id."""
    root = packs_folder()
    if not root.is_dir():
        return {}

    found = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and PACK_ID_PATTERN.fullmatch(folder.name):
            found[folder.name] = describe_folder(folder)
    return found


def describe_folder(folder: Path) -> InstalledPack:
    partial = sum(path.stat().st_size for path in folder.glob("*.part"))
    manifest_path = folder / MANIFEST_FILE
    manifest = None
    if manifest_path.is_file():
        try:
            manifest = PackManifest.from_file(manifest_path)
            status = "installed"
        except CheckpointError:
            status = "broken"
    elif any(path.is_file() and path.suffix != ".part" for path in folder.iterdir()):
        status = "downloaded"
    else:
        status = "partial" if partial else "empty"
    return InstalledPack(id=folder.name, folder=folder, status=status, manifest=manifest, partial_bytes=partial)


#----------------------------------------------------------------------------
# Steps


@contextmanager
def pack_lock(pack_id: str) -> Iterator[None]:
    """Hold the lock of one pack while it is installed, imported or removed.

    The lock file sits beside the pack folders, so removing a folder keeps it.

    Raises:
        UserInputError: another process or thread holds the lock.
        DownloadError: the packs folder or the lock file cannot be created.
    """
    root = packs_folder()
    with ExitStack() as stack:
        try:
            root.mkdir(parents=True, exist_ok=True)
            locked = stack.enter_context(file_lock(root / f"{pack_id}.lock", blocking=False, required=True))
        except OSError as exc:
            # Going on unlocked could let two installs write one download.
            raise write_error(exc, root, pack_id) from exc
        if not locked:
            raise UserInputError(
                f"pack {pack_id} is being installed or removed by another large-desktop window or command; "
                "wait for it to finish, then try again"
            )
        yield


def pack_folder(pack_id: str) -> Path:
    """Create and return the folder of one pack."""
    folder = packs_folder() / pack_id
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, folder.parent, pack_id) from exc
    return folder


def verify_checkpoint(path: Path, entry: CatalogueEntry, expected: str | None, source: str) -> str:
    """Check a checkpoint's size (when exact) and SHA-256 (when known); return its SHA-256.

    Raises:
        ChecksumError: naming `source`, the pack and what differs.
    """
    size = path.stat().st_size
    if entry.known_size is not None and size != entry.known_size:
        raise ChecksumError(
            f"{source} has {size} bytes, but the {entry.id} checkpoint ({entry.file}) has {entry.known_size}; "
            "it is another file or incomplete, so download it again"
        )

    digest = sha256_of(path)
    if expected is not None and digest != expected:
        origin = "published" if entry.sha256 else "recorded at the first install"
        hint = "" if entry.sha256 else f"; if you trust this file, run `large-desktop packs remove {entry.id} --forget-hash` first"
        raise ChecksumError(f"{source} has SHA-256 {digest}, but the hash {origin} for {entry.id} is {expected}{hint}")
    return digest


def link_or_copy(source: Path, target: Path, progress: ProgressCallback | None, stop: StopCallback | None) -> None:
    """Put a copy of `source` at `target`: a hard link where the file system allows one, else a byte copy."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
        logger.debug("hard-linked %s to %s", source, target)
        return
    except OSError as exc:
        logger.debug("cannot hard-link %s to %s (%s); copying", source, target, exc)

    try:
        reader = source.open("rb")
    except OSError as exc:
        raise UserInputError(f"cannot read {source}: {exc.strerror or exc}; check the file's permissions") from exc

    with reader:
        try:
            with target.open("wb") as writer:
                copy_chunks(reader, writer, source.stat().st_size, progress, stop)
        except InterruptedCopy:
            target.unlink(missing_ok=True)
            raise Interrupted(f"import of {source} stopped; nothing was installed") from None
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise write_error(exc, target.parent, str(source)) from exc


def copy_chunks(reader: BinaryIO, writer: BinaryIO, total: int, progress: ProgressCallback | None, stop: StopCallback | None) -> None:
    """Copy a file's bytes in chunks, polling `stop` between them, and flush them to disk."""
    done = 0
    while chunk := reader.read(COPY_CHUNK_SIZE):
        if stop is not None and stop():
            raise InterruptedCopy
        writer.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    writer.flush()
    os.fsync(writer.fileno())


class InterruptedCopy(Exception):
    """Internal: the stop callback ended a copy."""


def prepare(entry: CatalogueEntry, checkpoint: Path, folder: Path) -> PackManifest:
    """Run the family's preparer on a verified checkpoint and return the manifest it writes.

    Raises:
        CheckpointError: the preparer is not part of this version, or it rejects the file.
    """
    target = PREPARERS.get(entry.family)
    if target is None:
        raise CheckpointError(f"pack {entry.id}: no preparer for family {entry.family!r}; update large-desktop")

    module_name, function_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing preparer module is the user's concern; a missing
        # dependency inside it is a bug and keeps its traceback.
        if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise
        raise CheckpointError(
            f"pack {entry.id}: this version of large-desktop cannot convert {entry.family} checkpoints "
            f"(module {module_name} is missing); the verified checkpoint stays in {checkpoint}, "
            f"so update large-desktop and run `large-desktop packs install {entry.id}` again"
        ) from exc

    try:
        manifest = getattr(module, function_name)(checkpoint, folder, dict(entry.raw))
    except CheckpointError:
        # A rejected file must neither stay where the next install would reuse it
        # nor stay trusted, or it would lock out the real checkpoint.
        logger.warning("pack %s: removing rejected checkpoint %s", entry.id, checkpoint)
        checkpoint.unlink(missing_ok=True)
        if entry.sha256 is None:
            forget_recorded_hash(entry.id)
        raise
    logger.info("pack %s installed in %s", entry.id, folder)
    return manifest


#----------------------------------------------------------------------------
# Recorded hashes (trust on first use)


def hashes_path() -> Path:
    return packs_folder() / HASHES_FILE


def recorded_hashes() -> dict[str, dict[str, Any]]:
    """Return the hashes recorded per pack id, or {} when none are recorded."""
    path = hashes_path()
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"recorded pack hashes {path} cannot be read ({exc}); delete the file to record them again") from exc
    if not isinstance(recorded, dict):
        raise CheckpointError(f"recorded pack hashes {path} are not a JSON object; delete the file to record them again")
    return recorded


def expected_sha256(entry: CatalogueEntry) -> str | None:
    """Return the published SHA-256 of a pack's checkpoint, else the recorded one, else None."""
    if entry.sha256 is not None:
        return entry.sha256
    record = recorded_hashes().get(entry.id)
    return str(record["sha256"]) if isinstance(record, dict) and "sha256" in record else None


def record_hash(entry: CatalogueEntry, checkpoint: Path, digest: str) -> None:
    """Record the SHA-256 of a pack's first verified checkpoint."""
    # Installs of two different packs may finish at once, and the lock keeps either record from being lost.
    with file_lock(hashes_path().with_name(HASHES_FILE + ".lock")):
        recorded = recorded_hashes()
        recorded[entry.id] = {"file": entry.file, "size": checkpoint.stat().st_size, "sha256": digest}
        write_hashes(recorded)
    logger.info("recorded SHA-256 %s of %s for pack %s", digest, checkpoint, entry.id)


def forget_recorded_hash(pack_id: str) -> None:
    with file_lock(hashes_path().with_name(HASHES_FILE + ".lock")):
        recorded = recorded_hashes()
        if recorded.pop(pack_id, None) is not None:
            write_hashes(recorded)


def write_hashes(recorded: dict[str, dict[str, Any]]) -> None:
    """Replace hashes.json atomically, so a crash leaves the old or the new file."""
    path = hashes_path()
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(recorded, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        sync_folder(path.parent)
    except OSError as exc:
        raise write_error(exc, path.parent, HASHES_FILE) from exc

