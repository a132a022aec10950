"""Attributes and their labels: names, label values, and the writes that undo can reverse.

`AttributeLabels` is a part of `Library`: its methods use the host's
`session()`, `_write_failed()` and `index_image()`. Each method
is one unit of work with its own session, and each label write returns what
undo needs to put the previous state back.
"""

import logging
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from large_desktop.core.cache.schema import Attribute, File, Label, Photo
from large_desktop.core.errors import UserInputError

logger = logging.getLogger(__name__)

LABEL_WORDS = ("low", "high")
# Up to here float64 still counts whole numbers exactly (2**53 is about 9e15),
# so "low" and "high" one below and above a number stay distinct from it.
MAX_LABEL_MAGNITUDE = 1e15
_ANY_LABEL = object()  # the default of `_put_label`: replace whatever label the photo has now


@dataclass(frozen=True)
class LabelValue:
    """A label's content: kind "low", "high" or "value", and the number for "value"."""

    kind: str
    value: float | None = None

    @property
    def text(self) -> str:
        """The value as `parse_label_value` reads it back: "low", "high" or the number."""
        return f"{self.value:.15g}" if self.kind == "value" else self.kind


@dataclass(frozen=True)
class LabelChange:
    """One label write and the label it replaced, which is what an undo restores."""

    attribute: str
    photo_id: int
    previous: LabelValue | None
    current: LabelValue | None


@dataclass(frozen=True)
class LabelRow:
    """One label of an attribute; path is None when every file of the photo is missing."""

    photo_id: int
    path: str | None
    kind: str
    value: float | None


@dataclass(frozen=True)
class AttributeSnapshot:
    """An attribute with its labels, enough to recreate it after a delete."""

    name: str
    description: str | None
    labels: tuple[tuple[int, LabelValue], ...]


def parse_label_value(text: str) -> tuple[str, float | None]:
    """Parse a label given as "low", "high" or a number."""
    lowered = text.strip().lower()
    if lowered in LABEL_WORDS:
        return lowered, None
    try:
        value = float(lowered)
    except ValueError:
        raise UserInputError(f"label value {text!r} is not a number, 'low' or 'high'") from None
    if not math.isfinite(value):
        raise UserInputError(f"label value {text!r} is not a finite number")
    if abs(value) > MAX_LABEL_MAGNITUDE:
        raise UserInputError(f"label value {text!r} is outside -{MAX_LABEL_MAGNITUDE:g} to {MAX_LABEL_MAGNITUDE:g}; rescale the values")
    return "value", value


def attribute_name(text: str) -> str:
    """Return an attribute name as the library stores and looks it up: without surrounding whitespace."""
    return text.strip()


def _check_attribute_name(name: str) -> None:
    """Reject a name with a line break, tab or other control character, which would split `attribute list` lines."""
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise UserInputError(f"attribute name {name!r} contains a control character; use letters, digits, spaces and punctuation")


