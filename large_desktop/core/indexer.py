"""Pending photos → faces → latents, committed in small batches.

`encode_batch` is the pure per-batch step: (photo paths, pack) → (face boxes,
latents), with no database inside, so it can later run as a distributed map
stage. `index_pending` feeds it from the cache and writes each batch in one
transaction, so a kill loses at most the batch in flight and a re-run resumes
with the photos that have no status row yet.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from large_desktop.core.cache.schema import File, Item, Latent, PackRecord, PhotoStatus
from large_desktop.core.cache.store import describe_sqlite_error
from large_desktop.core.errors import DatabaseError, ImageDecodeError
from large_desktop.core.ffhq_align import FaceTooSmallError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import ImageMissingError, center_square, decode_image
from large_desktop.core.packs.base import Pack

logger = logging.getLogger(__name__)

BATCH_SIZE = 16  # photos per transaction
MAX_FACES_PER_PHOTO = 32  # a crowd photo keeps its largest faces only
DECODE_MAX_SIDE = 2048  # detection and alignment run on at most this long side


@dataclass
class FaceResult:
    """One encoded face in original-photo pixel coordinates."""

    box: tuple[int, int, int, int]
    confidence: float
    latent: np.ndarray  # [L, D] float32


@dataclass
class PhotoResult:
    """The outcome of one photo: "done", "no_face", "failed" or "missing"."""

    photo_id: int
    path: Path
    status: str
    error: str | None = None
    size: tuple[int, int] | None = None
    faces: list[FaceResult] = field(default_factory=list)


@dataclass(frozen=True)
class IndexProgress:
    """Photos finished so far out of those pending when indexing started."""

    done: int
    total: int
    faces: int
    failed: int
    missing: int = 0  # vanished between the scan and the decode; still pending


def encode_batch(jobs: list[tuple[int, Path]], pack: Pack, detector: FaceDetector | None) -> list[PhotoResult]:
    """Decode, detect, align and encode one batch of photos.

    Per-photo problems become a status on that photo; only bugs raise.
    """
    results: list[PhotoResult] = []
    crops: list[np.ndarray] = []
    owners: list[tuple[PhotoResult, tuple[int, int, int, int], float]] = []

    for photo_id, path in jobs:
        try:
            decoded = decode_image(path, max_side=DECODE_MAX_SIDE)
        except ImageMissingError as exc:
            results.append(PhotoResult(photo_id, path, "missing", error=exc.message))
            continue
        except ImageDecodeError as exc:
            logger.debug("photo %d at %s failed to decode: %s", photo_id, path, exc.message)
            results.append(PhotoResult(photo_id, path, "failed", error=exc.message))
            continue

        result = PhotoResult(photo_id, path, "done", size=decoded.original_size)
        results.append(result)
        if detector is None:
            # A whole-photo pack encodes one item per photo: the central square.
            crops.append(center_square(decoded.pixels, int(pack.manifest.input["size"])))
            width, height = decoded.original_size
            owners.append((result, (0, 0, width, height), 1.0))
            continue

        try:
            faces = detector.detect(decoded.pixels)[:MAX_FACES_PER_PHOTO]
        except RuntimeError as exc:
            # dlib raises RuntimeError on inputs its detectors cannot handle.
            logger.warning("face detection failed on photo %d at %s: %s", photo_id, path, exc)
            result.status, result.error = "failed", f"face detection failed on {path}: {exc}"
            continue
        if not faces:
            result.status = "no_face"
            continue
        too_small: list[str] = []
        for face in faces:
            try:
                crops.append(align(decoded.pixels, face, pack.alignment))
            except FaceTooSmallError as exc:
                # One tiny face in a group photo must not stop the photo or the run.
                too_small.append(exc.message)
                continue
            box = tuple(int(round(v / decoded.scale)) for v in face.box)
            owners.append((result, box, face.confidence))
        if too_small and len(too_small) == len(faces):
            logger.debug("photo %d at %s: every face is too small for %s", photo_id, path, pack.alignment)
            result.status, result.error = "no_face", too_small[0]

    latents = pack.encode(crops)  # [F, L, D]
    for (result, box, confidence), latent in zip(owners, latents):
        result.faces.append(FaceResult(box=box, confidence=confidence, latent=latent))
    return results


def ensure_pack_record(session: Session, pack: Pack) -> None:
    """Record the pack in the library so status and item rows can refer to it."""
    if session.get(PackRecord, pack.id) is None:
        rows, dim = pack.latent_shape
        session.add(PackRecord(id=pack.id, name=pack.manifest.name, version=pack.manifest.version, num_rows=rows, row_dim=dim))
        session.commit()


def pending_jobs(session: Session, pack_id: str) -> list[tuple[int, Path]]:
    """Photos with a present file and no status row for the pack, one path each."""
    has_status = exists().where(PhotoStatus.photo_id == File.photo_id, PhotoStatus.pack_id == pack_id)
    rows = session.execute(
        select(File.photo_id, func.min(File.path))
        .where(File.missing.is_(False), ~has_status)
        .group_by(File.photo_id)
        .order_by(File.photo_id)
    )
    return [(photo_id, Path(path)) for photo_id, path in rows]


def write_results(session: Session, pack: Pack, results: list[PhotoResult]) -> None:
    """Store one batch's items, latents and statuses in one transaction."""
    for result in results:
        if result.status == "missing":
            # The file vanished after the scan: leave the photo pending so it
            # is indexed when the file is back.
            for row in session.scalars(select(File).where(File.path == str(result.path))):
                row.missing = True
            continue

        session.execute(delete(Item).where(Item.photo_id == result.photo_id, Item.pack_id == pack.id))
        for index, face in enumerate(result.faces):
            item = Item(
                photo_id=result.photo_id, pack_id=pack.id, face_index=index,
                left=face.box[0], top=face.box[1], right=face.box[2], bottom=face.box[3],
                confidence=face.confidence,
            )
            rows, dim = face.latent.shape
            item.latent = Latent(num_rows=rows, row_dim=dim, data=face.latent.astype("<f4").tobytes())
            session.add(item)

        width, height = result.size if result.size else (None, None)
        session.merge(PhotoStatus(
            photo_id=result.photo_id, pack_id=pack.id, status=result.status,
            error=result.error, width=width, height=height,
        ))
    session.commit()


