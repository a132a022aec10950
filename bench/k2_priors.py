"""Two-label direction estimates side by side, on every attribute the dev faces carry.

With k = 2 labels the data fix only one difference vector d. A ridge fit in
principal coordinates then returns S d, where S is the prior covariance of
the direction, so the prior decides which attributes a two-label sort ranks
well. This benchmark scores alternative priors and spaces on age, gender and
each main race against the rest. A candidate that raises age only by moving
the ranking toward the library's first principal axis, which carries age on
these faces, shows up as a loss on the other attributes.

Draws follow bench/accuracy.py: one labeled face from each half of the faces
sorted by value (one of each class for a 0/1 attribute), the same random
draws for every row, Spearman ρ on the unlabeled faces.

Usage: .venv/bin/python bench/k2_priors.py [--draws 1000] [--folder DIR]
Writes the table to bench/results/k2_priors.md.
"""

import argparse
import csv
import logging
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from accuracy import DEFAULT_FOLDER, Space, encode_faces, encode_photos, face_crops, few_shot, table
from large_desktop.core import engine
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.packs import load_pack

RESULTS = Path(__file__).parent / "results" / "k2_priors.md"
RACES = {"white": 0, "black": 1, "asian": 2, "indian": 3}  # UTKFace race codes; 4 ("others") has too few faces
NEIGHBOURS = 10  # k-nearest-neighbour graph for the local-variance priors
TOP_AXES = 3  # candidate axes for "best principal axis"

# fit(coords [k, K], values [k], basis) -> direction weights in principal coordinates [K]
Fit = Callable[[np.ndarray, np.ndarray, engine.PrincipalBasis], np.ndarray]


@dataclass
class Candidate:
    """One row of the table: a latent space and a direction estimator on it."""

    name: str
    space: Space
    fit: Fit | None  # None: the engine's default estimator


# ------------------------------------------------------------- estimators


def fit_with_prior(coords: np.ndarray, values: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Fit ridge regression with a Gaussian prior of covariance `prior` [K, K] on the direction.

    The dual form and the ridge strength (1.0 relative to the mean squared
    norm of the centered coordinates) are the engine's, so prior = diag(λ²)
    reproduces its fit at prior power 2, the default below 4 labels.
    `check_reproduces_default` verifies that.
    """
    centered = coords - coords.mean(axis=0)  # [k, K]
    targets = values - values.mean()  # [k]
    gram = centered @ prior @ centered.T  # [k, k]
    penalty = np.trace(gram) / len(values)
    dual = np.linalg.solve(gram + penalty * np.eye(len(values)), targets)
    weights = prior @ centered.T @ dual  # [K]
    if (centered @ weights) @ targets < 0.0:
        weights = -weights
    return weights


def prior_power(power: float) -> Fit:
    """Fit with the engine's variance prior raised to another power (0 gives its plain ridge in the top 4 axes)."""
    def fit(coords, values, basis):
        direction = engine.direction_from_examples(coords, values, basis, prior_power=power)
        return engine.direction_coords(basis, direction)
    return fit


def best_axis(coords: np.ndarray, values: np.ndarray, basis: engine.PrincipalBasis) -> np.ndarray:
    """Pick the one principal axis, among the top few, on which the labeled pair is furthest apart in z-score (a sparse prior)."""
    difference = (coords - coords.mean(axis=0)).T @ (values - values.mean())  # [K]
    spread = np.sqrt(basis.explained_variance[:TOP_AXES])
    axis = int(np.argmax(np.abs(difference[:TOP_AXES]) / spread))
    weights = np.zeros(basis.num_components)
    weights[axis] = np.sign(difference[axis])
    return weights


def local_scatter(coords: np.ndarray) -> np.ndarray:
    """Return half the mean outer product of the differences between k-nearest neighbours [K, K].

    Directions along which neighbours differ a lot carry detail that varies
    within a neighbourhood (identity, noise) more than across the library.
    """
    squared = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1)  # [N, N]
    np.fill_diagonal(squared, np.inf)
    nearest = np.argsort(squared, axis=1)[:, :NEIGHBOURS]  # [N, NEIGHBOURS]
    adjacency = np.zeros_like(squared)
    adjacency[np.arange(len(coords))[:, None], nearest] = 1.0
    adjacency = np.maximum(adjacency, adjacency.T)

    laplacian = np.diag(adjacency.sum(axis=1)) - adjacency
    return coords.T @ laplacian @ coords / adjacency.sum()


