"""The attribute panel with real widgets, real drop events, a real SQLite library and real faces."""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from labeled_library import DEV_FACES, known_ages, photo_ids_by_name, small_library, small_library_template  # noqa: F401
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from large_desktop.app import operations
from large_desktop.app.attribute_panel import AttributePanel
from large_desktop.app.label_list import VALUE_COLUMN
from large_desktop.app.mime import encode_photo_ids
from large_desktop.app.rescore import Rescorer
from large_desktop.app.undo_history import UndoGate
from large_desktop.core import engine

TIMEOUT_MS = 60_000


class Recorder:
    """Collects every emission of a signal."""

    def __init__(self, signal) -> None:  # noqa: ANN001 - a bound Qt signal
        self.values: list = []
        signal.connect(self.values.append)


def settle(qtbot) -> None:
    """Wait until every background op, write and scoring has delivered its result."""
    qtbot.waitUntil(lambda: not operations._RUNNING, timeout=TIMEOUT_MS)


@pytest.fixture
def panel(qtbot, small_library, messages):
    stack = QUndoStack()
    widget = AttributePanel(small_library, stack)
    widget.undo_stack = stack  # the test owns the stack through the widget
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    settle(qtbot)
    yield widget
    settle(qtbot)  # no callback of this test may land in the next one


@pytest.fixture
def age_panel(qtbot, panel):
    panel.create_attribute("age")
    qtbot.waitUntil(lambda: panel.attribute == "age", timeout=TIMEOUT_MS)
    settle(qtbot)
    return panel


def drop_on(widget, mime: QMimeData) -> QDropEvent:
    """Send a drag-enter and a drop at the widget's centre, as a drag from another widget would."""
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop


def wait_for_labels(qtbot, panel, count: int) -> None:
    qtbot.waitUntil(lambda: len(panel.labels) == count and panel.label_list.rowCount() == count, timeout=TIMEOUT_MS)
    settle(qtbot)


def age_correlation(result, library, ages: dict[str, int]) -> float:
    names = {photo_id: name for name, photo_id in photo_ids_by_name(library).items()}
    rows = [row for row, photo_id in enumerate(result.photo_ids.tolist()) if names.get(photo_id) in ages]
    truth = np.array([ages[names[int(result.photo_ids[row])]] for row in rows], dtype=np.float64)
    return engine.spearman(result.scores[rows], truth)


def youngest_and_oldest(library, ages: dict[str, int]) -> tuple[int, int]:
    ids = photo_ids_by_name(library)
    return ids[min(ages, key=ages.get)], ids[max(ages, key=ages.get)]


def test_drops_sort_by_age(qtbot, age_panel, small_library, known_ages, messages):
    scores = Recorder(age_panel.scores_ready)
    young, old = youngest_and_oldest(small_library, known_ages)

    assert drop_on(age_panel.less_zone, encode_photo_ids([young])).isAccepted()
    wait_for_labels(qtbot, age_panel, 1)
    assert scores.values[-1] is None
    assert drop_on(age_panel.more_zone, encode_photo_ids([old])).isAccepted()
    wait_for_labels(qtbot, age_panel, 2)

    result = scores.values[-1]
    assert result is not None
    assert result.attribute == "age"
    assert result.num_labels == 2
    assert len(result.photo_ids) == len(known_ages)
    assert age_correlation(result, small_library, known_ages) > 0
    assert {(row.photo_id, row.kind) for row in age_panel.labels} == {(young, "low"), (old, "high")}
    assert messages == []


def test_undo_and_redo_label(qtbot, age_panel, small_library, known_ages):
    scores = Recorder(age_panel.scores_ready)
    young, old = youngest_and_oldest(small_library, known_ages)
    drop_on(age_panel.less_zone, encode_photo_ids([young]))
    drop_on(age_panel.more_zone, encode_photo_ids([old]))
    wait_for_labels(qtbot, age_panel, 2)
    assert scores.values[-1] is not None
    emitted = len(scores.values)

    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 1)
    assert [row.photo_id for row in small_library.labels("age")] == [young]
    assert len(scores.values) > emitted
    assert scores.values[-1] is None

    age_panel.undo_stack.redo()
    wait_for_labels(qtbot, age_panel, 2)
    assert {row.photo_id for row in small_library.labels("age")} == {young, old}
    assert scores.values[-1] is not None
    assert scores.values[-1].num_labels == 2


