"""Tests for large_desktop.core.imaging on real and generated images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from large_desktop.core.errors import ImageDecodeError
from large_desktop.core.imaging import (
    MAX_PIXELS,
    SUPPORTED_EXTENSIONS,
    DecodedImage,
    ImageMissingError,
    decode_image,
    register_heif,
    thumbnail,
)

from shared_data import DEV_FACES as FACES_DIR

RED = (255, 0, 0)
WHITE = (255, 255, 255)


@pytest.fixture
def face_jpeg() -> Path:
    """A real face photo from the development data set."""
    faces = sorted(FACES_DIR.glob("*.jpg"))
    if not faces:
        pytest.skip(f"no face photos in {FACES_DIR}")
    return faces[0]


def gradient_rgb(width: int, height: int) -> np.ndarray:
    """Return a smooth [H, W, 3] uint8 image that lossy codecs keep nearly intact."""
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None]
    red = np.broadcast_to(x, (height, width))
    green = np.broadcast_to(y, (height, width))
    blue = np.full((height, width), 128.0)
    return np.rint(np.stack([red, green, blue], axis=-1)).astype(np.uint8)


def save_rgb(path: Path, pixels: np.ndarray, **params: object) -> Path:
    """Save `pixels` as an RGB image at `path`, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="RGB").save(path, **params)
    return path


def assert_rgb_array(decoded: DecodedImage) -> None:
    """Check the pixel contract that every decoded image must meet."""
    assert decoded.pixels.dtype == np.uint8
    assert decoded.pixels.ndim == 3
    assert decoded.pixels.shape[2] == 3
    assert decoded.pixels.flags.c_contiguous


# ---- failures --------------------------------------------------------------


def test_truncated_jpeg_raises(face_jpeg: Path, tmp_path: Path) -> None:
    data = face_jpeg.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path)

    assert str(path) in str(info.value)
    assert "truncated or corrupt" in str(info.value)
    assert info.value.__cause__ is not None


def test_zero_byte_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path)

    assert str(path) in str(info.value)
    assert "empty" in str(info.value)
    assert not isinstance(info.value, ImageMissingError)


def test_text_file_named_jpg_raises(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: milk, eggs\n", encoding="utf-8")

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path)

    assert str(path) in str(info.value)
    assert "not an image" in str(info.value)


def test_bomb_png_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(path, optimize=True)

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path)

    assert path.stat().st_size < 1_000_000
    assert str(path) in str(info.value)
    assert f"{MAX_PIXELS:,}" in str(info.value)


def test_pixel_limit_rejects_large_image(tmp_path: Path) -> None:
    path = tmp_path / "large.png"
    Image.new("L", (3000, 3000), 90).save(path)

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path, max_pixels=1_000_000)

    assert str(path) in str(info.value)
    assert "3000x3000" in str(info.value)
    assert "9,000,000 pixels" in str(info.value)
    assert "1,000,000 pixels" in str(info.value)


def test_pixel_limit_raised_accepts(tmp_path: Path) -> None:
    path = tmp_path / "large.png"
    Image.new("L", (3000, 3000), 90).save(path)

    decoded = decode_image(path, max_side=None, max_pixels=9_000_000)

    assert decoded.pixels.shape == (3000, 3000, 3)
    assert decoded.original_size == (3000, 3000)


def test_deleted_file_raises_missing(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "gone.png", gradient_rgb(8, 8))
    path.unlink()

    with pytest.raises(ImageMissingError) as info:
        decode_image(path)

    assert isinstance(info.value, ImageDecodeError)
    assert str(path) in str(info.value)
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_parent_is_file_raises_missing(tmp_path: Path) -> None:
    parent = tmp_path / "plain_file"
    parent.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ImageMissingError) as info:
        decode_image(parent / "photo.jpg")

    assert isinstance(info.value.__cause__, NotADirectoryError)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="needs a non-root POSIX user, because root ignores file permissions",
)
def test_unreadable_file_raises(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "locked.png", gradient_rgb(8, 8))
    path.chmod(0)

    try:
        with pytest.raises(ImageDecodeError) as info:
            decode_image(path)
    finally:
        path.chmod(0o644)

    assert "Permission denied" in str(info.value)
    assert not isinstance(info.value, ImageMissingError)


def test_unsupported_format_raises(tmp_path: Path) -> None:
    path = tmp_path / "picture.ico"
    Image.new("RGB", (16, 16), RED).save(path)

    with pytest.raises(ImageDecodeError) as info:
        decode_image(path)

    assert "supported format" in str(info.value)


