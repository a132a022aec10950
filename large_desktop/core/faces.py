"""Face detection, 68-point landmarks and alignment recipes.

Detection and landmarks come from dlib (`dlib-bin`) with the model files that
`face-recognition-models` installs. That package's `__init__` imports
`pkg_resources`, which setuptools 81 and later no longer ship, so the model
folder is located with `importlib.util.find_spec` without importing it.

An alignment recipe turns one detected face into the crop a pack encodes:

- ``dlib_chip_150``: dlib's own 150×150 face chip (padding 0.25), which the
  dlib ResNet face descriptor was trained on;
- ``ffhq_256``: the FFHQ oriented quad from eye centres and mouth corners,
  used by the StyleGAN2 encoders (e4e, pSp) at 256×256 (see `ffhq_align`);
- ``dcgan_64``: the tight 64×64 crop the DCGAN face generator makes, with an
  alpha channel that marks which pixels came from the photo (255) and which
  are padding (0), so an inversion loss can ignore the padding.
"""

import importlib.util
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import dlib
import numpy as np
from PIL import Image

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.ffhq_align import eye_mouth_points, ffhq_align

logger = logging.getLogger(__name__)

MODELS_PACKAGE = "face_recognition_models"
LANDMARKS_FILE = "shape_predictor_68_face_landmarks.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"

# The HOG detector misses some small, tightly cropped faces that dlib's CNN
# (MMOD) detector finds. The CNN costs about 0.7 s per 400×400 input on two
# CPU cores and about 1 s per 512×512 (measured here), so it only runs as a
# fallback, and only while its input, after upsampling, stays this small.
CNN_FALLBACK_MAX_PIXELS = 512 * 512

# Smaller images cannot hold a face dlib detects (its HOG window is 80×80
# before upsampling), and tiny ones crash it.
MIN_IMAGE_SIDE = 32

RECIPES = ("dlib_chip_150", "ffhq_256", "dcgan_64")

# Where the DCGAN generator puts the eye centres and the mouth midpoint in its
# 64×64 samples, measured on the mean of 1,024 samples. The chin is at the
# bottom edge.
DCGAN_TARGETS = np.array([(23.8, 28.3), (39.6, 28.1), (31.6, 51.8)])  # left eye, right eye, mouth [3, 2]
SUPERSAMPLE = 4  # warp at 4× and downscale, so the small crop is antialiased


