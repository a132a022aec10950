"""Decode photos into RGB arrays: format checks, EXIF orientation, mode conversion.

Every photo the library reads goes through `decode_image`, so face detection
and the encoders always receive an upright [H, W, 3] uint8 RGB array. Every
way a file can fail ends in one `ImageDecodeError` with a message a user can
act on.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from large_desktop.core.errors import ImageDecodeError

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({
    ".jpg", ".jpeg", ".jpe",
    ".png",
    ".webp",
    ".tif", ".tiff",
    ".bmp",
    ".gif",
    ".heic", ".heif",
})

# Pillow format names that `decode_image` opens. Passing them to `Image.open`
# keeps Pillow from trying its other plugins on unknown data, for example EPS,
# which runs Ghostscript. The JPEG opener also returns the multi-picture
# JPEGs (format "MPO") that many cameras write, and "MPO" itself is not a
# registered opener: listing it makes Image.open raise KeyError.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "HEIF")

# 160 MP is above the largest single-shot camera sensors (an estimate: about
# 150 MP in medium-format backs), so no camera photo should be rejected. At
# 160 MP the RGB array alone takes 480 MB and an RGBA intermediate 640 MB,
# which bounds what one crafted file can allocate. The limit is also below the
# point where Pillow 13.0.0 raises its own DecompressionBombError
# (2 * Image.MAX_IMAGE_PIXELS = 178,956,970 pixels), so with the defaults this
# module's check, whose message names the image size, fires first.
MAX_PIXELS = 160_000_000

# Errors Pillow raises on corrupt or truncated data. The plugins differ:
# OSError ("image file is truncated"), SyntaxError ("broken PNG file"),
# ValueError (bad TIFF tags), EOFError and struct.error (short reads).
_CORRUPT_DATA_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

_heif_registered = False


@dataclass(frozen=True)
class DecodedImage:
    """An upright RGB photo, possibly downscaled, with its full-resolution size.

    Attributes:
        pixels: [H, W, 3] uint8 RGB, C-contiguous.
        original_size: (width, height) of the file at full resolution, after
            EXIF rotation.
        scale: long side of `pixels` divided by the long side of
            `original_size` (1.0 when not downscaled). Divide a coordinate in
            `pixels` by it to get the coordinate in the original photo.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    scale: float

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3 or self.pixels.shape[2] != 3 or self.pixels.dtype != np.uint8:
            raise ValueError(
                f"pixels must be [H, W, 3] uint8, got {self.pixels.shape} {self.pixels.dtype}"
            )
        if not self.pixels.flags.c_contiguous:
            raise ValueError("pixels must be C-contiguous")


class ImageMissingError(ImageDecodeError):
    """The photo's file no longer exists, so the scan can mark it missing."""


def register_heif() -> None:
    """Register pillow-heif's opener with Pillow so HEIC/HEIF files open.

    Calling it again does nothing.
    """
    global _heif_registered
    if _heif_registered:
        return
    pillow_heif.register_heif_opener()
    _heif_registered = True


