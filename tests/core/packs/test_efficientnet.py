import shutil

import numpy as np
import pytest
import torch

from large_desktop.core.errors import CheckpointError
from large_desktop.core.imaging import center_square, decode_image
from large_desktop.core.packs import load_pack
from large_desktop.core.packs.base import check_state_dict, load_state_dict, weight_path


@pytest.fixture(scope="module")
def pack():
    return load_pack("efficientnet-lite0-photo")


def encode(pack, path):
    return pack.encode([center_square(decode_image(path).pixels, 224)])[0, 0]  # [1280]


def test_features_shape_and_range(pack, sample_photo):
    latents = pack.encode([center_square(decode_image(sample_photo("coffee")).pixels, 224)])

    assert latents.shape == (1, 1, 1280)
    assert latents.dtype == np.float32
    assert np.all(np.isfinite(latents))


def test_features_separate_content(pack, sample_photo):
    cat = encode(pack, sample_photo("chelsea"))
    cat_mirrored_path = sample_photo("chelsea")
    mirrored = pack.encode([center_square(decode_image(cat_mirrored_path).pixels[:, ::-1].copy(), 224)])[0, 0]
    coffee = encode(pack, sample_photo("coffee"))

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    # A mirrored cat is closer to the cat than a cup of coffee is.
    assert cosine(cat, mirrored) > cosine(cat, coffee) + 0.2


def test_wrong_checkpoint_names_key(pack, tmp_path):
    weight = pack.manifest.weights[0]
    state = load_state_dict(weight_path(weight))
    state["_fc.weight"] = torch.zeros(10, 1280)
    path = tmp_path / "wrong.pt"
    torch.save(state, path)
    expected = {key: tuple(value.shape) for key, value in load_state_dict(weight_path(weight)).items()}

    with pytest.raises(CheckpointError, match="'_fc.weight' has shape"):
        check_state_dict(load_state_dict(path), expected, path)


def test_tampered_weights_rejected(tmp_path):
    manifest_weight = load_pack("efficientnet-lite0-photo").manifest.weights[0]
    folder = tmp_path / "models"
    folder.mkdir()
    copy = tmp_path / manifest_weight.file
    shutil.copyfile(weight_path(manifest_weight), copy)
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0x01
    copy.write_bytes(bytes(data))

    with pytest.raises(CheckpointError, match="SHA-256"):
        load_pack("efficientnet-lite0-photo", weights_folder=tmp_path)


def test_pickle_named_safetensors_rejected(tmp_path):
    path = tmp_path / "encoder.safetensors"
    torch.save({"weight": torch.zeros(3)}, path)

    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_state_dict(path)