def test_drop_many_photos_one_command(qtbot, age_panel, small_library):
    ids = sorted(photo_ids_by_name(small_library).values())[:3]

    drop_on(age_panel.more_zone, encode_photo_ids(ids))
    wait_for_labels(qtbot, age_panel, 3)
    assert age_panel.undo_stack.count() == 2  # create attribute, then one label command

    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 0)


def test_relabel_undo_restores_previous(qtbot, age_panel, small_library, known_ages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)

    age_panel.label_photos([young], "high")
    qtbot.waitUntil(lambda: age_panel.labels and age_panel.labels[0].kind == "high", timeout=TIMEOUT_MS)
    age_panel.undo_stack.undo()
    qtbot.waitUntil(lambda: age_panel.labels and age_panel.labels[0].kind == "low", timeout=TIMEOUT_MS)
    settle(qtbot)

    assert [(row.kind, row.value) for row in small_library.labels("age")] == [("low", None)]


def test_typed_values_give_predictions(qtbot, age_panel, small_library, known_ages):
    scores = Recorder(age_panel.scores_ready)
    ids = photo_ids_by_name(small_library)
    names = sorted(known_ages, key=known_ages.get)
    age_panel.label_photos([ids[names[0]]], "low")
    age_panel.label_photos([ids[names[-1]]], "high")
    wait_for_labels(qtbot, age_panel, 2)

    # Type the real ages into the value cells, as a user edits a label in place.
    for row in range(age_panel.label_list.rowCount()):
        item = age_panel.label_list.item(row, VALUE_COLUMN)
        name = next(name for name, photo_id in ids.items() if photo_id == item.data(Qt.ItemDataRole.UserRole))
        item.setText(str(known_ages[name]))
        qtbot.waitUntil(lambda item=item: age_panel.label_list.item(row, VALUE_COLUMN).text() == str(known_ages[name]), timeout=TIMEOUT_MS)
        settle(qtbot)
    age_panel.label_photos([ids[names[5]]], str(known_ages[names[5]]))
    wait_for_labels(qtbot, age_panel, 3)

    result = scores.values[-1]
    assert {(row.kind, row.value) for row in small_library.labels("age")} == {
        ("value", float(known_ages[names[0]])), ("value", float(known_ages[names[-1]])), ("value", float(known_ages[names[5]])),
    }
    assert result.predicted is not None
    assert result.num_labels == 3
    assert result.loo_error is not None
    assert not age_panel.plot_panel.scatter.isHidden()
    assert "Leave-one-out" in age_panel.plot_panel.scatter_caption.text()
    assert sorted(age_panel.plot_panel.marked_photo_ids) == sorted(ids[name] for name in (names[0], names[5], names[-1]))


def test_invalid_typed_value_rejected(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)

    age_panel.label_list.item(0, VALUE_COLUMN).setText("older")
    settle(qtbot)

    assert any("'older'" in message for message in messages)
    assert age_panel.label_list.item(0, VALUE_COLUMN).text() == "low"
    assert [row.kind for row in small_library.labels("age")] == ["low"]


def test_delete_key_removes_label(qtbot, age_panel, small_library, known_ages):
    young, old = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    age_panel.label_photos([old], "high")
    wait_for_labels(qtbot, age_panel, 2)

    row = age_panel.label_list.photo_ids().index(old)
    age_panel.label_list.selectRow(row)
    QTest.keyClick(age_panel.label_list, Qt.Key.Key_Delete)
    wait_for_labels(qtbot, age_panel, 1)

    assert [row.photo_id for row in small_library.labels("age")] == [young]
    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 2)


def test_drag_out_of_list_removes(qtbot, age_panel, small_library, known_ages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)
    label_list = age_panel.label_list

    inside = label_list.viewport().mapToGlobal(label_list.viewport().rect().center())
    label_list.finish_drag([young], Qt.DropAction.IgnoreAction, inside)
    settle(qtbot)
    assert len(age_panel.labels) == 1

    outside = label_list.viewport().mapToGlobal(QPoint(-50, -50))
    label_list.finish_drag([young], Qt.DropAction.IgnoreAction, outside)
    wait_for_labels(qtbot, age_panel, 0)
    assert small_library.labels("age") == []


