"""Benchmark a label change: refit the direction, re-score and re-sort every item.

Targets: re-score + re-sort of 100,000 items in < 100 ms on 2 CPU cores, and
100,000 W+ items held in < 1 GB. Each library size runs in its own process, so
its peak RSS is its own. The synthetic W+ latents (18 x 512) are generated
chunk by chunk and never held whole (100,000 x 9216 float32 would be 3.7 GB).

Usage: .venv/bin/python bench/rescore.py [--sizes 10000 100000] [--labels 8]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from large_desktop.core.engine import (  # noqa: E402 (needs the path above when run as a script)
    PrincipalBasis,
    direction_coords,
    direction_from_examples,
    rank,
    score_coords,
    spearman,
)

NUM_ROWS, WIDTH = 18, 512
TARGET_SECONDS = 0.100
TARGET_BYTES = 1024**3
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "rescore.md"


class SyntheticWPlus:
    """Seeded W+ latents with low-rank structure, regenerated identically chunk by chunk.

    Each latent is a W code (128 power-law factors in 512 dimensions) repeated
    on all 18 rows, plus per-row offsets (256 weaker factors over all 9216
    numbers), isotropic noise of std 0.05, and a planted attribute along one W
    direction.
    """

    def __init__(self, num_items: int, seed: int, chunk_rows: int = 1024) -> None:
        self.num_items = num_items
        self.seed = seed
        self.chunk_rows = chunk_rows
        rng = np.random.default_rng(seed)

        w_axes = np.linalg.qr(rng.standard_normal((WIDTH, 129)))[0].T  # [129, 512]
        self.w_factors = (w_axes[1:] * np.arange(1, 129)[:, None] ** -0.6).astype(np.float32)  # [128, 512]
        self.row_factors = (
            np.linalg.qr(rng.standard_normal((NUM_ROWS * WIDTH, 256)))[0].T * 0.3 * np.arange(1, 257)[:, None] ** -0.6
        ).astype(np.float32)  # [256, 9216]
        self.planted = (0.4 * w_axes[0]).astype(np.float32)  # [512]; std 0.4, between the 4th and 5th W factor

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (latents [c, 18, 512] float32, attribute [c]) in item order."""
        for index, start in enumerate(range(0, self.num_items, self.chunk_rows)):
            rng = np.random.default_rng([self.seed, index])
            count = min(self.chunk_rows, self.num_items - start)

            attribute = rng.standard_normal(count, dtype=np.float32)
            w_code = rng.standard_normal((count, 128), dtype=np.float32) @ self.w_factors
            w_code += attribute[:, None] * self.planted  # [c, 512]
            latents = rng.standard_normal((count, NUM_ROWS * WIDTH), dtype=np.float32)
            latents *= 0.05
            latents += rng.standard_normal((count, 256), dtype=np.float32) @ self.row_factors
            latents = latents.reshape(count, NUM_ROWS, WIDTH)
            latents += w_code[:, None, :]
            yield latents, attribute


