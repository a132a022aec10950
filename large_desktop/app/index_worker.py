"""The long-lived inversion thread: pending photos → aligned crops → latents → writer.

One `IndexWorker` (a QThread) runs per open library. It takes pending photos
in batches, visible rows first. A small thread pool decodes and aligns the
next batch while the encoder works on the current one. Each encoded batch
goes to `operations.writer_pool()`, where it is written in one transaction.
Stopping finishes the batch being encoded; batches still being prepared are
dropped and stay pending, so closing the window mid-index loses nothing and
the next start resumes.
"""

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThread, Signal

from large_desktop.app.operations import writer_pool
from large_desktop.app.qt_workarounds import emit
from large_desktop.core.file_lock import file_lock
from large_desktop.core.errors import LargeError
from large_desktop.core.faces import FaceDetector
from large_desktop.core.indexer import BATCH_SIZE, PhotoResult, PreparedPhoto, encode_prepared, prepare_photo
from large_desktop.core.library import Library

logger = logging.getLogger(__name__)

DECODE_THREADS = 2  # decode + align threads; dlib detection is the slow part on CPU
BATCHES_AHEAD = 2  # batches prepared while one is encoded
LOCK_RETRY_S = 5.0  # how often a worker waiting for another process's index lock tries again
RATE_WINDOW = 8  # batches over which items/s is averaged


@dataclass(frozen=True)
class IndexReport:
    """The indexer's state for the status bar.

    `done` counts photos finished since the worker started; `total` is that
    plus what is still pending. `rate` is photos/s and `face_rate` faces/s
    over the last batches; `eta_s` is None until a rate is known.
    """

    state: str  # "starting", "running", "paused", "waiting" (another process indexes), "idle" or "stopped"
    done: int = 0
    total: int = 0
    faces: int = 0
    failed: int = 0
    rate: float = 0.0
    face_rate: float = 0.0
    eta_s: float | None = None
    device: str = ""


