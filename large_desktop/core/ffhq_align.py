"""FFHQ face alignment: the oriented crop the StyleGAN2 FFHQ encoders expect.

The recipe of the FFHQ dataset (Karras et al., "A Style-Based Generator
Architecture for GANs", 2019), which e4e and pSp also use to prepare their
inputs:

1. An oriented square (the quad) from the eye centres and the mouth midpoint.
2. A shrink of the whole photo by an integer factor when the quad is much
   larger than needed, with Lanczos filtering.
3. A crop to the quad plus a border.
4. When the quad reaches past the photo: reflection padding whose far parts
   fade into a blurred copy and into the median colour, so the encoder sees
   neither black corners nor sharp mirrored features.
5. A bilinear quad warp to `transform_size`, then Lanczos down to the output.

Everything works on the in-memory image, which `imaging.decode_image` has
already turned upright (EXIF orientation), so the file is never reopened.
"""

import logging

import numpy as np
from PIL import Image, ImageFilter

from large_desktop.core.errors import UserInputError

logger = logging.getLogger(__name__)

# The quad is warped at 4× the output size and then reduced with Lanczos, the
# same ratio as FFHQ's 4096 → 1024. A direct bilinear warp from a
# 512–768 px quad to 256 px would alias, unlike the antialiased FFHQ images
# the encoders were trained on.
TRANSFORM_FACTOR = 4

# Below this quad side, each output pixel of a 256 px crop spans less than a
# quarter of a source pixel, so the encoder gets a blur. By estimate, the
# smallest faces dlib's HOG detector finds (boxes of about 40 px at upsample
# 1, eyes about 16 px apart) give quads of about 64 px.
MIN_QUAD_SIZE = 64.0

BORDER_FRACTION = 0.1  # crop border, as a fraction of the quad side
MIN_BORDER = 3  # pixels
PAD_FRACTION = 0.3  # minimum reflection padding of a side that needs any, as a fraction of the quad side
BLUR_FRACTION = 0.02  # sigma of the Gaussian blur the padding fades into
PAD_SLACK = 4  # pixels; padding starts when the quad comes this close to an edge


class FaceTooSmallError(UserInputError):
    """The face is too small in the photo for an FFHQ crop worth encoding."""


def eye_mouth_points(landmarks: np.ndarray) -> np.ndarray:
    """Return the left eye centre, right eye centre and mouth midpoint of 68 dlib landmarks.

    The eye centres are the means of points 36–41 and 42–47 (image left and
    image right), the mouth midpoint is the mean of the outer lip corners 48
    and 54.

    Returns:
        [3, 2] float64, (x, y) in pixels.
    """
    assert landmarks.shape == (68, 2), landmarks.shape
    return np.stack([
        landmarks[36:42].mean(axis=0),
        landmarks[42:48].mean(axis=0),
        (landmarks[48] + landmarks[54]) / 2,
    ]).astype(np.float64)


def _perpendicular(vector: np.ndarray) -> np.ndarray:
    """Rotate (x, y) by 90° in image coordinates, where y points down."""
    return np.array([-vector[1], vector[0]])


def ffhq_quad(landmarks: np.ndarray) -> np.ndarray:
    """Compute the FFHQ oriented crop quad (TL, BL, BR, TR) from 68 landmarks.

    The x axis of the crop is the eye-to-eye vector tilted by the
    eye-to-mouth vector turned 90°, so both the eye line and the face's
    vertical line level it. Its half side is max(2·|eye-to-eye|,
    1.8·|eye-to-mouth|), and its centre lies a tenth of the eye-to-mouth
    vector below the midpoint of the eyes.

    Returns:
        [4, 2] float64 corners in pixels.
    """
    eye_left, eye_right, mouth = eye_mouth_points(landmarks)
    eye_mid = (eye_left + eye_right) / 2
    eye_to_eye = eye_right - eye_left
    eye_to_mouth = mouth - eye_mid

    axis_x = eye_to_eye - _perpendicular(eye_to_mouth)
    axis_x = axis_x / np.hypot(*axis_x)
    axis_x = axis_x * max(2.0 * np.hypot(*eye_to_eye), 1.8 * np.hypot(*eye_to_mouth))
    axis_y = _perpendicular(axis_x)
    center = eye_mid + 0.1 * eye_to_mouth
    return np.stack([
        center - axis_x - axis_y,
        center - axis_x + axis_y,
        center + axis_x + axis_y,
        center + axis_x - axis_y,
    ])