def index_pending(
    session: Session,
    pack: Pack,
    db_path: Path,
    batch_size: int = BATCH_SIZE,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[IndexProgress]:
    """Index every pending photo, yielding progress after each committed batch.

    `stop` is checked between batches, so cancelling finishes the batch in
    flight and leaves the rest pending.

    Raises:
        DatabaseError: a batch could not be written (disk full, read-only);
            every earlier batch stays committed.
    """
    ensure_pack_record(session, pack)
    detector = FaceDetector() if pack.manifest.domain == "face" else None
    jobs = pending_jobs(session, pack.id)
    total = len(jobs)
    done = faces = failed = missing = 0
    logger.info("indexing %d pending photos with pack %s", total, pack.id)
    yield IndexProgress(done, total, faces, failed)

    for start in range(0, total, batch_size):
        if stop():
            logger.info("indexing stopped after %d of %d photos", done, total)
            return
        batch = jobs[start:start + batch_size]
        results = encode_batch(batch, pack, detector)
        try:
            write_results(session, pack, results)
        except OperationalError as exc:
            session.rollback()
            raise DatabaseError(describe_sqlite_error(exc, db_path)) from exc

        done += len(batch)
        faces += sum(len(result.faces) for result in results)
        failed += sum(result.status == "failed" for result in results)
        missing += sum(result.status == "missing" for result in results)
        yield IndexProgress(done, total, faces, failed, missing)

    logger.info("indexed %d photos with pack %s: %d faces, %d failed", done, pack.id, faces, failed)
