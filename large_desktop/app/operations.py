"""Run core work off the UI thread and deliver its outcome on the UI thread.

The contract, for every caller in `app/`:

- the work function runs on a pool thread and never touches a widget; it
  calls `core` and returns a value (or, for a progress op, yields progress);
- `on_success`, `on_progress` and `on_failure` callbacks run on the main
  thread, in the order the work produced them;
- a failure without an `on_failure` callback goes to `report_failure`: a `LargeError` reaches
  the window's message sink with its user-facing text, `Interrupted` is
  silent, anything else is logged with its traceback as a bug.

Example::

    BackgroundOp(lambda: library.sort(name)).on_success(self._show_sorted).run()
"""

import logging
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from large_desktop.app.qt_workarounds import emit
from large_desktop.core.errors import Interrupted, LargeError

logger = logging.getLogger(__name__)

# Ops in flight. A relay must outlive its task, and no other object references it.
_RUNNING: set["_Relay"] = set()

_message_sink: Callable[[str], None] | None = None

_writer: QThreadPool | None = None


def writer_pool() -> QThreadPool:
    """Return the one-thread pool that performs every SQLite write of the app.

    Writes queue there in the order they are submitted, so a label change and
    the indexer's results never race for the database's write lock.
    """
    global _writer
    if _writer is None:
        _writer = QThreadPool()
        _writer.setMaxThreadCount(1)
        _writer.setObjectName("sqlite-writer")
    return _writer


def set_message_sink(sink: Callable[[str], None] | None) -> None:
    """Send the user-facing text of unhandled `LargeError`s to `sink` (main thread)."""
    global _message_sink
    _message_sink = sink


def report_failure(exc: BaseException) -> None:
    """The default failure handler: show domain errors, stay silent on cancel, log bugs."""
    if isinstance(exc, Interrupted):
        logger.debug("operation cancelled: %s", exc)
        return
    if isinstance(exc, LargeError):
        logger.warning("operation failed: %s", exc.message)
        if _message_sink is not None:
            _message_sink(exc.message)
        return
    logger.error("operation failed with an unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    if _message_sink is not None:
        _message_sink(f"Unexpected error: {exc!r}. The log file has the details.")


class _Relay(QObject):
    """Lives on the main thread; its slots are where worker signals land.

    Signals:
        succeeded(object): the work's return value.
        progressed(object): one item the work yielded.
        failed(object): the exception the work raised.
    """

    succeeded = Signal(object)
    progressed = Signal(object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.success_callback: Callable[[Any], None] | None = None
        self.progress_callback: Callable[[Any], None] | None = None
        self.failure_callback: Callable[[BaseException], None] = report_failure

        # Slots of a QObject that lives on the main thread receive queued calls
        # there, whichever thread emits.
        self.succeeded.connect(self._on_succeeded)
        self.progressed.connect(self._on_progressed)
        self.failed.connect(self._on_failed)

    @Slot(object)
    def _on_succeeded(self, result: Any) -> None:
        _RUNNING.discard(self)
        if self.success_callback is not None:
            self.success_callback(result)

    @Slot(object)
    def _on_progressed(self, item: Any) -> None:
        if self.progress_callback is not None:
            self.progress_callback(item)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        _RUNNING.discard(self)
        self.failure_callback(exc)


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay, yields_progress: bool) -> None:
        super().__init__()
        self._work = work
        self._relay = relay
        self._yields_progress = yields_progress

    def run(self) -> None:
        try:
            if self._yields_progress:
                result = None
                for item in self._work():
                    emit(self._relay.progressed, item)
                    result = item
            else:
                result = self._work()
        except BaseException as exc:  # noqa: BLE001 - every outcome must reach the main thread
            emit(self._relay.failed, exc)
        else:
            emit(self._relay.succeeded, result)


class BackgroundOp:
    """One piece of work for a pool thread, with callbacks on the main thread.

    Build it on the main thread, chain the callbacks, then call `run()`.
    """

    def __init__(self, work: Callable[[], Any]) -> None:
        self._work = work
        self._relay = _Relay()

    def on_success(self, callback: Callable[[Any], None]) -> "BackgroundOp":
        self._relay.success_callback = callback
        return self

    def on_failure(self, callback: Callable[[BaseException], None]) -> "BackgroundOp":
        self._relay.failure_callback = callback
        return self

    def run(self, pool: QThreadPool | None = None) -> None:
        _RUNNING.add(self._relay)
        (pool or QThreadPool.globalInstance()).start(_Task(self._work, self._relay, yields_progress=False))


class ProgressOp(BackgroundOp):
    """Work that is a generator: each yielded item reaches `on_progress`, the last one `on_success`.

    Core's long operations are generators yielding progress records, so the
    same call drives a CLI progress bar and this op. Cancel by making the
    generator's own `stop` callable return True.
    """

    def __init__(self, work: Callable[[], Iterator[Any]]) -> None:
        super().__init__(work)

    def on_progress(self, callback: Callable[[Any], None]) -> "ProgressOp":
        self._relay.progress_callback = callback
        return self

    def run(self, pool: QThreadPool | None = None) -> None:
        _RUNNING.add(self._relay)
        (pool or QThreadPool.globalInstance()).start(_Task(self._work, self._relay, yields_progress=True))
