"""Helpers shared by the app tests."""

import shutil
from pathlib import Path

INDEX_TIMEOUT_MS = 90_000  # dlib on two shared CPU cores; a dozen photos usually take a few seconds


def copy_faces(dev_faces: Path, target: Path, count: int) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(dev_faces.glob("d*.jpg"))[:count]:
        copied.append(Path(shutil.copyfile(source, target / source.name)))
    return copied


def wait_indexed(qtbot, window, rows: int) -> None:
    """Wait until the grid lists `rows` photos and none of them is pending."""
    def done() -> bool:
        counts = window.model.status_counts()
        return window.model.rowCount() == rows and counts.get("pending", 0) == 0

    qtbot.waitUntil(done, timeout=INDEX_TIMEOUT_MS)
