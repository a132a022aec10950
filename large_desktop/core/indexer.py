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


@dataclass
class PreparedPhoto:
    """A decoded photo's aligned crops, waiting for the encoder.

    `crops[i]` belongs to the face at `boxes[i]` (original-photo pixels).
    """

    result: PhotoResult
    crops: list[np.ndarray] = field(default_factory=list)
    boxes: list[tuple[tuple[int, int, int, int], float]] = field(default_factory=list)


def prepare_photo(photo_id: int, path: Path, pack: Pack, detector: FaceDetector | None) -> PreparedPhoto:
    """Decode, detect and align one photo: the CPU part that feeds the encoder.

    It touches no database and no encoder weights, so several threads can run
    it at once, each with its own `detector` (dlib objects are not thread-safe).
    Per-photo problems become a status on the result; only bugs raise.
    """
    try:
        decoded = decode_image(path, max_side=DECODE_MAX_SIDE)
    except ImageMissingError as exc:
        return PreparedPhoto(PhotoResult(photo_id, path, "missing", error=exc.message))
    except ImageDecodeError as exc:
        logger.debug("photo %d at %s failed to decode: %s", photo_id, path, exc.message)
        return PreparedPhoto(PhotoResult(photo_id, path, "failed", error=exc.message))

    prepared = PreparedPhoto(PhotoResult(photo_id, path, "done", size=decoded.original_size))
    if detector is None:
        # A whole-photo pack encodes one item per photo: the central square.
        prepared.crops.append(center_square(decoded.pixels, int(pack.manifest.input["size"])))
        width, height = decoded.original_size
        prepared.boxes.append(((0, 0, width, height), 1.0))
        return prepared

    try:
        faces = detector.detect(decoded.pixels)[:MAX_FACES_PER_PHOTO]
    except RuntimeError as exc:
        # dlib raises RuntimeError on inputs its detectors cannot handle.
        logger.warning("face detection failed on photo %d at %s: %s", photo_id, path, exc)
        prepared.result.status, prepared.result.error = "failed", f"face detection failed on {path}: {exc}"
        return prepared
    if not faces:
        prepared.result.status = "no_face"
        return prepared
    too_small: list[str] = []
    for face in faces:
        try:
            prepared.crops.append(align(decoded.pixels, face, pack.alignment))
        except FaceTooSmallError as exc:
            # One tiny face in a group photo must not stop the photo or the run.
            too_small.append(exc.message)
            continue
        box = tuple(int(round(v / decoded.scale)) for v in face.box)
        prepared.boxes.append((box, face.confidence))
    if len(too_small) == len(faces):
        logger.debug("photo %d at %s: every face is too small for %s", photo_id, path, pack.alignment)
        prepared.result.status, prepared.result.error = "no_face", too_small[0]
    return prepared


def encode_prepared(prepared: list[PreparedPhoto], pack: Pack) -> list[PhotoResult]:
    """Encode the crops of prepared photos in one encoder call and attach the latents."""
    crops = [crop for photo in prepared for crop in photo.crops]
    owners = [(photo.result, box, confidence) for photo in prepared for box, confidence in photo.boxes]
    latents = pack.encode(crops) if crops else np.zeros((0, *pack.latent_shape), dtype=np.float32)  # [F, L, D]
    for (result, box, confidence), latent in zip(owners, latents):
        result.faces.append(FaceResult(box=box, confidence=confidence, latent=latent))
    return [photo.result for photo in prepared]


def encode_batch(jobs: list[tuple[int, Path]], pack: Pack, detector: FaceDetector | None) -> list[PhotoResult]:
    """Decode, detect, align and encode one batch of photos.

    Per-photo problems become a status on that photo; only bugs raise.
    """
    return encode_prepared([prepare_photo(photo_id, path, pack, detector) for photo_id, path in jobs], pack)


