"""Tests for the FFHQ alignment recipe on real portraits."""

import numpy as np
import pytest
from PIL import Image

from large_desktop.core.faces import Face, FaceDetector, align
from large_desktop.core.ffhq_align import (
    MIN_QUAD_SIZE,
    FaceTooSmallError,
    eye_mouth_points,
    ffhq_align,
    ffhq_quad,
    to_rgb_image,
)
from large_desktop.core.imaging import decode_image

# Where the re-detected eye centres land in the 256 px crop, measured on dev
# faces d0001–d0040: the means are (95.6, 121.1) and (159.3, 121.2). The
# standard deviation is at most 1.2 px per coordinate, and no face is more
# than 6.1 px from the mean. The geometry predicts x = 128 ± 32 when the eye
# distance sets the crop size, and y a little above the centre.
FFHQ_256_EYES = np.array([(95.6, 121.1), (159.3, 121.2)])  # [2, 2]
EYE_TOLERANCE = 8.0  # px per face: the 6.1 px worst case plus landmark noise
MEAN_EYE_TOLERANCE = 2.0  # px for the mean over the faces
PORTRAITS = [f"d{i:04d}.jpg" for i in range(1, 9)]


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.fixture
def portrait(dev_faces, detector):
    """Return (pixels [H, W, 3], largest face) of a dev portrait by file name."""

    def load(name: str):
        pixels = decode_image(dev_faces / name).pixels
        faces = detector.detect(pixels)
        assert faces, f"no face detected in {name}"
        return pixels, faces[0]

    return load


def redetected_eyes(detector, crop: np.ndarray) -> np.ndarray:
    faces = detector.detect(crop)
    assert faces, "no face detected in the aligned crop"
    return eye_mouth_points(faces[0].landmarks)[:2]  # [2, 2]


def eye_angle(eyes: np.ndarray) -> float:
    left, right = eyes
    return float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))


def test_eyes_land_on_ffhq_positions(portrait, detector):
    measured = []
    for name in PORTRAITS:
        pixels, face = portrait(name)
        crop = align(pixels, face, "ffhq_256")
        assert crop.shape == (256, 256, 3)
        assert crop.dtype == np.uint8
        eyes = redetected_eyes(detector, crop)
        distance = np.linalg.norm(eyes - FFHQ_256_EYES, axis=1)
        assert distance.max() < EYE_TOLERANCE, (name, eyes.round(1).tolist())
        measured.append(eyes)

    mean = np.mean(measured, axis=0)
    assert np.abs(mean - FFHQ_256_EYES).max() < MEAN_EYE_TOLERANCE, mean.round(1).tolist()


def test_rotated_face_comes_out_upright(portrait, detector):
    pixels, _ = portrait("d0001.jpg")
    for degrees in (20, -20):
        rotated = Image.fromarray(pixels).rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=(128, 128, 128))
        rotated = np.asarray(rotated)
        faces = detector.detect(rotated)
        assert faces, f"no face detected after rotating by {degrees}°"
        assert abs(eye_angle(eye_mouth_points(faces[0].landmarks)[:2])) > 15  # the input is tilted

        crop = ffhq_align(rotated, faces[0].landmarks)

        assert abs(eye_angle(redetected_eyes(detector, crop))) < 3.0


def test_face_at_edge_is_padded_with_blur(portrait, detector):
    pixels, face = portrait("d0001.jpg")
    cut = int(face.landmarks[36, 0]) - 5  # keep the image-left eye's outer corner only
    photo = np.ascontiguousarray(pixels[:, cut:])
    faces = detector.detect(photo)
    assert faces
    landmarks = faces[0].landmarks
    quad = ffhq_quad(landmarks)
    assert quad[:, 0].min() < -50  # far past the left edge, so the pad path must run

    crop = ffhq_align(photo, landmarks)

    # Output pixels whose source lies more than 10 px left of the photo.
    size = crop.shape[0]
    u, v = np.meshgrid((np.arange(size) + 0.5) / size, (np.arange(size) + 0.5) / size)
    source_x = quad[0, 0] + u * (quad[3, 0] - quad[0, 0]) + v * (quad[1, 0] - quad[0, 0])
    outside = source_x < -10
    assert outside.mean() > 0.2
    padded = crop[outside]  # [P, 3]
    assert padded.mean() > 40
    assert (padded.max(axis=1) < 10).mean() < 0.01  # not black

    # Mirroring alone repeats sharp features, the blend blurs them.
    mirrored = np.pad(photo, ((400, 400), (400, 400), (0, 0)), mode="reflect")
    reference = Image.fromarray(mirrored).transform(
        (1024, 1024), Image.Transform.QUAD, (quad + 400.5).flatten().tolist(), Image.Resampling.BILINEAR
    )
    reference = np.asarray(reference.resize((size, size), Image.Resampling.LANCZOS))
    inner = outside[1:-1, 1:-1]
    assert laplacian(crop)[inner].mean() < 0.5 * laplacian(reference)[inner].mean()
    assert redetected_eyes(detector, crop).shape == (2, 2)  # the face is still whole enough to detect


