"""Few-shot accuracy of every offline latent space, side by side.

Protocol (after LARGE, Nitzan et al. 2022): for k = 2, 5, 10 and 20 labeled
faces drawn at random many times, fit the direction and the calibration line
with the engine and report Spearman ρ and mean absolute error on the other
faces, mean ± std over the draws. The labeled faces of one draw are kept
apart in value: the value range is split into k quantile bins and one face
is drawn from each, so a tiny set is never two faces of the same age.
Label-free sorting is the best |ρ| among the first 10 principal components.

a) Real faces with age labels (by default the dev faces beside the checkout).
   Where labels.csv also has a gender column, the default pack is scored on
   it too. An estimator change is chosen on age and checked on gender, which
   shows a gain on age that only moves the ranking toward one attribute.
b) Synthetic ground truth for the DCGAN pack. Generator samples are moved
   along a known latent direction by a known amount, then rendered, inverted
   and regressed.

Usage: .venv/bin/python bench/accuracy.py [--draws 1000] [--folder DIR]
Writes the tables to bench/results/accuracy.md.
"""

import argparse
import csv
import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import torch

from large_desktop.core import engine
from large_desktop.core.errors import LargeError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import center_square, decode_image
from large_desktop.core.packs import available_packs, load_pack

logger = logging.getLogger(__name__)

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces_age_dev"
RESULTS = Path(__file__).parent / "results" / "accuracy.md"
MEASURED = Path(__file__).resolve().parents[1] / "resources" / "packs" / "measured.json"
SHOTS = (2, 5, 10, 20)
LABEL_FREE_COMPONENTS = 10
CHECK_ATTRIBUTE = "gender"  # 0 or 1 in labels.csv, scored for the default pack only
PIXEL_SIDE = 32  # raw-pixel baseline: the dlib face chip downscaled to 32×32 RGB


@dataclass
class Space:
    """One latent space's codes for the dev faces; NaN rows where it found no face."""

    name: str
    latents: np.ndarray  # [N, L, D]
    seconds: float


# ---------------------------------------------------------------- latents


def face_crops(paths: list[Path], detector: FaceDetector) -> list[tuple[np.ndarray, object] | None]:
    """Decode every photo once and detect its largest face."""
    found = []
    for path in paths:
        pixels = decode_image(path).pixels
        faces = detector.detect(pixels)
        found.append((pixels, faces[0]) if faces else None)
    return found


def encode_faces(pack_id: str, found: list, batch: int = 32) -> Space:
    began = time.perf_counter()
    pack = load_pack(pack_id)
    latents = np.full((len(found), *pack.latent_shape), np.nan, dtype=np.float32)
    rows = [row for row, entry in enumerate(found) if entry is not None]
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        crops = [align(found[row][0], found[row][1], pack.alignment) for row in chunk]
        latents[chunk] = pack.encode(crops)
    return Space(pack_id, latents, time.perf_counter() - began)


def encode_photos(pack_id: str, paths: list[Path]) -> Space:
    began = time.perf_counter()
    pack = load_pack(pack_id)
    size = int(pack.manifest.input["size"])
    crops = [center_square(decode_image(path).pixels, size) for path in paths]
    latents = np.concatenate([pack.encode(crops[start:start + 32]) for start in range(0, len(crops), 32)])
    return Space(pack_id, latents, time.perf_counter() - began)


def raw_pixels(found: list) -> Space:
    from PIL import Image

    began = time.perf_counter()
    latents = np.full((len(found), 1, PIXEL_SIDE * PIXEL_SIDE * 3), np.nan, dtype=np.float32)
    for row, entry in enumerate(found):
        if entry is None:
            continue
        chip = align(entry[0], entry[1], "dlib_chip_150")
        small = Image.fromarray(chip).resize((PIXEL_SIDE, PIXEL_SIDE), Image.Resampling.BOX)
        latents[row, 0] = np.asarray(small, dtype=np.float32).ravel() / 255.0
    return Space("raw pixels 32×32", latents, time.perf_counter() - began)


def concatenate(name: str, spaces: list[Space]) -> Space:
    """Join several spaces per face, each scaled to unit total variance so none dominates."""
    parts = []
    for space in spaces:
        flat = space.latents.reshape(len(space.latents), -1).astype(np.float64)
        spread = np.sqrt(np.nansum(np.nanvar(flat, axis=0)))
        parts.append(flat / spread)
    joined = np.concatenate(parts, axis=1)[:, None, :].astype(np.float32)
    return Space(name, joined, sum(space.seconds for space in spaces))


# ------------------------------------------------------------- evaluation


