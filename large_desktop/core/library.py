"""One facade over a library: scan, index, attributes, labels, sort, predict.

The CLI and the GUI both drive the core through this class. It owns the
session factory of one database and one pack; each public method is one unit
of work with its own session. Attribute and label methods live in
`labels.AttributeLabels`, which this class includes.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from large_desktop.core import engine
from large_desktop.core.cache.schema import File, Folder, Item, Latent, PackRecord, Photo, PhotoStatus
from large_desktop.core.cache.store import describe_sqlite_error, open_database
from large_desktop.core.errors import DatabaseError, UserInputError
from large_desktop.core.faces import FaceDetector
from large_desktop.core.file_lock import file_lock
from large_desktop.core.indexer import (
    IndexProgress,
    PhotoResult,
    count_pending,
    encode_batch,
    ensure_pack_record,
    index_pending,
    pending_jobs,
    reset_failed,
    write_results,
)
from large_desktop.core.labels import AttributeLabels, attribute_name
from large_desktop.core.packs import DEFAULT_PACK_ID, Pack, load_pack
from large_desktop.core.packs.direction_files import load_direction_file
from large_desktop.core.packs.direction_store import load_named_direction
from large_desktop.core.scan import (
    ScanProgress,
    add_single_file,
    content_hash,
    normalise_root,
    refresh_loose_files,
    remove_folder,
    scan_folder,
)


logger = logging.getLogger(__name__)

LATENT_CHUNK_ITEMS = 1024  # latent blobs read from SQLite at a time while loading the index (38 MB of W+)
DAMAGED_LATENTS_LOGGED = 10  # damaged latents named one by one in the log, and the rest only counted


@dataclass
class PreparedImage:
    """An image from outside the library, hashed and encoded but not stored yet."""

    path: Path
    digest: str  # content hash
    result: PhotoResult | None  # None when the library already had this content


@dataclass(frozen=True, eq=False)
class LatentIndex:
    """The largest face's latent of every indexed photo, projected for fast scoring."""

    photo_ids: np.ndarray  # [N] int64
    basis: engine.PrincipalBasis
    coords: np.ndarray  # [N, K] float32

    @cached_property
    def _row_of(self) -> dict[int, int]:
        return {int(photo_id): row for row, photo_id in enumerate(self.photo_ids)}

    def rows_of(self, photo_ids: list[int]) -> np.ndarray:
        return np.array([self._row_of[photo_id] for photo_id in photo_ids], dtype=np.int64)

    def __contains__(self, photo_id: int) -> bool:
        return photo_id in self._row_of


@dataclass(frozen=True)
class SortRow:
    """One photo in a sorted listing; score and value are None without a face."""

    rank: int | None
    photo_id: int
    path: str
    score: float | None
    value: float | None
    status: str  # "done", "no_face", "failed" or "pending"


