"""The open library of the window: opening, folders, scans and the index worker.

Every call comes from the main thread and returns at once; the work runs on
`operations.writer_pool()` (anything that writes SQLite), on the global pool
(reads) or on the index worker, and results come back as signals.
"""

import logging
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from large_desktop.app.index_worker import IndexWorker
from large_desktop.app.operations import BackgroundOp, ProgressOp, report_failure, writer_pool
from large_desktop.app.qt_workarounds import emit
from large_desktop.core.errors import UserInputError
from large_desktop.core.indexer import BATCH_SIZE
from large_desktop.core.library import Library
from large_desktop.core.scan import normalise_root

logger = logging.getLogger(__name__)

SCAN_WAKE_INTERVAL_S = 1.0  # during a scan, tell the indexer about new photos at most this often
SCAN_PROGRESS_INTERVAL_S = 0.1  # during a scan, send progress to the main thread at most this often
# The rescan at opening starts this long after the first listing reached the
# grid, so the first screen and its thumbnails do not compete with it for the CPU.
STARTUP_RESCAN_DELAY_MS = 2000


def _check_folder(library: Library, folder: Path) -> Path:
    """Return the folder as stored, or raise when it is neither a folder nor known (an unplugged drive)."""
    root = normalise_root(folder)
    if root.is_dir() or str(root) in library.folder_paths():
        return root
    if root.exists():
        raise UserInputError(QCoreApplication.translate("LibrarySession", "%1 is not a folder; drop or choose the folder that contains the photos").replace("%1", str(root)))
    raise UserInputError(QCoreApplication.translate("LibrarySession", "folder %1 not found; check the path").replace("%1", str(root)))


