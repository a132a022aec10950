"""Checkpoints in the public e4e / pSp / ReStyle layout, built cheaply for tests."""

import json

import pytest
import torch

from large_desktop.core.packs.stylegan2.checkpoint import expected_layout
from large_desktop.core.packs.stylegan2.encoders import n_styles_for

from . import encoder_oracle

OPTS = {
    "e4e": {"encoder_type": "Encoder4Editing", "stylegan_size": 1024, "start_from_latent_avg": True, "device": "cuda:0"},
    "psp": {"encoder_type": "GradualStyleEncoder", "output_size": 1024, "input_nc": 3, "n_styles": 18, "start_from_latent_avg": True},
    "restyle_e4e": {"encoder_type": "ProgressiveBackboneEncoder", "output_size": 1024, "input_nc": 6, "start_from_latent_avg": True},
    "restyle_psp": {"encoder_type": "BackboneEncoder", "output_size": 1024, "input_nc": 6, "start_from_latent_avg": True},
}


def layout_state(family: str, resolution: int = 1024, decoder: bool = False) -> dict[str, torch.Tensor]:
    """A state_dict with every encoder.* key at its real shape, each tensor a broadcast scalar (a few bytes on disk)."""
    state = {key: torch.zeros((), dtype=dtype).expand(shape) for key, (shape, dtype) in expected_layout(family, n_styles_for(resolution)).items()}
    if decoder:
        if not encoder_oracle.E4E_MANIFEST.is_file():
            pytest.skip(f"StyleGAN2 reference files not found at {encoder_oracle.REFERENCE}")
        manifest = json.loads((encoder_oracle.REFERENCE / "manifest_stylegan2_1024.json").read_text(encoding="utf-8"))
        for key, shape, dtype in manifest["state_dict"]:
            state[key] = torch.zeros((), dtype=getattr(torch, dtype)).expand(shape)
    return state