@dataclass(frozen=True)
class SortResult:
    """A sorted library with what produced the order."""

    rows: list[SortRow]
    direction: engine.Direction
    num_labels: int
    calibration: engine.Calibration | None
    loo_error: float | None


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of every indexed photo for one attribute, in photo id order.

    Photos whose files are missing now are included; a view shows the ones it lists.
    """

    attribute: str
    photo_ids: np.ndarray  # [N] int64, ascending
    scores: np.ndarray  # [N] float64
    predicted: np.ndarray | None  # [N] float64 values; None without two distinct numeric labels
    num_labels: int
    loo_error: float | None
    estimator: str
    direction: engine.Direction



@dataclass(frozen=True)
class PhotoListing:
    """Every photo with a file path in the library, in library order (by path).

    The arrays and lists are parallel: row i describes photo `photo_ids[i]`.
    `statuses` contains "done", "no_face", "failed", "pending" or "missing"
    (every file of the photo is gone); `errors` the reason of a failure.
    """

    photo_ids: np.ndarray  # [N] int64
    paths: list[str]
    content_hashes: list[str]
    statuses: list[str]
    errors: list[str | None]

    def __len__(self) -> int:
        return len(self.paths)


@dataclass(frozen=True)
class Prediction:
    path: Path
    score: float | None
    value: float | None
    status: str



# Every photo with a file: its first path, and whether all of its files are missing.
_LISTING_SQL = """
SELECT f.photo_id, f.path, p.content_hash, f.missing, s.status, s.error
FROM (SELECT photo_id, min(path) AS path, min(missing) AS missing FROM files GROUP BY photo_id) AS f
JOIN photos AS p ON p.id = f.photo_id
LEFT JOIN photo_status AS s ON s.photo_id = f.photo_id AND s.pack_id = ?
ORDER BY f.path
"""


class Library(AttributeLabels):
    """A photo library in one SQLite file, indexed with one pack."""

    def __init__(self, db_path: Path, pack_id: str | None = None) -> None:
        self.db_path = db_path.expanduser()
        self._sessions = open_database(self.db_path)
        self.pack_id = pack_id or self._stored_pack_id()
        self._index: LatentIndex | None = None

    def _stored_pack_id(self) -> str:
        """Return the pack the library was indexed with: the default among several, else the first."""
        with self.session() as session:
            stored = sorted(session.scalars(select(PackRecord.id)).all())
        if not stored or DEFAULT_PACK_ID in stored:
            return DEFAULT_PACK_ID
        if len(stored) > 1:
            logger.info("library %s contains latents of packs %s; using %s (choose another with --pack)", self.db_path, stored, stored[0])
        return stored[0]

    @cached_property
    def pack(self) -> Pack:
        return load_pack(self.pack_id)

    @cached_property
    def detector(self) -> FaceDetector | None:
        return FaceDetector() if self.pack.manifest.domain == "face" else None

    def session(self) -> Session:
        return self._sessions()

    def _write_failed(self, exc: OperationalError) -> DatabaseError:
        return DatabaseError(describe_sqlite_error(exc, self.db_path))

    # ---------------------------------------------------------------- indexing

    def scan(self, folders: list[Path], stop: Callable[[], bool] = lambda: False) -> Iterator[ScanProgress]:
        """Scan folders for new, changed and missing photos."""
        with self.session() as session:
            try:
                for folder in folders:
                    yield from scan_folder(session, folder, stop)
                    if stop():
                        return
                refresh_loose_files(session)
            except OperationalError as exc:
                session.rollback()
                raise self._write_failed(exc) from exc

    def index(self, stop: Callable[[], bool] = lambda: False) -> Iterator[IndexProgress]:
        """Encode every pending photo with the library's pack."""
        pack = self.pack
        with self.session() as session:
            yield from index_pending(session, pack, self.db_path, stop=stop)
        self._index = None

    @property
    def index_lock_path(self) -> Path:
        """The file whose advisory lock one indexing process holds at a time."""
        return self.db_path.with_name(self.db_path.name + ".index-lock")

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Take the library's indexing lock, so two scans never race on one database.

        Raises:
            UserInputError: another process has the lock.
        """
        with file_lock(self.index_lock_path, blocking=False) as taken:
            if not taken:
                raise UserInputError(f"another process is already indexing {self.db_path}; wait for it to finish")
            yield

    def latent_index(self) -> LatentIndex:
        """Load (once) the largest face's latent of every indexed photo.

        A damaged latent is left out, and its photo is made pending so the next index run encodes it again.
        """
        if self._index is not None:
            return self._index

        # The latents are read twice in chunks, once for the basis and once for
        # the projection, because 100,000 W+ latents as float32 [N, 18, 512]
        # would take 3.7 GB. Only the coordinates [N, K] are kept.
        query = (
            select(Item.photo_id, Latent.num_rows, Latent.row_dim, Latent.data)
            .join(Latent, Latent.item_id == Item.id)
            .where(Item.pack_id == self.pack_id, Item.face_index == 0)
            .order_by(Item.photo_id)
        )
        damaged: list[int] = []
        with self.session() as session:
            first = session.execute(query.limit(1)).first()
            if first is None:
                raise UserInputError(f"the library {self.db_path} has no indexed faces for pack {self.pack_id}; run `large-desktop index FOLDER` first")
            record = session.get(PackRecord, self.pack_id)
            latent_shape = (record.num_rows, record.row_dim) if record is not None else (first.num_rows, first.row_dim)

            # The fit reads every row, so it finds every damaged latent.
            fit_items = engine.fit_sample_size(latent_shape[0] * latent_shape[1])
            chunks = (latents for _, latents in self._latent_chunks(session, query, latent_shape, damaged=damaged))
            try:
                basis = engine.PrincipalBasis.fit(chunks, max_fit_items=fit_items)
            except UserInputError:
                basis = None  # every latent is damaged

            photo_ids, coords = [np.zeros(0, dtype=np.int64)], []
            if basis is not None:
                coords.append(np.zeros((0, basis.num_components), dtype=np.float32))
                for chunk_ids, latents in self._latent_chunks(session, query, latent_shape):
                    photo_ids.append(chunk_ids)
                    coords.append(basis.project(latents))
        if len(damaged) > DAMAGED_LATENTS_LOGGED:
            logger.warning("skipped %d more damaged latents in %s", len(damaged) - DAMAGED_LATENTS_LOGGED, self.db_path)
        if damaged:
            self._encode_again(damaged)
        if basis is None:
            raise UserInputError(
                f"all {len(damaged)} stored latents of pack {self.pack_id} in {self.db_path} are damaged; "
                "run `large-desktop index FOLDER` to encode those photos again"
            )

        # A photo indexed between the two passes is projected on a basis fitted without it, like any later photo.
        self._index = LatentIndex(photo_ids=np.concatenate(photo_ids), basis=basis, coords=np.concatenate(coords))
        logger.info("loaded %d latents of pack %s from %s (%d components, basis fitted on at most %d)",
                    len(self._index.photo_ids), self.pack_id, self.db_path, basis.num_components, fit_items)
        return self._index

    def _latent_chunks(
        self, session: Session, query: Select, latent_shape: tuple[int, int], damaged: list[int] | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (photo ids [n], latents [n, L, D] float32) chunk by chunk, in photo id order.

        A damaged latent (another shape, a blob of the wrong length, a value
        that is not a blob, or NaN or infinite numbers) is skipped, so one
        bad row leaves the others sortable. With `damaged` given, its photo
        id is appended there and a warning is logged.
        """
        expected_bytes = 4 * latent_shape[0] * latent_shape[1]
        result = session.execute(query.execution_options(yield_per=LATENT_CHUNK_ITEMS))
        for rows in result.partitions():
            usable, problems = [], []
            for row in rows:
                if not isinstance(row.data, bytes):
                    problems.append((row.photo_id, f"a {type(row.data).__name__} value instead of a blob"))
                elif (row.num_rows, row.row_dim) != latent_shape or len(row.data) != expected_bytes:
                    problems.append((row.photo_id, f"shape ({row.num_rows}, {row.row_dim}) with {len(row.data)} bytes, "
                                                   f"expected {latent_shape} with {expected_bytes}"))
                else:
                    usable.append(row)

            latents = np.zeros((0, *latent_shape), dtype=np.float32)
            if usable:
                latents = np.stack([np.frombuffer(row.data, dtype="<f4").reshape(latent_shape) for row in usable])
            finite = np.isfinite(latents).all(axis=(1, 2))  # [n]
            problems += [(row.photo_id, "NaN or infinite numbers") for row, ok in zip(usable, finite) if not ok]

            if damaged is not None:
                for photo_id, problem in problems:
                    damaged.append(photo_id)
                    if len(damaged) <= DAMAGED_LATENTS_LOGGED:
                        logger.warning("skipping the latent of photo %d in %s: %s", photo_id, self.db_path, problem)
            if usable and finite.all():
                yield np.array([row.photo_id for row in usable], dtype=np.int64), latents  # no copy in the usual case
            elif finite.any():
                photo_ids = np.array([row.photo_id for row, ok in zip(usable, finite) if ok], dtype=np.int64)
                yield photo_ids, latents[finite]

    def _encode_again(self, photo_ids: list[int]) -> None:
        """Make photos with damaged latents pending, so the next index run encodes them again."""
        try:
            with self.session() as session:
                for start in range(0, len(photo_ids), 10_000):  # SQLite allows 32,766 bound parameters
                    chunk = photo_ids[start:start + 10_000]
                    session.execute(
                        delete(PhotoStatus).where(PhotoStatus.pack_id == self.pack_id, PhotoStatus.photo_id.in_(chunk))
                    )
                session.commit()
        except OperationalError as exc:
            # A read-only or locked library still sorts, and the photos stay unscored until it can be written.
            logger.warning("cannot mark %d photos of %s (first ids %s) for encoding again: %s",
                           len(photo_ids), self.db_path, photo_ids[:10], exc)
            return
        logger.info("%d photos of %s (first ids %s) will be encoded again by the next index run",
                    len(photo_ids), self.db_path, photo_ids[:10])

    def encode_image(self, image: Path) -> PhotoResult:
        """Decode and encode one image in memory, without touching the database.

        Raises:
            UserInputError: the path is not a readable file.
        """
        path = normalise_root(image)
        if not path.is_file():
            raise UserInputError(f"image {path} not found or not a file; check the path")
        return encode_batch([(0, path)], self.pack, self.detector)[0]

    def prepare_image(self, image: Path) -> PreparedImage:
        """Hash and encode one image from anywhere without storing it: the slow half of `index_image`.

        Raises:
            UserInputError: the image is missing, cannot be decoded or has no face.
        """
        path = normalise_root(image)
        try:
            digest = content_hash(path)
        except OSError as exc:
            raise UserInputError(f"image {path} cannot be read: {exc.strerror}; check the path") from exc
        with self.session() as session:
            known = self._known_status(session, digest)
        if known is not None:
            if known[1] != "done":
                raise UserInputError(_unusable_message(path, known[1], None))
            return PreparedImage(path, digest, None)

        result = self.encode_image(path)
        if result.status != "done":
            raise UserInputError(_unusable_message(path, result.status, result.error))
        return PreparedImage(path, digest, result)

    def add_prepared(self, prepared: PreparedImage) -> int:
        """Store a prepared image and register its file (the quick half of `index_image`), and return its photo id.

        Nothing is stored unless the image had a face (or, for photo packs,
        decoded), so a mistyped label leaves no trace in the library.

        Raises:
            UserInputError: the photo became unusable, or left the library since it was prepared.
            DatabaseError: the library cannot be written.
        """
        with self.session() as session:
            try:
                return self._store_prepared(session, prepared)
            except OperationalError as exc:
                raise self._write_failed(exc) from exc

    def _known_status(self, session: Session, digest: str) -> tuple[int, str] | None:
        """Return (photo id, status) of the photo with this content hash, or None when the library lacks it."""
        known = session.execute(
            select(Photo.id, PhotoStatus.status)
            .join(PhotoStatus, PhotoStatus.photo_id == Photo.id)
            .where(Photo.content_hash == digest, PhotoStatus.pack_id == self.pack_id)
        ).first()
        return None if known is None else (known[0], known[1])

    def _store_prepared(self, session: Session, prepared: PreparedImage) -> int:
        # Checked again, because another write may have added or removed the same content since the image was prepared.
        known = self._known_status(session, prepared.digest)
        if known is not None:
            photo_id, status = known
            if status != "done":
                raise UserInputError(_unusable_message(prepared.path, status, None))
            self._add_unchanged_file(session, prepared)
            session.commit()
            return photo_id
        if prepared.result is None:
            raise UserInputError(f"image {prepared.path} left the library while it was being added; add it again")

        file_row = self._add_unchanged_file(session, prepared)
        ensure_pack_record(session, self.pack)
        prepared.result.photo_id = file_row.photo_id
        write_results(session, self.pack, [prepared.result])
        self._index = None
        return file_row.photo_id

    def _add_unchanged_file(self, session: Session, prepared: PreparedImage) -> File:
        """Register the prepared image's file, checking that its content is still the one that was encoded.

        Raises:
            UserInputError: the file was changed or replaced since it was prepared; nothing is written.
        """
        file_row = add_single_file(session, prepared.path)
        if session.get(Photo, file_row.photo_id).content_hash != prepared.digest:
            session.rollback()
            raise UserInputError(f"image {prepared.path} changed while it was being added; add it again")
        return file_row

    def folder_paths(self) -> set[str]:
        """Return the folders this library has scanned, as stored."""
        with self.session() as session:
            return set(session.scalars(select(Folder.path)))

    def folders(self) -> list[tuple[str, bool]]:
        """Return every folder of the library with whether it is missing, sorted by path."""
        with self.session() as session:
            return [(row.path, row.missing) for row in session.scalars(select(Folder).order_by(Folder.path))]

    def remove_folder(self, folder: Path) -> int:
        """Stop tracking a folder; its photos' latents and labels stay. Returns the paths forgotten."""
        with self.session() as session:
            try:
                return remove_folder(session, folder)
            except OperationalError as exc:
                session.rollback()
                raise self._write_failed(exc) from exc

    def retry_failed(self) -> int:
        """Make photos that failed to decode pending again; return how many."""
        with self.session() as session:
            try:
                count = reset_failed(session, self.pack_id)
            except OperationalError as exc:
                session.rollback()
                raise self._write_failed(exc) from exc
        logger.info("reset %d failed photos of pack %s to pending", count, self.pack_id)
        return count

    def pending(self, *, priority: list[int] | None = None, exclude: set[int] | None = None, limit: int | None = None) -> list[tuple[int, Path]]:
        """Return photos still to index with the library's pack, `priority` ids first."""
        with self.session() as session:
            return pending_jobs(session, self.pack_id, priority=priority, exclude=exclude, limit=limit)

    def pending_count(self) -> int:
        with self.session() as session:
            return count_pending(session, self.pack_id)

    def write_batch(self, results: list[PhotoResult]) -> None:
        """Store one encoded batch in one transaction (see `indexer.write_results`).

        Raises:
            DatabaseError: the batch could not be written; nothing of it is stored.
        """
        pack = self.pack
        with self.session() as session:
            try:
                ensure_pack_record(session, pack)
                write_results(session, pack, results)
            except OperationalError as exc:
                session.rollback()
                raise self._write_failed(exc) from exc
        self._index = None

    def listing(self) -> PhotoListing:
        """Return every photo that has a file path, ordered by its first path."""
        # Plain SQL on the driver's cursor, because ORM rows cost time: at 100,000
        # photos on two busy CPU cores this took 0.33-0.55 s, the ORM query 0.45-0.74 s.
        with self.session() as session:
            cursor = session.connection().connection.driver_connection.cursor()
            try:
                rows = cursor.execute(_LISTING_SQL, (self.pack_id,)).fetchall()
            finally:
                cursor.close()
        if not rows:
            return PhotoListing(np.zeros(0, dtype=np.int64), [], [], [], [])
        photo_ids, paths, hashes, all_missing, statuses, errors = (list(column) for column in zip(*rows))
        for row, missing in enumerate(all_missing):
            if missing:
                statuses[row] = "missing"
            elif statuses[row] is None:
                statuses[row] = "pending"
        return PhotoListing(
            photo_ids=np.array(photo_ids, dtype=np.int64),
            paths=paths,
            content_hashes=hashes,
            statuses=statuses,
            errors=errors,
        )

    def index_image(self, image: Path) -> int:
        """Add one image from anywhere to the library, indexing it now; return its photo id.

        Raises:
            UserInputError: as `prepare_image` and `add_prepared`.
            DatabaseError: the library cannot be written.
        """
        return self.add_prepared(self.prepare_image(image))

    # ----------------------------------------------------------------- scoring

    def _labeled_values(self, session: Session, name: str, index: LatentIndex) -> tuple[list[int], np.ndarray, list[int], np.ndarray]:
        """Turn an attribute's labels into regression targets.

        "low"/"high" become the smallest/largest numeric label, one below and
        one above a single number, and 0 and 1 when there are no numbers. Returns the photo ids and values used for the
        direction, then those with numbers for the calibration.
        """
        attribute = self._attribute(session, name)
        name, labels = attribute.name, attribute.labels
        numeric = [(label.photo_id, label.value) for label in labels if label.kind == "value"]
        numbers = [value for _, value in numeric]
        if len(set(numbers)) >= 2:
            low, high = min(numbers), max(numbers)
        elif numbers:
            low, high = numbers[0] - 1.0, numbers[0] + 1.0  # one number: the words sit on either side of it
        else:
            low, high = 0.0, 1.0
        word_value = {"low": low, "high": high}

        usable = [(label.photo_id, label.value if label.kind == "value" else word_value[label.kind]) for label in labels if label.photo_id in index]
        skipped = len(labels) - len(usable)
        if skipped:
            logger.info("attribute %r: %d labeled photos have no indexed face and are not used", name, skipped)
        if len(usable) < 2 or len({value for _, value in usable}) < 2:
            # A labeled photo without a latent may only be waiting for the indexer (a new or a damaged latent).
            waiting = ", or run `large-desktop index FOLDER` to encode the labeled photos that wait for it" if skipped else ""
            raise UserInputError(
                f"attribute {name!r} has {len(usable)} usable labels ({skipped} on photos without an indexed face); "
                f"label at least one photo 'low' and one 'high', e.g. `large-desktop label {name} PHOTO low`{waiting}"
            )

        calibrated = [(photo_id, value) for photo_id, value in numeric if photo_id in index]
        return (
            [photo_id for photo_id, _ in usable], np.array([value for _, value in usable], dtype=np.float64),
            [photo_id for photo_id, _ in calibrated], np.array([value for _, value in calibrated], dtype=np.float64),
        )

    def direction_for(
        self,
        name: str | None = None,
        component: int | None = None,
        direction_file: Path | None = None,
        direction_name: str | None = None,
    ) -> tuple[engine.Direction, engine.Calibration | None, float | None, int]:
        """Build the direction to sort by: from labels, a principal component, a file or a named direction of the pack."""
        index = self.latent_index()
        if direction_file is not None:
            return load_direction_file(direction_file, self.pack.latent_shape), None, None, 0
        if direction_name is not None:
            return load_named_direction(self.pack.manifest, direction_name), None, None, 0
        if component is not None:
            if not 1 <= component <= index.basis.components.shape[0]:
                raise UserInputError(f"component {component} does not exist; choose 1 to {index.basis.components.shape[0]}")
            return engine.principal_direction(index.basis, component - 1), None, None, 0
        if name is None:
            raise UserInputError("give an attribute name, --component K or --direction FILE|NAME")

        with self.session() as session:
            photo_ids, values, numeric_ids, numbers = self._labeled_values(session, name, index)
        coords = index.coords[index.rows_of(photo_ids)]  # [k, K]
        direction = engine.direction_from_examples(coords, values, index.basis)

        calibration = loo_error = None
        if len(numeric_ids) >= 2 and len(set(numbers.tolist())) >= 2:
            scores = engine.score_coords(index.coords[index.rows_of(numeric_ids)], engine.direction_coords(index.basis, direction))
            calibration = engine.fit_calibration(scores, numbers)
            if len(numeric_ids) >= 3:
                try:
                    loo_error = engine.leave_one_out(index.coords[index.rows_of(numeric_ids)], numbers, index.basis)
                except UserInputError as exc:
                    # Leaving one label out can leave a single value (0, 0, 10);
                    # the error figure is optional, the direction is still sound.
                    logger.info("attribute %r: no leave-one-out error: %s", name, exc.message)
        return direction, calibration, loo_error, len(photo_ids)

    def sort(
        self,
        name: str | None = None,
        *,
        component: int | None = None,
        direction_file: Path | None = None,
        direction_name: str | None = None,
        reverse: bool = False,
    ) -> SortResult:
        """Sort every present photo by an attribute; photos without a face come last."""
        index = self.latent_index()
        direction, calibration, loo_error, num_labels = self.direction_for(name, component, direction_file, direction_name)
        scores = engine.score_coords(index.coords, engine.direction_coords(index.basis, direction))  # [N]
        order = engine.rank(scores, reverse=reverse)

        with self.session() as session:
            paths = dict(session.execute(
                select(File.photo_id, func.min(File.path)).where(File.missing.is_(False)).group_by(File.photo_id)
            ).all())
            statuses = dict(session.execute(
                select(PhotoStatus.photo_id, PhotoStatus.status).where(PhotoStatus.pack_id == self.pack_id)
            ).all())

        rows: list[SortRow] = []
        for row in order:
            photo_id = int(index.photo_ids[row])
            if photo_id not in paths:
                continue  # indexed earlier, its file is missing now
            score = float(scores[row])
            value = float(calibration.predict(np.array([score]))[0]) if calibration else None
            rows.append(SortRow(len(rows) + 1, photo_id, paths[photo_id], score, value, "done"))

        listed = {row.photo_id for row in rows}
        for photo_id, path in sorted(paths.items(), key=lambda item: item[1]):
            if photo_id not in listed:
                rows.append(SortRow(None, photo_id, path, None, None, statuses.get(photo_id, "pending")))
        return SortResult(rows, direction, num_labels, calibration, loo_error)

    def score_all(self, name: str) -> ScoreResult:
        """Score every indexed photo for an attribute: one matrix-vector product, no per-photo objects.

        Raises:
            UserInputError: the attribute has fewer than two usable labels of different values.
        """
        name = attribute_name(name)
        # Another thread that indexes a photo drops the cached index, and the
        # next load fits a new basis; the direction must come from the same one.
        for _ in range(3):
            index = self.latent_index()
            direction, calibration, loo_error, num_labels = self.direction_for(name)
            if self.latent_index() is index:
                break
        scores = engine.score_coords(index.coords, engine.direction_coords(index.basis, direction)).astype(np.float64)  # [N]
        predicted = calibration.predict(scores) if calibration is not None else None  # [N]
        return ScoreResult(name, index.photo_ids, scores, predicted, num_labels, loo_error, direction.estimator, direction)

    def predict(self, name: str, images: list[Path]) -> list[Prediction]:
        """Predict an attribute's value for images without adding them to the library.

        Images already in the library reuse their stored latent; others are
        encoded in memory and projected onto the library's basis.
        """
        direction, calibration, _, _ = self.direction_for(name)
        index = self.latent_index()
        direction_coords = engine.direction_coords(index.basis, direction)

        predictions = []
        for image in images:
            result = self.encode_image(image)
            if result.status != "done" or not result.faces:
                predictions.append(Prediction(image, None, None, result.status))
                continue
            latent = result.faces[0].latent[None]  # [1, L, D], the largest face
            score = float(engine.score_coords(index.basis.project(latent), direction_coords)[0])
            value = float(calibration.predict(np.array([score]))[0]) if calibration else None
            predictions.append(Prediction(image, score, value, result.status))
        return predictions



def _unusable_message(path: Path, status: str, error: str | None) -> str:
    if status == "no_face":
        return f"no face found in {path}; label a photo in which a face is visible"
    if status == "missing":
        return f"image {path} vanished while it was being read; check the path"
    return f"{error or f'image {path} cannot be decoded'}; label another photo"