def test_file_url_drop_indexes(qtbot, age_panel, small_library, known_ages, tmp_path, messages):
    outside = next(name for name in sorted(p.name for p in DEV_FACES.glob("d*.jpg")) if name not in known_ages)
    photo = tmp_path / "from-file-manager.jpg"
    shutil.copyfile(DEV_FACES / outside, photo)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    indexed = Recorder(age_panel.photos_indexed)

    assert drop_on(age_panel.more_zone, mime).isAccepted()
    wait_for_labels(qtbot, age_panel, 1)

    [label] = small_library.labels("age")
    assert indexed.values == [[label.photo_id]]
    assert label.path == str(photo)
    assert label.kind == "high"
    assert label.photo_id in small_library.latent_index()
    assert messages == []


def test_file_without_face_reported(qtbot, age_panel, sample_photo, messages):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample_photo("coffee")))])

    drop_on(age_panel.less_zone, mime)
    qtbot.waitUntil(lambda: bool(messages), timeout=TIMEOUT_MS)
    settle(qtbot)

    assert "no face found" in messages[0]
    assert age_panel.labels == []


def test_foreign_drag_rejected(age_panel):
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)

    QApplication.sendEvent(age_panel.less_zone, enter)

    assert not enter.isAccepted()


def test_label_without_attribute_explained(qtbot, panel, messages):
    panel.label_photos([1], "low")

    assert len(messages) == 1
    assert "attribute" in messages[0]
    assert panel.undo_stack.count() == 0


def test_rename_and_delete_undoable(qtbot, age_panel, small_library, known_ages):
    attributes = Recorder(age_panel.attribute_changed)
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)

    age_panel.rename_attribute("age", "years")
    qtbot.waitUntil(lambda: age_panel.attribute == "years", timeout=TIMEOUT_MS)
    settle(qtbot)
    assert small_library.attributes() == [("years", 1)]

    age_panel.delete_attribute("years")
    qtbot.waitUntil(lambda: age_panel.attribute is None, timeout=TIMEOUT_MS)
    settle(qtbot)
    assert small_library.attributes() == []
    assert attributes.values == ["years", None]

    age_panel.undo_stack.undo()
    qtbot.waitUntil(lambda: age_panel.attribute == "years", timeout=TIMEOUT_MS)
    wait_for_labels(qtbot, age_panel, 1)
    assert small_library.attributes() == [("years", 1)]

    age_panel.undo_stack.undo()
    qtbot.waitUntil(lambda: age_panel.attribute == "age", timeout=TIMEOUT_MS)
    settle(qtbot)
    assert small_library.attributes() == [("age", 1)]


def test_attribute_list_choice(qtbot, age_panel, small_library):
    attributes = Recorder(age_panel.attribute_changed)
    scores = Recorder(age_panel.scores_ready)
    age_panel.create_attribute("smile")
    qtbot.waitUntil(lambda: age_panel.attribute == "smile", timeout=TIMEOUT_MS)
    settle(qtbot)

    row = next(row for row in range(age_panel.attribute_list.count()) if age_panel.attribute_list.item(row).data(Qt.ItemDataRole.UserRole) == "age")
    age_panel.attribute_list.setCurrentRow(row)
    settle(qtbot)

    assert attributes.values == ["smile", "age"]
    assert scores.values[-1] is None
    assert age_panel.attribute_list.item(row).text().startswith("age")


def test_set_library_clears_history(qtbot, age_panel, small_library):
    attributes = Recorder(age_panel.attribute_changed)

    age_panel.set_library(None)
    settle(qtbot)

    assert age_panel.undo_stack.count() == 0
    assert attributes.values == [None]
    assert age_panel.attribute_list.count() == 0

    age_panel.set_library(small_library)
    qtbot.waitUntil(lambda: age_panel.attribute_list.count() == 1, timeout=TIMEOUT_MS)


def test_walk_strip_hidden_without_generator(qtbot, age_panel, small_library, known_ages):
    young, old = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    age_panel.label_photos([old], "high")
    wait_for_labels(qtbot, age_panel, 2)

    assert age_panel.walk_strip.isHidden()


