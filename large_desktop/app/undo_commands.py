"""Undo commands for labels and attributes: each redo and undo is one write on the writer pool.

`QUndoStack.push` calls `redo()` at once, on the main thread. The commands
never touch the database there: they submit the core call to
`operations.writer_pool()` and call `after` on the main thread when it has
run, so the panel re-reads labels and re-scores. The pool runs writes in
submission order, so an undo always runs after the redo it reverts, and it
reads the state that redo recorded on the writer thread.

A redo that fails before it writes anything marks its command obsolete, and
`drop_failed_commands` then takes it off the stack, so Undo never offers a
change that was not made.
"""

import logging
import re
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QUndoCommand, QUndoStack
from shiboken6 import isValid

from large_desktop.app.operations import BackgroundOp, report_failure, writer_pool
from large_desktop.core.errors import UserInputError
from large_desktop.core.labels import AttributeSnapshot, LabelValue
from large_desktop.core.library import Library

logger = logging.getLogger(__name__)


def _tr(text: str, count: int = -1) -> str:
    return QCoreApplication.translate("UndoCommands", text, None, count)


def _fill(text: str, *values: str) -> str:
    """Put values[0] in place of %1, values[1] of %2, in one pass, so a "%2" inside a name stays as typed."""
    return re.sub(r"%([1-9])", lambda match: values[int(match.group(1)) - 1], text)


# Command writes submitted and not yet reported back (main thread only), and who waits for none to be left.
_writes_in_flight = 0
_settled_listeners: list[weakref.WeakMethod] = []


def writes_in_flight() -> int:
    """Return how many undo commands' writes have been submitted and not yet reported back."""
    return _writes_in_flight


def _write_finished() -> None:
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
    time; further presses meanwhile are ignored.
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
    marked until the index reaches it; the panel calls this again then.
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
    # effect, so the index moves forward over it again, and its redo does nothing (see `_submit_redo`).
    following = stack.command(stack.index())
    if isinstance(following, _WriteCommand) and following.undo_failed:
        following.undo_failed = False
        logger.info("keeping %r in the undo history: its undo failed", following.text())
        stack.redo()


class _WriteCommand(QUndoCommand):
    """A command whose redo and undo each run one function on the writer pool.

    `after(ok)` runs on the main thread once the write has succeeded or
    failed; a failure is also shown through `report_failure`. A failed redo
    that wrote nothing marks the command obsolete (see `drop_failed_commands`).
    The user may press Undo before a failure is known, so an undo checks on
    the writer thread that its redo took effect. An attribute command whose
    undo failed stays in the undo history (see `drop_failed_commands`). A
    label command whose undo failed moves to the redo history, and its redo
    then writes only over labels that still hold the undone value.
    """

    def __init__(self, text: str, after: Callable[[bool], None]) -> None:
        super().__init__(text)
        self._after = after
        self._name = text  # for logs on the writer thread
        self._applied = False  # written on the writer thread: whether the library contains this command's change
        self.undo_failed = False  # set on the main thread when an undo failed and the change is still in effect
        self.redo_failed_after_undo = False  # set on the main thread: a redo after an undo failed and changed nothing
        self._undone_before = False
        self._generation = 0  # submits so far, to tell a stale failure from the latest one

    def _submit(self, work: Callable[[], Any], is_redo: bool) -> None:
        global _writes_in_flight
        self._generation += 1
        generation = self._generation
        if is_redo:
            self.undo_failed = False
        else:
            self._undone_before = True
        _writes_in_flight += 1
        op = BackgroundOp(work).on_success(lambda _result: self._succeeded())
        op.on_failure(lambda exc: self._failed(exc, is_redo, generation)).run(writer_pool())

    def _succeeded(self) -> None:
        try:
            self._after(True)
        finally:
            _write_finished()

    def _submit_redo(self, work: Callable[[], Any]) -> None:
        """Submit a redo that changes all or nothing, and record that it took effect.

        It does nothing while the change is still in effect, as after a failed undo.
        """
        def run() -> None:
            if self._applied:
                logger.info("nothing to redo for %r: its change is still in effect", self._name)
                return
            work()
            self._applied = True
        self._submit(run, is_redo=True)

    def _submit_undo(self, work: Callable[[], Any]) -> None:
        """Submit an undo that runs only if the redo before it took effect."""
        def run() -> None:
            if not self._applied:
                logger.info("nothing to undo for %r: its write failed", self._name)
                return
            work()
            self._applied = False
        self._submit(run, is_redo=False)

    def _failed(self, exc: BaseException, is_redo: bool, generation: int) -> None:
        # A stack cleared while the write ran (another library opened) has deleted the C++ command.
        if is_redo and isValid(self) and not self._redo_wrote_anything():
            self.setObsolete(True)
            self.redo_failed_after_undo = self._undone_before
        if not is_redo and self._applied and generation == self._generation:
            # An attribute command's undo changed nothing, and no redo was submitted since;
            # `drop_failed_commands` moves the index forward over it again.
            self.undo_failed = True
        try:
            report_failure(exc)
            self._after(False)
        finally:
            _write_finished()

    def _redo_wrote_anything(self) -> bool:
        """Return whether the last redo changed the library before it failed."""
        return self._applied