def test_max_side_zero_raises(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "small.png", gradient_rgb(8, 8))

    with pytest.raises(ValueError):
        decode_image(path, max_side=0)


# ---- pixel modes -------------------------------------------------------------


def test_cmyk_jpeg_red(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, quality=95)

    decoded = decode_image(path)

    assert_rgb_array(decoded)
    red, green, blue = decoded.pixels[16, 16].astype(int)
    assert red >= 245
    assert green <= 10
    assert blue <= 10


def test_16bit_png_full_range(tmp_path: Path) -> None:
    path = tmp_path / "grey16.png"
    ramp = np.linspace(0, 65535, 256, dtype=np.float64)
    values = np.rint(np.broadcast_to(ramp, (16, 256))).astype(np.uint16)
    Image.fromarray(values).save(path)
    assert Image.open(path).mode == "I;16"

    decoded = decode_image(path)

    assert_rgb_array(decoded)
    row = decoded.pixels[8, :, 0].astype(int)
    assert row.max() >= 254
    assert row.min() <= 1
    assert 120 <= row[128] <= 135
    assert np.all(np.diff(row) >= 0)
    assert (row == 255).sum() < 4


def test_16bit_big_endian_tiff(tmp_path: Path) -> None:
    path = tmp_path / "grey16be.tif"
    values = np.full((8, 8), 32768, dtype=">u2")
    # Built from bytes, because Image.convert("I;16B") clips values to 255
    # (Pillow 13.0.0).
    Image.frombytes("I;16B", (8, 8), values.tobytes()).save(path)
    assert Image.open(path).mode == "I;16B"

    decoded = decode_image(path)

    assert abs(int(decoded.pixels[4, 4, 0]) - 128) <= 1


def test_float_tiff_unit_range(tmp_path: Path) -> None:
    path = tmp_path / "float.tif"
    values = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (4, 1))
    Image.fromarray(values, mode="F").save(path)

    decoded = decode_image(path)

    row = decoded.pixels[2, :, 0].astype(int)
    assert row[0] == 0
    assert row[-1] == 255
    assert 120 <= row[32] <= 135


def test_bilevel_png(tmp_path: Path) -> None:
    path = tmp_path / "bilevel.png"
    image = Image.new("1", (10, 10), 0)
    image.putpixel((0, 0), 1)
    image.save(path)

    decoded = decode_image(path)

    assert tuple(decoded.pixels[0, 0]) == WHITE
    assert tuple(decoded.pixels[5, 5]) == (0, 0, 0)