def models_folder() -> Path:
    """Return the folder holding dlib's model files from face-recognition-models.

    Raises:
        CheckpointError: the package is not installed.
    """
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(
            f"the Python package {MODELS_PACKAGE!r} is not installed; "
            "run `make setup` or `pip install face-recognition-models==0.3.0`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass(frozen=True)
class Face:
    """One detected face: its box and 68 landmarks in image pixels."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    landmarks: np.ndarray  # [68, 2] float32, (x, y)
    confidence: float

    @property
    def area(self) -> int:
        left, top, right, bottom = self.box
        return max(0, right - left) * max(0, bottom - top)


class FaceDetector:
    """dlib HOG detector (CNN fallback for small images) plus the 68-point predictor.

    dlib objects are not safe to share between threads; create one detector
    per worker thread.
    """

    def __init__(self, folder: Path | None = None, upsample: int = 1) -> None:
        self.folder = folder or models_folder()
        self.upsample = upsample
        self._hog = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(str(self._require(LANDMARKS_FILE)))

    def _require(self, name: str) -> Path:
        path = self.folder / name
        if not path.is_file():
            raise CheckpointError(f"dlib model file {path} is missing; reinstall face-recognition-models")
        return path

    @cached_property
    def _cnn(self) -> "dlib.cnn_face_detection_model_v1":
        return dlib.cnn_face_detection_model_v1(str(self._require(CNN_DETECTOR_FILE)))

    def _cnn_upsample(self, num_pixels: int) -> int | None:
        """Return the largest upsampling that keeps the CNN input small, or None."""
        for upsample in range(self.upsample, -1, -1):
            if num_pixels * 4**upsample <= CNN_FALLBACK_MAX_PIXELS:
                return upsample
        return None

    def detect(self, pixels: np.ndarray) -> list[Face]:
        """Detect every face in an RGB image, largest first.

        Args:
            pixels: [H, W, 3] uint8 RGB.
        """
        assert pixels.ndim == 3, pixels.shape
        assert pixels.shape[2] == 3, pixels.shape
        assert pixels.dtype == np.uint8, pixels.dtype
        if min(pixels.shape[:2]) < MIN_IMAGE_SIDE:
            # dlib's detectors raise or corrupt memory on images a few pixels
            # wide (seen with 1×1, 3×100 and 2048×2 images in dlib 20.0.1).
            return []

        rects, scores, _ = self._hog.run(pixels, self.upsample, 0.0)
        confidences = list(scores)
        upsample = self._cnn_upsample(pixels.shape[0] * pixels.shape[1])
        if not rects and upsample is not None:
            detections = self._cnn(pixels, upsample)
            rects = [d.rect for d in detections]
            confidences = [d.confidence for d in detections]

        faces = []
        for rect, confidence in zip(rects, confidences):
            shape = self._predictor(pixels, rect)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)  # [68, 2]
            box = (rect.left(), rect.top(), rect.right(), rect.bottom())
            faces.append(Face(box=box, landmarks=points, confidence=float(confidence)))

        faces.sort(key=lambda face: face.area, reverse=True)
        return faces


def align(pixels: np.ndarray, face: Face, recipe: str) -> np.ndarray:
    """Cut the aligned crop that a pack's recipe declares.

    Returns:
        [S, S, 3] uint8 RGB, S given by the recipe.
    """
    if recipe == "dlib_chip_150":
        return _dlib_chip(pixels, face, size=150, padding=0.25)
    if recipe == "ffhq_256":
        return ffhq_align(pixels, face.landmarks, output_size=256)
    if recipe == "dcgan_64":
        return similarity_align(pixels, face.landmarks, DCGAN_TARGETS, output_size=64)
    raise UserInputError(f"unknown alignment recipe {recipe!r}; known recipes: {', '.join(RECIPES)}")


def _dlib_chip(pixels: np.ndarray, face: Face, size: int, padding: float) -> np.ndarray:
    left, top, right, bottom = face.box
    rect = dlib.rectangle(left, top, right, bottom)
    parts = [dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks]
    shape = dlib.full_object_detection(rect, parts)
    return np.ascontiguousarray(dlib.get_face_chip(pixels, shape, size=size, padding=padding))


def similarity_align(pixels: np.ndarray, landmarks: np.ndarray, targets: np.ndarray, output_size: int) -> np.ndarray:
    """Warp the face so its eyes and mouth land on target points; return RGBA.

    The similarity transform (rotation, uniform scale, shift) is the least
    squares fit of the three points. Alpha is 255 where the output pixel came
    from inside the photo and 0 where it fell outside.

    Returns:
        [output_size, output_size, 4] uint8.
    """
    source = eye_mouth_points(landmarks)  # [3, 2]
    target = targets * SUPERSAMPLE + (SUPERSAMPLE - 1) / 2  # pixel centres at the large size

    # Solve x_src = a·x − b·y + tx, y_src = b·x + a·y + ty (output → photo).
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append(([x, -y, 1, 0], u))
        rows.append(([y, x, 0, 1], v))
    matrix = np.array([row for row, _ in rows])
    values = np.array([value for _, value in rows])
    a, b, tx, ty = np.linalg.lstsq(matrix, values, rcond=None)[0]

    size = output_size * SUPERSAMPLE
    coefficients = (a, -b, tx, b, a, ty)
    height, width = pixels.shape[:2]
    rgba = np.dstack([pixels, np.full((height, width), 255, dtype=np.uint8)])
    warped = Image.fromarray(rgba, "RGBA").transform(
        (size, size), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR, fillcolor=(0, 0, 0, 0)
    )
    small = np.asarray(warped.resize((output_size, output_size), Image.Resampling.BOX), dtype=np.uint8).copy()
    small[..., 3] = np.where(small[..., 3] >= 128, 255, 0)  # a pixel is padding when most of it was
    return small
