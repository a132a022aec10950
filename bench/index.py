"""Faces per second on the dev folder, split into decode, detect + align and encode.

Runs the same steps as the indexer's `encode_batch`, timing each phase, and
then one real `index_pending` run into a fresh database for the end-to-end
figure (which adds hashing and SQLite writes). Prints a markdown table and
writes it to bench/results/index.md.

Usage: .venv/bin/python bench/index.py [FOLDER]
"""

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import SUPPORTED_EXTENSIONS, decode_image
from large_desktop.core.indexer import BATCH_SIZE, DECODE_MAX_SIDE
from large_desktop.core.library import Library
from large_desktop.core.packs import load_pack

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces_age_dev"


def time_phases(paths: list[Path]) -> dict[str, float]:
    pack = load_pack()
    detector = FaceDetector()
    totals = {"decode": 0.0, "detect + align": 0.0, "encode": 0.0}
    faces = 0

    for start in range(0, len(paths), BATCH_SIZE):
        crops = []
        for path in paths[start:start + BATCH_SIZE]:
            began = time.perf_counter()
            decoded = decode_image(path, max_side=DECODE_MAX_SIDE)
            totals["decode"] += time.perf_counter() - began

            began = time.perf_counter()
            crops.extend(align(decoded.pixels, face, pack.alignment) for face in detector.detect(decoded.pixels))
            totals["detect + align"] += time.perf_counter() - began

        began = time.perf_counter()
        latents = pack.encode(crops)
        totals["encode"] += time.perf_counter() - began
        faces += len(latents)

    totals["faces"] = faces
    return totals


def time_end_to_end(folder: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        library = Library(Path(scratch) / "bench.sqlite")
        began = time.perf_counter()
        for _ in library.scan([folder]):
            pass
        last = None
        for last in library.index():
            pass
        return time.perf_counter() - began, last.faces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()

    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
    if not paths:
        print(f"error: no images in {args.folder}", file=sys.stderr)
        return 2

    phases = time_phases(paths)
    faces = phases.pop("faces")
    phase_total = sum(phases.values())
    wall, indexed_faces = time_end_to_end(args.folder)

    lines = [
        f"# Indexing speed, {date.today()}",
        "",
        f"{len(paths)} photos, {faces} faces, pack dlib-face-128, {platform.processor() or platform.machine()}, "
        f"{platform.python_version()}, numpy {np.__version__}",
        "",
        "| phase | seconds | share | faces/s if alone |",
        "|---|---|---|---|",
    ]
    for name, seconds in phases.items():
        lines.append(f"| {name} | {seconds:.2f} | {seconds / phase_total:.0%} | {faces / seconds:.1f} |")
    lines.append(f"| all phases | {phase_total:.2f} | 100% | {faces / phase_total:.1f} |")
    lines.append(f"| end to end (scan + hash + phases + SQLite) | {wall:.2f} | | {indexed_faces / wall:.1f} |")
    table = "\n".join(lines)

    print(table)
    output = Path(__file__).parent / "results" / "index.md"
    output.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