def device_name() -> str:
    """Return "CPU" or the name of the GPU torch encodes on."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return "CPU"


def result_summary(results: list[PhotoResult]) -> list[tuple[int, str, str | None]]:
    """Return (photo id, status, error) per photo; vanished files stay "pending"."""
    return [(result.photo_id, "pending" if result.status == "missing" else result.status, result.error) for result in results]


class _WriteRelay(QObject):
    """Lives on the main thread and receives the writer's outcome.

    Signals:
        written(object): the `result_summary` of a committed batch.
        failed(object): the exception that stopped a write.
    """

    written = Signal(object)
    failed = Signal(object)


class _WriteTask(QRunnable):
    def __init__(self, worker: "IndexWorker", results: list[PhotoResult]) -> None:
        super().__init__()
        self._worker = worker
        self._results = results

    def run(self) -> None:
        ids = [result.photo_id for result in self._results]
        try:
            self._worker.library.write_batch(self._results)
        except BaseException as exc:  # noqa: BLE001 - the main thread decides what to show
            self._worker._release(ids)
            emit(self._worker._relay.failed, exc)
            return
        self._worker._release(ids)
        emit(self._worker._relay.written, result_summary(self._results))


class IndexWorker(QThread):
    """Indexes the library's pending photos until stopped; controlled from the main thread.

    Signals:
        report(object): an `IndexReport` after each batch and on state changes.
        batch_written(object): list of (photo id, status, error) after a batch is committed.
        error(object): an exception that paused indexing (a `LargeError` has a user-facing message).
    """

    report = Signal(object)
    batch_written = Signal(object)
    error = Signal(object)

    def __init__(self, library: Library, batch_size: int = BATCH_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("index-worker")
        self.library = library
        self.batch_size = batch_size
        self._condition = threading.Condition()
        self._stop = False
        self._paused = False
        self._work_hint = True
        self._priority: list[int] = []
        self._claimed: set[int] = set()  # being prepared, encoded or written
        self._state = "starting"

        self._relay = _WriteRelay()
        self._relay.written.connect(self.batch_written)
        self._relay.failed.connect(self._on_write_failed)

    # -------------------------------------------------- main-thread control

    def wake(self) -> None:
        """Tell the worker new photos may be pending (after a scan or a retry)."""
        with self._condition:
            self._work_hint = True
            self._condition.notify_all()

    def set_priority(self, photo_ids: list[int]) -> None:
        """Index these photos first (the rows on screen), in this order."""
        with self._condition:
            self._priority = list(photo_ids)

    def pause(self) -> None:
        with self._condition:
            self._paused = True
            self._condition.notify_all()

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._work_hint = True
            self._condition.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        """Ask the thread to finish the batch it encodes and exit; `wait()` for it afterwards."""
        with self._condition:
            self._stop = True
            self._condition.notify_all()

    # ------------------------------------------------------------- thread

    def run(self) -> None:
        # torch and the pack's weights load with the first pending photo: importing
        # them takes seconds of CPU, which an indexed library opening should not pay.
        device = ""
        pack = None
        local = threading.local()

        def prepare(photo_id: int, path: Path) -> PreparedPhoto:
            assert pack is not None, "photos are prepared only after the pack is loaded"
            if pack.manifest.domain != "face":
                return prepare_photo(photo_id, path, pack, None)
            if not hasattr(local, "detector"):
                local.detector = FaceDetector()  # dlib objects are per thread
            return prepare_photo(photo_id, path, pack, local.detector)

        done = faces = failed = 0
        timings: deque[tuple[float, int, int]] = deque(maxlen=RATE_WINDOW)
        queue: deque[list[Future[PreparedPhoto]]] = deque()

        lock = ExitStack()  # holds the library's index lock while this worker has work
        lock_held = False
        with lock, ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="index-decode") as pool:
            while True:
                if not self._wait_until_runnable(done, faces, failed, device, bool(queue)):
                    break
                if pack is None:
                    if not self._pending_estimate():
                        self._set_idle(done, faces, failed, device)
                        continue
                    try:
                        device = device_name()
                        pack = self.library.pack
                    except LargeError as exc:
                        emit(self.error, exc)
                        emit(self.report, IndexReport("stopped"))
                        return
                    logger.info("index worker started for %s on %s with pack %s", self.library.db_path, device, pack.id)

                if not lock_held:
                    # The CLI's `index` takes the same lock: two processes would
                    # encode the same pending photos twice.
                    lock_held = lock.enter_context(file_lock(self.library.index_lock_path, blocking=False))
                    if not lock_held:
                        lock.close()
                        self._wait_for_lock(done, faces, failed, device)
                        continue

                started = time.monotonic()
                try:
                    self._fill(queue, pool, prepare)
                except LargeError as exc:
                    emit(self.error, exc)
                    self.pause()
                    continue
                if not queue:
                    lock.close()  # idle: let a CLI `index` run
                    lock_held = False
                    self._set_idle(done, faces, failed, device)
                    continue

                futures = queue.popleft()
                prepared = [future.result() for future in futures]
                results = encode_prepared(prepared, pack)
                writer_pool().start(_WriteTask(self, results))

                done += len(results)
                faces += sum(len(result.faces) for result in results)
                failed += sum(result.status == "failed" for result in results)
                timings.append((time.monotonic() - started, len(results), sum(len(result.faces) for result in results)))
                self._emit_running(done, faces, failed, device, timings)

            for futures in queue:
                for future in futures:
                    future.cancel()
        self._release([photo_id for photo_id in list(self._claimed)])
        logger.info("index worker stopped for %s after %d photos", self.library.db_path, done)
        emit(self.report, IndexReport("stopped", done, done, faces, failed, device=device))

    def _wait_until_runnable(self, done: int, faces: int, failed: int, device: str, has_queue: bool) -> bool:
        """Block while paused or idle; return False when asked to stop."""
        if self._paused and not self._stop:
            # Counted before the lock is taken, so pause() on the main thread does not wait for this SQLite query.
            self._state = "paused"
            emit(self.report, IndexReport("paused", done, done + self._pending_estimate(), faces, failed, device=device))
        with self._condition:
            while not self._stop and (self._paused or not (self._work_hint or has_queue)):
                self._condition.wait()
            return not self._stop

    def _wait_for_lock(self, done: int, faces: int, failed: int, device: str) -> None:
        """Report "waiting" and sleep until a retry is due, the user pauses, or stop()."""
        self._state = "waiting"
        logger.info("library %s is being indexed by another process; waiting", self.library.db_path)
        emit(self.report, IndexReport("waiting", done, done + self._pending_estimate(), faces, failed, device=device))
        with self._condition:
            self._condition.wait(LOCK_RETRY_S)

    def _set_idle(self, done: int, faces: int, failed: int, device: str) -> None:
        with self._condition:
            self._work_hint = False
        self._state = "idle"
        emit(self.report, IndexReport("idle", done, done, faces, failed, device=device))

    def _fill(self, queue: deque, pool: ThreadPoolExecutor, prepare) -> None:
        """Claim pending photos and start preparing them until BATCHES_AHEAD batches are queued."""
        while len(queue) < BATCHES_AHEAD and not self._stop:
            with self._condition:
                priority = list(self._priority)
                exclude = set(self._claimed)
            jobs = self.library.pending(priority=priority, exclude=exclude, limit=self.batch_size)
            if not jobs:
                return
            with self._condition:
                self._claimed.update(photo_id for photo_id, _ in jobs)
            queue.append([pool.submit(prepare, photo_id, path) for photo_id, path in jobs])

    def _emit_running(self, done: int, faces: int, failed: int, device: str, timings: deque) -> None:
        seconds = sum(t for t, _, _ in timings)
        rate = sum(n for _, n, _ in timings) / seconds if seconds > 0 else 0.0
        face_rate = sum(f for _, _, f in timings) / seconds if seconds > 0 else 0.0
        remaining = self._pending_estimate()
        eta = remaining / rate if rate > 0 else None
        self._state = "running"
        emit(self.report, IndexReport("running", done, done + remaining, faces, failed, rate, face_rate, eta, device))

    def _pending_estimate(self) -> int:
        try:
            return self.library.pending_count()
        except LargeError:
            return 0

    def _release(self, photo_ids: list[int]) -> None:
        with self._condition:
            self._claimed.difference_update(photo_ids)

    def _on_write_failed(self, exc: BaseException) -> None:
        """Pause on a failed write (disk full, read-only) so the same error does not repeat per batch."""
        logger.warning("index worker paused: a batch could not be written: %s", exc)
        self.pause()
        emit(self.error, exc)
