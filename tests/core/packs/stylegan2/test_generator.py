"""The StyleGAN2 generator matches the rosinality layout and reproduces the reference outputs.

The oracle in the shared reference folder holds the exact state-dict layout
of the e4e FFHQ decoder, a rule that regenerates deterministic synthetic
weights per key, and images that the reference code rendered from them.
"""

import argparse
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.stylegan2.generator import (
    Generator,
    load_generator,
    read_latent_avg,
    sefa_directions,
    synthesize,
)

from shared_data import STYLEGAN2_REFERENCE as ORACLE
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


#----------------------------------------------------------------------------
# Loading checkpoints (a small 8 px generator keeps the files at about 40 MB)

SMALL = 8


@pytest.fixture(scope="module")
def small_generator() -> Generator:
    torch.manual_seed(7)
    generator = Generator(SMALL)
    with torch.no_grad():
        for name, parameter in generator.named_parameters():
            if name.endswith("bias") or name.endswith("noise.weight"):
                parameter.normal_(0.0, 0.1)  # nonzero, so a bias that fails to load changes the output
    return generator.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def small_state(small_generator) -> dict[str, torch.Tensor]:
    """The small generator's state in e4e checkpoint layout (`decoder.` keys)."""
    return {PREFIX + key: value.clone() for key, value in small_generator.state_dict().items()}


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory, small_state, small_generator) -> Path:
    path = tmp_path_factory.mktemp("sg2") / "e4e_small.pt"
    encoder_entry = {"encoder.input_layer.0.weight": torch.ones(64, 3, 3, 3)}
    latent_avg = torch.arange(small_generator.n_latent * 512, dtype=torch.float32).reshape(-1, 512)
    torch.save({"state_dict": {**encoder_entry, **small_state}, "opts": {"stylegan_size": SMALL}, "latent_avg": latent_avg}, path)
    return path


def save_checkpoint(path: Path, state: dict[str, torch.Tensor]) -> Path:
    torch.save({"state_dict": state}, path)
    return path


def assert_same_weights(loaded: Generator, reference: Generator) -> None:
    reference_state = reference.state_dict()
    for key, value in loaded.state_dict().items():
        torch.testing.assert_close(value, reference_state[key], rtol=0, atol=0, msg=key)


def test_load_generator_e4e_layout(small_checkpoint, small_generator):
    loaded = load_generator(small_checkpoint, SMALL, "cpu")

    assert_same_weights(loaded, small_generator)
    assert not loaded.training
    assert all(not parameter.requires_grad for parameter in loaded.parameters())


def test_load_generator_rosinality_layout(tmp_path, small_generator):
    path = tmp_path / "rosinality.pt"
    torch.save({"g_ema": small_generator.state_dict(), "latent_avg": torch.zeros(512)}, path)

    assert_same_weights(load_generator(path, SMALL, "cpu"), small_generator)


def test_load_generator_safetensors(tmp_path, small_state, small_generator):
    path = tmp_path / "decoder.safetensors"
    save_file({**small_state, "latent_avg": torch.zeros(small_generator.n_latent, 512)}, str(path))

    assert_same_weights(load_generator(path, SMALL, "cpu"), small_generator)


def test_load_generator_without_kernels(tmp_path, small_state, small_generator):
    state = {key: value for key, value in small_state.items() if not key.endswith(".kernel")}
    path = save_checkpoint(tmp_path / "no_kernels.pt", state)

    assert_same_weights(load_generator(path, SMALL, "cpu"), small_generator)


def test_load_generator_rejects_wrong_size(small_checkpoint):
    with pytest.raises(CheckpointError) as raised:
        load_generator(small_checkpoint, 16, "cpu")

    message = str(raised.value)
    assert str(small_checkpoint) in message
    assert "16 px" in message
    assert "missing convs.2.conv.weight" in message


