"""Exports of a sorted library: CSV, photos copied or linked in rank order, contact sheet, XMP ratings.

The CLI and the app share these functions. The long ones are generators
that yield `ExportProgress` once with the total, then after each photo, and
stop early when `stop()` returns True. No export overwrites an existing file
or writes into an original photo.
"""

import csv
import errno
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from large_desktop.core import contact_sheet, xmp
from large_desktop.core.engine import average_ranks
from large_desktop.core.errors import UserInputError

logger = logging.getLogger(__name__)

COPY = "copy"
HARDLINK = "hardlink"
SYMLINK = "symlink"
PLACE_MODES = (COPY, HARDLINK, SYMLINK)

MAX_STARS = 5
MAX_NAME_BYTES = 255  # the file name limit of ext4, APFS and NTFS
MAX_COLLISION_SUFFIX = 10_000


class SortedRow(Protocol):
    """The fields of a sorted row that an export reads, as `core.library.SortRow` has them."""

    rank: int | None
    path: str
    score: float | None
    value: float | None
    status: str


class ExportProgress(NamedTuple):
    """Photos handled so far, out of total.

    `skipped` contains one user message per photo left out since the previous
    progress, so a caller that wants them all collects them.
    """

    done: int
    total: int
    skipped: tuple[str, ...] = ()


def _never() -> bool:
    return False


def ranked(rows: list[SortedRow]) -> list[SortedRow]:
    """Return the rows that have a rank, i.e. a score, in rank order."""
    return [row for row in rows if row.rank is not None]


# ----------------------------------------------------------------------- CSV

def write_csv(path: Path, rows: list[SortedRow]) -> int:
    """Write rank,path,score,value,status for every row; return the number of rows.

    Raises:
        UserInputError: the file cannot be written.
    """
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["rank", "path", "score", "value", "status"])
            for row in rows:
                writer.writerow([
                    row.rank if row.rank is not None else "",
                    row.path,
                    f"{row.score:.6f}" if row.score is not None else "",
                    f"{row.value:.4f}" if row.value is not None else "",
                    row.status,
                ])
    except OSError as exc:
        raise UserInputError(f"cannot write CSV file {path}: {exc.strerror}; choose another path") from exc
    logger.info("wrote %d rows to %s", len(rows), path)
    return len(rows)


# ------------------------------------------------------------ photos in order