def test_rescorer_coalesces_burst(qtbot, small_library, known_ages):
    young, old = youngest_and_oldest(small_library, known_ages)
    small_library.create_attribute("age")
    small_library.set_label("age", young, "low")
    small_library.set_label("age", old, "high")
    rescorer = Rescorer()
    results = Recorder(rescorer.scored)

    for _ in range(5):
        rescorer.request(small_library, "age")
    assert rescorer.runs == 1
    qtbot.waitUntil(lambda: bool(results.values), timeout=TIMEOUT_MS)
    settle(qtbot)

    assert rescorer.runs == 2
    assert len(results.values) == 1
    assert results.values[0].num_labels == 2


def test_walk_strip_renders_with_generator(qtbot, tmp_path, known_ages):
    from large_desktop.core.library import Library

    folder = tmp_path / "photos"
    folder.mkdir()
    names = sorted(known_ages, key=known_ages.get)[::3]  # 4 faces from young to old
    for name in names:
        shutil.copyfile(DEV_FACES / name, folder / name)
    library = Library(tmp_path / "gan.sqlite", pack_id="dcgan-face-64")
    for _ in library.scan([folder]):
        pass
    for _ in library.index():
        pass
    library.create_attribute("age")
    ids = photo_ids_by_name(library)
    library.set_label("age", ids[names[0]], "low")
    library.set_label("age", ids[names[-1]], "high")

    widget = AttributePanel(library, QUndoStack())
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    with qtbot.waitSignal(widget.walk_strip.rendered, timeout=TIMEOUT_MS):
        widget.select_attribute("age")
    settle(qtbot)

    assert not widget.walk_strip.isHidden()
    assert widget.walk_strip.pixmap().width() > 0


def test_closed_panel_ignores_late_results(qtbot, small_library, messages):
    widget = AttributePanel(small_library, QUndoStack())
    widget.create_attribute("age")  # a write, a refresh and a scoring are now in flight

    widget.deleteLater()
    qtbot.waitUntil(lambda: not operations._RUNNING, timeout=TIMEOUT_MS)

    assert small_library.attributes() == [("age", 0)]
    assert messages == []


def test_drop_with_unknown_id_labels_rest(qtbot, age_panel, small_library, messages):
    first, second = sorted(photo_ids_by_name(small_library).values())[:2]

    drop_on(age_panel.more_zone, encode_photo_ids([first, 999_999, second]))
    wait_for_labels(qtbot, age_panel, 2)

    assert {row.photo_id for row in small_library.labels("age")} == {first, second}
    assert len(messages) == 1
    assert "photo 999999 is not in the library" in messages[0]

    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 0)
    assert small_library.labels("age") == []


def test_failed_label_not_undoable(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    drop_on(age_panel.less_zone, encode_photo_ids([young]))
    wait_for_labels(qtbot, age_panel, 1)
    label_text = age_panel.undo_stack.undoText()

    drop_on(age_panel.more_zone, encode_photo_ids([999_999]))
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert "photo 999999 is not in the library" in messages[0]
    assert age_panel.undo_stack.count() == 2  # create attribute, then the one label that was written
    assert age_panel.undo_stack.undoText() == label_text
    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 0)
    assert small_library.attributes() == [("age", 0)]


def test_failed_create_keeps_existing_attribute(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    drop_on(age_panel.less_zone, encode_photo_ids([young]))
    wait_for_labels(qtbot, age_panel, 1)

    # "age" exists already, as when the command line created it after the panel listed the attributes.
    age_panel.create_attribute("age")
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)
    assert "attribute 'age' already exists" in messages[0]
    assert age_panel.undo_stack.count() == 2

    # Undo reverts the label, not the failed create, whose undo would delete "age" and its label.
    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 0)
    assert small_library.attributes() == [("age", 0)]


def block_writer() -> threading.Event:
    """Occupy the writer thread, as a scan or an index batch does, until the returned event is set."""
    release = threading.Event()
    operations.BackgroundOp(lambda: release.wait(30)).run(operations.writer_pool())
    return release