class SetLabelsCommand(_WriteCommand):
    """Label photos with one value, or remove their labels (value_text None); undo restores each previous label."""

    def __init__(
        self,
        library: Library,
        attribute: str,
        photo_ids: list[int],
        value_text: str | None,
        after: Callable[[bool], None],
    ) -> None:
        if value_text is None:
            text = _tr("Remove %n label(s)", len(photo_ids))
        else:
            text = _tr("Label %n photo(s) %1", len(photo_ids)).replace("%1", value_text)
        super().__init__(text, after)
        self.library = library
        self.attribute = attribute
        self.photo_ids = list(photo_ids)
        self.value_text = value_text
        # Written on the writer thread by redo, read there by undo.
        self._previous: dict[int, LabelValue | None] = {}
        self._written: dict[int, LabelValue | None] = {}
        self._wrote_in_redo = False

    def redo(self) -> None:
        self._submit(self._write, is_redo=True)

    def undo(self) -> None:
        self._submit(self._restore, is_redo=False)

    def _redo_wrote_anything(self) -> bool:
        return self._wrote_in_redo

    def _write(self) -> None:
        # A photo that is gone (a stale drag) must not stop the others from being labeled.
        self._wrote_in_redo = False
        problems = []
        for photo_id in self.photo_ids:
            try:
                if photo_id in self._previous:
                    # A redo: write again only over the label the undo put back, so a
                    # change by the CLI or another window since then is kept.
                    self.library.undo_label(self.attribute, photo_id, self._written[photo_id], self._previous[photo_id])
                    self._wrote_in_redo = True
                    continue
                if self.value_text is None:
                    change = self.library.remove_label(self.attribute, photo_id)
                else:
                    change = self.library.set_label(self.attribute, photo_id, self.value_text)
            except UserInputError as exc:
                problems.append(exc.message)
                continue
            self._previous[photo_id] = change.previous
            self._written[photo_id] = change.current
            self._wrote_in_redo = True
        if problems:
            raise UserInputError("; ".join(dict.fromkeys(problems)))  # one message when the attribute is gone

    def _restore(self) -> None:
        # A label that the CLI or another window changed since the redo is kept, not reverted.
        problems = []
        for photo_id in self.photo_ids:
            if photo_id not in self._previous:
                continue
            try:
                self.library.undo_label(self.attribute, photo_id, self._previous[photo_id], self._written[photo_id])
            except UserInputError as exc:
                problems.append(exc.message)
        if problems:
            raise UserInputError("; ".join(dict.fromkeys(problems)))


class CreateAttributeCommand(_WriteCommand):
    """Create an attribute; undo deletes it again unless labels were written to it from elsewhere."""

    def __init__(self, library: Library, name: str, after: Callable[[bool], None]) -> None:
        super().__init__(_tr("Create attribute %1").replace("%1", name), after)
        self.library = library
        self.name = name

    def redo(self) -> None:
        self._submit_redo(lambda: self.library.create_attribute(self.name))

    def undo(self) -> None:
        self._submit_undo(lambda: self.library.delete_attribute(self.name, only_if_unlabeled=True))


class RenameAttributeCommand(_WriteCommand):
    """Rename an attribute; undo gives it the old name back."""

    def __init__(self, library: Library, old: str, new: str, after: Callable[[bool], None]) -> None:
        super().__init__(_fill(_tr("Rename attribute %1 to %2"), old, new), after)
        self.library = library
        self.old = old
        self.new = new

    def redo(self) -> None:
        self._submit_redo(lambda: self.library.rename_attribute(self.old, self.new))

    def undo(self) -> None:
        self._submit_undo(lambda: self.library.rename_attribute(self.new, self.old))


class DeleteAttributeCommand(_WriteCommand):
    """Delete an attribute with its labels; undo recreates both."""

    def __init__(self, library: Library, name: str, after: Callable[[bool], None]) -> None:
        super().__init__(_tr("Delete attribute %1").replace("%1", name), after)
        self.library = library
        self.name = name
        self._snapshot: AttributeSnapshot | None = None  # written by redo on the writer thread

    def redo(self) -> None:
        self._submit_redo(self._delete)

    def undo(self) -> None:
        self._submit_undo(self._restore)

    def _delete(self) -> None:
        self._snapshot = self.library.snapshot_attribute(self.name)
        self.library.delete_attribute(self.name)

    def _restore(self) -> None:
        if self._snapshot is not None:
            self.library.restore_attribute(self._snapshot)