def stratified_draw(values: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Draw k items, one from each of k quantile bins of the values (ties broken at random)."""
    order = np.lexsort((rng.random(len(values)), values))
    bins = np.array_split(order, k)
    return np.array([rng.choice(members) for members in bins])


def few_shot(latents: np.ndarray, values: np.ndarray, k: int, draws: int, seed: int,
             fit: Callable | None = None) -> dict[str, float]:
    """Mean and std of Spearman ρ and MAE on the unlabeled items over random draws."""
    basis = engine.PrincipalBasis.fit(latents)
    coords = basis.project(latents)  # [N, K]
    rng = np.random.default_rng(seed)
    rhos, errors = [], []
    for _ in range(draws):
        labeled = stratified_draw(values, k, rng)
        while np.ptp(values[labeled]) == 0:  # a binary attribute's bins can share a class
            labeled = stratified_draw(values, k, rng)
        rest = np.setdiff1d(np.arange(len(values)), labeled)
        if fit is None:
            direction = engine.direction_from_examples(coords[labeled], values[labeled], basis)
            weights = engine.direction_coords(basis, direction)
        else:
            weights = fit(coords[labeled], values[labeled], basis)
        scores = engine.score_coords(coords, weights)
        calibration = engine.fit_calibration(scores[labeled], values[labeled])
        rhos.append(engine.spearman(scores[rest], values[rest]))
        errors.append(float(np.mean(np.abs(calibration.predict(scores[rest]) - values[rest]))))
    return {"rho": float(np.mean(rhos)), "rho_std": float(np.std(rhos)),
            "mae": float(np.mean(errors)), "mae_std": float(np.std(errors))}


def label_free(latents: np.ndarray, values: np.ndarray) -> tuple[float, int]:
    """Best |ρ| of the first principal components and its (1-based) index."""
    basis = engine.PrincipalBasis.fit(latents)
    coords = basis.project(latents)
    count = min(LABEL_FREE_COMPONENTS, coords.shape[1])
    rhos = [abs(engine.spearman(coords[:, index], values)) for index in range(count)]
    best = int(np.argmax(rhos))
    return rhos[best], best + 1


def evaluate(spaces: list[Space], values: np.ndarray, draws: int, seed: int) -> list[list[str]]:
    rows = []
    for space in spaces:
        present = ~np.isnan(space.latents.reshape(len(values), -1)).any(axis=1)
        latents, targets = space.latents[present], values[present]
        cells = [space.name, str(int(present.sum()))]
        for k in SHOTS:
            result = few_shot(latents, targets, k, draws, seed)
            cells.append(f"{result['rho']:.3f} ± {result['rho_std']:.3f} / {result['mae']:.1f}")
        rho, component = label_free(latents, targets)
        cells.append(f"{rho:.3f} (PC{component})")
        cells.append(f"{space.seconds:.1f}")
        rows.append(cells)
        print(" | ".join(cells), flush=True)
    return rows


# ------------------------------------------------------------ synthetic GAN


def synthetic_gan(pack_ids: list[str], count: int, draws: int, seed: int) -> list[list[str]]:
    """Move generator samples along a known direction by a known amount; recover the amount.

    The direction is a fixed random unit vector in z. Amounts are uniform in
    [-3, 3], a visible change because z has unit variance per dimension.
    The regression sees only the inverted latents.
    """
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(count, 100, generator=generator)
    direction = torch.randn(100, generator=generator)
    direction /= direction.norm()
    amounts = (torch.rand(count, generator=generator) * 6 - 3).numpy()
    moved = (z + torch.from_numpy(amounts)[:, None] * direction).numpy()[:, None, :]  # [N, 1, 100]

    rows = []
    truth_space = Space("true z (no inversion)", moved.astype(np.float32), 0.0)
    spaces = [truth_space]
    for pack_id in pack_ids:
        pack = load_pack(pack_id)
        began = time.perf_counter()
        images = pack.render(moved.astype(np.float32))  # [N, 64, 64, 3]
        crops = [np.dstack([image, np.full((64, 64), 255, np.uint8)]) for image in images]
        latents = np.concatenate([pack.encode(crops[start:start + 64]) for start in range(0, count, 64)])
        spaces.append(Space(f"{pack_id} inverted", latents, time.perf_counter() - began))

    for space in spaces:
        cells = [space.name, str(count)]
        for k in SHOTS:
            result = few_shot(space.latents, amounts, k, draws, seed)
            cells.append(f"{result['rho']:.3f} ± {result['rho_std']:.3f} / {result['mae']:.2f}")
        cells.append(f"{space.seconds:.1f}")
        rows.append(cells)
        print(" | ".join(cells), flush=True)
    return rows


# ------------------------------------------------------------------- main


def write_measured(spaces: list[Space], rows: list[list[str]], args: argparse.Namespace) -> None:
    """Record each installed pack's k = 2 ρ for `large-desktop packs list`."""
    measured = {}
    for space, row in zip(spaces, rows):
        if space.name in available_packs():
            rho = float(row[2].split(" ± ")[0])
            measured[space.name] = {"k2_rho": rho, "attribute": "age", "faces": int(row[1]),
                                    "draws": args.draws, "date": str(date.today())}
    MEASURED.write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="faces with labels.csv (file, age)")
    parser.add_argument("--draws", type=int, default=1000, help="random label sets per k")
    parser.add_argument("--synthetic", type=int, default=1000, help="generator samples for the synthetic test")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()

    with (args.folder / "labels.csv").open(encoding="utf-8") as handle:
        labels = {row["file"]: row for row in csv.DictReader(handle)}
    paths = [args.folder / name for name in sorted(labels)]
    values = np.array([float(labels[path.name]["age"]) for path in paths])
    check_values = None
    if all(labels[path.name].get(CHECK_ATTRIBUTE, "") != "" for path in paths):
        check_values = np.array([float(labels[path.name][CHECK_ATTRIBUTE]) for path in paths])

    found = face_crops(paths, FaceDetector())
    installed = available_packs()
    gan_packs = [pack_id for pack_id, manifest in installed.items() if manifest.kind == "gan"]

    spaces = [encode_faces("dlib-face-128", found)]
    loaded_gan_packs = []
    for pack_id in gan_packs:
        try:
            spaces.append(encode_faces(pack_id, found))
        except LargeError as exc:
            print(f"skipping pack {pack_id}: {exc.message}", file=sys.stderr)
            continue
        loaded_gan_packs.append(pack_id)
    spaces.append(encode_photos("efficientnet-lite0-photo", paths))
    spaces.append(raw_pixels(found))
    spaces.append(concatenate("dlib + EfficientNet-Lite0 (joined)", [spaces[0], spaces[-2]]))

    header = ["space", "faces"] + [f"k={k}: ρ ± std / MAE (years)" for k in SHOTS] + ["label-free best |ρ|", "encode s"]
    print(" | ".join(header))
    real_rows = evaluate(spaces, values, args.draws, args.seed)
    check_header = ["space", "faces"] + [f"k={k}: ρ ± std / MAE" for k in SHOTS] + ["label-free best |ρ|", "encode s"]
    check_rows = evaluate(spaces[:1], check_values, args.draws, args.seed) if check_values is not None else []

    synthetic_header = ["latent", "samples"] + [f"k={k}: ρ ± std / MAE" for k in SHOTS] + ["render + invert s"]
    print(" | ".join(synthetic_header))
    synthetic_rows = synthetic_gan(loaded_gan_packs, args.synthetic, args.draws, args.seed) if loaded_gan_packs else []

    wall = time.perf_counter() - began
    lines = [
        f"# Few-shot accuracy, {date.today()}",
        "",
        f"`bench/accuracy.py --draws {args.draws} --seed {args.seed}`; wall time {wall / 60:.1f} min on "
        f"{platform.machine()}, {torch.get_num_threads()} torch threads, Python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch.__version__}.",
        "",
        f"## a) {len(paths)} real faces, age ({args.folder.name})",
        "",
        "Each cell: mean Spearman ρ ± its std over the draws / mean absolute error of the calibrated value on the "
        "unlabeled faces. Directions use the engine's default estimator: ridge regression with a Gaussian prior whose variance along each principal axis is the library's variance there raised to a power: 2 for fewer than 4 labels, else the "
        "candidate power with the smallest leave-one-out error.",
        "",
        *table(header, real_rows),
        "",
        *([f"Check attribute: {CHECK_ATTRIBUTE} (0 or 1) of the same faces, default pack only; MAE is in label units.",
           "", *table(check_header, check_rows), ""] if check_rows else []),
        "## b) Synthetic ground truth for the GAN packs",
        "",
        "Generator samples moved by a known amount in [-3, 3] along a fixed random z direction, rendered, "
        "inverted, then regressed from k labeled samples. \"true z\" skips the inversion (the upper bound).",
        "",
        *(table(synthetic_header, synthetic_rows) if synthetic_rows else ["No GAN pack is installed."]),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    write_measured(spaces, real_rows, args)
    print(f"\nwrote {RESULTS} ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
