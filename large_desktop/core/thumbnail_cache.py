"""A disk cache of photo thumbnails, keyed by the photo's content hash.

A thumbnail is a JPEG file named after the SHA-256 of the photo's bytes and
the requested size, so a moved or renamed photo keeps its thumbnail and an
edited one gets a new thumbnail. Everything in the folder can be rebuilt;
deleting it only costs decoding time.
"""

import logging
import os
import tempfile
from pathlib import Path

from large_desktop.core.imaging import thumbnail

logger = logging.getLogger(__name__)

JPEG_QUALITY = 85


class ThumbnailCache:
    """Thumbnails on disk under `folder/<first two hex digits>/<hash>-<size>.jpg`.

    Safe to use from several threads: a thumbnail is written to a temporary
    file and renamed into place, so a reader never sees half a file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, content_hash: str, size: int) -> Path:
        return self.folder / content_hash[:2] / f"{content_hash}-{size}.jpg"

    def get(self, photo_path: Path, content_hash: str, size: int) -> Path:
        """Return the file of the photo's thumbnail, decoding the photo when it is not cached.

        A cache folder that cannot be written is logged once per call and the
        thumbnail is returned from a temporary file instead.

        Raises:
            ImageMissingError, ImageDecodeError: the photo cannot be decoded.
        """
        target = self.path_for(content_hash, size)
        if target.is_file():
            return target
        image = thumbnail(photo_path, size)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(suffix=".jpg", dir=target.parent)
        except OSError as exc:
            logger.warning("thumbnail cache %s is not writable: %s", self.folder, exc)
            handle, temporary = tempfile.mkstemp(suffix=".jpg")
            target = Path(temporary)
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, format="JPEG", quality=JPEG_QUALITY)
        if Path(temporary) != target:
            os.replace(temporary, target)
        logger.debug("cached thumbnail of %s at %s", photo_path, target)
        return target
