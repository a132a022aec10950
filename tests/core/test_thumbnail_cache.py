"""The thumbnail disk cache keyed by content hash."""

import shutil

import pytest
from PIL import Image

from large_desktop.core.errors import ImageDecodeError
from large_desktop.core.hashing import sha256_of
from large_desktop.core.thumbnail_cache import ThumbnailCache


def test_thumbnail_written_once(tmp_path, sample_photo):
    photo = tmp_path / "astronaut.png"
    shutil.copyfile(sample_photo("astronaut"), photo)
    cache = ThumbnailCache(tmp_path / "cache")
    digest = sha256_of(photo)

    first = cache.get(photo, digest, 128)
    photo.unlink()  # a cached thumbnail needs no photo
    second = cache.get(photo, digest, 128)

    assert first == second == cache.path_for(digest, 128)
    with Image.open(first) as image:
        assert max(image.size) == 128
        assert image.format == "JPEG"


def test_thumbnail_of_broken_file_raises(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a JPEG")
    cache = ThumbnailCache(tmp_path / "cache")

    with pytest.raises(ImageDecodeError):
        cache.get(broken, "ab" * 32, 64)
    assert not cache.path_for("ab" * 32, 64).exists()
