"""The undo history around the commands of `undo_commands`: when presses run, and which failed commands go.

Every command write goes to the writer pool and reports back later, so the
history can change after a press: a failed command is dropped, or stays in
effect. `UndoGate` holds a press until the writes before it have reported
back, and `drop_failed_commands` removes what failed.
"""

import logging
import weakref

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack
from shiboken6 import isValid

logger = logging.getLogger(__name__)


# Command writes submitted and not yet reported back (main thread only), and who waits for none to be left.
_writes_in_flight = 0
_settled_listeners: list[weakref.WeakMethod] = []


def write_started() -> None:
    """Count one undo command's write as submitted."""
    global _writes_in_flight
    _writes_in_flight += 1


def write_finished() -> None:
    """Count one undo command's write as reported back; tell the gates when none is left."""
    global _writes_in_flight
    _writes_in_flight -= 1
    if _writes_in_flight:
        return
    for listener in list(_settled_listeners):
        callback = listener()
        if callback is None:
            _settled_listeners.remove(listener)
            continue
        try:
            callback()
        except Exception:  # noqa: BLE001 - one broken listener must not leave the other gates waiting
            logger.exception("undo gate listener %r failed", callback)


class UndoGate(QObject):
    """Run the user's Undo and Redo presses one at a time, each after the writes before it have reported back.

    A failed write changes the history: the command is dropped, or stays in
    effect. A press made before that was known would act on the wrong
    command, and the writer thread would run it after the failure. A press
    during a write therefore waits, and it is dropped if the command it was
    aimed at is no longer next to the index by then. One press waits at a
    time, and further presses meanwhile are ignored.
    """

    def __init__(self, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stack = stack
        self._waiting: tuple[str, QUndoCommand, str] | None = None  # kind, target and its text
        _settled_listeners.append(weakref.WeakMethod(self._on_writes_settled))

    def undo(self) -> None:
        self._request("undo", self._stack.command(self._stack.index() - 1))

    def redo(self) -> None:
        self._request("redo", self._stack.command(self._stack.index()))

    def _request(self, kind: str, target: QUndoCommand | None) -> None:
        if target is None:
            return
        if self._waiting is not None:
            logger.info("ignoring %s of %r: another undo or redo is waiting for a write", kind, target.text())
            return
        if _writes_in_flight == 0:
            getattr(self._stack, kind)()
            return
        logger.debug("%s of %r waits for %d writes", kind, target.text(), _writes_in_flight)
        self._waiting = (kind, target, target.text())

    def _on_writes_settled(self) -> None:
        if self._waiting is None or not isValid(self):
            return
        kind, target, text = self._waiting
        self._waiting = None
        # The target may be deleted by now (a cleared stack), so only its identity and saved text are used.
        following = self._stack.command(self._stack.index() - 1 if kind == "undo" else self._stack.index())
        if following is not target:
            logger.info("dropping the waiting %s of %r: the history changed meanwhile", kind, text)
            return
        getattr(self._stack, kind)()


def drop_failed_commands(stack: QUndoStack) -> None:
    """Remove failed commands next to the stack's index, so the next undo or redo reverts a real change.

    QUndoStack.undo() and redo() delete an obsolete command without calling
    its undo() or redo(). A failed command deeper in the history stays
    marked until the index reaches it, and the panel calls this again then.
    """
    broken_redo = False
    while (top := stack.command(stack.index() - 1)) is not None and top.isObsolete():
        logger.info("removing %r from the undo history: its write failed and changed nothing", top.text())
        broken_redo |= getattr(top, "redo_failed_after_undo", False)
        stack.undo()
    while (following := stack.command(stack.index())) is not None and following.isObsolete():
        logger.info("removing %r from the redo history: its write failed and changed nothing", following.text())
        broken_redo |= getattr(following, "redo_failed_after_undo", False)
        stack.redo()
    if broken_redo and stack.index() < stack.count():
        # The commands after a failed redo were recorded on top of its change, so none of them can be redone.
        logger.info("clearing the redo history of %d commands after a failed redo", stack.count() - stack.index())
        discard = QUndoCommand()
        discard.setObsolete(True)
        stack.push(discard)  # pushing truncates the redo history, and an obsolete command is not kept

    # QUndoStack moved its index back before the undo ran. When the undo failed, the change is still in
    # effect, so the index moves forward over it again, and its redo does nothing (see `_WriteCommand._submit_redo` in undo_commands).
    following = stack.command(stack.index())
    if following is not None and getattr(following, "undo_failed", False):
        following.undo_failed = False
        logger.info("keeping %r in the undo history: its undo failed", following.text())
        stack.redo()
