"""The large preview of one photo: the photo, its aligned face and a reconstruction.

The app shows these beside the grid; the reconstruction needs a pack with a
generator (see `previews.reconstruct`).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from large_desktop.core.errors import LargeError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import decode_image
from large_desktop.core.packs import available_packs, load_pack
from large_desktop.core.packs.base import Pack
from large_desktop.core.previews import reconstruct

logger = logging.getLogger(__name__)


@dataclass
class PhotoPreview:
    """What the preview panel shows; `face` and `reconstruction` are None when unavailable."""

    photo: Image.Image
    face: Image.Image | None
    reconstruction: Image.Image | None
    note: str | None = None  # why a part is missing, for the user


class PreviewMaker:
    """Builds previews for one pack; use it from one thread (dlib and the generator are not thread-safe)."""

    def __init__(self, pack_id: str) -> None:
        self.pack_id = pack_id
        self.manifest = available_packs()[pack_id]
        self._detector: FaceDetector | None = None
        self._generator_pack: Pack | None = None

    def make(self, path: Path, size: int) -> PhotoPreview:
        """Decode the photo at most `size` pixels long, then its face and reconstruction.

        Raises:
            ImageMissingError, ImageDecodeError: the photo cannot be decoded.
        """
        decoded = decode_image(path, max_side=max(size, 1024))
        photo = Image.fromarray(decoded.pixels)
        photo.thumbnail((size, size))
        if self.manifest.domain != "face":
            return PhotoPreview(photo, None, None)

        if self._detector is None:
            self._detector = FaceDetector()
        faces = self._detector.detect(decoded.pixels)
        if not faces:
            return PhotoPreview(photo, None, None, note="no face found")
        crop = align(decoded.pixels, faces[0], self.manifest.alignment)
        face = Image.fromarray(crop[..., :3])

        reconstruction = None
        note = None
        if self.manifest.has_generator:
            try:
                if self._generator_pack is None:
                    self._generator_pack = load_pack(self.pack_id)
                side_by_side = reconstruct(self._generator_pack, path, self._detector)
                # The right half is the generator's rendering.
                reconstruction = side_by_side.crop((side_by_side.width // 2, 0, side_by_side.width, side_by_side.height))
            except LargeError as exc:
                note = exc.message
        return PhotoPreview(photo, face, reconstruction, note)