def to_rgb_image(image: np.ndarray | Image.Image) -> Image.Image:
    """Convert an array or a Pillow image of any common mode to an RGB Pillow image.

    Arrays may be [H, W] or [H, W, 1] grey, [H, W, 3] RGB or [H, W, 4] RGBA,
    all uint8. Transparency is composited over white, as `imaging.decode_image`
    does, so a photo decodes to the same pixels either way.
    """
    if isinstance(image, np.ndarray):
        assert image.dtype == np.uint8, image.dtype
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[..., 0]
        if image.ndim == 2:
            image = Image.fromarray(image, "L")
        elif image.ndim == 3 and image.shape[2] in (3, 4):
            image = Image.fromarray(np.ascontiguousarray(image), "RGB" if image.shape[2] == 3 else "RGBA")
        else:
            raise ValueError(f"expected an [H, W], [H, W, 1], [H, W, 3] or [H, W, 4] array, got shape {image.shape}")

    if image.mode == "RGB":
        return image
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image.convert("RGB")


def ffhq_align(
    image: np.ndarray | Image.Image,
    landmarks: np.ndarray,
    output_size: int = 256,
    transform_size: int | None = None,
) -> np.ndarray:
    """Cut the FFHQ-aligned square crop of one face.

    Args:
        image: The upright photo, see `to_rgb_image` for the accepted forms.
        landmarks: The face's 68 dlib landmarks in that photo's pixels. # [68, 2]
        output_size: Side of the result in pixels.
        transform_size: Side of the intermediate warp; None for
            TRANSFORM_FACTOR × output_size.

    Returns:
        [output_size, output_size, 3] uint8 RGB.

    Raises:
        FaceTooSmallError: the quad side is below MIN_QUAD_SIZE pixels.
    """
    transform_size = transform_size or TRANSFORM_FACTOR * output_size
    quad = ffhq_quad(np.asarray(landmarks, dtype=np.float64))  # [4, 2]
    quad_size = float(np.hypot(*(quad[3] - quad[0])))  # side length in source pixels
    if quad_size < MIN_QUAD_SIZE:
        raise FaceTooSmallError(
            f"the face is too small for the FFHQ crop: its crop square is {quad_size:.0f} px wide, "
            f"at least {MIN_QUAD_SIZE:.0f} px are needed (eyes about {MIN_QUAD_SIZE / 4:.0f} px apart); "
            "use a larger photo of this face"
        )
    photo = to_rgb_image(image)

    photo, quad, quad_size = _shrink(photo, quad, quad_size, output_size)
    border = max(int(round(BORDER_FRACTION * quad_size)), MIN_BORDER)
    photo, quad = _crop(photo, quad, border)
    photo, quad = _pad_and_blend(photo, quad, quad_size, border)

    warped = photo.transform(
        (transform_size, transform_size),
        Image.Transform.QUAD,
        (quad + 0.5).flatten().tolist(),
        Image.Resampling.BILINEAR,
    )
    if transform_size != output_size:
        warped = warped.resize((output_size, output_size), Image.Resampling.LANCZOS)
    return np.asarray(warped, dtype=np.uint8)


