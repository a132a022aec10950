"""The grid's item model: listing, score order, reverse, unsorted, filter, drag data."""

from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from large_desktop.app.library_model import LibraryModel, PathRole, PhotoIdRole, PredictedRole, ScoreRole
from large_desktop.app.mime import PHOTO_IDS_MIME, decode_photo_ids
from large_desktop.core.library import Library, PhotoListing


@dataclass
class Scores:
    """The fields of the attribute panel's score result that the model reads."""

    photo_ids: np.ndarray
    scores: np.ndarray
    predicted: np.ndarray | None
    attribute: str = "age"


@pytest.fixture
def listing(tmp_path, photo_folder) -> PhotoListing:
    library = Library(tmp_path / "library.sqlite")
    for _ in library.scan([photo_folder]):
        pass
    return library.listing()


@pytest.fixture
def model(listing) -> LibraryModel:
    model = LibraryModel()
    model.set_listing(listing)
    return model


def ids_in_view(model) -> list[int]:
    return [model.index(row).data(PhotoIdRole) for row in range(model.rowCount())]


def test_listing_rows_in_path_order(model, listing):
    paths = [model.index(row).data(PathRole) for row in range(model.rowCount())]

    assert model.rowCount() == 5
    assert paths == sorted(paths)
    assert set(model.status_counts()) == {"pending"}


def test_apply_scores_orders_highest_first(model, listing):
    ids = listing.photo_ids
    scores = np.array([0.1, 0.9, 0.5, 0.3, 0.7])
    model.apply_scores(Scores(ids, scores, scores * 100))

    assert ids_in_view(model) == [int(ids[i]) for i in (1, 4, 2, 3, 0)]
    assert model.index(0).data(ScoreRole) == pytest.approx(0.9)
    assert model.index(0).data(PredictedRole) == pytest.approx(90.0)
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole) == "90.0"


def test_reverse_and_unsorted(model, listing):
    ids = listing.photo_ids
    model.apply_scores(Scores(ids, np.array([0.1, 0.9, 0.5, 0.3, 0.7]), None))

    model.set_reverse(True)
    assert ids_in_view(model) == [int(ids[i]) for i in (0, 3, 2, 4, 1)]
    model.set_unsorted(True)
    assert ids_in_view(model) == ids.tolist()
    model.set_unsorted(False)
    model.apply_scores(None)
    assert ids_in_view(model) == ids.tolist()


def test_unscored_photos_come_last(model, listing):
    ids = listing.photo_ids
    model.apply_scores(Scores(ids[[3, 1]], np.array([2.0, 1.0]), None))

    assert ids_in_view(model) == [int(ids[3]), int(ids[1]), int(ids[0]), int(ids[2]), int(ids[4])]
    assert model.index(4).data(ScoreRole) is None


def test_selection_follows_reorder(qtbot, model, listing):
    selection = QItemSelectionModel(model)
    selection.select(model.index(0), QItemSelectionModel.SelectionFlag.Select)
    selected_id = model.index(0).data(PhotoIdRole)
    model.apply_scores(Scores(listing.photo_ids, np.arange(5, dtype=np.float64), None))

    rows = [index.row() for index in selection.selectedIndexes()]
    assert rows == [4]
    assert model.index(4).data(PhotoIdRole) == selected_id


def test_status_update_and_problem_filter(model, listing):
    ids = listing.photo_ids
    model.update_statuses([(int(ids[0]), "failed", "cannot decode"), (int(ids[2]), "no_face", None), (int(ids[3]), "done", None)])
    model.set_problems_only(True)

    assert ids_in_view(model) == [int(ids[0]), int(ids[2])]
    assert "cannot decode" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    model.set_problems_only(False)
    assert model.rowCount() == 5


def test_mime_data_carries_selected_ids(model, listing):
    ids = listing.photo_ids
    mime = model.mimeData([model.index(3), model.index(1), model.index(3)])

    assert mime.hasFormat(PHOTO_IDS_MIME)
    assert decode_photo_ids(mime) == [int(ids[1]), int(ids[3])]
    assert model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled


class DropZone(QWidget):
    """A widget that accepts photo-id drops, as the attribute panel's less/more zones do."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.received: list[int] = []

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(PHOTO_IDS_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.received = decode_photo_ids(event.mimeData())
        event.acceptProposedAction()


def test_grid_drag_drops_on_zone(qtbot, listing):
    from large_desktop.app.grid_view import GridView

    model = LibraryModel()
    model.set_listing(listing)
    grid = GridView()
    grid.setModel(model)
    zone = DropZone()
    qtbot.addWidget(grid)
    qtbot.addWidget(zone)
    grid.selectionModel().select(model.index(2), QItemSelectionModel.SelectionFlag.Select)
    grid.selectionModel().select(model.index(0), QItemSelectionModel.SelectionFlag.Select)
    mime = model.mimeData(grid.selectionModel().selectedIndexes())

    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, enter)
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(zone, drop)

    assert zone.received == [int(listing.photo_ids[0]), int(listing.photo_ids[2])]


def test_reorder_100k_rows_by_score():
    count = 100_000
    listing = PhotoListing(
        photo_ids=np.arange(1, count + 1, dtype=np.int64),
        paths=[f"/photos/{i:06d}.jpg" for i in range(count)],
        content_hashes=[f"{i:064x}" for i in range(count)],
        statuses=["done"] * count,
        errors=[None] * count,
    )
    model = LibraryModel()
    model.set_listing(listing)
    scores = np.random.default_rng(0).standard_normal(count)

    # Speed is measured by bench/gui.py, not here: the machines are shared and noisy.
    model.apply_scores(Scores(listing.photo_ids, scores, None))

    assert model.index(0).data(ScoreRole) == pytest.approx(scores.max())
    assert model.index(count - 1).data(ScoreRole) == pytest.approx(scores.min())