class LibrarySession(QObject):
    """One open library and its index worker.

    Signals:
        opened(object): the `Library`, once its database is open.
        listing_loaded(object): a fresh `PhotoListing`.
        folders_changed(object): list of (folder path, missing).
        report(object): an `IndexReport` from the worker.
        batch_written(object): list of (photo id, status, error) of a committed batch.
        scan_finished(): a scan of one or more folders ended.
    """

    opened = Signal(object)
    listing_loaded = Signal(object)
    folders_changed = Signal(object)
    report = Signal(object)
    batch_written = Signal(object)
    scan_finished = Signal()

    def __init__(self, parent: QObject | None = None, batch_size: int = BATCH_SIZE) -> None:
        super().__init__(parent)
        self.batch_size = batch_size  # photos per encoded and written batch
        self.library: Library | None = None
        self.worker: IndexWorker | None = None
        self._scan_stop = False
        self._pending_folders: list[Path] = []
        self._last_wake = 0.0
        self._closed = False
        self._opening = 0  # counts open() calls, so a superseded open is dropped when it completes
        self._rescan_after_listing = False
        self._startup_rescan = QTimer(self)
        self._startup_rescan.setSingleShot(True)
        self._startup_rescan.setInterval(STARTUP_RESCAN_DELAY_MS)
        self._startup_rescan.timeout.connect(self.rescan)

    # --------------------------------------------------------------- open

    def open(self, db_path: Path, pack_id: str | None = None, then_add: list[Path] | None = None) -> None:
        """Open (or create) a library database; `then_add` folders are added once it is open."""
        self.shutdown()
        self._closed = False
        self._scan_stop = False
        self._pending_folders = list(then_add or [])
        self._opening += 1
        opening = self._opening
        logger.info("opening library %s", db_path)
        BackgroundOp(lambda: Library(db_path, pack_id=pack_id)).on_success(lambda library: self._on_opened(opening, library)).run(writer_pool())

    def _on_opened(self, opening: int, library: Library) -> None:
        if self._closed or opening != self._opening:
            # Another library was opened, or the window closed, meanwhile. This one gets
            # no worker, so the folders queued for the newer library are not scanned into it.
            logger.info("ignoring library %s: another library was opened while it opened", library.db_path)
            return
        self.library = library
        self.worker = IndexWorker(library, batch_size=self.batch_size)
        self.worker.report.connect(self.report)
        self.worker.batch_written.connect(self.batch_written)
        self.worker.error.connect(report_failure)
        self.worker.start()
        # The listing query goes first, so it runs while the window builds its panels.
        self.reload_listing()
        emit(self.opened, library)
        self.reload_folders()
        folders = self._pending_folders
        self._pending_folders = []
        if folders:
            self._scan(folders, include_known=True)
        else:
            # An incremental rescan of the known folders finds photos added or
            # removed while the app was closed; it waits for the first paint.
            self._rescan_after_listing = True

    # ------------------------------------------------------------ folders

    def add_folders(self, folders: list[Path]) -> None:
        """Add folders and start scanning and indexing them at once."""
        if self.library is None:
            self._pending_folders.extend(folders)
            return
        self._scan(folders, include_known=False)

    def rescan(self) -> None:
        self._scan([], include_known=True)

    def remove_folder(self, folder: str) -> None:
        """Stop tracking a folder; its photos' latents and labels stay in the database."""
        library = self._require()
        BackgroundOp(lambda: library.remove_folder(Path(folder))).on_success(lambda _: self._after_change()).run(writer_pool())

    def retry_failed(self) -> None:
        library = self._require()
        BackgroundOp(library.retry_failed).on_success(lambda _: self._after_change(wake=True)).run(writer_pool())

    def _scan(self, folders: list[Path], include_known: bool) -> None:
        library = self._require()

        def work():
            roots = [_check_folder(library, folder) for folder in folders]
            if include_known:
                roots += [Path(path) for path in sorted(library.folder_paths()) if Path(path) not in roots]
            if not roots:
                return
            # The scan yields after every file. Each yield would be a queued call on
            # the main thread (100,000 for a rescan), so pass on a few per second.
            last_sent = 0.0
            progress = None
            for progress in library.scan(roots, stop=lambda: self._scan_stop):
                now = time.monotonic()
                if now - last_sent >= SCAN_PROGRESS_INTERVAL_S:
                    last_sent = now
                    yield progress
            if progress is not None:
                yield progress

        ProgressOp(work).on_progress(self._on_scan_progress).on_success(lambda _: self._on_scan_finished()).on_failure(
            self._on_scan_failed
        ).run(writer_pool())

    def _on_scan_progress(self, progress) -> None:
        now = time.monotonic()
        if self.worker is not None and now - self._last_wake > SCAN_WAKE_INTERVAL_S:
            self._last_wake = now
            self.worker.wake()

    def _on_scan_finished(self) -> None:
        emit(self.scan_finished)
        self._after_change(wake=True)

    def _on_scan_failed(self, exc: BaseException) -> None:
        report_failure(exc)
        self._after_change(wake=True)

    def _after_change(self, wake: bool = False) -> None:
        if self._closed:
            return
        self.reload_listing()
        self.reload_folders()
        if wake and self.worker is not None:
            self.worker.wake()

    # ------------------------------------------------------------ reading

    def reload_listing(self) -> None:
        library = self._require()
        # On the writer thread, so the listing is read after every batch whose
        # `batch_written` signal came before it, and a stale "pending" never
        # overwrites a status the grid already shows.
        BackgroundOp(library.listing).on_success(self._emit_listing).run(writer_pool())

    def reload_folders(self) -> None:
        library = self._require()
        BackgroundOp(library.folders).on_success(self._emit_folders).run()

    def _emit_listing(self, listing) -> None:
        if self._closed:
            return
        emit(self.listing_loaded, listing)
        if self._rescan_after_listing:
            self._rescan_after_listing = False
            self._startup_rescan.start()

    def _emit_folders(self, folders) -> None:
        if not self._closed:
            emit(self.folders_changed, folders)

    # ------------------------------------------------------------ indexer

    def set_priority(self, photo_ids: list[int]) -> None:
        if self.worker is not None:
            self.worker.set_priority(photo_ids)

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.resume()

    def shutdown(self, timeout_ms: int = 120_000) -> None:
        """Stop scanning and indexing after the batch in flight and wait for the writes.

        This blocks the main thread, so call it only when the window closes or
        another library replaces this one.
        """
        self._closed = True
        self._scan_stop = True
        self._rescan_after_listing = False
        self._startup_rescan.stop()
        if self.worker is not None:
            self.worker.stop()
            if not self.worker.wait(timeout_ms):
                logger.error("index worker did not stop within %d ms", timeout_ms)
            self.worker = None
        writer_pool().waitForDone(timeout_ms)
        self.library = None

    def _require(self) -> Library:
        if self.library is None:
            raise RuntimeError("no library is open yet")
        return self.library