def test_gif_transparency_white(tmp_path: Path) -> None:
    path = tmp_path / "transparent.gif"
    image = Image.new("P", (10, 10), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    image.putpixel((0, 0), 1)
    image.save(path, transparency=0)

    decoded = decode_image(path)

    assert tuple(decoded.pixels[5, 5]) == WHITE
    assert tuple(decoded.pixels[0, 0]) == RED


def test_rgba_png_over_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[:, :5] = (255, 0, 0, 255)
    rgba[:, 5:] = (0, 0, 0, 0)
    rgba[0, 9] = (0, 0, 0, 128)
    Image.fromarray(rgba, mode="RGBA").save(path)

    decoded = decode_image(path)

    assert tuple(decoded.pixels[5, 2]) == RED
    assert tuple(decoded.pixels[5, 7]) == WHITE
    assert 125 <= int(decoded.pixels[0, 9, 0]) <= 129


def test_la_png_over_white(tmp_path: Path) -> None:
    path = tmp_path / "grey_alpha.png"
    la = np.zeros((4, 4, 2), dtype=np.uint8)
    la[:, :2] = (50, 255)
    Image.fromarray(la, mode="LA").save(path)

    decoded = decode_image(path)

    assert tuple(decoded.pixels[1, 0]) == (50, 50, 50)
    assert tuple(decoded.pixels[1, 3]) == WHITE


# ---- geometry ----------------------------------------------------------------


def _save_rotated_jpeg(path: Path, width: int, height: int) -> Path:
    """Save a landscape JPEG, red left half and blue right half, with EXIF Orientation 6."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = RED
    pixels[:, width // 2 :] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display.
    return save_rgb(path, pixels, exif=exif, quality=95)


def test_exif_rotation_portrait(tmp_path: Path) -> None:
    path = _save_rotated_jpeg(tmp_path / "rotated.jpg", 300, 200)

    decoded = decode_image(path)

    assert decoded.pixels.shape == (300, 200, 3)
    assert decoded.original_size == (200, 300)
    assert decoded.pixels[10, 100, 0] > 200
    assert decoded.pixels[290, 100, 2] > 200


def test_exif_rotation_with_draft(tmp_path: Path) -> None:
    path = _save_rotated_jpeg(tmp_path / "rotated_large.jpg", 4000, 3000)

    decoded = decode_image(path, max_side=1000)

    assert decoded.pixels.shape == (1000, 750, 3)
    assert decoded.original_size == (3000, 4000)
    assert decoded.scale == pytest.approx(0.25)


def test_animated_gif_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "animated.gif"
    colours = [RED, (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (20, 20), colour) for colour in colours]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(path).n_frames == 3

    decoded = decode_image(path)

    assert tuple(decoded.pixels[10, 10]) == RED


def test_large_jpeg_uses_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_rgb(tmp_path / "large.jpg", gradient_rgb(4000, 3000), quality=90)
    sizes_after_draft: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy_draft(self, mode, size):  # type: ignore[no-untyped-def]
        result = original_draft(self, mode, size)
        sizes_after_draft.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy_draft)

    decoded = decode_image(path, max_side=1000)

    assert max(decoded.pixels.shape[:2]) <= 1000
    assert decoded.pixels.shape == (750, 1000, 3)
    assert decoded.original_size == (4000, 3000)
    assert decoded.scale == pytest.approx(0.25)
    assert sizes_after_draft == [(1000, 750)]


def test_downscale_non_jpeg(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "wide.png", gradient_rgb(1200, 300))

    decoded = decode_image(path, max_side=400)

    assert decoded.pixels.shape == (100, 400, 3)
    assert decoded.original_size == (1200, 300)
    assert decoded.scale == pytest.approx(1 / 3)


def test_small_image_not_enlarged(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "small.png", gradient_rgb(40, 30))

    decoded = decode_image(path, max_side=2048)

    assert decoded.pixels.shape == (30, 40, 3)
    assert decoded.scale == 1.0


# ---- formats -----------------------------------------------------------------


def test_supported_extensions_lower_case() -> None:
    assert all(ext == ext.lower() for ext in SUPPORTED_EXTENSIONS)
    assert {".jpg", ".jpeg", ".jpe", ".png", ".webp"} <= SUPPORTED_EXTENSIONS
    assert {".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"} <= SUPPORTED_EXTENSIONS


@pytest.mark.parametrize(
    ("suffix", "params"),
    [
        (".webp", {"lossless": True}),
        (".tiff", {}),
        (".bmp", {}),
        (".png", {}),
    ],
)
def test_lossless_round_trip(tmp_path: Path, suffix: str, params: dict[str, object]) -> None:
    pixels = gradient_rgb(64, 48)
    path = save_rgb(tmp_path / f"round{suffix}", pixels, **params)

    decoded = decode_image(path)

    assert_rgb_array(decoded)
    assert np.array_equal(decoded.pixels, pixels)


def test_heic_round_trip(tmp_path: Path) -> None:
    register_heif()
    pixels = gradient_rgb(64, 48)
    path = tmp_path / "round.heic"
    try:
        save_rgb(path, pixels, quality=95)
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"pillow-heif cannot write HEIC here: {exc}")

    decoded = decode_image(path)

    assert_rgb_array(decoded)
    assert decoded.pixels.shape == (48, 64, 3)
    difference = np.abs(decoded.pixels.astype(int) - pixels.astype(int))
    assert difference.mean() < 4


def test_unicode_path(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "фото с пробелом" / "ünï cödé.jpg", gradient_rgb(64, 48))

    decoded = decode_image(path)

    assert decoded.pixels.shape == (48, 64, 3)


def test_real_face_jpeg(face_jpeg: Path) -> None:
    decoded = decode_image(face_jpeg)

    assert_rgb_array(decoded)
    assert decoded.pixels.shape[0] > 0
    assert decoded.pixels.shape[1] > 0
    assert decoded.pixels.std() > 10


def test_thumbnail_long_side(tmp_path: Path) -> None:
    path = save_rgb(tmp_path / "photo.png", gradient_rgb(640, 480))

    image = thumbnail(path, 160)

    assert image.mode == "RGB"
    assert image.size == (160, 120)