def test_quick_undo_of_failed_create(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    drop_on(age_panel.less_zone, encode_photo_ids([young]))
    wait_for_labels(qtbot, age_panel, 1)

    release = block_writer()
    age_panel.create_attribute("age")  # fails, because "age" exists
    age_panel.undo_stack.undo()  # pressed before the failure is known
    release.set()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert "attribute 'age' already exists" in messages[0]
    assert small_library.attributes() == [("age", 1)]
    assert age_panel.undo_stack.count() == 2  # create "age" and the label, without the failed create
    assert age_panel.undo_stack.index() == 2


def test_quick_undo_of_failed_rename(qtbot, age_panel, small_library, known_ages, messages):
    small_library.create_attribute("smile")
    young, _ = youngest_and_oldest(small_library, known_ages)
    small_library.set_label("smile", young, "high")

    release = block_writer()
    age_panel.rename_attribute("age", "smile")  # fails, because "smile" exists
    age_panel.undo_stack.undo()
    release.set()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert sorted(small_library.attributes()) == [("age", 0), ("smile", 1)]


def test_failed_labels_between_real_ones(qtbot, age_panel, small_library, messages):
    first, second = sorted(photo_ids_by_name(small_library).values())[:2]

    release = block_writer()
    age_panel.label_photos([999_991], "high")
    age_panel.label_photos([first], "low")
    age_panel.label_photos([999_992], "high")
    age_panel.label_photos([second], "high")
    release.set()
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=TIMEOUT_MS)
    settle(qtbot)
    assert {row.photo_id for row in small_library.labels("age")} == {first, second}

    # Every undo reverts a real change: the failed labels never take a key press.
    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 1)
    assert [row.photo_id for row in small_library.labels("age")] == [first]
    age_panel.undo_stack.undo()
    wait_for_labels(qtbot, age_panel, 0)
    assert age_panel.undo_stack.index() == 1  # only the creation of "age" is left to undo


def test_undo_create_keeps_labels_from_cli(qtbot, panel, small_library, messages):
    panel.create_attribute("smile")
    qtbot.waitUntil(lambda: panel.attribute == "smile", timeout=TIMEOUT_MS)
    settle(qtbot)
    first = sorted(photo_ids_by_name(small_library).values())[0]
    small_library.set_label("smile", first, "high")  # as `large-desktop label` would

    panel.undo_stack.undo()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert "now has 1 labels" in messages[0]
    assert small_library.attributes() == [("smile", 1)]


def test_redo_after_failed_undo_delete(qtbot, age_panel, small_library, messages):
    first, second = sorted(photo_ids_by_name(small_library).values())[:2]
    age_panel.label_photos([first], "low")
    wait_for_labels(qtbot, age_panel, 1)
    age_panel.delete_attribute("age")
    qtbot.waitUntil(lambda: small_library.attributes() == [], timeout=TIMEOUT_MS)
    settle(qtbot)
    small_library.create_attribute("age")  # as another program would
    small_library.set_label("age", second, "high")

    age_panel.undo_stack.undo()  # fails, because "age" exists again
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)
    assert "rename it, then undo again" in messages[0]
    assert age_panel.undo_stack.undoText() == "Delete attribute age"  # the delete is still in effect

    age_panel.undo_stack.redo()  # nothing to redo
    settle(qtbot)
    assert [row.photo_id for row in small_library.labels("age")] == [second]

    # Following the message brings the deleted labels back.
    small_library.rename_attribute("age", "age2")
    age_panel.undo_stack.undo()
    settle(qtbot)
    assert [row.photo_id for row in small_library.labels("age")] == [first]
    assert [row.photo_id for row in small_library.labels("age2")] == [second]


def wait_attribute(qtbot, widget, name: str) -> None:
    qtbot.waitUntil(lambda: widget.attribute == name, timeout=TIMEOUT_MS)
    settle(qtbot)


def test_press_waits_for_failed_undo(qtbot, age_panel, small_library, messages):
    gate = UndoGate(age_panel.undo_stack)
    age_panel.rename_attribute("age", "x")
    wait_attribute(qtbot, age_panel, "x")
    age_panel.rename_attribute("x", "y")
    wait_attribute(qtbot, age_panel, "y")
    small_library.create_attribute("x")  # as another program would
    small_library.set_label("x", sorted(photo_ids_by_name(small_library).values())[0], "high")

    release = block_writer()
    gate.undo()  # y back to x fails, because "x" exists
    gate.undo()  # pressed before that failure is known: it must not rename the other program's "x"
    release.set()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert sorted(small_library.attributes()) == [("x", 1), ("y", 0)]
    assert age_panel.undo_stack.undoText() == "Rename attribute x to y"