def ensure_pack_record(session: Session, pack: Pack) -> None:
    """Record the pack in the library so status and item rows can refer to it.

    When the library contains latents of another version (or shape) of the same
    pack id, they are dropped so every photo is encoded again: codes of two
    encoder versions do not share a latent space and must not be mixed.
    Labels are kept, since they belong to photos, not to latents.
    """
    rows, dim = pack.latent_shape
    record = session.get(PackRecord, pack.id)
    if record is None:
        session.add(PackRecord(id=pack.id, name=pack.manifest.name, version=pack.manifest.version, num_rows=rows, row_dim=dim))
        session.commit()
        return
    if (record.version, record.num_rows, record.row_dim) == (pack.manifest.version, rows, dim):
        return

    stale_items = select(Item.id).where(Item.pack_id == pack.id)
    session.execute(delete(Latent).where(Latent.item_id.in_(stale_items)))
    dropped = session.execute(delete(Item).where(Item.pack_id == pack.id)).rowcount
    session.execute(delete(PhotoStatus).where(PhotoStatus.pack_id == pack.id))
    logger.warning(
        "pack %s changed from version %s (%dx%d) to %s (%dx%d); dropped %d stored latents, every photo is encoded again",
        pack.id, record.version, record.num_rows, record.row_dim, pack.manifest.version, rows, dim, dropped,
    )
    record.name, record.version, record.num_rows, record.row_dim = pack.manifest.name, pack.manifest.version, rows, dim
    session.commit()


def pending_jobs(
    session: Session,
    pack_id: str,
    *,
    priority: list[int] | None = None,
    exclude: set[int] | None = None,
    limit: int | None = None,
) -> list[tuple[int, Path]]:
    """Photos with a present file and no status row for the pack, one path each.

    Args:
        priority: photo ids to return first (the rows a user is looking at),
            in the given order; the rest follow by photo id.
        exclude: photo ids to leave out (photos whose results are being written).
        limit: at most this many jobs.
    """
    has_status = exists().where(PhotoStatus.photo_id == File.photo_id, PhotoStatus.pack_id == pack_id)
    query = (
        select(File.photo_id, func.min(File.path))
        .where(File.missing.is_(False), ~has_status)
        .group_by(File.photo_id)
    )
    if exclude:
        query = query.where(File.photo_id.not_in(sorted(exclude)))

    jobs: list[tuple[int, Path]] = []
    if priority:
        wanted = [photo_id for photo_id in dict.fromkeys(priority) if not exclude or photo_id not in exclude]
        # SQLite allows 32,766 bound parameters; a screenful of rows is far below that.
        found = dict(session.execute(query.where(File.photo_id.in_(wanted[:10_000]))).all())
        jobs = [(photo_id, Path(found[photo_id])) for photo_id in wanted if photo_id in found]
        if limit is not None and len(jobs) >= limit:
            return jobs[:limit]
        query = query.where(File.photo_id.not_in([photo_id for photo_id, _ in jobs])) if jobs else query

    rest = query.order_by(File.photo_id)
    if limit is not None:
        rest = rest.limit(limit - len(jobs))
    jobs.extend((photo_id, Path(path)) for photo_id, path in session.execute(rest))
    return jobs


def count_pending(session: Session, pack_id: str) -> int:
    """Count the photos with a present file and no status row for the pack."""
    has_status = exists().where(PhotoStatus.photo_id == File.photo_id, PhotoStatus.pack_id == pack_id)
    return session.scalar(select(func.count(func.distinct(File.photo_id))).where(File.missing.is_(False), ~has_status)) or 0


def reset_failed(session: Session, pack_id: str) -> int:
    """Make every photo that failed with the pack pending again; return how many.

    Photos without a face stay as they are: retrying cannot find one.
    """
    result = session.execute(delete(PhotoStatus).where(PhotoStatus.pack_id == pack_id, PhotoStatus.status == "failed"))
    session.commit()
    return result.rowcount or 0


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