def laplacian(pixels: np.ndarray) -> np.ndarray:
    """Absolute 4-neighbour Laplacian of the grey image, [H-2, W-2]."""
    grey = pixels.astype(np.float64).mean(axis=2)
    return np.abs(4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])


def test_large_photo_is_shrunk_first(portrait):
    pixels, face = portrait("d0002.jpg")
    factor = 6
    large = np.asarray(Image.fromarray(pixels).resize((pixels.shape[1] * factor, pixels.shape[0] * factor), Image.Resampling.BICUBIC))
    # Pixel centres: x_large = (x + 0.5) * factor - 0.5.
    landmarks = (face.landmarks + 0.5) * factor - 0.5

    small_crop = ffhq_align(pixels, face.landmarks).astype(np.float64)
    large_crop = ffhq_align(large, landmarks).astype(np.float64)

    assert np.abs(small_crop - large_crop).mean() < 6.0


@pytest.mark.parametrize("mode", ["RGBA", "L", "CMYK"])
def test_other_modes_warp_as_rgb(portrait, mode):
    pixels, face = portrait("d0003.jpg")
    rgb_crop = ffhq_align(pixels, face.landmarks).astype(np.int16)
    converted = Image.fromarray(pixels).convert(mode)

    crop = ffhq_align(converted, face.landmarks)

    assert crop.shape == (256, 256, 3)
    if mode == "L":
        assert np.array_equal(crop[..., 0], crop[..., 1])
        assert np.array_equal(crop[..., 0], crop[..., 2])
        grey = np.asarray(Image.fromarray(rgb_crop.astype(np.uint8)).convert("L"), dtype=np.int16)
        assert np.abs(crop[..., 0].astype(np.int16) - grey).mean() < 3
    else:
        # Opaque RGBA and Pillow's CMYK round trip give back the RGB pixels.
        assert np.abs(crop.astype(np.int16) - rgb_crop).max() <= 1


def test_array_modes_become_rgb():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (40, 30), dtype=np.uint8)
    rgba = np.dstack([np.stack([grey] * 3, axis=2), np.zeros_like(grey)])  # fully transparent

    assert np.array_equal(np.asarray(to_rgb_image(grey))[..., 1], grey)
    assert np.asarray(to_rgb_image(grey[..., None])).shape == (40, 30, 3)
    assert np.all(np.asarray(to_rgb_image(rgba)) == 255)  # transparency composites over white
    with pytest.raises(ValueError, match="shape"):
        to_rgb_image(np.zeros((4, 4, 2), dtype=np.uint8))


def test_small_face_rejected(portrait):
    pixels, face = portrait("d0004.jpg")
    factor = 8
    small = np.asarray(Image.fromarray(pixels).resize((pixels.shape[1] // factor, pixels.shape[0] // factor), Image.Resampling.LANCZOS))
    tiny = Face(box=face.box, landmarks=face.landmarks / factor, confidence=face.confidence)
    assert np.hypot(*(ffhq_quad(tiny.landmarks)[3] - ffhq_quad(tiny.landmarks)[0])) < MIN_QUAD_SIZE

    with pytest.raises(FaceTooSmallError, match=r"too small for the FFHQ crop: its crop square is \d+ px wide"):
        align(small, tiny, "ffhq_256")
