"""Install from a checkpoint, convert, load as a pack and encode.

The checkpoint contains the oracle encoder weights at full size. It is about
1.07 GB, written once per module into a temporary folder. The golden W+
codes then cover the whole path: unpickling, verification, safetensors
conversion, loading and the pack's own preprocessing of the batch.
"""

import importlib

import numpy as np
import pytest
import torch
from safetensors import safe_open

from .checkpoints import OPTS
from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.hashing import sha256_of
from large_desktop.core.imaging import decode_image
from large_desktop.core.packs.base import PackManifest
from large_desktop.core.packs.registry import LOADERS
from large_desktop.core.packs.stylegan2.checkpoint import install_from_checkpoint
from large_desktop.core.packs.stylegan2.pack import StyleGan2Pack, select_device

pytestmark = pytest.mark.slow  # writes and hashes two 1.07 GB files once per module

ENTRY = {
    "id": "e4e-ffhq-test",
    "name": "e4e FFHQ (oracle weights)",
    "family": "e4e",
    "domain": "face",
    "resolution": 1024,
    "n_styles": 18,
    "license": "test weights",
    "directions": [{"name": "age", "file": "age.pt"}],
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory, oracle_state, oracle_latent_avg):
    folder = tmp_path_factory.mktemp("e4e")
    checkpoint = folder / "e4e_ffhq_encode.pt"
    torch.save({"state_dict": oracle_state, "opts": OPTS["e4e"], "latent_avg": oracle_latent_avg}, checkpoint)
    pack_folder = folder / "pack"
    manifest = install_from_checkpoint(checkpoint, pack_folder, ENTRY)
    checkpoint.unlink()  # the pack must not need the original any more
    return manifest, pack_folder


@pytest.fixture(scope="module")
def pack(installed):
    manifest, pack_folder = installed
    return StyleGan2Pack(manifest, pack_folder)


def test_manifest_written(installed):
    manifest, pack_folder = installed
    encoder_file = pack_folder / "encoder.safetensors"

    assert manifest == PackManifest.from_file(pack_folder / "manifest.json")
    assert manifest.loader == "stylegan2"
    assert manifest.kind == "gan"
    assert manifest.latent_shape == (18, 512)
    assert manifest.alignment == "ffhq_256"
    assert manifest.generator == {"checkpoint": "e4e_ffhq_encode.pt", "resolution": 1024}
    assert manifest.directions == ({"name": "age", "file": "age.pt"},)
    assert (manifest.id, manifest.name, manifest.domain, manifest.license) == ("e4e-ffhq-test", ENTRY["name"], "face", "test weights")
    assert [weight.file for weight in manifest.weights] == ["encoder.safetensors"]
    assert manifest.weights[0].size == encoder_file.stat().st_size
    assert manifest.weights[0].sha256 == sha256_of(encoder_file)
    assert sorted(path.name for path in pack_folder.iterdir()) == ["encoder.safetensors", "manifest.json"]  # no temp files left


def test_conversion_round_trip(installed, oracle_state, oracle_latent_avg):
    _, pack_folder = installed

    with safe_open(str(pack_folder / "encoder.safetensors"), framework="pt") as converted:
        keys = list(converted.keys())
        assert converted.metadata()["family"] == "e4e"
        assert torch.equal(converted.get_tensor("latent_avg"), oracle_latent_avg)
        for key in ("encoder.input_layer.0.weight", "encoder.body.23.res_layer.5.fc2.weight", "encoder.styles.17.linear.bias"):
            assert torch.equal(converted.get_tensor(key), oracle_state[key]), key
        assert converted.get_tensor("encoder.body.0.res_layer.0.num_batches_tracked").dtype == torch.int64

    assert sorted(keys) == sorted([*oracle_state, "latent_avg"])


def test_pack_matches_golden(pack, golden_images, golden):
    wplus = pack.encode_images(golden_images).cpu().numpy()

    assert wplus.dtype == np.float32
    np.testing.assert_allclose(wplus, golden["e4e"], atol=1e-4, rtol=0)


def test_encode_real_faces(pack, dev_faces):
    detector = FaceDetector()
    crops = []
    for path in sorted(dev_faces.glob("*.jpg"))[:12]:
        pixels = decode_image(path).pixels
        faces = detector.detect(pixels)
        if faces:
            crops.append(align(pixels, faces[0], pack.alignment))
        if len(crops) == 3:
            break
    assert len(crops) == 3, "expected three detectable faces among the first dev photos"

    latents = pack.encode(crops)
    alone = pack.encode(crops[2:])

    assert latents.shape == (3, 18, 512)
    assert latents.dtype == np.float32
    assert np.isfinite(latents).all()
    assert not np.allclose(latents[0], latents[1])
    np.testing.assert_allclose(latents[2:], alone, atol=1e-4, rtol=0)  # batching does not change a face's code


def test_encode_empty(pack):
    assert pack.encode([]).shape == (0, 18, 512)


def test_device_name_on_cpu(pack):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert pack.device_name == "CPU"
    assert pack.device.type == "cpu"


def test_registry_names_pack_class():
    module_name, class_name = LOADERS["stylegan2"].split(":")

    assert getattr(importlib.import_module(module_name), class_name) is StyleGan2Pack


def test_missing_encoder_named(installed, tmp_path):
    manifest, _ = installed

    with pytest.raises(CheckpointError, match="missing") as error:
        StyleGan2Pack(manifest, tmp_path)
    assert str(tmp_path / "encoder.safetensors") in error.value.message


def test_entry_mismatch_rejected(tmp_path, write_checkpoint):
    path = write_checkpoint("psp")

    with pytest.raises(CheckpointError, match="expects family='e4e'"):
        install_from_checkpoint(path, tmp_path / "pack", ENTRY)
    assert not (tmp_path / "pack" / "encoder.safetensors").exists()


@pytest.mark.parametrize(("value", "message"), [("meta", "only cpu and cuda"), ("gpu!", "not a valid torch device")])
def test_device_variable_checked(monkeypatch, value, message):
    monkeypatch.setenv("LARGE_DESKTOP_DEVICE", value)

    with pytest.raises(UserInputError, match=message):
        select_device()


def test_device_variable_cpu(monkeypatch):
    monkeypatch.setenv("LARGE_DESKTOP_DEVICE", "cpu")

    assert select_device() == torch.device("cpu")
