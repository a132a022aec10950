"""Faces per second on the dev folder, split into decode, detect + align and encode.

With the DCGAN pack installed it also times its inversion three ways on the
same aligned faces: encoder only, hybrid, and optimisation only from z = 0.

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
import torch

from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import SUPPORTED_EXTENSIONS, decode_image
from large_desktop.core.indexer import BATCH_SIZE, DECODE_MAX_SIDE
from large_desktop.core.library import Library
from large_desktop.core.packs import available_packs, load_pack

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


class ZeroStart(torch.nn.Module):
    """Stands in for the encoder so `invert` starts every face from z = 0 (optimisation only)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.zeros(images.shape[0], 100)


def time_gan_inversion(paths: list[Path], optimise_only_steps: int) -> list[str]:
    """Time encoder-only, hybrid and optimisation-only inversion of the same aligned faces."""
    from large_desktop.core.packs.dcgan.inversion import invert, masked_pixel_error
    from large_desktop.core.packs.dcgan.pack import crops_to_tensors

    detector = FaceDetector()
    crops = []
    for path in paths:
        pixels = decode_image(path, max_side=DECODE_MAX_SIDE).pixels
        faces = detector.detect(pixels)
        if faces:
            crops.append(align(pixels, faces[0], "dcgan_64"))
    images, masks = crops_to_tensors(crops)

    lines = ["", "| DCGAN inversion | steps | seconds | faces/s | masked pixel MSE | speed vs optimisation only |", "|---|---|---|---|---|---|"]
    pack = load_pack("dcgan-face-64")
    runs = [("encoder only", pack.encoder, 0)]
    if "dcgan-face-64-hybrid" in available_packs():
        hybrid_steps = int(available_packs()["dcgan-face-64-hybrid"].input.get("optimise_steps", 0))
        runs.append(("hybrid (encoder + steps)", pack.encoder, hybrid_steps))
    runs.append(("optimisation only, from z = 0", ZeroStart().eval(), optimise_only_steps))

    timings = []
    for name, encoder, steps in runs:
        began = time.perf_counter()
        z = invert(pack.generator, encoder, images, masks, steps=steps)
        seconds = time.perf_counter() - began
        with torch.no_grad():
            error = float(masked_pixel_error(pack.generator(z), images, masks).mean())
        timings.append((name, steps, seconds, error))

    baseline = timings[-1][2]
    for name, steps, seconds, error in timings:
        lines.append(f"| {name} | {steps} | {seconds:.2f} | {len(crops) / seconds:.1f} | {error:.4f} | {baseline / seconds:.0f}× |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--optimise-steps", type=int, default=500,
                        help="Adam steps of the optimisation-only DCGAN inversion it is compared with (default: %(default)s)")
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
    if "dcgan-face-64" in available_packs():
        lines += time_gan_inversion(paths, args.optimise_steps)
    table = "\n".join(lines)

    print(table)
    output = Path(__file__).parent / "results" / "index.md"
    output.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
