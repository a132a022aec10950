"""The deterministic encoder weights and inputs behind the e4e/pSp golden outputs.

Every tensor is drawn on the CPU from a generator seeded with the CRC-32 of
its checkpoint key, by the rule and with the init values that
`manifest_e4e_ffhq.json` ("oracle_weights") lists. Checksums stored next to
each init show whether this torch version reproduces the draw.
"""

import json
import zlib
from functools import cache
from pathlib import Path

import numpy as np
import torch

from shared_data import STYLEGAN2_REFERENCE as REFERENCE
E4E_MANIFEST = REFERENCE / "manifest_e4e_ffhq.json"
PSP_MANIFEST = REFERENCE / "manifest_psp_ffhq.json"
INPUT_SEED = 1234


@cache
def manifest(path: Path = E4E_MANIFEST) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def draw(seed_string: str, shape: list[int], init: dict) -> torch.Tensor:
    """Draw one tensor by the oracle rule."""
    generator = torch.Generator().manual_seed(zlib.crc32(seed_string.encode("utf-8")))
    if init["kind"] == "normal":
        return torch.randn(shape, generator=generator) * init["std"] + init["mean"]
    if init["kind"] == "uniform":
        return torch.rand(shape, generator=generator) * (init["high"] - init["low"]) + init["low"]
    if init["kind"] == "zeros":
        return torch.zeros(shape, dtype=torch.int64)
    raise ValueError(f"unknown oracle init kind {init['kind']!r}")


def checksum_mismatch(tensor: torch.Tensor, check: dict) -> str | None:
    """Return how a tensor differs from its recorded checksums, or None when it matches."""
    values = tensor.double()
    total, abs_total = float(values.sum()), float(values.abs().sum())
    first = tensor.flatten()[:4].tolist()
    if not np.isclose(total, check["sum"], rtol=1e-9, atol=1e-6):
        return f"sum {total} != {check['sum']}"
    if not np.isclose(abs_total, check["abs_sum"], rtol=1e-9, atol=1e-6):
        return f"abs_sum {abs_total} != {check['abs_sum']}"
    if first != check["first"][: len(first)]:
        return f"first values {first} != {check['first']}"
    return None


def encoder_state() -> dict[str, torch.Tensor]:
    """Regenerate all 621 `encoder.*` tensors and check each against its checksums."""
    oracle = manifest()["oracle_weights"]["per_key"]
    state = {}
    for key, shape, _ in manifest()["state_dict"]:
        tensor = draw(key, shape, oracle[key]["init"])
        problem = checksum_mismatch(tensor, oracle[key]["check"])
        assert problem is None, f"oracle tensor {key}: {problem}; this torch version draws different numbers"
        state[key] = tensor
    return state


def latent_avg() -> torch.Tensor:
    entry = manifest()["oracle_weights"]["latent_avg"]
    tensor = draw(entry["init"]["seed_string"], [18, 512], entry["init"])
    problem = checksum_mismatch(tensor, entry["check"])
    assert problem is None, f"oracle latent_avg: {problem}"
    return tensor


def input_images() -> torch.Tensor:
    """Return the golden input batch [2, 3, 256, 256] in [-1, 1)."""
    images = torch.rand((2, 3, 256, 256), generator=torch.Generator().manual_seed(INPUT_SEED)) * 2 - 1
    spec = json.loads((REFERENCE / "golden_input_spec.json").read_text(encoding="utf-8"))
    problem = checksum_mismatch(images, spec["input_image"]["check"])
    assert problem is None, f"golden input: {problem}"
    return images
