"""Benchmark loading a library's latents for scoring: peak memory and time of `Library.latent_index`.

Target: 100,000 W+ items (18 x 512) kept in memory for re-scoring in < 1 GB. The
library is a real SQLite file written with the cache schema: photos,
statuses, items and float32 latent blobs, which for 100,000 W+ items come to
3.7 GB on disk. The latents are random with a planted low-rank structure, so
the principal basis has something to find; only sizes and time matter here.
Each size is loaded in its own process, so its peak RSS is its own.

Usage: .venv/bin/python bench/latent_index.py [--sizes 10000 100000] [--folder DIR]
Writes bench/results/latent_index.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "latent_index.md"
PACK_ID = "bench-wplus"  # never loaded: latent_index reads only the stored latents
NUM_ROWS, WIDTH = 18, 512
PLANTED_RANK = 32
WRITE_CHUNK = 2000
TARGET_BYTES = 1 << 30


def build_library(db_path: Path, count: int) -> None:
    """Write a fully indexed library of `count` photos with synthetic W+ latents."""
    from large_desktop.core.library import Library

    Library(db_path, pack_id=PACK_ID)  # creates the schema
    rng = np.random.default_rng(0)
    factors = rng.standard_normal((PLANTED_RANK, NUM_ROWS * WIDTH)).astype(np.float32)  # [R, L*D]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")

    with sqlite3.connect(db_path) as connection:
        connection.execute("INSERT INTO packs (id, name, version, num_rows, row_dim) VALUES (?, ?, ?, ?, ?)",
                           (PACK_ID, "bench W+", "1", NUM_ROWS, WIDTH))
        for start in range(0, count, WRITE_CHUNK):
            ids = range(start + 1, min(start + WRITE_CHUNK, count) + 1)
            weights = rng.standard_normal((len(ids), PLANTED_RANK)).astype(np.float32)
            latents = weights @ factors + 0.1 * rng.standard_normal((len(ids), NUM_ROWS * WIDTH), dtype=np.float32)
            connection.executemany("INSERT INTO photos (id, content_hash, added_at) VALUES (?, ?, ?)",
                                   [(i, f"{i:064x}", now) for i in ids])
            connection.executemany(
                "INSERT INTO photo_status (photo_id, pack_id, status, error, width, height, updated_at) "
                "VALUES (?, ?, 'done', NULL, 1024, 1024, ?)", [(i, PACK_ID, now) for i in ids])
            connection.executemany(
                'INSERT INTO items (id, photo_id, pack_id, face_index, "left", top, "right", bottom, confidence) '
                "VALUES (?, ?, ?, 0, 0, 0, 1024, 1024, 1.0)", [(i, i, PACK_ID) for i in ids])
            connection.executemany("INSERT INTO latents (item_id, num_rows, row_dim, data) VALUES (?, ?, ?, ?)",
                                   [(i, NUM_ROWS, WIDTH, row.astype("<f4").tobytes()) for i, row in zip(ids, latents)])
            connection.commit()


def load_once(db_path: Path) -> dict:
    """Load the latent index in this process and report what it cost (run in a child process)."""
    from large_desktop.core.library import Library

    library = Library(db_path)
    began = time.perf_counter()
    index = library.latent_index()
    seconds = time.perf_counter() - began
    kept_bytes = index.coords.nbytes + index.basis.components.nbytes + index.photo_ids.nbytes
    return {
        "items": len(index.photo_ids),
        "components": index.basis.num_components,
        "seconds": seconds,
        "kept_bytes": kept_bytes,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write the temporary libraries (default: the system temporary folder)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        print(json.dumps(load_once(args.child)))
        return 0

    load_at_start = os.getloadavg()[0]
    rows = []
    for count in args.sizes:
        with tempfile.TemporaryDirectory(dir=args.folder) as folder:
            db_path = Path(folder) / "library.sqlite"
            began = time.perf_counter()
            build_library(db_path, count)
            build_seconds = time.perf_counter() - began
            database_bytes = db_path.stat().st_size
            child = subprocess.run([sys.executable, __file__, "--child", str(db_path)],
                                   capture_output=True, text=True, check=True)
            figures = json.loads(child.stdout.strip().splitlines()[-1])
        row = [
            f"{count:,}", f"{database_bytes / 2**20:,.0f}", f"{build_seconds:.0f}", str(figures["components"]),
            f"{figures['seconds']:.1f}", f"{figures['kept_bytes'] / 2**20:,.0f}",
            f"{figures['peak_rss_bytes'] / 2**20:,.0f}", f"{figures['peak_rss_bytes'] / TARGET_BYTES:.2f}",
        ]
        rows.append(row)
        print(" | ".join(row), flush=True)

    header = ["items", "database MB", "write s", "K", "latent_index s", "kept MB", "peak RSS MB", "peak RSS / 1 GB"]
    lines = [
        "# Latent index benchmark (`bench/latent_index.py`)",
        "",
        "`Library.latent_index()` on a real SQLite library of synthetic W+ (18 × 512) latents, in a fresh process: "
        "the basis fit, the projection of every latent and the coordinates it keeps for re-scoring. \"kept\" is the "
        "coordinates, the basis and the photo ids, and \"peak RSS\" is the whole process, Python and numpy included. "
        "Ratios below 1 meet the 1 GB target.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load_at_start:.2f} at the start, Python {platform.python_version()}, numpy {np.__version__}; "
        f"{datetime.date.today()}.",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
