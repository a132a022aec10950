"""An advisory lock on a file, shared by processes that write the same library or pack folder."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

logger = logging.getLogger(__name__)


@contextmanager
def file_lock(path: Path, blocking: bool = True, required: bool = False) -> Iterator[bool]:
    """Hold an advisory lock on a lock file and yield whether it was taken.

    Two processes that create the same new database would otherwise both
    create the tables, and two that install the same pack would write the
    same download. With blocking=False the caller learns that another
    process holds the lock instead of waiting. flock locks belong to the
    open file, so two threads of one process exclude each other too.

    Raises:
        OSError: the lock file cannot be opened and `required` is set;
            otherwise the caller goes on without a lock.
    """
    # TODO: fcntl is POSIX only; on Windows no lock is taken.
    if fcntl is None:
        yield True
        return
    try:
        handle = path.open("a")
    except OSError as exc:
        if required:
            raise
        # A read-only location: the caller's own write then reports the real problem.
        logger.debug("no lock file %s: %s", path, exc)
        yield True
        return
    with handle:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
