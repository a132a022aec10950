"""The StyleGAN2 generator matches the rosinality layout and reproduces the reference outputs.

The oracle in the shared reference folder holds the exact state-dict layout
of the e4e FFHQ decoder, a rule that regenerates deterministic synthetic
weights per key, and images that the reference code rendered from them.
"""

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from large_desktop.core.packs.stylegan2.generator import Generator

ORACLE = Path(__file__).resolve().parents[4].parent / "shared" / "reference" / "stylegan2_e4e"
PREFIX = "decoder."
MAPPING_ATOL = 1e-4  # tolerances suggested with the goldens (fp32 CPU, 1 vs 2 threads differ by < 4e-5)
IMAGE_ATOL = 1e-3


@pytest.fixture(scope="module")
def manifest() -> dict:
    path = ORACLE / "manifest_stylegan2_1024.json"
    if not path.is_file():
        pytest.skip(f"StyleGAN2 oracle not found at {ORACLE}")
    return json.loads(path.read_text(encoding="utf-8"))


def oracle_tensor(key: str, shape: list[int], init: dict) -> torch.Tensor:
    """Regenerate one oracle weight: a CPU generator seeded with the CRC-32 of the full key."""
    generator = torch.Generator().manual_seed(zlib.crc32(key.encode("utf-8")))
    if init["kind"] == "normal":
        return torch.randn(shape, generator=generator) * init["std"] + init["mean"]
    if init["kind"] == "uniform":
        return torch.rand(shape, generator=generator) * (init["high"] - init["low"]) + init["low"]
    if init["kind"] == "blur_kernel":
        taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
        return torch.outer(taps, taps) / 16
    raise AssertionError(f"unknown init kind {init['kind']!r} for {key}")


@pytest.fixture(scope="module")
def oracle_state(manifest) -> dict[str, torch.Tensor]:
    """The oracle weights without the `decoder.` prefix, each verified against its checksum."""
    state = {}
    for key, shape, _ in manifest["state_dict"]:
        entry = manifest["oracle_weights"]["per_key"][key]
        value = oracle_tensor(key, shape, entry["init"])
        check = entry["check"]
        assert value.double().sum().item() == pytest.approx(check["sum"], rel=1e-9, abs=1e-6), key
        assert value.double().abs().sum().item() == pytest.approx(check["abs_sum"], rel=1e-9), key
        assert value.flatten()[:4].tolist() == check["first"], key
        state[key[len(PREFIX):]] = value
    return state


@pytest.fixture(scope="module")
def oracle_generator(oracle_state) -> Generator:
    generator = Generator(1024, 512, 8, channel_multiplier=2)
    generator.load_state_dict(oracle_state, strict=True)
    return generator.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def golden_wplus() -> torch.Tensor:
    return torch.from_numpy(np.load(ORACLE / "golden_e4e_wplus.npy"))  # [2, 18, 512]


@pytest.fixture(scope="module")
def oracle_image(oracle_generator, golden_wplus) -> torch.Tensor:
    """The one full 1024² forward of the module (about 9 s on 2 cores)."""
    with torch.inference_mode():
        image, _ = oracle_generator(golden_wplus, input_is_latent=True, randomize_noise=False)
    return image  # [2, 3, 1024, 1024]


#----------------------------------------------------------------------------
# Layout


def test_state_dict_layout_matches_manifest(manifest):
    generator = Generator(1024, 512, 8, channel_multiplier=2)
    ours = [[PREFIX + key, list(value.shape), str(value.dtype).removeprefix("torch.")] for key, value in generator.state_dict().items()]

    assert len(ours) == manifest["counts"]["entries"]
    assert ours == manifest["state_dict"]


def test_parameter_and_buffer_counts(manifest):
    generator = Generator(1024)
    counts = manifest["counts"]

    assert len(list(generator.parameters())) == counts["parameters"]
    assert sum(p.numel() for p in generator.parameters()) == counts["parameter_elements"]
    assert len(list(generator.buffers())) == counts["buffers"]
    assert sum(b.numel() for b in generator.buffers()) == counts["buffer_elements"]


def test_blur_kernels_equal_oracle_values(oracle_state):
    generator = Generator(1024)
    kernels = {key: value for key, value in generator.state_dict().items() if key.endswith(".kernel")}

    assert len(kernels) == 16
    for key, value in kernels.items():
        torch.testing.assert_close(value, oracle_state[key], rtol=0, atol=0, msg=key)


def test_n_latent_per_size():
    assert Generator(1024).n_latent == 18
    assert Generator(256, channel_multiplier=1).n_latent == 14


#----------------------------------------------------------------------------
# Function against the reference outputs


def test_mapping_matches_golden(oracle_generator):
    z = torch.randn((2, 512), generator=torch.Generator().manual_seed(4321))
    with torch.inference_mode():
        w = oracle_generator.style(z)

    golden = torch.from_numpy(np.load(ORACLE / "golden_sg2_mapping_w.npy"))
    torch.testing.assert_close(w, golden, rtol=0, atol=MAPPING_ATOL)


def test_image_avgpool_matches_golden(oracle_image):
    golden = torch.from_numpy(np.load(ORACLE / "golden_sg2_img_avgpool64.npy"))  # [2, 3, 64, 64]
    torch.testing.assert_close(F.avg_pool2d(oracle_image, 16), golden, rtol=0, atol=IMAGE_ATOL)


def test_image_center_crop_matches_golden(oracle_image):
    golden = torch.from_numpy(np.load(ORACLE / "golden_sg2_img_center_crop16.npy"))  # [2, 3, 16, 16]
    torch.testing.assert_close(oracle_image[:, :, 504:520, 504:520], golden, rtol=0, atol=IMAGE_ATOL)


def test_image_pixels_and_stats_match_golden(oracle_image):
    golden = json.loads((ORACLE / "golden_sg2_pixels.json").read_text(encoding="utf-8"))

    for (b, c, h, w), value in zip(golden["coords_bchw"], golden["values"], strict=True):
        assert oracle_image[b, c, h, w].item() == pytest.approx(value, abs=IMAGE_ATOL), (b, c, h, w)
    stats = golden["img_stats"]
    assert oracle_image.mean().item() == pytest.approx(stats["mean"], abs=IMAGE_ATOL)
    assert oracle_image.std().item() == pytest.approx(stats["std"], abs=IMAGE_ATOL)
    assert oracle_image.min().item() == pytest.approx(stats["min"], abs=IMAGE_ATOL)
    assert oracle_image.max().item() == pytest.approx(stats["max"], abs=IMAGE_ATOL)


def test_random_noise_fails_golden(oracle_generator, golden_wplus):
    """Negative control: the golden comparison rejects a generator that ignores the noise buffers."""
    torch.manual_seed(0)
    with torch.inference_mode():
        image, _ = oracle_generator(golden_wplus[:1], input_is_latent=True, randomize_noise=True)

    golden = torch.from_numpy(np.load(ORACLE / "golden_sg2_img_avgpool64.npy"))[:1]
    error = (F.avg_pool2d(image, 16) - golden).abs().max().item()
    assert error > 100 * IMAGE_ATOL
