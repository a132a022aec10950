"""Test helpers for the model manager: checkpoints, catalogue entries and a stand-in preparer."""

import dataclasses
import io
import json
import shutil
from pathlib import Path

import torch

from large_desktop.core.packs.base import PackManifest, weight_path
from large_desktop.core.packs.registry import shipped_packs

# A preparer that cannot be imported, so tests do not depend on which converters exist.
MISSING_PREPARER = "large_desktop.core.packs.no_such_converter:install_from_checkpoint"
STAND_IN_PREPARER = "pack_fixtures:copy_dcgan_preparer"


def checkpoint_bytes(seed: int) -> bytes:
    generator = torch.Generator().manual_seed(seed)
    buffer = io.BytesIO()
    torch.save({"state_dict": {"encoder.weight": torch.randn(256, 512, generator=generator)}}, buffer)
    return buffer.getvalue()


def catalogue_entry(pack_id: str, url: str, size: int, *, exact: bool = False, sha256: str | None = None) -> dict:
    return {
        "id": pack_id,
        "name": f"test pack {pack_id}",
        "family": "e4e",
        "domain": "face",
        "dataset": "FFHQ",
        "resolution": 1024,
        "n_styles": 18,
        "latent_shape": [18, 512],
        "input_size": [256, 256],
        "file": "e4e_test_encode.pt",
        "size": size,
        "size_exact": exact,
        "sha256": sha256,
        "license": {"short": "NVIDIA-NC (non-commercial)", "text": "Non-commercial use only."},
        "url": url,
        "page": url,
        "project": "https://example.invalid/project",
        "directions": [],
    }


def copy_dcgan_preparer(checkpoint: Path, pack_folder: Path, entry: dict) -> PackManifest:
    """Stand-in preparer: installs the shipped DCGAN pack's weights under the entry's id."""
    assert checkpoint.parent == pack_folder
    shipped = shipped_packs()["dcgan-face-64"]
    for weight in shipped.weights:
        shutil.copyfile(weight_path(weight), pack_folder / weight.file)
    manifest = dataclasses.asdict(shipped) | {"id": entry["id"], "name": entry["name"]}
    manifest["weights"] = [dataclasses.asdict(weight) | {"package": None} for weight in shipped.weights]
    (pack_folder / "manifest.json").write_text(json.dumps(manifest))
    return PackManifest.from_file(pack_folder / "manifest.json")
