"""Thumbnails for the grid, decoded off the UI thread.

The grid asks for a thumbnail only when it paints a row, so only visible rows
are requested. A request that misses the in-memory LRU goes to a small pool
that reads the disk cache (`core.thumbnail_cache`) or decodes the photo; the
newest requests are served first and the oldest dropped, so scrolling quickly
through 100,000 photos never builds a backlog of rows already scrolled past.
"""

import logging
import threading
from collections import OrderedDict, deque
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from large_desktop.app.qt_workarounds import emit
from large_desktop.core.errors import LargeError
from large_desktop.core.thumbnail_cache import ThumbnailCache

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256  # pixels, long side; the grid scales down for smaller zoom levels
MEMORY_ITEMS = 3000  # QPixmaps of 256 px kept in memory: about 600 MB at most, usually far less
MAX_QUEUED = 400  # requests beyond this drop the oldest ones (rows scrolled past)
DECODE_THREADS = 2


class _Relay(QObject):
    """Carries finished thumbnails from pool threads to the main thread."""

    loaded = Signal(int, QImage)
    failed = Signal(int, str)


class _DecodeTask(QRunnable):
    """Serves queued requests, newest first, until the queue is empty."""

    def __init__(self, loader: "ThumbnailLoader") -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        while True:
            request = self._loader._take_request()
            if request is None:
                return
            photo_id, path, content_hash = request
            try:
                file = self._loader.cache.get(Path(path), content_hash, THUMBNAIL_SIZE)
            except LargeError as exc:
                emit(self._loader._relay.failed, photo_id, exc.message)
                continue
            except OSError as exc:
                emit(self._loader._relay.failed, photo_id, str(exc))
                continue
            image = QImage(str(file))  # QImage, unlike QPixmap, may be built off the main thread
            if image.isNull():
                emit(self._loader._relay.failed, photo_id, f"thumbnail {file} cannot be read")
                continue
            emit(self._loader._relay.loaded, photo_id, image)


class ThumbnailLoader(QObject):
    """An LRU of thumbnail pixmaps, filled in the background on request.

    Use from the main thread only (QPixmap lives there).

    Signals:
        loaded(int): the thumbnail of this photo id is now in memory.
    """

    loaded = Signal(int)

    def __init__(self, cache_folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = ThumbnailCache(cache_folder)
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._failed: dict[int, str] = {}
        self._queued: set[int] = set()
        self._queue: deque[tuple[int, str, str]] = deque()
        self._lock = threading.Lock()
        self._running_tasks = 0

        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(DECODE_THREADS)
        self._relay = _Relay()
        self._relay.loaded.connect(self._on_loaded)
        self._relay.failed.connect(self._on_failed)

    def pixmap(self, photo_id: int, path: str, content_hash: str) -> QPixmap | None:
        """Return the cached thumbnail, or None after queueing a request for it."""
        pixmap = self._pixmaps.get(photo_id)
        if pixmap is not None:
            self._pixmaps.move_to_end(photo_id)
            return pixmap
        if photo_id in self._failed:
            return None
        self._request(photo_id, path, content_hash)
        return None

    def failure(self, photo_id: int) -> str | None:
        """Return why the thumbnail of a photo could not be made, if it could not."""
        return self._failed.get(photo_id)

    def forget(self, photo_ids: list[int] | None = None) -> None:
        """Drop thumbnails and failures from memory (all when `photo_ids` is None)."""
        if photo_ids is None:
            self._pixmaps.clear()
            self._failed.clear()
            return
        for photo_id in photo_ids:
            self._pixmaps.pop(photo_id, None)
            self._failed.pop(photo_id, None)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until the queue is served; for tests, benchmarks and shutdown."""
        return self._pool.waitForDone(timeout_ms)

    def _request(self, photo_id: int, path: str, content_hash: str) -> None:
        with self._lock:
            if photo_id in self._queued:
                return
            self._queued.add(photo_id)
            self._queue.append((photo_id, path, content_hash))
            while len(self._queue) > MAX_QUEUED:
                dropped, _, _ = self._queue.popleft()
                self._queued.discard(dropped)
            start = self._running_tasks < DECODE_THREADS
            if start:
                self._running_tasks += 1
        if start:
            self._pool.start(_DecodeTask(self))

    def _take_request(self) -> tuple[int, str, str] | None:
        """Pop the newest request (pool threads), or mark one task finished when none is left."""
        with self._lock:
            if not self._queue:
                self._running_tasks -= 1
                return None
            request = self._queue.pop()
            return request

    @Slot(int, QImage)
    def _on_loaded(self, photo_id: int, image: QImage) -> None:
        with self._lock:
            self._queued.discard(photo_id)
        self._pixmaps[photo_id] = QPixmap.fromImage(image)
        while len(self._pixmaps) > MEMORY_ITEMS:
            self._pixmaps.popitem(last=False)
        emit(self.loaded, photo_id)

    @Slot(int, str)
    def _on_failed(self, photo_id: int, reason: str) -> None:
        with self._lock:
            self._queued.discard(photo_id)
        logger.debug("no thumbnail for photo %d: %s", photo_id, reason)
        self._failed[photo_id] = reason
        emit(self.loaded, photo_id)