def rescore(
    coords: np.ndarray, basis: PrincipalBasis, labeled: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Run one label change and return the scores, the order and the seconds of its three steps."""
    start = time.perf_counter()
    direction = direction_from_examples(coords[labeled], values, basis)
    fitted = time.perf_counter()
    scores = score_coords(coords, direction_coords(basis, direction))
    scored = time.perf_counter()
    order = rank(scores)
    ranked = time.perf_counter()
    return scores, order, [fitted - start, scored - fitted, ranked - scored]


def measure(num_items: int, num_labels: int, repeats: int, fit_items: int, components: int, seed: int) -> dict:
    """Build one library, time `repeats` label changes, and return the figures."""
    library = SyntheticWPlus(num_items, seed)

    # Indexing: fit the basis on a sample of the stream, then project every chunk.
    start = time.perf_counter()
    basis = PrincipalBasis.fit((latents for latents, _ in library.chunks()), components, fit_items, seed)
    fit_seconds = time.perf_counter() - start

    start = time.perf_counter()
    coords = np.empty((num_items, basis.num_components), dtype=np.float32)  # [N, K]
    attribute = np.empty(num_items, dtype=np.float32)
    offset = 0
    for latents, chunk_attribute in library.chunks():
        coords[offset:offset + len(latents)] = basis.project(latents)
        attribute[offset:offset + len(latents)] = chunk_attribute
        offset += len(latents)
    project_seconds = time.perf_counter() - start
    resident_bytes = _current_rss_bytes()

    # Each label change uses fresh labels, and the first two runs are warm-ups.
    rng = np.random.default_rng(seed + 1)
    label_sets = [rng.choice(num_items, num_labels, replace=False) for _ in range(repeats + 2)]
    steps, rhos = [], []
    for labeled in label_sets:
        scores, order, step_seconds = rescore(coords, basis, labeled, attribute[labeled])
        steps.append(step_seconds)
        rhos.append(spearman(scores, attribute))
    steps_array = np.array(steps[2:])  # [repeats, 3]
    totals = steps_array.sum(axis=1)

    tracemalloc.start()
    rescore(coords, basis, label_sets[0], attribute[label_sets[0]])
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    return {
        "items": num_items,
        "components": basis.num_components,
        "explained": float(basis.explained_ratio.sum()),
        "matrix_mb": coords.nbytes / 2**20,
        "rss_mb": resident_bytes / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "fit_s": fit_seconds,
        "project_s": project_seconds,
        "median_ms": 1000 * float(np.median(totals)),
        "p95_ms": 1000 * float(np.percentile(totals, 95)),
        "step_median_ms": [1000 * float(value) for value in np.median(steps_array, axis=0)],
        "tracemalloc_mb": traced_peak / 2**20,
        "spearman": float(np.mean(rhos[2:])),
    }


def _current_rss_bytes() -> int:
    """Return the resident set size now (Linux /proc), or 0 where it is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ----------------------------------------------------------------------


def format_report(results: list[dict], args: argparse.Namespace, load_average: tuple[float, ...]) -> str:
    """Format the figures as markdown tables, with the ratios to the targets and the machine."""
    lines = [
        f"A label change is `direction_from_examples` on {args.labels} random labels, then `score_coords` and "
        f"`rank` over all items: {args.repeats} timed repetitions after 2 warm-up runs. "
        "Ratios below 1 meet the target.",
        "",
        "| items | median ms | p95 ms | median / 100 ms | fit / score / sort ms (medians) "
        "| tracemalloc peak MB | Spearman vs planted attribute |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        steps = " / ".join(f"{value:.1f}" for value in result["step_median_ms"])
        lines.append(
            f"| {result['items']:,} | {result['median_ms']:.1f} | {result['p95_ms']:.1f} "
            f"| {result['median_ms'] / 1000 / TARGET_SECONDS:.2f} | {steps} | {result['tracemalloc_mb']:.1f} "
            f"| {result['spearman']:.2f} |"
        )

    lines += [
        "",
        f"Memory and indexing: the basis is fitted on {args.fit_items} items sampled from the stream. "
        "\"RSS held\" is the process after indexing (matrix, basis, numpy); \"peak RSS\" also covers "
        "generating the latents and fitting the basis.",
        "",
        "| items | K (variance explained) | matrix MB | RSS held MB | peak RSS MB | peak RSS / 1 GB "
        "| fit s | project s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result['items']:,} | {result['components']} ({result['explained']:.0%}) | {result['matrix_mb']:.0f} "
            f"| {result['rss_mb']:.0f} | {result['peak_rss_mb']:.0f} "
            f"| {result['peak_rss_mb'] * 2**20 / TARGET_BYTES:.2f} | {result['fit_s']:.1f} "
            f"| {result['project_s']:.1f} |"
        )

    lines += [
        "",
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), load average {load_average[0]:.2f} "
        f"at the start, Python {platform.python_version()}, numpy {np.__version__}; "
        f"{datetime.date.today().isoformat()}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse the options, run each size in a child process and print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="library sizes in items")
    parser.add_argument("--labels", type=int, default=8, help="labeled items per label change")
    parser.add_argument("--repeats", type=int, default=20, help="timed label changes per size")
    parser.add_argument("--fit-items", type=int, default=4000, help="items sampled to fit the basis")
    parser.add_argument("--components", type=int, default=256, help="principal components kept (K)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic library")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker is not None:
        result = measure(args.worker, args.labels, args.repeats, args.fit_items, args.components, args.seed)
        print(json.dumps(result))
        return

    load_average = os.getloadavg()
    results = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--worker", str(size), "--labels", str(args.labels),
                   "--repeats", str(args.repeats), "--fit-items", str(args.fit_items),
                   "--components", str(args.components), "--seed", str(args.seed)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.splitlines()[-1]))

    report = format_report(results, args, load_average)
    print(report)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text("# Re-score benchmark (`bench/rescore.py`)\n\n" + report)


if __name__ == "__main__":
    main()
