"""The About dialog: version, a licence summary and the third-party licence list.

`show_about(parent)` opens it, for the main window's Help menu. The "Licences…"
button shows resources/licenses/THIRD_PARTY.md, which
packaging/collect_licenses.py generates, in a read-only view.
"""

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from large_desktop import __version__
from large_desktop.core.packs.base import RESOURCES

logger = logging.getLogger(__name__)

LICENSES_FILE = RESOURCES / "licenses" / "THIRD_PARTY.md"


class LicensesDialog(QDialog):
    """A read-only view of the third-party licence list (Markdown)."""

    def __init__(self, path: Path = LICENSES_FILE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Third-party licences"))
        self.resize(760, 560)

        self.view = QTextBrowser(self)
        self.view.setReadOnly(True)
        self.view.setOpenExternalLinks(False)
        try:
            self.view.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError as exc:
            logger.warning("cannot read the licence list %s: %s", path, exc)
            self.view.setPlainText(
                self.tr("The licence list {path} cannot be read ({error}); reinstall large-desktop.").format(
                    path=path, error=exc.strerror or exc
                )
            )

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addWidget(buttons)


class AboutDialog(QDialog):
    """Name, version and licence summary, with a button for the full licence list."""

    def __init__(self, parent: QWidget | None = None, licenses_file: Path = LICENSES_FILE) -> None:
        super().__init__(parent)
        self._licenses_file = licenses_file
        self.licenses_dialog: LicensesDialog | None = None
        self.setWindowTitle(self.tr("About large-desktop"))

        self.title_label = QLabel(self.tr("<h2>large-desktop</h2>"), self)
        self.version_label = QLabel(self.tr("Version {version}").format(version=__version__), self)
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label = QLabel(
            self.tr(
                "Sorts a photo library by any visual attribute taught from a few examples "
                "(LARGE, latent-based regression).\n\n"
                "large-desktop is free software under the MIT licence. It bundles Qt (LGPL-3.0), "
                "PyTorch, dlib and other open-source packages under their own licences. "
                "The dlib landmark model and the DCGAN face generator come from data sets whose terms "
                "exclude commercial use; StyleGAN2 checkpoints are not included and carry NVIDIA's "
                "non-commercial licence. Licences… lists everything."
            ),
            self,
        )
        self.summary_label.setWordWrap(True)

        self.licenses_button = QPushButton(self.tr("Licences…"), self)
        self.licenses_button.clicked.connect(self.on_licenses_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.licenses_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.version_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def on_licenses_clicked(self) -> None:
        if self.licenses_dialog is None:
            self.licenses_dialog = LicensesDialog(self._licenses_file, self)
        self.licenses_dialog.show()
        self.licenses_dialog.raise_()


def show_about(parent: QWidget | None) -> AboutDialog:
    """Open the About dialog, modal to its window, and return it without blocking."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
