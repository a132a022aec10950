"""Benchmark the e4e encoder's throughput against the device's dense FLOP/s.

The e4e FFHQ encoder (IR-SE50 + FPN + 18 map2style heads) costs about
145 GFLOP per 256² face (72.5 GMAC, an analytic count). The bound is the
FLOP/s of a large square matmul in the dtype the pack computes in (float32
on the CPU, bf16 or fp16 autocast on a GPU), so

    ratio = faces/s ÷ (matmul FLOP/s ÷ 145e9)

is the share of the device's dense throughput the encoder reaches. Random
weights: only speed is measured. The device, precision, channels-last layout
and inference mode are the ones `StyleGan2Pack` uses.

Usage: .venv/bin/python bench/encoder.py [--batches 1 4 8] [--iterations 2]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from large_desktop.core.packs.stylegan2.encoders import E4eEncoder  # noqa: E402 (needs the path above when run as a script)
from large_desktop.core.packs.stylegan2.pack import autocast_dtype, device_label, select_device  # noqa: E402

FLOP_PER_FACE = 145e9
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "encoder.md"


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_flops(device: torch.device, dtype: torch.dtype, size: int, repeats: int) -> float:
    """Measure dense FLOP/s with a [size, size] @ [size, size] matmul (best of `repeats`)."""
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    torch.matmul(a, b)  # warm-up: library selection and allocation
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def faces_per_second(encoder: torch.nn.Module, device: torch.device, dtype: torch.dtype | None, batch: int, iterations: int) -> float:
    """Time `iterations` forwards of a random batch after one warm-up; return faces/s of the best."""
    images = (torch.rand(batch, 3, 256, 256, device=device) * 2 - 1).contiguous(memory_format=torch.channels_last)
    autocast = torch.autocast(device.type, dtype=dtype) if dtype else nullcontext()
    best = float("inf")
    with torch.inference_mode(), autocast:
        encoder(images)
        synchronize(device)
        for _ in range(iterations):
            start = time.perf_counter()
            encoder(images)
            synchronize(device)
            best = min(best, time.perf_counter() - start)
    return batch / best


def machine_line(device: torch.device) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, "
        f"load average {load:.2f} at the start; device {device_label(device)}; Python {platform.python_version()}, "
        f"torch {torch.__version__}; {datetime.date.today().isoformat()}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", help="batch sizes (default: 1 4 8 on the CPU, 16 64 256 on a GPU)")
    parser.add_argument("--iterations", type=int, default=None, help="timed forwards per batch size (default: 2 on the CPU, 10 on a GPU)")
    args = parser.parse_args()

    device = select_device()
    on_gpu = device.type == "cuda"
    if on_gpu:
        # TF32 would raise the float32 bound; the encoder runs in 16-bit autocast anyway.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    batches = args.batches or ([16, 64, 256] if on_gpu else [1, 4, 8])
    iterations = args.iterations or (10 if on_gpu else 2)
    dtype = autocast_dtype(device)
    compute_dtype = dtype or torch.float32
    header = machine_line(device)
    print(header)

    matmul_size, matmul_repeats = (8192, 5) if on_gpu else (2048, 3)
    flops_before = matmul_flops(device, compute_dtype, matmul_size, matmul_repeats)

    torch.manual_seed(0)
    encoder = E4eEncoder(18).eval().requires_grad_(False).to(device, memory_format=torch.channels_last)
    rows = []
    for batch in batches:
        speed = faces_per_second(encoder, device, dtype, batch, iterations)
        rows.append((batch, speed))
        print(f"batch {batch}: {speed:.2f} faces/s")

    # On a shared machine the matmul rate varies with the load, so the bound is the best rate seen before or after.
    flops_after = matmul_flops(device, compute_dtype, matmul_size, matmul_repeats)
    flops = max(flops_before, flops_after)
    bound = flops / FLOP_PER_FACE
    print(f"matmul {compute_dtype}: {flops_before / 1e9:.1f} / {flops_after / 1e9:.1f} GFLOP/s before / after → bound {bound:.2f} faces/s")
    for batch, speed in rows:
        print(f"batch {batch}: ratio to the FLOP bound {speed / bound:.2f}")

    lines = [
        "# Encoder benchmark (`bench/encoder.py`)",
        "",
        "e4e FFHQ encoder (IR-SE50 + FPN + 18 heads, random weights), 256² input, inference mode, channels-last. "
        f"Precision: {compute_dtype}. Bound: {flops / 1e9:.1f} GFLOP/s, the better of a {matmul_size}² matmul in the same dtype "
        f"before ({flops_before / 1e9:.1f}) and after ({flops_after / 1e9:.1f}) the encoder runs, "
        f"÷ 145 GFLOP per face = {bound:.2f} faces/s. Each figure is the best of {iterations} timed forwards after one warm-up.",
        "",
        "| batch | faces/s | ms per face | ratio to the FLOP bound |",
        "|---|---|---|---|",
        *(f"| {batch} | {speed:.2f} | {1000 / speed:.0f} | {speed / bound:.2f} |" for batch, speed in rows),
        "",
        header,
        f"Load average at the end: {os.getloadavg()[0]:.2f}.",
        "",
    ]
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS_PATH}")


if __name__ == "__main__":
    main()
