import shutil

import numpy as np
import pytest

from large_desktop.core.errors import CheckpointError
from large_desktop.core.faces import FaceDetector, align, models_folder
from large_desktop.core.imaging import decode_image
from large_desktop.core.packs import load_pack


def test_descriptor_of_real_face(sample_photo):
    pack = load_pack("dlib-face-128")
    decoded = decode_image(sample_photo("grace_hopper"))
    face = FaceDetector().detect(decoded.pixels)[0]

    latents = pack.encode([align(decoded.pixels, face, pack.alignment)])

    assert latents.shape == (1, 1, 128)
    assert latents.dtype == np.float32
    assert 0.3 < np.linalg.norm(latents) < 1.5  # dlib descriptors have norm near 0.5


def test_tampered_weights_rejected(tmp_path):
    for path in models_folder().glob("*.dat"):
        shutil.copyfile(path, tmp_path / path.name)
    target = tmp_path / "dlib_face_recognition_resnet_model_v1.dat"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))

    with pytest.raises(CheckpointError, match="SHA-256") as error:
        load_pack("dlib-face-128", weights_folder=tmp_path)
    assert str(target) in error.value.message


def test_truncated_weights_rejected(tmp_path):
    for path in models_folder().glob("*.dat"):
        shutil.copyfile(path, tmp_path / path.name)
    target = tmp_path / "shape_predictor_68_face_landmarks.dat"
    target.write_bytes(target.read_bytes()[:1000])

    with pytest.raises(CheckpointError, match="truncated") as error:
        load_pack("dlib-face-128", weights_folder=tmp_path)
    assert str(target) in error.value.message


def test_missing_weights_named(tmp_path):
    with pytest.raises(CheckpointError, match="missing") as error:
        load_pack("dlib-face-128", weights_folder=tmp_path)
    assert str(tmp_path) in error.value.message