def _shrink(photo: Image.Image, quad: np.ndarray, quad_size: float, output_size: int) -> tuple[Image.Image, np.ndarray, float]:
    """Reduce the photo by an integer factor while the quad stays at least twice the output size."""
    factor = int(np.floor(quad_size / output_size * 0.5))
    if factor <= 1:
        return photo, quad, quad_size
    width, height = photo.size
    size = (int(round(width / factor)), int(round(height / factor)))
    logger.debug("shrinking a %dx%d photo by %d before the FFHQ crop", width, height, factor)
    return photo.resize(size, Image.Resampling.LANCZOS), quad / factor, quad_size / factor


def _crop(photo: Image.Image, quad: np.ndarray, border: int) -> tuple[Image.Image, np.ndarray]:
    """Crop the photo to the quad's bounding box plus `border`, clipped to the photo."""
    width, height = photo.size
    left, top = np.floor(quad.min(axis=0)).astype(int) - border
    right, bottom = np.ceil(quad.max(axis=0)).astype(int) + border
    box = (max(left, 0), max(top, 0), min(right, width), min(bottom, height))
    if box[2] - box[0] >= width and box[3] - box[1] >= height:
        return photo, quad
    if box[2] <= box[0] or box[3] <= box[1]:
        # The quad lies wholly outside the photo: keep the photo, padding fills the rest.
        return photo, quad
    return photo.crop(box), quad - np.array(box[:2], dtype=np.float64)


def _pad_and_blend(photo: Image.Image, quad: np.ndarray, quad_size: float, border: int) -> tuple[Image.Image, np.ndarray]:
    """Reflect-pad the sides the quad reaches past, fading the padding into a blur and the median colour.

    The fade weight of a padded pixel grows linearly from 0 at the photo's
    edge to 1 at the outer edge of the padding, per side, and the largest of
    the four sides counts. The blur reaches full strength at a third of the
    way out, the median colour only at the outer edge.
    """
    width, height = photo.size
    low = np.floor(quad.min(axis=0)).astype(int)
    high = np.ceil(quad.max(axis=0)).astype(int)
    needed = np.array([  # left, top, right, bottom, in pixels
        max(border - low[0], 0),
        max(border - low[1], 0),
        max(high[0] - width + border, 0),
        max(high[1] - height + border, 0),
    ])
    if needed.max() <= border - PAD_SLACK:
        return photo, quad

    pad = np.where(needed > 0, np.maximum(needed, int(round(PAD_FRACTION * quad_size))), 0)
    # np.pad repeats the reflection when a side is wider than the photo.
    pixels = np.asarray(photo, dtype=np.float32)  # [H, W, 3]
    pixels = np.pad(pixels, ((pad[1], pad[3]), (pad[0], pad[2]), (0, 0)), mode="reflect")
    padded_height, padded_width = pixels.shape[:2]
    logger.debug("padding the FFHQ crop by %s px (left, top, right, bottom)", pad.tolist())

    column = np.arange(padded_width, dtype=np.float32)
    row = np.arange(padded_height, dtype=np.float32)
    fade = np.maximum(
        np.maximum(_side_ramp(column, pad[0]), _side_ramp(padded_width - 1 - column, pad[2]))[None, :],
        np.maximum(_side_ramp(row, pad[1]), _side_ramp(padded_height - 1 - row, pad[3]))[:, None],
    )[..., None]  # [H, W, 1], 1 at the outer edge, <= 0 inside the photo

    sigma = BLUR_FRACTION * quad_size
    rounded = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    blurred = np.asarray(rounded.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)
    pixels += (blurred - pixels) * np.clip(3.0 * fade, 0.0, 1.0)
    median = np.median(pixels.reshape(-1, 3), axis=0)  # [3]
    pixels += (median - pixels) * np.clip(fade, 0.0, 1.0)

    result = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB")
    return result, quad + pad[:2].astype(np.float64)


def _side_ramp(distance: np.ndarray, pad: int) -> np.ndarray:
    """Return 1 − distance / pad: 1 at the outer edge of a padded side, 0 at the photo; −inf for an unpadded side."""
    if pad <= 0:
        return np.full_like(distance, -np.inf)
    return 1.0 - distance / pad
