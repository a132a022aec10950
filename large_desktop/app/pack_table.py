"""The table model behind the Models dialog: one row per pack, one column per property."""

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from large_desktop.app.pack_rows import BROKEN, DOWNLOADED, INSTALLED, NOT_INSTALLED, PARTIAL, SHIPPED, PackRow
from large_desktop.core.packs.download import format_bytes

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("name", "kind", "domain", "latent", "rho", "size", "licence", "status")
STATUS_COLUMN = COLUMNS.index("status")

# Qt.ItemDataRole for the pack id of a row, on every column.
PACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PackTableModel(QAbstractTableModel):
    """Pack rows from `pack_rows.read_pack_rows`, plus the state of the transfer in progress.

    The model only formats what it is given. The dialog reads the rows off
    the UI thread and passes them to `set_rows`.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PackRow] = []
        self._current_pack_id: str | None = None
        self._transfer: tuple[str, str, float | None] | None = None  # (pack id, "download" or "import", fraction)
        self._headers = {
            "name": self.tr("Name"),
            "kind": self.tr("Kind"),
            "domain": self.tr("Domain"),
            "latent": self.tr("Latent"),
            "rho": self.tr("k=2 ρ"),
            "size": self.tr("Size"),
            "licence": self.tr("Licence"),
            "status": self.tr("Status"),
        }

    # ------------------------------------------------------------ contents

    def set_rows(self, rows: tuple[PackRow, ...]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def set_current_pack(self, pack_id: str | None) -> None:
        """Mark the pack the library uses now (shown in bold)."""
        self._current_pack_id = pack_id
        self._emit_all_changed()

    def set_transfer(self, pack_id: str | None, verb: str = "download", fraction: float | None = None) -> None:
        """Show a transfer's progress in its pack's status cell, or end the transfer display when `pack_id` is None."""
        previous = self._transfer[0] if self._transfer else None
        self._transfer = (pack_id, verb, fraction) if pack_id is not None else None
        for changed in {previous, pack_id} - {None}:
            row = self.row_of(changed)
            if row is not None:
                cell = self.index(row, STATUS_COLUMN)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    def current_pack_id(self) -> str | None:
        return self._current_pack_id

    def pack(self, row: int) -> PackRow:
        return self._rows[row]

    def row_of(self, pack_id: str) -> int | None:
        for row, pack in enumerate(self._rows):
            if pack.id == pack_id:
                return row
        return None

    def pack_by_id(self, pack_id: str) -> PackRow | None:
        row = self.row_of(pack_id)
        return self._rows[row] if row is not None else None

    # ------------------------------------------------------------ Qt model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return self._headers[COLUMNS[section]]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section] == "rho":
            return self.tr("Spearman rank correlation with age from two labeled faces, measured by bench/accuracy.py")
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        pack = self._rows[index.row()]
        column = COLUMNS[index.column()]

        if role == Qt.ItemDataRole.DisplayRole:
            return self.display_text(pack, column)
        if role == PACK_ID_ROLE:
            return pack.id
        if role == Qt.ItemDataRole.FontRole and pack.id == self._current_pack_id:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "licence":
                return pack.license_text
            if pack.id == self._current_pack_id:
                return self.tr("{pack} is the pack of the open library").format(pack=pack.id)
            return pack.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("rho", "size"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def display_text(self, pack: PackRow, column: str) -> str:
        if column == "name":
            return pack.name
        if column == "kind":
            return {"gan": self.tr("GAN"), "embedding": self.tr("embedding")}.get(pack.kind, pack.kind)
        if column == "domain":
            return {"face": self.tr("faces"), "photo": self.tr("whole photos")}.get(pack.domain, pack.domain)
        if column == "latent":
            return f"{pack.latent_shape[0]}×{pack.latent_shape[1]}"
        if column == "rho":
            return f"{pack.k2_rho:.2f}" if pack.k2_rho is not None else "–"
        if column == "size":
            return format_bytes(pack.size) if pack.size_exact else f"~{format_bytes(pack.size)}"
        if column == "licence":
            return pack.license_short
        return self.status_text(pack)

    def status_text(self, pack: PackRow) -> str:
        """Describe a pack's state, or the progress of its transfer in progress."""
        if self._transfer is not None and self._transfer[0] == pack.id:
            _, verb, fraction = self._transfer
            if fraction is None:
                return self.tr("downloading…") if verb == "download" else self.tr("importing…")
            percent = int(fraction * 100)
            if verb == "download":
                return self.tr("downloading {percent}%").format(percent=percent)
            return self.tr("importing {percent}%").format(percent=percent)

        if pack.status == SHIPPED:
            return self.tr("shipped")
        if pack.status == INSTALLED:
            return self.tr("installed")
        if pack.status == PARTIAL:
            return self.tr("partial download present ({size})").format(size=format_bytes(pack.partial_bytes))
        if pack.status == DOWNLOADED:
            return self.tr("downloaded, not converted")
        if pack.status == BROKEN:
            return self.tr("broken, remove and install again")
        assert pack.status == NOT_INSTALLED, pack.status
        return self.tr("not installed")

    def _emit_all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))
