"""Fixtures for the StyleGAN2 encoder tests: oracle weights, golden arrays, checkpoint writers."""

import numpy as np
import pytest
import torch

from large_desktop.core.packs.stylegan2.encoders import n_styles_for

from . import encoder_oracle
from .checkpoints import OPTS, layout_state


def require_reference() -> None:
    if not encoder_oracle.E4E_MANIFEST.is_file():
        pytest.skip(f"StyleGAN2 reference files not found at {encoder_oracle.REFERENCE}")


@pytest.fixture(scope="session")
def oracle_state() -> dict[str, torch.Tensor]:
    """The 621 encoder.* oracle tensors (about 1.07 GB), each checked against its checksums."""
    require_reference()
    return encoder_oracle.encoder_state()


@pytest.fixture(scope="session")
def oracle_latent_avg() -> torch.Tensor:
    require_reference()
    return encoder_oracle.latent_avg()


@pytest.fixture(scope="session")
def golden_images() -> torch.Tensor:
    require_reference()
    return encoder_oracle.input_images()


@pytest.fixture(scope="session")
def golden() -> dict[str, np.ndarray]:
    require_reference()
    folder = encoder_oracle.REFERENCE
    arrays = {"e4e": np.load(folder / "golden_e4e_wplus.npy"), "psp": np.load(folder / "golden_psp_wplus.npy")}
    with np.load(folder / "golden_e4e_debug.npz") as debug:
        arrays.update({f"debug_{name}": debug[name] for name in debug.files})
    return arrays


@pytest.fixture
def write_checkpoint(tmp_path):
    """Write a checkpoint in the public layout: {"state_dict", "opts", "latent_avg"}; return its path."""

    def write(family="e4e", state=None, opts=None, latent_avg=None, name="model.pt", **opts_changes):
        opts = dict(OPTS[family] if opts is None else opts, **opts_changes)
        n_styles = n_styles_for(int(opts.get("stylegan_size") or opts.get("output_size") or 1024))
        checkpoint = {
            "state_dict": layout_state(family) if state is None else state,
            "opts": opts,
            "latent_avg": torch.zeros(n_styles, 512) if latent_avg is None else latent_avg,
        }
        path = tmp_path / name
        torch.save(checkpoint, path)
        return path

    return write