def test_load_generator_rejects_wrong_shape(tmp_path, small_state):
    state = dict(small_state)
    state[PREFIX + "to_rgb1.bias"] = torch.zeros(1, 4, 1, 1)
    path = save_checkpoint(tmp_path / "misshapen.pt", state)

    with pytest.raises(CheckpointError) as raised:
        load_generator(path, SMALL, "cpu")

    message = str(raised.value)
    assert "mis-shaped to_rgb1.bias (1, 4, 1, 1) (expected (1, 3, 1, 1))" in message
    assert "missing" not in message


def test_load_generator_rejects_missing_key(tmp_path, small_state):
    state = {key: value for key, value in small_state.items() if key != PREFIX + "noises.noise_2"}
    path = save_checkpoint(tmp_path / "missing.pt", state)

    with pytest.raises(CheckpointError, match="missing noises.noise_2"):
        load_generator(path, SMALL, "cpu")


def test_load_generator_rejects_unexpected_key(tmp_path, small_state):
    state = {**small_state, PREFIX + "extra.weight": torch.zeros(3)}
    path = save_checkpoint(tmp_path / "unexpected.pt", state)

    with pytest.raises(CheckpointError, match="unexpected extra.weight"):
        load_generator(path, SMALL, "cpu")


def test_load_generator_rejects_encoder_only(tmp_path):
    path = save_checkpoint(tmp_path / "encoder.pt", {"encoder.input_layer.0.weight": torch.ones(64, 3, 3, 3)})

    with pytest.raises(CheckpointError, match="contains no generator tensors"):
        load_generator(path, SMALL, "cpu")


def test_load_generator_rejects_pickled_code(tmp_path, small_state):
    path = tmp_path / "pickled.pt"
    torch.save({"state_dict": small_state, "opts": argparse.Namespace(stylegan_size=SMALL)}, path)

    with pytest.raises(CheckpointError, match="could run code"):
        load_generator(path, SMALL, "cpu")


def test_load_generator_rejects_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_generator(tmp_path / "absent.pt", SMALL, "cpu")


def test_read_latent_avg_layouts(tmp_path, small_checkpoint, small_generator):
    n_latent = small_generator.n_latent
    per_row = read_latent_avg(small_checkpoint, n_latent)
    assert per_row is not None
    assert per_row.shape == (n_latent, 512)
    assert per_row[1, 0].item() == 512.0

    path = tmp_path / "rosinality.pt"
    torch.save({"g_ema": {}, "latent_avg": torch.full((512,), 0.5)}, path)
    broadcast = read_latent_avg(path, n_latent)
    assert broadcast is not None
    assert broadcast.shape == (n_latent, 512)
    assert torch.all(broadcast == 0.5)

    assert read_latent_avg(save_checkpoint(tmp_path / "none.pt", {}), n_latent) is None
    with pytest.raises(CheckpointError, match=f"latent_avg has {n_latent} rows"):
        read_latent_avg(small_checkpoint, n_latent + 2)


#----------------------------------------------------------------------------
# Rendering and SeFa