def variance_ratio_prior(coords: np.ndarray, basis: engine.PrincipalBasis, exponent: float) -> Fit:
    """Fit with the default prior λ² times (library variance / neighbour variance)^exponent per axis."""
    variance = basis.explained_variance
    ratio = variance / np.diag(local_scatter(coords))
    prior = np.diag(variance**2 * (ratio / ratio.mean()) ** exponent)
    return lambda labeled, values, _basis: fit_with_prior(labeled, values, prior)


def laplacian_prior(coords: np.ndarray, basis: engine.PrincipalBasis, strength: float) -> Fit:
    """Fit with manifold regularisation: the default prior's precision plus the neighbour scatter.

    The prior precision is Λ⁻² + γ S, so the covariance is Λ (I + γ Λ S Λ)⁻¹ Λ.
    γ is `strength` divided by the mean diagonal of Λ S Λ, which makes it scale-free.
    """
    scale = np.diag(basis.explained_variance)  # Λ
    smoothed = scale @ local_scatter(coords) @ scale  # Λ S Λ
    gamma = strength / np.mean(np.diag(smoothed))
    prior = scale @ np.linalg.inv(np.eye(len(scale)) + gamma * smoothed) @ scale
    return lambda labeled, values, _basis: fit_with_prior(labeled, values, prior)


# -------------------------------------------------------------- landmarks


def landmark_space(found: list, name: str) -> Space:
    """Align each face's 68 dlib landmarks to their mean shape (Procrustes) and flatten them [N, 1, 136]."""
    began = time.perf_counter()
    shapes = np.array([np.asarray(entry[1].landmarks, dtype=np.float64) for entry in found])  # [N, 68, 2]
    shapes -= shapes.mean(axis=1, keepdims=True)
    shapes /= np.linalg.norm(shapes, axis=(1, 2), keepdims=True)

    reference = shapes[0]
    for _ in range(5):
        rotated = []
        for shape in shapes:
            left, _, right = np.linalg.svd(shape.T @ reference)
            if np.linalg.det(left @ right) < 0:  # a reflection would mirror the face, so keep rotations only
                left[:, -1] *= -1
            rotated.append(shape @ (left @ right))
        shapes = np.array(rotated)
        reference = shapes.mean(axis=0) / np.linalg.norm(shapes.mean(axis=0))
    return Space(name, shapes.reshape(len(shapes), 1, -1).astype(np.float32), time.perf_counter() - began)


def mirror_averaged(found: list, plain: Space) -> Space:
    """Average each face's dlib descriptor with its mirror image's, which doubles the encode time."""
    began = time.perf_counter()
    pack = load_pack("dlib-face-128")
    mirrored = [np.ascontiguousarray(align(pixels, face, pack.alignment)[:, ::-1]) for pixels, face in found]
    latents = np.concatenate([pack.encode(mirrored[start:start + 32]) for start in range(0, len(mirrored), 32)])
    seconds = plain.seconds + time.perf_counter() - began
    return Space("dlib, mean of the face and its mirror image", (plain.latents + latents) / 2, seconds)


def join(name: str, spaces: list[Space], weights: list[float]) -> Space:
    """Concatenate spaces per face, each scaled to a total variance of its weight squared."""
    parts = []
    for space, weight in zip(spaces, weights):
        flat = space.latents.reshape(len(space.latents), -1).astype(np.float64)
        parts.append(flat * weight / np.sqrt(flat.var(axis=0).sum()))
    joined = np.concatenate(parts, axis=1)[:, None, :].astype(np.float32)
    return Space(name, joined, sum(space.seconds for space in spaces))


# ------------------------------------------------------------------- main


def read_attributes(folder: Path) -> tuple[list[Path], dict[str, np.ndarray]]:
    with (folder / "labels.csv").open(encoding="utf-8") as handle:
        labels = {row["file"]: row for row in csv.DictReader(handle)}
    paths = [folder / name for name in sorted(labels)]
    attributes = {
        "age": np.array([float(labels[path.name]["age"]) for path in paths]),
        "gender": np.array([float(labels[path.name]["gender"]) for path in paths]),
    }
    race = np.array([int(labels[path.name]["race"]) for path in paths])
    for name, code in RACES.items():
        attributes[name] = (race == code).astype(np.float64)
    return paths, attributes


