"""Incremental folder scan into the `folders`, `photos` and `files` tables.

A file is re-hashed only when its (size, mtime) differs from what was stored.
What the scan cannot see is marked missing, never deleted, so an unmounted
drive or a moved folder keeps its latents and labels until it comes back.
"""

import logging
import os
from datetime import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from large_desktop.core.cache.schema import File, Folder, Photo, utc_now
from large_desktop.core.errors import UserInputError
from large_desktop.core.hashing import sha256_of
from large_desktop.core.imaging import SUPPORTED_EXTENSIONS

logger = logging.getLogger(__name__)

COMMIT_EVERY = 200  # files per transaction: a kill loses at most this much scan work


@dataclass
class ScanProgress:
    """Counts after each file, for a progress display with unknown total."""

    folder: Path
    seen: int = 0
    hashed: int = 0
    new: int = 0
    missing: int = 0
    folder_missing: bool = False


def content_hash(path: Path) -> str:
    """Return the SHA-256 of the file's bytes: the photo's identity."""
    return sha256_of(path)


def normalise_root(folder: Path) -> Path:
    """Return an absolute, user-expanded path without resolving symlinks."""
    return Path(os.path.abspath(folder.expanduser()))


def walk_images(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Yield every supported image under root, depth first.

    Hidden files and folders (name starting with ".") are skipped. Symlinked
    folders are followed once: a folder already visited (same device and
    inode) is skipped, which breaks symlink loops.
    """
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
        except OSError as exc:
            logger.warning("cannot read folder %s: %s", folder, exc)
            continue
        key = (info.st_dev, info.st_ino)
        if key in visited:
            logger.debug("skipping folder %s, already visited (symlink loop)", folder)
            continue
        visited.add(key)

        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            logger.warning("cannot list folder %s: %s", folder, exc)
            continue

        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    subfolders.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=True) and Path(entry.name).suffix.lower() in SUPPORTED_EXTENSIONS:
                    yield Path(entry.path), entry.stat(follow_symlinks=True)
            except OSError as exc:
                logger.warning("cannot read %s: %s", entry.path, exc)
        stack.extend(reversed(subfolders))


def register_file(session: Session, path: Path, info: os.stat_result, folder_id: int | None) -> tuple[File, bool]:
    """Hash a file and link its path to the photo with that content.

    Returns:
        The file row and whether the photo content is new to the library.
    """
    digest = content_hash(path)
    photo = session.scalar(select(Photo).where(Photo.content_hash == digest))
    is_new = photo is None
    if photo is None:
        photo = Photo(content_hash=digest)
        session.add(photo)
        session.flush()

    row = session.scalar(select(File).where(File.path == str(path)))
    if row is None:
        row = File(path=str(path), folder_id=folder_id, photo_id=photo.id, size=info.st_size, mtime_ns=info.st_mtime_ns)
        session.add(row)
    else:
        row.photo_id = photo.id
        row.size = info.st_size
        row.mtime_ns = info.st_mtime_ns
        row.folder_id = folder_id if folder_id is not None else row.folder_id
    row.missing = False
    row.seen_at = utc_now()
    return row, is_new


def scan_folder(session: Session, folder: Path, stop: Callable[[], bool] = lambda: False) -> Iterator[ScanProgress]:
    """Scan one folder incrementally, committing every COMMIT_EVERY files.

    Yields a ScanProgress after each file. A folder that does not exist or
    cannot be listed (an unmounted drive) has its files marked missing.
    """
    root = normalise_root(folder)
    record = session.scalar(select(Folder).where(Folder.path == str(root)))
    if record is None:
        record = Folder(path=str(root))
        session.add(record)
        session.flush()
    progress = ScanProgress(folder=root)

    if not root.is_dir():
        logger.warning("folder %s is missing or not a folder; its photos are kept and marked missing", root)
        record.missing = True
        progress.missing = _mark_missing(session, record.id, seen_before=None)
        progress.folder_missing = True
        session.commit()
        yield progress
        return

    scan_started = utc_now()
    # Known files are plain tuples and unchanged ones are marked seen in bulk,
    # because ORM rows for 100,000 files made a rescan take seconds.
    known = {
        path: (file_id, size, mtime_ns)
        for file_id, path, size, mtime_ns in session.execute(
            select(File.id, File.path, File.size, File.mtime_ns).where(File.folder_id == record.id)
        )
    }
    unchanged_ids: list[int] = []
    for path, info in walk_images(root):
        entry = known.get(str(path))
        if entry is not None and entry[1] == info.st_size and entry[2] == info.st_mtime_ns:
            unchanged_ids.append(entry[0])
        else:
            try:
                row, is_new = register_file(session, path, info, record.id)
            except OSError as exc:
                logger.warning("cannot read %s while scanning: %s", path, exc)
                continue
            row.seen_at = scan_started
            progress.hashed += 1
            progress.new += int(is_new)
        progress.seen += 1

        if progress.seen % COMMIT_EVERY == 0:
            _mark_seen(session, unchanged_ids, scan_started)
            session.commit()
        yield progress
        if stop():
            # An interrupted walk proves nothing about files it did not reach.
            _mark_seen(session, unchanged_ids, scan_started)
            session.commit()
            return

    _mark_seen(session, unchanged_ids, scan_started)
    session.flush()
    progress.missing = _mark_missing(session, record.id, seen_before=scan_started)
    record.missing = False
    record.last_scan_at = utc_now()
    session.commit()
    logger.info(
        "scanned %s: %d files, %d hashed, %d new photos, %d missing",
        root, progress.seen, progress.hashed, progress.new, progress.missing,
    )
    yield progress


def _mark_seen(session: Session, file_ids: list[int], seen_at: datetime) -> None:
    """Mark unchanged files present and seen, then empty the list."""
    if file_ids:
        # No ORM row of these files is loaded, so the session has nothing to synchronise.
        statement = update(File).where(File.id.in_(file_ids)).values(missing=False, seen_at=seen_at)
        session.execute(statement.execution_options(synchronize_session=False))
        file_ids.clear()


def _mark_missing(session: Session, folder_id: int, seen_before: datetime | None) -> int:
    """Mark the folder's files not seen since seen_before (all when None) as missing."""
    statement = update(File).where(File.folder_id == folder_id, File.missing.is_(False))
    if seen_before is not None:
        statement = statement.where(File.seen_at < seen_before)
    # Evaluating the criteria on every loaded row took seconds at 100,000 files.
    # Rows loaded in this scan were seen, so none of them changes.
    result = session.execute(statement.values(missing=True).execution_options(synchronize_session=False))
    return result.rowcount or 0


def add_single_file(session: Session, path: Path) -> File:
    """Register one image outside the library's folders (for a label or a prediction).

    Raises:
        UserInputError: the path is not a readable file.
    """
    path = normalise_root(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise UserInputError(f"image {path} cannot be read: {exc.strerror}; check the path") from exc
    if not path.is_file():
        raise UserInputError(f"{path} is not a file; give the path of an image")

    row = session.scalar(select(File).where(File.path == str(path)))
    if row is not None and row.size == info.st_size and row.mtime_ns == info.st_mtime_ns:
        row.missing = False
        return row
    try:
        row, _ = register_file(session, path, info, folder_id=None)
    except OSError as exc:
        raise UserInputError(f"image {path} cannot be read: {exc.strerror}; check the path") from exc
    session.flush()
    return row


def refresh_loose_files(session: Session) -> int:
    """Re-check files registered outside any folder (labeled on the fly).

    Returns:
        How many of them are missing now.
    """
    missing = 0
    for row in session.scalars(select(File).where(File.folder_id.is_(None))):
        present = Path(row.path).is_file()
        row.missing = not present
        missing += int(not present)
    session.commit()
    return missing


def remove_folder(session: Session, folder: Path) -> int:
    """Stop tracking a folder: forget its file paths, keep every photo's latents and labels.

    Photos stay keyed by content hash, so adding the folder again (or a copy
    of its photos elsewhere) finds their latents and labels without encoding.

    Returns:
        How many file paths were forgotten.

    Raises:
        UserInputError: the folder is not part of the library.
    """
    root = normalise_root(folder)
    record = session.scalar(select(Folder).where(Folder.path == str(root)))
    if record is None:
        raise UserInputError(f"folder {root} is not part of this library; nothing to remove")
    removed = session.execute(delete(File).where(File.folder_id == record.id)).rowcount or 0
    session.delete(record)
    session.commit()
    logger.info("removed folder %s from the library: %d file paths forgotten, photos and labels kept", root, removed)
    return removed
