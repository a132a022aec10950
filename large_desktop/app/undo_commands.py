"""Undo commands for labels and attributes: each redo and undo is one write on the writer pool.

`QUndoStack.push` calls `redo()` at once, on the main thread. The commands
never touch the database there: they submit the core call to
`operations.writer_pool()` and call `after` on the main thread when it has
run, so the panel re-reads labels and re-scores. The pool runs writes in
submission order, so an undo always runs after the redo it reverts, and it
reads the state that redo recorded on the writer thread.

A redo that fails before it writes anything marks its command obsolete, and
`undo_history.drop_failed_commands` then takes it off the stack, so Undo
never offers a change that was not made.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand
from shiboken6 import isValid

from large_desktop.app.operations import BackgroundOp, report_failure, writer_pool
from large_desktop.app.undo_history import write_finished, write_started
from large_desktop.core.errors import UserInputError
from large_desktop.core.labels import AttributeSnapshot, LabelValue
from large_desktop.core.library import Library

logger = logging.getLogger(__name__)


def _tr(text: str, count: int = -1) -> str:
    return QCoreApplication.translate("UndoCommands", text, None, count)


def _fill(text: str, *values: str) -> str:
    """Put values[0] in place of %1, values[1] of %2, in one pass, so a "%2" inside a name stays as typed."""
    return re.sub(r"%([1-9])", lambda match: values[int(match.group(1)) - 1], text)


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
        self._generation += 1
        generation = self._generation
        if is_redo:
            self.undo_failed = False
        else:
            self._undone_before = True
        write_started()
        op = BackgroundOp(work).on_success(lambda _result: self._succeeded())
        op.on_failure(lambda exc: self._failed(exc, is_redo, generation)).run(writer_pool())

    def _succeeded(self) -> None:
        try:
            self._after(True)
        finally:
            write_finished()

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
            # An attribute command's undo changed nothing, and no redo was submitted since.
            # So `drop_failed_commands` moves the index forward over it again.
            self.undo_failed = True
        try:
            report_failure(exc)
            self._after(False)
        finally:
            write_finished()

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
