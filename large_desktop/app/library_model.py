"""The item model of the grid: the library's photos in display order.

The model owns the data (a `PhotoListing` plus scores) as numpy arrays and a
display order, which is a permutation of listing rows. Re-ordering after new
scores is one argsort and one layout change, also at 100,000 photos.
"""

import logging
from pathlib import PurePath
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QAbstractListModel, QCoreApplication, QMimeData, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from large_desktop.app.mime import PHOTO_IDS_MIME, encode_photo_ids
from large_desktop.app.qt_workarounds import emit
from large_desktop.app.thumbnails import ThumbnailLoader
from large_desktop.core.library import PhotoListing

logger = logging.getLogger(__name__)

PROBLEM_STATUSES = ("failed", "no_face")

PhotoIdRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3
ErrorRole = Qt.ItemDataRole.UserRole + 4
ScoreRole = Qt.ItemDataRole.UserRole + 5
PredictedRole = Qt.ItemDataRole.UserRole + 6


class Scores(Protocol):
    """What `apply_scores` reads: `core.library.ScoreResult` from the attribute panel."""

    photo_ids: np.ndarray  # [M] int64
    scores: np.ndarray  # [M] float64
    predicted: np.ndarray | None  # [M] float64, or None without a calibration
    attribute: str


def _empty_listing() -> PhotoListing:
    return PhotoListing(np.zeros(0, dtype=np.int64), [], [], [], [])


