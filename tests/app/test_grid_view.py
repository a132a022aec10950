"""Keys on the grid: 1/2 for low/high, a number then Enter, Delete."""

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from large_desktop.app.grid_view import GridView
from large_desktop.app.library_model import LibraryModel
from large_desktop.core.library import Library


@pytest.fixture
def grid(qtbot, tmp_path, photo_folder):
    library = Library(tmp_path / "library.sqlite")
    for _ in library.scan([photo_folder]):
        pass
    model = LibraryModel()
    model.set_listing(library.listing())
    view = GridView()
    view.WORD_DELAY_MS = 50
    view.setModel(model)
    qtbot.addWidget(view)
    view.show()
    view.selectionModel().select(model.index(1), QItemSelectionModel.SelectionFlag.Select)
    view.selectionModel().select(model.index(3), QItemSelectionModel.SelectionFlag.Select)
    view.expected_ids = [model.photo_id_at(1), model.photo_id_at(3)]
    return view


def test_key_2_labels_high(qtbot, grid):
    with qtbot.waitSignal(grid.label_requested, timeout=2000) as blocker:
        qtbot.keyClick(grid, Qt.Key.Key_2)

    assert blocker.args == [grid.expected_ids, "high"]


def test_key_1_labels_low(qtbot, grid):
    with qtbot.waitSignal(grid.label_requested, timeout=2000) as blocker:
        qtbot.keyClick(grid, Qt.Key.Key_1)

    assert blocker.args == [grid.expected_ids, "low"]


def test_number_then_enter_labels_value(qtbot, grid):
    received = []
    grid.label_requested.connect(lambda ids, value: received.append((ids, value)))
    qtbot.keyClicks(grid, "12.5")
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    qtbot.wait(100)  # the 1 must not also fire as "low"

    assert received == [(grid.expected_ids, "12.5")]


def test_escape_cancels_number(qtbot, grid):
    received = []
    grid.label_requested.connect(lambda ids, value: received.append(value))
    qtbot.keyClicks(grid, "35")
    qtbot.keyClick(grid, Qt.Key.Key_Escape)
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    qtbot.wait(100)

    assert received == []


def test_delete_removes_labels(qtbot, grid):
    with qtbot.waitSignal(grid.unlabel_requested, timeout=2000) as blocker:
        qtbot.keyClick(grid, Qt.Key.Key_Delete)

    assert blocker.args == [grid.expected_ids]


def test_visible_ids_follow_viewport(qtbot, grid):
    model = grid.model()
    grid.resize(900, 600)
    qtbot.waitUntil(lambda: grid.visible_photo_ids() == model.photo_ids_in_order(), timeout=2000)

    grid.resize(160, 170)  # one column, one line of 128 px thumbnails
    qtbot.wait(50)
    visible = grid.visible_photo_ids()
    assert visible[0] == model.photo_id_at(0)
    assert len(visible) < model.rowCount()