def decode_image(
    path: Path,
    *,
    max_side: int | None = 2048,
    max_pixels: int = MAX_PIXELS,
) -> DecodedImage:
    """Decode a photo into an upright RGB array, downscaled to at most `max_side`.

    JPEGs larger than needed are decoded at 1/2, 1/4 or 1/8 size by libjpeg
    (`Image.draft`). For a 12 MP JPEG and max_side=1000 that is 3 to 7 times
    faster than a full decode plus Lanczos resize (measured on 2 AMD EPYC
    cores, Pillow 13.0.0). A multi-frame file (animated GIF or WebP,
    multi-page TIFF) yields its first frame. Transparent areas become white.

    Args:
        path: the photo's file.
        max_side: maximum length in pixels of the long side of the result, or
            None to keep the full resolution. Smaller images are not enlarged.
        max_pixels: files with more pixels (width * height) are rejected before
            their pixels are decoded. Pillow's own DecompressionBombError limit
            (2 * PIL.Image.MAX_IMAGE_PIXELS) still applies when this is larger.

    Returns:
        The decoded image, see `DecodedImage`.

    Raises:
        ImageMissingError: the file or a folder above it does not exist.
        ImageDecodeError: the file cannot be read, is empty, is not an image in
            a supported format, is truncated or corrupt, or is too large.
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1 or None, got {max_side}")
    path = Path(path)
    register_heif()

    with _open(path, max_pixels) as img:
        raw_size = img.size
        try:
            image, original_size = _decode_pixels(img, path, max_side)
        except Image.DecompressionBombError as exc:
            # GIF frames larger than the logical screen are checked again
            # while loading.
            raise _too_many_pixels_error(path, max_pixels) from exc
        except MemoryError as exc:
            raise ImageDecodeError(
                f"Not enough memory to decode {path} ({raw_size[0]}x{raw_size[1]} pixels). "
                "Close other programs or downscale the image."
            ) from exc
        except _CORRUPT_DATA_ERRORS as exc:
            raise _corrupt_data_error(path, exc) from exc

    pixels = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))  # [H, W, 3]
    scale = max(image.size) / max(original_size)
    logger.debug(
        "Decoded %s: %s %dx%d, scale %.3f", path, img.format, *original_size, scale
    )
    return DecodedImage(pixels=pixels, original_size=original_size, scale=scale)


def thumbnail(path: Path, size: int) -> Image.Image:
    """Decode an upright RGB thumbnail whose long side is at most `size` pixels.

    Raises:
        ImageMissingError, ImageDecodeError: as `decode_image`.
    """
    if size < 1:
        raise ValueError(f"thumbnail size must be at least 1, got {size}")
    decoded = decode_image(path, max_side=size)
    return Image.fromarray(decoded.pixels, mode="RGB")


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open `path` lazily (header only) and reject it if it has too many pixels."""
    try:
        img = Image.open(path, formats=_PILLOW_FORMATS)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ImageMissingError(
            f"Image file not found: {path}. It was moved or deleted. Rescan the folder."
        ) from exc
    except PermissionError as exc:
        raise ImageDecodeError(
            f"Permission denied reading {path}. Check the file's permissions."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels_error(path, max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise _unidentified_error(path) from exc
    except OSError as exc:
        raise ImageDecodeError(
            f"Cannot read {path}: {exc.strerror or exc}. "
            "Check that the disk or network share is reachable."
        ) from exc
    except _CORRUPT_DATA_ERRORS as exc:
        # Some plugins fail on a damaged header instead of declining the file.
        raise _corrupt_data_error(path, exc) from exc

    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise ImageDecodeError(
            f"Image {path} is {width}x{height} = {width * height:,} pixels, "
            f"over the limit of {max_pixels:,} pixels. "
            "Downscale it in an image editor if it is a real photo."
        )
    return img


def _decode_pixels(
    img: Image.Image, path: Path, max_side: int | None
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode the first frame of an opened image into an upright RGB image.

    Returns:
        The RGB image, its long side at most `max_side`, and the (width,
        height) of the full-resolution image after EXIF rotation.
    """
    raw_size = img.size
    target = None
    if max_side is not None and max(raw_size) > max_side:
        target = _fit_size(raw_size, max_side)

        # Let libjpeg decode at the smallest 1/2^k scale that is still at
        # least `target`. Only JPEG implements draft in Pillow 13.0.0, and
        # the other formats ignore the call.
        img.draft("RGB", target)

    # Image.open leaves the first frame selected, so loading it here ignores
    # the rest of an animation. exif_transpose loads the pixels and returns
    # an upright copy. `img` keeps its EXIF, and orientations 5 to 8 mean
    # that the copy has width and height swapped.
    #
    # pillow-heif applies a HEIC's own rotation while decoding and resets its
    # EXIF orientation to 1, so HEIC photos are not rotated twice.
    image = ImageOps.exif_transpose(img)
    orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    upright_size = raw_size
    if orientation in (5, 6, 7, 8):
        upright_size = (raw_size[1], raw_size[0])
        if target is not None:
            target = (target[1], target[0])

    image = _to_rgb(image, path)

    if target is not None and image.size != target:
        # reducing_gap first shrinks by an integer factor with box filtering,
        # which makes a large downscale of a non-JPEG image much faster.
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image, upright_size


def _fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """Return `size` scaled so its long side is `max_side`, keeping the aspect ratio."""
    width, height = size
    factor = max_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))


def _to_rgb(image: Image.Image, path: Path) -> Image.Image:
    """Convert an image of any Pillow mode to 8-bit RGB, compositing transparency over white."""
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image

    # Pillow's own conversion of 16- and 32-bit modes to "L" clips values
    # above 255 instead of scaling them, which turns most of a photo white.
    if mode.startswith("I") or mode == "F":
        grey = _scale_to_uint8(np.asarray(image))
        return Image.fromarray(grey, mode="L").convert("RGB")

    # "transparency" is a palette index or a colour key in P, L and RGB images
    # (GIF, PNG tRNS). Converting through RGBA turns it into alpha.
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")

    # "1", "L", "P", "CMYK", "YCbCr", "LAB" and "HSV" convert directly. Pillow
    # ignores ICC profiles here, so CMYK is converted by the naive formula,
    # after the JPEG decoder has already undone Adobe's inverted CMYK.
    try:
        return image.convert("RGB")
    except ValueError as exc:
        raise ImageDecodeError(
            f"Cannot decode {path}: pixel mode {mode!r} is not supported. "
            "Convert the image to 8-bit RGB in an image editor."
        ) from exc


def _scale_to_uint8(values: np.ndarray) -> np.ndarray:
    """Map a greyscale array of 16-bit, 32-bit integer or float samples to uint8.

    Integers within 0..65535 are 16-bit samples and are scaled by 255/65535,
    so brightness is kept. Floats within 0..1 are scaled by 255. Anything else
    (signed or 32-bit integers, HDR floats) is stretched from its minimum to
    its maximum, because the file does not say which range is black and white.
    """
    if values.dtype.kind == "f":
        values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        low, high = float(values.min()), float(values.max())
        if low >= 0.0 and high <= 1.0:
            return np.rint(values * 255.0).astype(np.uint8)
        return _stretch(values, low, high)

    values = values.astype(np.int64)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 65535:
        # (v * 255 + 32767) // 65535 rounds to the nearest 8-bit value.
        return ((values * 255 + 32767) // 65535).astype(np.uint8)
    return _stretch(values.astype(np.float64), low, high)


def _stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map `low`..`high` linearly onto 0..255."""
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


def _too_many_pixels_error(path: Path, max_pixels: int) -> ImageDecodeError:
    """Build the error for a file that Pillow rejected as a decompression bomb.

    Pillow does not report the image's size, so the message names the limit
    that applied, the smaller of `max_pixels` and Pillow's.
    """
    limit = max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, 2 * Image.MAX_IMAGE_PIXELS)
    return ImageDecodeError(
        f"Image {path} has more than the limit of {limit:,} pixels. "
        "Downscale it in an image editor if it is a real photo."
    )


def _unidentified_error(path: Path) -> ImageDecodeError:
    """Build the error for a file that no supported format recognises."""
    try:
        empty = path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        return ImageDecodeError(
            f"Cannot decode {path}: the file is empty (0 bytes). "
            "Re-copy it from the original source or delete it."
        )
    return ImageDecodeError(
        f"Cannot decode {path}: not an image, or not in a supported format "
        "(JPEG, PNG, WebP, TIFF, BMP, GIF, HEIC). Convert it or remove it from the folder."
    )


def _corrupt_data_error(path: Path, exc: Exception) -> ImageDecodeError:
    """Build the error for a failure while decoding pixels."""
    if isinstance(exc, OSError) and exc.errno is not None:
        # A read error from the operating system, not bad data.
        return ImageDecodeError(
            f"Cannot read {path}: {exc.strerror}. "
            "Check that the disk or network share is reachable."
        )
    return ImageDecodeError(
        f"Cannot decode {path}: the file is truncated or corrupt ({exc}). "
        "Re-copy it from the original source."
    )


def center_square(pixels: np.ndarray, size: int) -> np.ndarray:
    """Resize the short side to size·8/7 and cut the central size×size square.

    This is the usual ImageNet evaluation crop (256 → 224) for packs that
    encode the whole photo.

    Returns:
        [size, size, 3] uint8.
    """
    height, width = pixels.shape[:2]
    short = round(size * 8 / 7)
    scale = short / min(height, width)
    resized_width, resized_height = max(size, round(width * scale)), max(size, round(height * scale))
    resized = np.asarray(Image.fromarray(pixels).resize((resized_width, resized_height), Image.Resampling.BILINEAR))

    top = (resized_height - size) // 2
    left = (resized_width - size) // 2
    return np.ascontiguousarray(resized[top:top + size, left:left + size])
