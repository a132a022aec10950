"""Install a ReStyle checkpoint and encode a real face with the generator in the loop.

The checkpoint is written here in the public layout: a ReStyle-e4e encoder
with the default random initialisation of its real shapes (about 0.8 GB),
the `decoder.*` tensors of a randomly initialised 1024 px generator and a
random latent_avg. It lies in the pack folder, where `packs install` keeps
it, since a ReStyle pack renders with its generator on every pass. Each 1024²
generator forward takes seconds on a CPU, so the module runs three in all.
"""

import dataclasses

import numpy as np
import pytest
import torch
from shared_data import DEV_FACES

from .checkpoints import OPTS
from large_desktop.core.errors import CheckpointError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import decode_image
from large_desktop.core.packs.stylegan2.checkpoint import install_from_checkpoint
from large_desktop.core.packs.stylegan2.encoders import build_encoder
from large_desktop.core.packs.stylegan2.generator import Generator
from large_desktop.core.packs.stylegan2.pack import StyleGan2Pack

pytestmark = pytest.mark.slow  # writes and hashes about 1.8 GB once and renders three 1024² faces

CHECKPOINT = "restyle_e4e_ffhq_encode.pt"
ENTRY = {
    "id": "restyle-e4e-test",
    "name": "ReStyle e4e FFHQ (random weights)",
    "family": "restyle_e4e",
    "domain": "face",
    "resolution": 1024,
    "n_styles": 18,
    "license": "test weights",
}


def with_steps(manifest, steps):
    """Return the manifest with input.restyle_steps replaced."""
    return dataclasses.replace(manifest, input={**manifest.input, "restyle_steps": steps})


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    torch.manual_seed(0)
    state = {f"encoder.{key}": value for key, value in build_encoder("restyle_e4e", 18).state_dict().items()}
    state.update({f"decoder.{key}": value for key, value in Generator(1024).state_dict().items()})
    latent_avg = 0.1 * torch.randn(18, 512)
    pack_folder = tmp_path_factory.mktemp("restyle") / "pack"
    pack_folder.mkdir()
    torch.save({"state_dict": state, "opts": OPTS["restyle_e4e"], "latent_avg": latent_avg}, pack_folder / CHECKPOINT)
    del state
    manifest = install_from_checkpoint(pack_folder / CHECKPOINT, pack_folder, ENTRY)
    return manifest, pack_folder, latent_avg


@pytest.fixture(scope="module")
def face_crop():
    """One aligned 256² crop (recipe ffhq_256) of the first dev photo with a detectable face."""
    if not (DEV_FACES / "labels.csv").is_file():
        pytest.skip(f"dev faces not found at {DEV_FACES}")
    detector = FaceDetector()
    for path in sorted(DEV_FACES.glob("*.jpg"))[:12]:
        pixels = decode_image(path).pixels
        faces = detector.detect(pixels)
        if faces:
            return align(pixels, faces[0], "ffhq_256")  # [256, 256, 3] uint8
    pytest.fail("no detectable face among the first 12 dev photos")


@pytest.fixture(scope="module")
def one_step_code(installed, face_crop):
    manifest, pack_folder, _ = installed
    pack = StyleGan2Pack(with_steps(manifest, 1), pack_folder)
    return pack.encode([face_crop])  # [1, 18, 512]; one generator forward (the latent_avg rendering)


def test_manifest_has_default_steps(installed):
    manifest, _, _ = installed

    assert manifest.input == {"size": 256, "normalisation": "[-1, 1]", "family": "restyle_e4e", "restyle_steps": 5}
    assert manifest.generator == {"checkpoint": CHECKPOINT, "resolution": 1024}


def test_one_step_moves_away_from_latent_avg(one_step_code, installed):
    _, _, latent_avg = installed

    assert one_step_code.shape == (1, 18, 512)
    assert one_step_code.dtype == np.float32
    assert np.isfinite(one_step_code).all()
    assert np.abs(one_step_code[0] - latent_avg.numpy()).max() > 1e-3


def test_second_step_refines_the_code(one_step_code, installed, face_crop):
    manifest, pack_folder, _ = installed
    pack = StyleGan2Pack(with_steps(manifest, 2), pack_folder)

    two_steps = pack.encode([face_crop])  # two generator forwards

    assert pack.restyle_steps == 2
    assert two_steps.shape == (1, 18, 512)
    assert np.isfinite(two_steps).all()
    assert np.abs(two_steps - one_step_code).max() > 1e-3


def test_missing_generator_named(installed):
    manifest, pack_folder, _ = installed
    moved = dataclasses.replace(manifest, generator={"checkpoint": "absent.pt", "resolution": 1024})

    with pytest.raises(CheckpointError, match="missing") as error:
        StyleGan2Pack(moved, pack_folder)
    assert str(pack_folder / "absent.pt") in error.value.message


@pytest.mark.parametrize("steps", [0, 2.5, "5", True])
def test_bad_steps_in_manifest_rejected(installed, steps):
    manifest, pack_folder, _ = installed

    with pytest.raises(CheckpointError, match="restyle_steps"):
        StyleGan2Pack(with_steps(manifest, steps), pack_folder)


def test_bad_steps_in_entry_rejected(tmp_path, write_checkpoint):
    path = write_checkpoint("restyle_psp")

    with pytest.raises(CheckpointError, match=r"'restyle-psp-test'.*restyle_steps is 0"):
        install_from_checkpoint(path, tmp_path / "pack", {**ENTRY, "id": "restyle-psp-test", "family": "restyle_psp", "restyle_steps": 0})
    assert not (tmp_path / "pack" / "encoder.safetensors").exists()