class AttributeLabels:
    """Attribute and label methods of `Library` (see the module docstring)."""

    # -------------------------------------------------------------- attributes

    def create_attribute(self, name: str, description: str | None = None) -> str:
        """Create an attribute without labels; return its name as stored, without surrounding whitespace."""
        name = attribute_name(name)
        if not name:
            raise UserInputError("an attribute needs a non-empty name")
        _check_attribute_name(name)
        with self.session() as session:
            session.add(Attribute(name=name, description=description))
            try:
                session.commit()
            except IntegrityError:
                raise UserInputError(f"attribute {name!r} already exists; pick another name or delete it first") from None
            except OperationalError as exc:
                raise self._write_failed(exc) from exc
        logger.info("created attribute %r in %s", name, self.db_path)
        return name

    def attributes(self) -> list[tuple[str, int]]:
        """Return every attribute's name and number of labels."""
        with self.session() as session:
            rows = session.execute(
                select(Attribute.name, func.count(Label.id))
                .outerjoin(Label, Label.attribute_id == Attribute.id)
                .group_by(Attribute.id)
                .order_by(Attribute.name)
            )
            return [(name, count) for name, count in rows]

    def delete_attribute(self, name: str, only_if_unlabeled: bool = False) -> int:
        """Delete an attribute and its labels; return how many labels went.

        Raises:
            UserInputError: no such attribute, or it has labels and only_if_unlabeled is set.
        """
        name = attribute_name(name)
        with self.session() as session:
            attribute = self._attribute(session, name)
            count = len(attribute.labels)
            if only_if_unlabeled and count:
                raise UserInputError(
                    f"attribute {name!r} now has {count} labels, which undoing its creation would delete; "
                    "delete the attribute itself if you want them gone"
                )
            session.delete(attribute)
            try:
                session.commit()
            except OperationalError as exc:
                raise self._write_failed(exc) from exc
        logger.info("deleted attribute %r with %d labels", name, count)
        return count

    def _attribute(self, session: Session, name: str) -> Attribute:
        name = attribute_name(name)
        attribute = session.scalar(select(Attribute).where(Attribute.name == name))
        if attribute is None:
            known = [row for row in session.scalars(select(Attribute.name).order_by(Attribute.name))]
            hint = f"known attributes: {', '.join(known)}" if known else "create it with `large-desktop attribute create NAME`"
            raise UserInputError(f"no attribute named {name!r}; {hint}")
        return attribute

    def label(self, name: str, image: Path, value_text: str) -> int:
        """Label one image for an attribute (indexing it first if needed); return its photo id."""
        return self.label_file(name, image, value_text).photo_id

    def rename_attribute(self, old: str, new: str) -> str:
        """Rename an attribute, keeping its labels; return the new name as stored.

        Raises:
            UserInputError: the new name is empty or taken, or no attribute is named `old`.
        """
        old, new = attribute_name(old), attribute_name(new)
        if not new:
            raise UserInputError(f"attribute {old!r} needs a non-empty new name")
        _check_attribute_name(new)
        with self.session() as session:
            attribute = self._attribute(session, old)
            attribute.name = new
            self._commit(session, f"attribute {new!r} already exists; pick another name for {old!r}")
        logger.info("renamed attribute %r to %r", old, new)
        return new

    def snapshot_attribute(self, name: str) -> AttributeSnapshot:
        """Read an attribute and its labels, so that `restore_attribute` can recreate it."""
        with self.session() as session:
            attribute = self._attribute(session, name)
            labels = tuple((label.photo_id, LabelValue(label.kind, label.value)) for label in attribute.labels)
            return AttributeSnapshot(attribute.name, attribute.description, labels)

    def restore_attribute(self, snapshot: AttributeSnapshot) -> None:
        """Recreate a deleted attribute with its labels.

        Raises:
            UserInputError: an attribute of that name exists again.
        """
        with self.session() as session:
            attribute = Attribute(name=snapshot.name, description=snapshot.description)
            attribute.labels = [
                Label(photo_id=photo_id, kind=state.kind, value=state.value) for photo_id, state in snapshot.labels
            ]
            session.add(attribute)
            self._commit(session, f"attribute {snapshot.name!r} already exists; rename it, then undo again")
        logger.info("restored attribute %r with %d labels", snapshot.name, len(snapshot.labels))

    # ------------------------------------------------------------------ labels

    def labels(self, name: str) -> list[LabelRow]:
        """Return an attribute's labels, oldest first, each with one present path of its photo."""
        with self.session() as session:
            attribute = self._attribute(session, name)
            rows = session.execute(
                select(Label.photo_id, func.min(File.path), Label.kind, Label.value)
                .outerjoin(File, (File.photo_id == Label.photo_id) & File.missing.is_(False))
                .where(Label.attribute_id == attribute.id)
                .group_by(Label.id)
                .order_by(Label.created_at, Label.id)
            ).all()
        return [LabelRow(photo_id, path, kind, value) for photo_id, path, kind, value in rows]

    def set_label(self, name: str, photo_id: int, value_text: str) -> LabelChange:
        """Label a photo of the library "low", "high" or with a number.

        Raises:
            UserInputError: the value cannot be read, or the attribute or photo does not exist.
        """
        name = attribute_name(name)
        current = LabelValue(*parse_label_value(value_text))
        previous = self._put_label(name, photo_id, current)
        logger.debug("labeled photo %d %s for attribute %r", photo_id, current.text, name)
        return LabelChange(name, photo_id, previous, current)

    def remove_label(self, name: str, photo_id: int) -> LabelChange:
        """Remove a photo's label; `previous` is None when it had none."""
        name = attribute_name(name)
        previous = self._put_label(name, photo_id, None)
        logger.debug("removed the label of photo %d for attribute %r", photo_id, name)
        return LabelChange(name, photo_id, previous, None)

    def restore_label(self, name: str, photo_id: int, state: LabelValue | None) -> LabelChange:
        """Put back a label as it was (None: no label), e.g. the `previous` of a change."""
        name = attribute_name(name)
        previous = self._put_label(name, photo_id, state)
        return LabelChange(name, photo_id, previous, state)

    def undo_label(self, name: str, photo_id: int, state: LabelValue | None, written: LabelValue | None) -> LabelChange:
        """Put back `state` in place of the label `written`, unless another program has changed that label since.

        Redo uses it too, with the roles swapped: it writes its label again only
        over the one the undo restored.

        Raises:
            UserInputError: the label is no longer `written`; it is kept as it is.
        """
        name = attribute_name(name)
        previous = self._put_label(name, photo_id, state, expected=written)
        return LabelChange(name, photo_id, previous, state)

    def label_file(self, name: str, image: Path, value_text: str) -> LabelChange:
        """Label an image file, indexing it first if the library does not contain it."""
        name = attribute_name(name)
        kind, value = parse_label_value(value_text)
        with self.session() as session:
            self._attribute(session, name)  # a typo in the name fails before the slow encoding
        photo_id = self.index_image(image)
        current = LabelValue(kind, value)
        previous = self._put_label(name, photo_id, current)
        logger.info("labeled photo %d (%s) %s for attribute %r", photo_id, image, current.text, name)
        return LabelChange(name, photo_id, previous, current)

    def _put_label(self, name: str, photo_id: int, state: LabelValue | None, expected: object = _ANY_LABEL) -> LabelValue | None:
        """Write or delete one label in one transaction; return the label it replaced.

        With `expected` (a `LabelValue` or None for no label), a label that differs from it is kept and raises UserInputError.
        """
        with self.session() as session:
            attribute = self._attribute(session, name)
            if session.get(Photo, photo_id) is None:
                raise UserInputError(f"photo {photo_id} is not in the library {self.db_path}; rescan its folder and label it again")
            existing = session.scalar(select(Label).where(Label.attribute_id == attribute.id, Label.photo_id == photo_id))
            previous = None if existing is None else LabelValue(existing.kind, existing.value)
            if expected is not _ANY_LABEL and previous != expected:
                # NOTE: the check and the write are not one SQLite transaction, so a write by
                # another process between the two is still overwritten.
                now = previous.text if previous is not None else "no label"
                raise UserInputError(
                    f"the label of photo {photo_id} for attribute {name!r} was changed by another program (now {now}); it is kept, label it again to change it"
                )
            if state is None:
                if existing is not None:
                    session.delete(existing)
            elif existing is None:
                session.add(Label(attribute_id=attribute.id, photo_id=photo_id, kind=state.kind, value=state.value))
            else:
                existing.kind, existing.value = state.kind, state.value
            self._commit(session)
        return previous

    def _commit(self, session: Session, name_taken: str | None = None) -> None:
        """Commit, raising `name_taken` as a UserInputError on a unique-name clash and DatabaseError on a failed write."""
        try:
            session.commit()
        except IntegrityError:
            if name_taken is None:
                raise
            raise UserInputError(name_taken) from None
        except OperationalError as exc:
            raise self._write_failed(exc) from exc