class LibraryModel(QAbstractListModel):
    """One row per photo with a file; rows follow the scores, or library order when unsorted.

    Signals:
        statuses_changed(): photo statuses changed (new listing or a written batch).
        order_changed(): rows were re-ordered or filtered.
    """

    statuses_changed = Signal()
    order_changed = Signal()

    def __init__(self, thumbnails: ThumbnailLoader | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._listing = _empty_listing()
        self._statuses = np.zeros(0, dtype=object)  # [N] str
        self._errors: list[str | None] = []
        self._scores = np.zeros(0)  # [N] float64, NaN = no score
        self._predicted = np.zeros(0)  # [N] float64, NaN = no value
        self._sorted_ids = np.zeros(0, dtype=np.int64)  # [N] photo ids ascending
        self._sorted_rows = np.zeros(0, dtype=np.int64)  # [N] listing row of each sorted id
        self._order = np.zeros(0, dtype=np.int64)  # [R] listing rows in display order
        self._display_row = np.zeros(0, dtype=np.int64)  # [N] display row of each listing row, -1 hidden
        self._has_scores = False
        self._reverse = False
        self._unsorted = False
        self._problems_only = False
        if thumbnails is not None:
            thumbnails.loaded.connect(self._on_thumbnail_loaded)

    # ------------------------------------------------------------ data in

    def set_listing(self, listing: PhotoListing) -> None:
        """Replace every row; scores of photos still listed are kept."""
        old_ids, old_scores, old_predicted = self._listing.photo_ids, self._scores, self._predicted
        self.beginResetModel()
        self._listing = listing
        self._statuses = np.array(listing.statuses, dtype=object)
        self._errors = list(listing.errors)
        self._sorted_rows = np.argsort(listing.photo_ids, kind="stable")
        self._sorted_ids = listing.photo_ids[self._sorted_rows]
        self._scores = np.full(len(listing), np.nan)
        self._predicted = np.full(len(listing), np.nan)
        if self._has_scores and len(old_ids):
            rows, found = self._rows_of(old_ids)
            self._scores[rows[found]] = old_scores[found]
            self._predicted[rows[found]] = old_predicted[found]
        self._order = self._compute_order()
        self._update_display_rows()
        self.endResetModel()
        emit(self.statuses_changed)

    def apply_scores(self, result: Scores | None) -> None:
        """Re-order rows by score (highest first, or lowest with reverse); None = library order."""
        self._scores = np.full(len(self._listing), np.nan)
        self._predicted = np.full(len(self._listing), np.nan)
        self._has_scores = result is not None
        if result is not None:
            rows, found = self._rows_of(np.asarray(result.photo_ids, dtype=np.int64))
            self._scores[rows[found]] = np.asarray(result.scores, dtype=np.float64)[found]
            if result.predicted is not None:
                self._predicted[rows[found]] = np.asarray(result.predicted, dtype=np.float64)[found]
            logger.debug("applied %d scores of attribute %r", int(found.sum()), result.attribute)
        self._reorder()

    def set_reverse(self, reverse: bool) -> None:
        if reverse != self._reverse:
            self._reverse = reverse
            self._reorder()

    def set_unsorted(self, unsorted: bool) -> None:
        if unsorted != self._unsorted:
            self._unsorted = unsorted
            self._reorder()

    def set_problems_only(self, problems_only: bool) -> None:
        """Show only photos that failed or have no face."""
        if problems_only != self._problems_only:
            self._problems_only = problems_only
            self._reorder()

    def update_statuses(self, updates: list[tuple[int, str, str | None]]) -> None:
        """Apply (photo id, status, error) of a written batch; unknown ids are ignored."""
        if not updates:
            return
        ids = np.array([photo_id for photo_id, _, _ in updates], dtype=np.int64)
        rows, found = self._rows_of(ids)
        changed = []
        for row, ok, (_, status, error) in zip(rows, found, updates):
            if ok:
                self._statuses[row] = status
                self._errors[row] = error
                changed.append(int(row))
        if not changed:
            return
        if self._problems_only:
            self._reorder()
        else:
            display = self._display_row[changed]
            display = display[display >= 0]
            if len(display):
                emit(self.dataChanged, self.index(int(display.min())), self.index(int(display.max())))
        emit(self.statuses_changed)

    # ------------------------------------------------------------ queries

    @property
    def reverse(self) -> bool:
        return self._reverse

    @property
    def unsorted(self) -> bool:
        return self._unsorted

    @property
    def problems_only(self) -> bool:
        return self._problems_only

    def status_counts(self) -> dict[str, int]:
        statuses, counts = np.unique(self._statuses.astype(str), return_counts=True) if len(self._statuses) else ([], [])
        return {str(status): int(count) for status, count in zip(statuses, counts)}

    def photo_ids_in_order(self) -> list[int]:
        return self._listing.photo_ids[self._order].tolist()

    def photo_id_at(self, row: int) -> int:
        return int(self._listing.photo_ids[self._order[row]])

    def row_of(self, photo_id: int) -> int | None:
        """Return the display row of a photo, or None when it is hidden or unknown."""
        rows, found = self._rows_of(np.array([photo_id], dtype=np.int64))
        if not found[0]:
            return None
        display = int(self._display_row[rows[0]])
        return display if display >= 0 else None

    def photo_ids_of(self, indexes: list[QModelIndex]) -> list[int]:
        """Return the photo ids of indexes, in display order, without duplicates."""
        rows = sorted({index.row() for index in indexes if index.isValid()})
        return [self.photo_id_at(row) for row in rows]

    # --------------------------------------------------- QAbstractListModel

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._order):
            return None
        row = int(self._order[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            return self._caption(row)
        if role == Qt.ItemDataRole.DecorationRole:
            if self._thumbnails is None:
                return None
            photo_id = int(self._listing.photo_ids[row])
            return self._thumbnails.pixmap(photo_id, self._listing.paths[row], self._listing.content_hashes[row])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == PhotoIdRole:
            return int(self._listing.photo_ids[row])
        if role == PathRole:
            return self._listing.paths[row]
        if role == StatusRole:
            return str(self._statuses[row])
        if role == ErrorRole:
            return self._errors[row]
        if role == ScoreRole:
            score = self._scores[row]
            return None if np.isnan(score) else float(score)
        if role == PredictedRole:
            value = self._predicted[row]
            return None if np.isnan(value) else float(value)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [PHOTO_IDS_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        return encode_photo_ids(self.photo_ids_of(indexes))

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # ------------------------------------------------------------ private

    def _rows_of(self, photo_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map photo ids to listing rows; returns (rows, found) with found a bool mask."""
        if not len(self._sorted_ids):
            return np.zeros(len(photo_ids), dtype=np.int64), np.zeros(len(photo_ids), dtype=bool)
        positions = np.searchsorted(self._sorted_ids, photo_ids)
        positions = np.minimum(positions, len(self._sorted_ids) - 1)
        found = self._sorted_ids[positions] == photo_ids
        return self._sorted_rows[positions], found

    def _compute_order(self) -> np.ndarray:
        candidates = np.arange(len(self._listing), dtype=np.int64)
        if self._problems_only:
            candidates = candidates[np.isin(self._statuses, PROBLEM_STATUSES)]
        if self._unsorted or not self._has_scores:
            return candidates

        scores = self._scores[candidates]
        scored = ~np.isnan(scores)
        keys = scores[scored] if self._reverse else -scores[scored]
        ranked = candidates[scored][np.argsort(keys, kind="stable")]
        return np.concatenate([ranked, candidates[~scored]])  # photos without a score last, in library order

    def _update_display_rows(self) -> None:
        self._display_row = np.full(len(self._listing), -1, dtype=np.int64)
        self._display_row[self._order] = np.arange(len(self._order), dtype=np.int64)

    def _reorder(self) -> None:
        """Apply a new display order, keeping selection and current index on the same photos."""
        emit(self.layoutAboutToBeChanged)
        old_order = self._order
        persistent = self.persistentIndexList()
        old_rows = [int(old_order[index.row()]) if 0 <= index.row() < len(old_order) else -1 for index in persistent]

        self._order = self._compute_order()
        self._update_display_rows()

        new_indexes = []
        for listing_row in old_rows:
            display = int(self._display_row[listing_row]) if listing_row >= 0 else -1
            new_indexes.append(self.index(display) if display >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, new_indexes)
        emit(self.layoutChanged)
        emit(self.order_changed)

    def _caption(self, row: int) -> str:
        value = self._predicted[row]
        if not np.isnan(value):
            return f"{value:.1f}"
        score = self._scores[row]
        if not np.isnan(score):
            return f"{score:.2f}"
        status = str(self._statuses[row])
        if status == "done":
            return PurePath(self._listing.paths[row]).name
        return _status_text(status)

    def _tooltip(self, row: int) -> str:
        path = self._listing.paths[row]
        status = str(self._statuses[row])
        lines = [path, _status_text(status)]
        error = self._errors[row]
        if error:
            lines.append(error)
        if self._thumbnails is not None:
            failure = self._thumbnails.failure(int(self._listing.photo_ids[row]))
            if failure and failure != error:
                lines.append(failure)
        return "\n".join(lines)

    def _on_thumbnail_loaded(self, photo_id: int) -> None:
        display = self.row_of(photo_id)
        if display is not None:
            index = self.index(display)
            emit(self.dataChanged, index, index, [Qt.ItemDataRole.DecorationRole])


def _status_text(status: str) -> str:
    texts = {
        "done": QCoreApplication.translate("LibraryModel", "indexed"),
        "no_face": QCoreApplication.translate("LibraryModel", "no face found"),
        "failed": QCoreApplication.translate("LibraryModel", "failed"),
        "pending": QCoreApplication.translate("LibraryModel", "waiting to be indexed"),
        "missing": QCoreApplication.translate("LibraryModel", "file missing"),
    }
    return texts.get(status, status)
