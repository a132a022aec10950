"""Exports started from the app: real library, real files, progress on a pool thread, one outcome message."""

import csv
import hashlib
import re
from pathlib import Path

import pytest
from labeled_library import known_ages, photo_ids_by_name, small_library, small_library_template  # noqa: F401
from PySide6.QtWidgets import QWidget

from large_desktop.app import operations
from large_desktop.app.export_actions import (
    COPY,
    CSV,
    KINDS,
    XMP_RATINGS,
    ExportRun,
    build_export_menu,
)
from large_desktop.core import xmp

TIMEOUT_MS = 60_000

OTHER_TOOL_SIDECAR = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="Red">
   <dc:subject><rdf:Bag><rdf:li>family</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def age_library(small_library, known_ages):
    ids = photo_ids_by_name(small_library)
    small_library.create_attribute("age")
    small_library.set_label("age", ids[min(known_ages, key=known_ages.get)], "1")
    small_library.set_label("age", ids[max(known_ages, key=known_ages.get)], "96")
    return small_library


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def run_export(qtbot, parent, kind, library, target) -> str:
    outcomes: list[str] = []
    ExportRun(parent, kind, library, "age", target, outcomes.append)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not operations._RUNNING, timeout=TIMEOUT_MS)
    assert len(outcomes) == 1
    return outcomes[0]


def test_csv_export_sorted(qtbot, parent, age_library, known_ages, tmp_path):
    out = tmp_path / "age.csv"

    message = run_export(qtbot, parent, CSV, age_library, out)

    assert "Wrote 12 rows" in message
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(known_ages)
    values = [float(row["value"]) for row in rows]
    assert values == sorted(values, reverse=True)


def test_copy_export_in_order(qtbot, parent, age_library, tmp_path):
    out = tmp_path / "sorted"

    message = run_export(qtbot, parent, COPY, age_library, out)

    assert "Exported 12 photos" in message
    assert sorted(path.name[:5] for path in out.iterdir()) == [f"{rank:04d}_" for rank in range(1, 13)]


def test_xmp_export_keeps_photos(qtbot, parent, age_library, tmp_path):
    photos = [Path(row.path) for row in age_library.sort("age").rows]
    hashes = {photo: digest(photo) for photo in photos}
    existing = xmp.sidecar_path(photos[0])
    existing.write_text(OTHER_TOOL_SIDECAR, encoding="utf-8")
    try:
        message = run_export(qtbot, parent, XMP_RATINGS, age_library, None)

        assert "sidecars of 12 photos" in message
        assert xmp.read_rating(xmp.sidecar_path(photos[0])) == 5
        assert xmp.read_rating(xmp.sidecar_path(photos[-1])) == 1
        text = existing.read_text(encoding="utf-8")
        assert "<rdf:li>family</rdf:li>" in text
        assert 'xmp:Label="Red"' in text
        assert {photo: digest(photo) for photo in photos} == hashes
    finally:
        for photo in photos:
            xmp.sidecar_path(photo).unlink(missing_ok=True)


def test_unparsable_sidecar_reported(qtbot, parent, age_library):
    photos = [Path(row.path) for row in age_library.sort("age").rows]
    broken = xmp.sidecar_path(photos[3])
    broken.write_text("<x:xmpmeta><unclosed></x:xmpmeta>")
    try:
        message = run_export(qtbot, parent, XMP_RATINGS, age_library, None)

        assert "sidecars of 11 photos" in message
        assert "Skipped 1" in message
        assert str(broken) in message
        assert broken.read_text() == "<x:xmpmeta><unclosed></x:xmpmeta>"
    finally:
        for photo in photos:
            xmp.sidecar_path(photo).unlink(missing_ok=True)


def test_export_error_becomes_message(qtbot, parent, age_library, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    message = run_export(qtbot, parent, COPY, age_library, blocker)

    assert "cannot create folder" in message
    assert str(blocker) in message


def test_export_cancel_stops(qtbot, parent, age_library, tmp_path):
    outcomes: list[str] = []
    run = ExportRun(parent, COPY, age_library, "age", tmp_path / "sorted", outcomes.append)
    run.cancel()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=TIMEOUT_MS)

    # The worker may copy a photo before the cancel reaches it, never all 12.
    match = re.search(r"cancelled after (\d+) of 12", outcomes[0])
    assert match is not None, outcomes[0]
    assert int(match.group(1)) < 12
    assert len(list((tmp_path / "sorted").iterdir())) == int(match.group(1))


def test_menu_lists_every_export(qtbot, parent):
    told: list[str] = []
    menu = build_export_menu(parent, lambda: None, lambda: None, notify=told.append)

    assert [action.data() for action in menu.actions()] == list(KINDS)

    menu.actions()[0].trigger()
    assert len(told) == 1
    assert "attribute" in told[0]


def test_copy_into_library_folder_refused(qtbot, parent, age_library):
    folder = Path(sorted(age_library.folder_paths())[0])
    before = sorted(folder.iterdir())

    message = run_export(qtbot, parent, COPY, age_library, folder / "sorted")

    assert f"inside the library folder {folder}" in message
    assert sorted(folder.iterdir()) == before
