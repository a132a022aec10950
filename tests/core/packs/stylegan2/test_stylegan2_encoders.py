"""Layout and structure of the IR-SE50 encoders (meta device: no weights are allocated)."""

import json

import pytest
import torch

from . import encoder_oracle
from large_desktop.core.packs.stylegan2.encoders import (
    E4eEncoder,
    PspEncoder,
    RestyleEncoder,
    build_encoder,
    head_spatial,
    iterate,
    n_styles_for,
)


def manifest_layout(path) -> list[tuple[str, list[int], str]]:
    if not path.is_file():
        pytest.skip(f"StyleGAN2 reference manifest not found at {path}")
    entries = json.loads(path.read_text(encoding="utf-8"))["state_dict"]
    return [(key, shape, dtype) for key, shape, dtype in entries if key.startswith("encoder.")]


def module_layout(encoder: torch.nn.Module) -> list[tuple[str, list[int], str]]:
    return [(f"encoder.{key}", list(value.shape), str(value.dtype).removeprefix("torch.")) for key, value in encoder.state_dict().items()]


@pytest.mark.parametrize(
    ("encoder_class", "manifest"),
    [(E4eEncoder, encoder_oracle.E4E_MANIFEST), (PspEncoder, encoder_oracle.PSP_MANIFEST)],
)
def test_layout_equals_public_checkpoint(encoder_class, manifest):
    with torch.device("meta"):
        encoder = encoder_class(18)

    expected = manifest_layout(manifest)
    actual = module_layout(encoder)

    assert len(actual) == len(expected) == 621
    assert [key for key, _, _ in actual] == [key for key, _, _ in expected]
    assert actual == expected


@pytest.mark.parametrize(("resolution", "n_styles"), [(1024, 18), (512, 16), (256, 14)])
def test_styles_per_resolution(resolution, n_styles):
    with torch.device("meta"):
        encoder = E4eEncoder(n_styles_for(resolution))

    assert encoder.n_styles == n_styles
    assert len(encoder.styles) == n_styles
    convs = [sum(isinstance(layer, torch.nn.Conv2d) for layer in head.convs) for head in encoder.styles]
    assert convs == [4] * 3 + [5] * 4 + [6] * (n_styles - 7)


def test_invalid_resolution_rejected():
    with pytest.raises(ValueError, match="power of two"):
        n_styles_for(1000)


def test_head_spatial_boundaries():
    assert [head_spatial(index) for index in (0, 2, 3, 6, 7, 17)] == [16, 16, 32, 32, 64, 64]


def test_restyle_layout():
    with torch.device("meta"):
        encoder = build_encoder("restyle_e4e", 18)
    state = encoder.state_dict()

    assert state["input_layer.0.weight"].shape == (64, 6, 3, 3)
    assert not any(key.startswith("latlayer") for key in state)
    assert all(f"styles.{index}.convs.6.weight" in state for index in range(18))
    assert not any(".convs.8." in key for key in state)  # every head reads the 16² map: 4 convs
    assert list(state)[-1] == "styles.17.linear.bias"


def test_unknown_family_rejected():
    with pytest.raises(ValueError, match="unknown encoder family"):
        build_encoder("stylegan3", 18)


@pytest.fixture(scope="module")
def small_restyle() -> RestyleEncoder:
    """A ReStyle-e4e encoder with 2 rows and random weights, small enough for a CPU forward."""
    torch.manual_seed(0)
    return RestyleEncoder(2, progressive=True).eval().requires_grad_(False)


def test_restyle_progressive_rows(small_restyle):
    x = torch.rand(1, 6, 256, 256) * 2 - 1

    with torch.inference_mode():
        rows = small_restyle(x)
        _, _, c3 = small_restyle.backbone(x)
        base = small_restyle.styles[0](c3)
        delta = small_restyle.styles[1](c3)

    assert rows.shape == (1, 2, 512)
    torch.testing.assert_close(rows[:, 0], base)
    torch.testing.assert_close(rows[:, 1], base + delta)


def test_iterate_adds_residuals(small_restyle):
    images = torch.rand(1, 3, 256, 256) * 2 - 1
    latent_avg = torch.randn(2, 512)
    decoded = []

    def decoder(w_plus):
        decoded.append(w_plus.clone())
        return torch.tanh(w_plus.mean()).expand(w_plus.shape[0], 3, 256, 256).contiguous()

    with torch.inference_mode():
        w_plus = iterate(small_restyle, images, decoder, latent_avg, steps=2)
        first = latent_avg + small_restyle(torch.cat([images, decoder(latent_avg[None])], dim=1))
        second = first + small_restyle(torch.cat([images, decoder(first)], dim=1))

    assert len(decoded) == 2 + 2  # iterate: avg image and one re-render; then the two calls above
    torch.testing.assert_close(decoded[0], latent_avg[None])
    torch.testing.assert_close(decoded[1], first)
    torch.testing.assert_close(w_plus, second)
