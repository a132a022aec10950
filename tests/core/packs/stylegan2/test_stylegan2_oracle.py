"""The encoders compute the same function as the reference e4e and pSp code.

The oracle weights are synthetic (deterministic per key), so these tests
prove the arithmetic, not face quality. Tolerance: 1e-4 on W+ values of
mean magnitude 0.74; 1 vs 2 CPU threads differ by 3.3e-6.
"""

import numpy as np
import pytest
import torch

from large_desktop.core.packs.stylegan2 import encoders
from large_desktop.core.packs.stylegan2.encoders import E4eEncoder, PspEncoder

pytestmark = pytest.mark.slow  # each forward is about 2 s of CPU for 145 GFLOP

ATOL = 1e-4
TAPS = {"input_layer_chanmean": None, "body6_chanmean": 6, "body20_chanmean": 20, "body23_chanmean": 23}


def load_oracle(encoder_class, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    """Build an encoder whose parameters are the oracle tensors themselves (no copy)."""
    with torch.device("meta"):
        encoder = encoder_class(18)
    encoder.load_state_dict({key.removeprefix("encoder."): value for key, value in state.items()}, strict=True, assign=True)
    return encoder.eval()


def run(encoder: torch.nn.Module, images: torch.Tensor, latent_avg: torch.Tensor) -> np.ndarray:
    with torch.inference_mode():
        return (encoder(images) + latent_avg).numpy()


@pytest.fixture(scope="module")
def e4e_run(oracle_state, oracle_latent_avg, golden_images) -> dict[str, np.ndarray]:
    """One e4e forward on the golden input, with the channel means of the debug taps."""
    encoder = load_oracle(E4eEncoder, oracle_state)
    captured = {}

    def keep_mean(name):
        return lambda module, inputs, output: captured.__setitem__(name, output.mean(dim=(2, 3)).numpy())

    for name, unit in TAPS.items():
        module = encoder.input_layer if unit is None else encoder.body[unit]
        module.register_forward_hook(keep_mean(name))
    with torch.inference_mode():
        raw = encoder(golden_images)
    return {"raw": raw.numpy(), "wplus": (raw + oracle_latent_avg).numpy(), **captured}


@pytest.mark.parametrize("tap", list(TAPS))
def test_e4e_intermediate_taps(e4e_run, golden, tap):
    np.testing.assert_allclose(e4e_run[tap], golden[f"debug_{tap}"], atol=ATOL, rtol=0)


def test_e4e_raw_output(e4e_run, golden):
    np.testing.assert_allclose(e4e_run["raw"], golden["debug_encoder_raw_output"], atol=ATOL, rtol=0)


def test_e4e_matches_golden(e4e_run, golden):
    assert e4e_run["wplus"].shape == (2, 18, 512)
    np.testing.assert_allclose(e4e_run["wplus"], golden["e4e"], atol=ATOL, rtol=0)


def test_psp_matches_golden(oracle_state, oracle_latent_avg, golden_images, golden):
    wplus = run(load_oracle(PspEncoder, oracle_state), golden_images, oracle_latent_avg)

    assert wplus.shape == (2, 18, 512)
    np.testing.assert_allclose(wplus, golden["psp"], atol=ATOL, rtol=0)


def test_swapped_heads_detected(oracle_state, oracle_latent_avg, golden_images, golden):
    swapped = dict(oracle_state)
    for key in [key for key in oracle_state if key.startswith("encoder.styles.8.")]:
        other = key.replace("styles.8.", "styles.9.")
        swapped[key], swapped[other] = oracle_state[other], oracle_state[key]

    wplus = run(load_oracle(E4eEncoder, swapped), golden_images, oracle_latent_avg)

    errors = np.abs(wplus - golden["e4e"]).max(axis=(0, 2))  # per row
    assert errors[8] > 100 * ATOL
    assert errors[9] > 100 * ATOL
    assert errors[np.r_[0:8, 10:18]].max() <= ATOL


def test_nearest_fpn_upsample_detected(oracle_state, oracle_latent_avg, golden_images, golden, monkeypatch):
    def nearest_upsample_add(coarse, lateral):
        return torch.nn.functional.interpolate(coarse, size=lateral.shape[-2:], mode="nearest") + lateral

    monkeypatch.setattr(encoders, "upsample_add", nearest_upsample_add)
    wplus = run(load_oracle(E4eEncoder, oracle_state), golden_images, oracle_latent_avg)

    error = np.abs(wplus - golden["e4e"]).max()
    assert error > 0.1  # 0.65 with the reference code
    assert np.abs(wplus[:, :3] - golden["e4e"][:, :3]).max() <= ATOL  # coarse heads read no upsampled map
