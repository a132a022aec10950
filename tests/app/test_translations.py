"""A compiled translation in the app's format is found and used by the window's strings."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale

from large_desktop.app.main import install_translator

TEMPLATE = Path(__file__).resolve().parents[2] / "resources" / "translations" / "large_desktop.ts"
GERMAN = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
</context>
</TS>
"""


def test_template_lists_window_strings():
    text = TEMPLATE.read_text(encoding="utf-8")

    assert "<name>MainWindow</name>" in text
    assert "<source>&amp;File</source>" in text
    assert "<name>AttributePanel</name>" in text


def test_compiled_translation_is_loaded(qapp, tmp_path):
    release = Path(sys.executable).parent / "pyside6-lrelease"  # installed with PySide6-Essentials
    tool = str(release) if release.is_file() else shutil.which("pyside6-lrelease")
    if tool is None:
        pytest.skip(f"pyside6-lrelease not found (looked for {release} and on PATH)")
    source = tmp_path / "large_desktop_de_DE.ts"
    source.write_text(GERMAN, encoding="utf-8")
    subprocess.run([tool, str(source), "-qm", str(tmp_path / "large_desktop_de_DE.qm")], check=True, capture_output=True)
    previous = QLocale()
    QLocale.setDefault(QLocale("de_DE"))
    translator = None
    try:
        translator = install_translator(qapp, tmp_path)

        assert translator is not None
        assert QCoreApplication.translate("MainWindow", "&File") == "&Datei"
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)
        QLocale.setDefault(previous)


def test_missing_translation_is_not_installed(qapp, tmp_path):
    assert install_translator(qapp, tmp_path) is None
