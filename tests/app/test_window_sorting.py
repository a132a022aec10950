"""The whole window on real faces: drop two photos into Less/More, watch the grid re-order, undo."""

import csv

import numpy as np
from app_helpers import INDEX_TIMEOUT_MS, make_window, wait_indexed  # noqa: F401 (fixtures)
from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from large_desktop.app.library_model import PathRole, ScoreRole
from large_desktop.app.mime import decode_photo_ids
from large_desktop.core.engine import spearman

NUM_FACES = 10


def dev_ages(dev_faces) -> dict[str, int]:
    with (dev_faces / "labels.csv").open() as handle:
        return {row["file"]: int(row["age"]) for row in csv.DictReader(handle)}


def drag_from_grid(window, name: str, zone) -> None:
    """Select one photo in the grid, take the grid's drag data and drop it on a zone."""
    grid, model = window.grid, window.model
    row = next(row for row in range(model.rowCount()) if model.index(row).data(PathRole).endswith("/" + name))
    grid.selectionModel().select(model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    mime = model.mimeData(grid.selectionModel().selectedIndexes())
    assert decode_photo_ids(mime) == [model.photo_id_at(row)]
    centre = zone.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, drop)


def grid_order(window) -> list[str]:
    model = window.model
    return [model.index(row).data(PathRole).rsplit("/", 1)[-1] for row in range(model.rowCount())]


def test_drop_reorders_grid_and_undo(qtbot, make_window, tmp_path, dev_faces):
    ages = dev_ages(dev_faces)
    by_age = sorted(ages, key=lambda name: (ages[name], name))
    chosen = [by_age[int(index)] for index in np.linspace(0, len(by_age) - 1, NUM_FACES)]
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in chosen:
        (folder / name).write_bytes((dev_faces / name).read_bytes())

    window = make_window()
    window.open_library(tmp_path / "library.sqlite", folders=[folder])
    wait_indexed(qtbot, window, rows=NUM_FACES)
    panel = window.attribute_panel
    panel.create_attribute("age")
    qtbot.waitUntil(lambda: panel.attribute == "age", timeout=INDEX_TIMEOUT_MS)
    unsorted = grid_order(window)

    youngest, oldest = chosen[0], chosen[-1]
    drag_from_grid(window, youngest, panel.less_zone)
    drag_from_grid(window, oldest, panel.more_zone)
    qtbot.waitUntil(lambda: len(panel.labels) == 2 and window.model.index(0).data(ScoreRole) is not None, timeout=INDEX_TIMEOUT_MS)

    order = grid_order(window)
    rho = spearman(np.arange(len(order))[::-1].astype(float), np.array([ages[name] for name in order], dtype=float))
    assert order != unsorted
    assert order.index(oldest) < order.index(youngest)
    assert rho > 0.3, (rho, [(name, ages[name]) for name in order])

    # The menu's Undo, as the user reaches it, goes through the window's undo gate.
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == "&Undo Label 1 photo(s) high"
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: len(panel.labels) == 1, timeout=INDEX_TIMEOUT_MS)
    assert window.redo_action.isEnabled()
    assert [label.path.rsplit("/", 1)[-1] for label in panel.labels] == [youngest]
