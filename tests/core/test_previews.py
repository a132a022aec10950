import numpy as np
import pytest
from PIL import Image

from large_desktop.core.errors import UserInputError
from large_desktop.core.faces import FaceDetector
from large_desktop.core.packs import load_pack
from large_desktop.core.previews import SHOWN_SIZE, reconstruct, walk

ZOOM = SHOWN_SIZE // 64  # the DCGAN renders 64×64 faces


@pytest.fixture(scope="module")
def gan_pack():
    return load_pack("dcgan-face-64")


def test_reconstruct_face_beside_rendering(gan_pack, sample_photo):
    image = reconstruct(gan_pack, sample_photo("grace_hopper"), FaceDetector())

    assert image.size == (128 * ZOOM, 64 * ZOOM)
    pixels = np.asarray(image.resize((128, 64), Image.Resampling.NEAREST), dtype=np.float64)
    aligned, rendered = pixels[:, :64], pixels[:, 64:]
    # The reconstruction resembles its face more than a flat grey image does.
    assert np.abs(aligned - rendered).mean() < np.abs(aligned - 128).mean()


def test_reconstruct_without_face_rejected(gan_pack, sample_photo):
    with pytest.raises(UserInputError, match="no face found"):
        reconstruct(gan_pack, sample_photo("coffee"), FaceDetector())


def test_reconstruct_needs_generator(sample_photo):
    with pytest.raises(UserInputError, match="has no generator"):
        reconstruct(load_pack("dlib-face-128"), sample_photo("grace_hopper"), FaceDetector())


def test_walk_changes_along_direction(gan_pack):
    direction = np.zeros((1, 100), dtype=np.float32)
    direction[0, 3] = 1.0

    strip = walk(gan_pack, np.zeros((1, 100), dtype=np.float32), direction, spread=3.0, steps=5)

    assert strip.size == (5 * 64 * ZOOM, 64 * ZOOM)
    frames = np.asarray(strip.resize((5 * 64, 64), Image.Resampling.NEAREST), dtype=np.float64).reshape(64, 5, 64, 3)
    first, middle, last = frames[:, 0], frames[:, 2], frames[:, 4]
    assert np.abs(first - last).mean() > np.abs(first - middle).mean() > 0