def test_forward_z_equals_broadcast_w(small_generator):
    z = torch.randn(2, 512, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        w = small_generator.style(z)  # [2, 512]
        from_z, latent = small_generator(z, randomize_noise=False, return_latents=True)
        from_w_plus, _ = small_generator([w[:, None].repeat(1, small_generator.n_latent, 1)], input_is_latent=True, randomize_noise=False)

    assert latent is not None
    assert latent.shape == (2, small_generator.n_latent, 512)
    torch.testing.assert_close(from_z, from_w_plus, rtol=0, atol=1e-6)


def test_forward_truncation_to_center(small_generator):
    z = torch.randn(2, 512, generator=torch.Generator().manual_seed(5))
    center = torch.randn(1, 512, generator=torch.Generator().manual_seed(6))
    with torch.inference_mode():
        truncated, _ = small_generator(z, randomize_noise=False, truncation=0.0, truncation_latent=center)
        at_center, _ = small_generator(center.expand(2, -1), input_is_latent=True, randomize_noise=False)

    torch.testing.assert_close(truncated, at_center, rtol=0, atol=1e-6)


def test_forward_noise_buffers_are_deterministic(small_generator):
    w_plus = torch.randn(1, small_generator.n_latent, 512, generator=torch.Generator().manual_seed(8))
    with torch.inference_mode():
        first, _ = small_generator(w_plus, input_is_latent=True, randomize_noise=False)
        second, _ = small_generator(w_plus, input_is_latent=True, noise=small_generator.noise_buffers())
        random, _ = small_generator(w_plus, input_is_latent=True, randomize_noise=True)

    torch.testing.assert_close(first, second, rtol=0, atol=0)
    assert (first - random).abs().max().item() > 1e-3


def test_synthesize_maps_to_uint8(small_generator):
    w_plus = torch.randn(3, small_generator.n_latent, 512, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        image, _ = small_generator(w_plus, input_is_latent=True, randomize_noise=False)  # [3, 3, 8, 8]
    expected = ((image.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()

    pixels = synthesize(small_generator, w_plus.numpy(), batch_size=2)

    assert pixels.dtype == np.uint8
    assert pixels.shape == (3, SMALL, SMALL, 3)
    np.testing.assert_array_equal(pixels, expected)


def test_synthesize_pools_to_preview_size(small_generator):
    w_plus = torch.randn(2, small_generator.n_latent, 512, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        image, _ = small_generator(w_plus, input_is_latent=True, randomize_noise=False)
    pooled = F.avg_pool2d(image, 2)
    expected = ((pooled.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()

    pixels = synthesize(small_generator, w_plus, preview_size=4)

    np.testing.assert_array_equal(pixels, expected)
    with pytest.raises(UserInputError, match="preview size 3"):
        synthesize(small_generator, w_plus, preview_size=3)


def test_sefa_directions_unit_orthogonal_sorted(small_generator):
    directions = sefa_directions(small_generator, layers="all", k=5)  # [5, 512]
    stacked = torch.cat([conv.modulation.weight for conv in small_generator.style_convs()]).double()

    assert directions.shape == (5, 512)
    assert directions.dtype == np.float32
    np.testing.assert_allclose(directions @ directions.T, np.eye(5), atol=1e-5)
    energy = (stacked @ torch.from_numpy(directions).double().T).pow(2).sum(dim=0)  # ‖A·n‖² per direction
    assert torch.all(energy[:-1] >= energy[1:])

    # The first direction is the top right singular vector of A (up to sign).
    top = torch.linalg.svd(stacked, full_matrices=False).Vh[0]
    assert abs(float(top @ torch.from_numpy(directions[0]).double())) == pytest.approx(1.0, abs=1e-6)


def test_sefa_layer_subset_and_validation(small_generator):
    first_layer = sefa_directions(small_generator, layers=[0], k=1)[0]
    weight = small_generator.conv1.conv.modulation.weight.double()
    top = torch.linalg.svd(weight, full_matrices=False).Vh[0]
    assert abs(float(top @ torch.from_numpy(first_layer).double())) == pytest.approx(1.0, abs=1e-6)

    with pytest.raises(UserInputError, match="SeFa layers"):
        sefa_directions(small_generator, layers=[3])
    with pytest.raises(UserInputError, match="k ≤ 512"):
        sefa_directions(small_generator, k=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(small_generator, monkeypatch):
    # The tolerance assumes full fp32 arithmetic, so TF32 matmuls and convolutions are off.
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    w_plus = torch.randn(2, small_generator.n_latent, 512, generator=torch.Generator().manual_seed(3))
    cuda_generator = Generator(SMALL).to("cuda")
    cuda_generator.load_state_dict(small_generator.state_dict())

    with torch.inference_mode():
        expected, _ = small_generator(w_plus, input_is_latent=True, randomize_noise=False)
        image, _ = cuda_generator(w_plus.cuda(), input_is_latent=True, randomize_noise=False)

    torch.testing.assert_close(image.cpu(), expected, rtol=0, atol=IMAGE_ATOL)