def test_redo_press_after_failed_undo_dropped(qtbot, panel, small_library, messages):
    gate = UndoGate(panel.undo_stack)
    panel.create_attribute("smile")
    wait_attribute(qtbot, panel, "smile")
    first = sorted(photo_ids_by_name(small_library).values())[0]
    small_library.set_label("smile", first, "high")  # as another program would

    release = block_writer()
    gate.undo()  # fails: "smile" has a label
    gate.redo()  # pressed before that failure is known
    release.set()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)
    assert panel.undo_stack.index() == 1

    small_library.remove_label("smile", first)
    gate.undo()  # now the undo can succeed, and nothing redoes it
    settle(qtbot)
    assert small_library.attributes() == []
    assert panel.undo_stack.index() == 0


def test_failed_redo_clears_later_redos(qtbot, panel, small_library, messages):
    gate = UndoGate(panel.undo_stack)
    panel.create_attribute("x")
    wait_attribute(qtbot, panel, "x")
    panel.rename_attribute("x", "y")
    wait_attribute(qtbot, panel, "y")
    gate.undo()
    settle(qtbot)
    gate.undo()
    qtbot.waitUntil(lambda: small_library.attributes() == [], timeout=TIMEOUT_MS)
    settle(qtbot)
    small_library.create_attribute("x")  # as another program would
    small_library.set_label("x", sorted(photo_ids_by_name(small_library).values())[0], "high")

    gate.redo()  # creating "x" fails: it exists
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert not panel.undo_stack.canRedo()  # renaming x to y was recorded on the failed creation
    gate.redo()
    settle(qtbot)
    assert small_library.attributes() == [("x", 1)]


def test_waiting_press_after_stack_cleared(qtbot, age_panel, small_library, messages):
    gate = UndoGate(age_panel.undo_stack)
    first = sorted(photo_ids_by_name(small_library).values())[0]

    release = block_writer()
    age_panel.label_photos([first], "low")  # its write waits behind the blocked writer
    gate.undo()  # waits for that write, aimed at the label command
    age_panel.set_library(None)  # as opening another library does: the stack is cleared, deleting the command
    release.set()
    settle(qtbot)

    assert age_panel.undo_stack.count() == 0
    assert messages == []


def test_failure_after_library_switch_ignored(qtbot, age_panel, small_library, messages):
    age_panel.label_photos([999_999], "high")
    age_panel.set_library(None)  # clears the stack, deleting the command, before the write fails
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=TIMEOUT_MS)
    settle(qtbot)

    assert "photo 999999 is not in the library" in messages[0]
    assert age_panel.undo_stack.count() == 0


def test_percent_names_shown_verbatim(qtbot, age_panel):
    age_panel.rename_attribute("age", "%2 off %1")
    qtbot.waitUntil(lambda: age_panel.attribute == "%2 off %1", timeout=TIMEOUT_MS)
    settle(qtbot)

    assert age_panel.attribute_list.currentItem().text() == "%2 off %1 (0)"
    assert age_panel.undo_stack.undoText() == "Rename attribute age to %2 off %1"


def test_undo_keeps_label_from_cli(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)
    path = small_library.labels("age")[0].path

    # The CLI relabels the photo while the panel is open on the same library.
    command = [sys.executable, "-m", "large_desktop.cli", "label", "age", path, "high", "--db", str(small_library.db_path)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    age_panel.undo_stack.undo()
    settle(qtbot)

    assert [(row.kind, row.value) for row in small_library.labels("age")] == [("high", None)]
    assert len(messages) == 1
    assert "changed by another program" in messages[0]


def test_redo_keeps_label_from_cli(qtbot, age_panel, small_library, known_ages, messages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)
    path = small_library.labels("age")[0].path
    age_panel.undo_stack.undo()
    settle(qtbot)
    assert small_library.labels("age") == []

    # The CLI labels the photo after the undo; a redo must not overwrite it.
    small_library.label_file("age", Path(path), "high")
    age_panel.undo_stack.redo()
    settle(qtbot)

    assert [(row.kind, row.value) for row in small_library.labels("age")] == [("high", None)]
    assert len(messages) == 1
    assert "changed by another program" in messages[0]


def test_redo_after_undo_writes_again(qtbot, age_panel, small_library, known_ages):
    young, _ = youngest_and_oldest(small_library, known_ages)
    age_panel.label_photos([young], "low")
    wait_for_labels(qtbot, age_panel, 1)

    age_panel.undo_stack.undo()
    settle(qtbot)
    age_panel.undo_stack.redo()
    settle(qtbot)

    assert [row.kind for row in small_library.labels("age")] == ["low"]
