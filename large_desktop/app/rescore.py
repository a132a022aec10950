"""Re-scoring after label changes, off the UI thread, with bursts coalesced.

At most one `Library.score_all` runs at a time. A request that arrives while
one runs marks the result stale: when it finishes, one more run starts with
the latest request and the stale result is dropped. So a burst of label
changes costs at most two scorings, and the last emitted result always
reflects the last request.
"""

import logging

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from large_desktop.app.operations import BackgroundOp, report_failure
from large_desktop.core.errors import UserInputError
from large_desktop.core.library import Library, ScoreResult

logger = logging.getLogger(__name__)


class Rescorer(QObject):
    """Runs `score_all` for the latest request, one run at a time.

    Signals:
        scored(object): a `ScoreResult`, or None when there is no attribute
            or its labels cannot order the library yet.
        unsorted(str): the user message saying why the last request gave None
            (empty when no attribute is chosen).
    """

    scored = Signal(object)
    unsorted = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library: Library | None = None
        self._attribute: str | None = None
        self._running = False
        self._stale = False
        self.runs = 0  # scorings started, for tests and logs

    @property
    def busy(self) -> bool:
        return self._running

    def request(self, library: Library | None, attribute: str | None) -> None:
        """Score `attribute` of `library` soon; a request while running queues exactly one more run."""
        self._library, self._attribute = library, attribute
        if self._running:
            self._stale = True
            return
        self._start()

    def _start(self) -> None:
        library, attribute = self._library, self._attribute
        self._stale = False
        if library is None or attribute is None:
            self.scored.emit(None)
            self.unsorted.emit("")
            return
        self._running = True
        self.runs += 1
        logger.debug("scoring attribute %r of %s (run %d)", attribute, library.db_path, self.runs)
        BackgroundOp(lambda: library.score_all(attribute)).on_success(self._on_scored).on_failure(self._on_failed).run()

    def _on_scored(self, result: ScoreResult) -> None:
        if not isValid(self):
            return  # deleted with its panel while scoring
        self._running = False
        if self._stale:
            self._start()
            return
        self.scored.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self._running = False
        if self._stale:
            self._start()
            return
        if isinstance(exc, UserInputError):
            # Too few labels is the normal state of a new attribute, not an error to pop up.
            logger.debug("attribute %r is unsorted: %s", self._attribute, exc.message)
            self.scored.emit(None)
            self.unsorted.emit(exc.message)
            return
        report_failure(exc)
        self.scored.emit(None)
        self.unsorted.emit("")