def candidates(found: list, paths: list[Path]) -> list[Candidate]:
    dlib = encode_faces("dlib-face-128", found)
    photo = encode_photos("efficientnet-lite0-photo", paths)
    landmarks = landmark_space(found, "landmarks")
    basis = engine.PrincipalBasis.fit(dlib.latents)
    coords = basis.project(dlib.latents).astype(np.float64)  # [N, K]

    joined = {weight: join(f"dlib + {weight:g} × EfficientNet", [dlib, photo], [1.0, weight]) for weight in (0.35, 0.5)}
    two_views = mirror_averaged(found, dlib)
    with_landmarks = join("dlib + 0.35 × landmarks", [dlib, landmarks], [1.0, 0.35])

    return [
        Candidate("engine default: variance² prior", dlib, None),
        Candidate("variance⁰ (ridge in the top 4 axes)", dlib, prior_power(0.0)),
        Candidate("variance¹ prior", dlib, prior_power(1.0)),
        Candidate("variance³ prior", dlib, prior_power(3.0)),
        Candidate("variance⁴ prior", dlib, prior_power(4.0)),
        Candidate(f"best of the top {TOP_AXES} principal axes", dlib, best_axis),
        Candidate("variance² × (library / neighbour variance)¹", dlib, variance_ratio_prior(coords, basis, 1.0)),
        Candidate("variance² × (library / neighbour variance)²", dlib, variance_ratio_prior(coords, basis, 2.0)),
        Candidate(f"variance² plus graph-Laplacian precision, γ = 1 ({NEIGHBOURS} neighbours)", dlib,
                  laplacian_prior(coords, basis, 1.0)),
        Candidate(two_views.name, two_views, None),
        Candidate(joined[0.35].name, joined[0.35], None),
        Candidate(joined[0.5].name, joined[0.5], None),
        Candidate(with_landmarks.name, with_landmarks, None),
    ]


def check_reproduces_default(space: Space, values: np.ndarray) -> None:
    """Raise AssertionError if fit_with_prior drifts from the engine, which would make the rows incomparable.

    Two labels run the engine's default path. Five labels at power 2 also check the ridge strength,
    which two labels cannot show.
    """
    basis = engine.PrincipalBasis.fit(space.latents)
    coords = basis.project(space.latents).astype(np.float64)
    prior = np.diag(basis.explained_variance**2)
    pair = np.array([np.argmin(values), np.argmax(values)])
    for labeled, power in ((pair, None), (np.arange(5), 2.0)):
        ours = fit_with_prior(coords[labeled], values[labeled], prior)
        direction = engine.direction_from_examples(coords[labeled], values[labeled], basis, prior_power=power)
        theirs = engine.direction_coords(basis, direction)
        assert np.allclose(ours / np.linalg.norm(ours), theirs, atol=1e-9), "fit_with_prior no longer matches the engine"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="faces with labels.csv (age, gender, race)")
    parser.add_argument("--draws", type=int, default=1000, help="random label pairs per attribute")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    began = time.perf_counter()

    paths, attributes = read_attributes(args.folder)
    found = face_crops(paths, FaceDetector())
    if any(entry is None for entry in found):
        missing = [path.name for path, entry in zip(paths, found) if entry is None]
        print(f"no face found in {', '.join(missing)}; use a folder where every photo has one", file=sys.stderr)
        return 1
    rows = candidates(found, paths)
    check_reproduces_default(rows[0].space, attributes["age"])

    names = list(attributes)
    header = ["estimator or space"] + [f"{name} ρ" for name in names] + ["mean of the others", "age Δ", "others Δ"]
    print(" | ".join(header), flush=True)
    table_rows, baseline = [], None
    for candidate in rows:
        rhos = np.array([
            few_shot(candidate.space.latents, values, 2, args.draws, args.seed, fit=candidate.fit)["rho"]
            for values in attributes.values()
        ])
        baseline = rhos if baseline is None else baseline
        change = rhos - baseline
        cells = [candidate.name, *(f"{rho:.3f}" for rho in rhos), f"{rhos[1:].mean():.3f}",
                 f"{change[0]:+.3f}", f"{change[1:].mean():+.3f}"]
        table_rows.append(cells)
        print(" | ".join(cells), flush=True)

    wall = time.perf_counter() - began
    lines = [
        f"# Two-label direction estimates, {date.today()}",
        "",
        f"`bench/k2_priors.py --draws {args.draws} --seed {args.seed}`; wall time {wall / 60:.1f} min on "
        f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}.",
        "",
        f"k = 2 labeled faces of {len(paths)} ({args.folder.name}), one from each half of the faces sorted by value, "
        f"{args.draws} draws, the same draws in every row. Each cell is the mean Spearman ρ on the other faces. "
        "Race columns score one race against the rest (1 or 0). Δ columns compare with the first row.",
        "",
        *table(header, table_rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwrote {RESULTS} ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
