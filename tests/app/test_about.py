"""The About dialog shows the pyproject version and the third-party licence list."""

import tomllib
from pathlib import Path

from large_desktop.app import about

REPO = Path(__file__).resolve().parents[2]


def pyproject_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def test_about_shows_version_from_pyproject(qtbot):
    dialog = about.show_about(None)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)

    assert dialog.isVisible()
    assert pyproject_version() in dialog.version_label.text()
    assert "MIT" in dialog.summary_label.text()


def test_licences_button_opens_read_only_list(qtbot):
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()

    dialog.licenses_button.click()

    shown = dialog.licenses_dialog
    assert shown is not None and shown.isVisible()
    assert shown.view.isReadOnly()
    text = shown.view.toPlainText()
    for expected in ("torch", "PySide6", "shape_predictor_68_face_landmarks.dat", "StyleGAN2"):
        assert expected in text


def test_missing_licence_list_names_the_file(qtbot, tmp_path):
    missing = tmp_path / "THIRD_PARTY.md"
    dialog = about.AboutDialog(licenses_file=missing)
    qtbot.addWidget(dialog)

    dialog.on_licenses_clicked()

    assert str(missing) in dialog.licenses_dialog.view.toPlainText()