def rank_prefixed_name(rank: int, width: int, name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Prefix a file name with its zero-padded rank, shortening the stem to fit `max_bytes`."""
    prefix = f"{rank:0{width}d}_"
    return prefix + _shortened(Path(name).stem, Path(name).suffix, max_bytes - len(prefix.encode()))


def _shortened(stem: str, tail: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Return stem + tail, dropping characters from the end of the stem until it fits `max_bytes`."""
    budget = max_bytes - len(tail.encode())
    while stem and len(stem.encode()) > budget:
        stem = stem[:-1]
    return stem + tail


def check_outside_library(folder: Path, library_folders: Iterable[str | Path]) -> None:
    """Reject an export folder that is one of the library's folders or lies inside one.

    The next scan would find the copies or links there and add them as extra
    paths of the same photos, so exports must go outside the library.

    Raises:
        UserInputError: the folder lies inside a library folder; names both.
    """
    for library_folder in sorted(map(str, library_folders)):
        if _inside(folder, Path(library_folder)):
            raise UserInputError(
                f"cannot export into {folder}: it lies inside the library folder {library_folder}, "
                "whose next scan would add the exported photos as extra copies; choose a folder outside the library"
            )


def _inside(folder: Path, parent: Path) -> bool:
    """Return whether folder is parent or lies below it, as written or with symlinks resolved."""
    child = Path(os.path.abspath(folder.expanduser()))
    root = Path(os.path.abspath(parent.expanduser()))
    return child.is_relative_to(root) or child.resolve().is_relative_to(root.resolve())


def place_photos(
    folder: Path,
    rows: list[SortedRow],
    mode: str = COPY,
    stop: Callable[[], bool] = _never,
    *,
    library_folders: Iterable[str | Path] = (),
) -> Iterator[ExportProgress]:
    """Copy, hard-link or symlink the ranked photos into a folder as `0001_name.jpg`, `0002_...`.

    An existing file is never replaced: the new one gets a free name such as
    `0001_name (2).jpg`. A photo that vanished since the last scan is skipped
    and reported in `skipped`.

    Args:
        library_folders: The folders the library scans (`Library.folder_paths()`);
            the export folder must lie outside all of them.

    Raises:
        UserInputError: the folder lies inside a library folder, cannot be
            created or written, or hard links cannot reach it from a photo's drive.
    """
    assert mode in PLACE_MODES, mode
    check_outside_library(folder, library_folders)
    rows = ranked(rows)
    width = max(4, len(str(len(rows))))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create folder {folder}: {exc.strerror}; choose another folder") from exc

    yield ExportProgress(0, len(rows))
    num_skipped = 0
    for done, row in enumerate(rows, start=1):
        if stop():
            logger.info("export to %s stopped after %d of %d photos", folder, done - 1, len(rows))
            return
        source = Path(row.path)
        if not source.is_file():
            num_skipped += 1
            yield ExportProgress(done, len(rows), (f"{source} vanished since the last scan; not exported",))
            continue
        target = _place_unique(source, folder, rank_prefixed_name(row.rank, width, source.name), mode)
        logger.debug("exported %s as %s", source, target)
        yield ExportProgress(done, len(rows))
    logger.info("exported %d photos to %s by %s, %d skipped", len(rows) - num_skipped, folder, mode, num_skipped)


def _place_unique(source: Path, folder: Path, name: str, mode: str) -> Path:
    """Create `name` in the folder (or `stem (n)suffix` if taken) from the source; return it."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for attempt in range(1, MAX_COLLISION_SUFFIX + 1):
        candidate = name if attempt == 1 else _shortened(stem, f" ({attempt}){suffix}")
        target = folder / candidate
        try:
            _place(source, target, mode)
            return target
        except FileExistsError:
            continue
        except OSError as exc:
            raise _place_error(source, target, mode, exc) from exc
    raise UserInputError(f"folder {folder} already contains {MAX_COLLISION_SUFFIX} files named like {name}; choose an empty folder")


def _place(source: Path, target: Path, mode: str) -> None:
    """Create target from source; FileExistsError if the name is taken, never overwriting."""
    if mode == HARDLINK:
        os.link(source, target)
    elif mode == SYMLINK:
        os.symlink(source.resolve(), target)
    else:
        # "xb" creates the file only if the name is free, atomically.
        with source.open("rb") as reader, target.open("xb") as writer:
            try:
                shutil.copyfileobj(reader, writer, length=1024 * 1024)
            except OSError:
                writer.close()
                target.unlink(missing_ok=True)
                raise
        shutil.copystat(source, target)


def _place_error(source: Path, target: Path, mode: str, exc: OSError) -> UserInputError:
    if exc.errno == errno.EXDEV:
        return UserInputError(f"cannot hard-link {source} into {target.parent}: they are on different drives; copy instead or choose a folder on the same drive")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UserInputError(f"cannot write {target}: {exc.strerror}; choose a folder you can write to")
    verb = {COPY: "copy", HARDLINK: "hard-link", SYMLINK: "symlink"}[mode]
    return UserInputError(f"cannot {verb} {source} to {target}: {exc.strerror}; check the disk or choose another folder")


# ------------------------------------------------------------- contact sheet

def write_contact_sheet(path: Path, rows: list[SortedRow], columns: int = 10) -> int:
    """Draw the first ranked photos as a grid with rank and score; return how many were drawn."""
    return contact_sheet.write_contact_sheet(path, ranked(rows), columns=columns)


# -------------------------------------------------------------- XMP ratings

def star_ratings(scores: np.ndarray) -> np.ndarray:
    """Map scores to 1 to 5 stars by quintile: the top fifth gets 5 stars, tied scores the same stars.

    Args:
        scores: Scores. # [N]

    Returns:
        Stars. # [N] int64
    """
    assert scores.ndim == 1, scores.shape
    if scores.size == 0:
        return np.zeros(0, dtype=np.int64)
    # The midpoint of each photo's rank interval, so a library of equal scores sits in the middle (3 stars).
    quantile = (average_ranks(scores) + 0.5) / scores.size  # [N] in (0, 1)
    return np.clip(1 + np.floor(quantile * MAX_STARS).astype(np.int64), 1, MAX_STARS)


def write_xmp_ratings(rows: list[SortedRow], stop: Callable[[], bool] = _never) -> Iterator[ExportProgress]:
    """Write each ranked photo's stars into its `.xmp` sidecar; photos are never opened for writing.

    A sidecar that cannot be parsed or written is left as it was and reported
    in `skipped`, and the export goes on with the next photo.
    """
    rows = ranked(rows)
    stars = star_ratings(np.array([row.score for row in rows], dtype=np.float64))
    yield ExportProgress(0, len(rows))
    num_skipped = 0
    for done, (row, rating) in enumerate(zip(rows, stars, strict=True), start=1):
        if stop():
            logger.info("XMP export stopped after %d of %d photos", done - 1, len(rows))
            return
        photo = Path(row.path)
        problem = None
        if not photo.is_file():
            problem = f"{photo} vanished since the last scan; no sidecar written"
        else:
            try:
                xmp.write_rating(photo, int(rating))
            except UserInputError as exc:
                logger.debug("no rating for %s: %s", photo, exc.message)
                problem = exc.message
        num_skipped += problem is not None
        yield ExportProgress(done, len(rows), (problem,) if problem else ())
    logger.info("wrote XMP ratings for %d photos, %d skipped", len(rows) - num_skipped, num_skipped)


def summarise_skipped(skipped: list[str], shown: int = 3) -> str:
    """Return the first few skip messages and how many more there are, for a one-line report."""
    if not skipped:
        return ""
    more = f" (and {len(skipped) - shown} more)" if len(skipped) > shown else ""
    return "; ".join(skipped[:shown]) + more
