"""Generator-only previews for GAN packs: reconstructions and walks along a direction.

A reconstruction puts the aligned face beside the generator's rendering of
its latent, which shows what the inversion kept. A walk renders the
library's mean latent moved along an attribute's direction, from "less" to
"more", which shows what the direction changes.
"""

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from large_desktop.core.errors import UserInputError
from large_desktop.core.faces import FaceDetector, align
from large_desktop.core.imaging import decode_image
from large_desktop.core.packs.base import Pack

logger = logging.getLogger(__name__)

SHOWN_SIZE = 256  # faces are shown at least this large: 64×64 renders 4× with nearest-neighbour pixels
PADDING_COLOUR = (128, 128, 128)


def require_generator(pack: Pack) -> None:
    if not pack.manifest.has_generator or not hasattr(pack, "render"):
        raise UserInputError(f"pack {pack.id} has no generator, so it cannot render faces; use a GAN pack (`large-desktop packs list`)")


def reconstruct(pack: Pack, image: Path, detector: FaceDetector) -> Image.Image:
    """Return the aligned largest face of an image beside its reconstruction.

    Raises:
        UserInputError: the pack has no generator or the image has no face.
    """
    require_generator(pack)
    decoded = decode_image(image)
    faces = detector.detect(decoded.pixels)
    if not faces:
        raise UserInputError(f"no face found in {image}; give a photo in which a face is visible")

    crop = align(decoded.pixels, faces[0], pack.alignment)  # [S, S, 3 or 4]
    latent = pack.encode([crop])  # [1, L, D]
    rendering = pack.render(latent)[0]  # [S, S, 3]

    shown = crop[..., :3].copy()
    if crop.shape[2] == 4:
        shown[crop[..., 3] == 0] = PADDING_COLOUR  # padding outside the photo, ignored by the inversion
    logger.info("reconstructed %s with pack %s", image, pack.id)
    return _enlarge(np.hstack([shown, rendering]))


def walk(pack: Pack, center: np.ndarray, direction: np.ndarray, spread: float, steps: int = 7) -> Image.Image:
    """Render center + a·direction for a from −spread to +spread, left to right.

    Args:
        center: [L, D] starting latent, usually the library's mean.
        direction: [L, D] unit direction.
        spread: Largest distance along the direction, in latent units.
    """
    require_generator(pack)
    assert center.shape == direction.shape == pack.latent_shape, (center.shape, direction.shape)
    amounts = np.linspace(-spread, spread, steps)
    latents = (center[None] + amounts[:, None, None] * direction[None]).astype(np.float32)  # [steps, L, D]
    frames = pack.render(latents)  # [steps, S, S, 3]

    strip = _enlarge(np.hstack(list(frames)))
    draw = ImageDraw.Draw(strip)
    draw.text((4, 4), "less", fill="white")
    draw.text((strip.width - 34, 4), "more", fill="white")
    return strip


def _enlarge(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    zoom = max(1, SHOWN_SIZE // image.height)
    return image.resize((image.width * zoom, image.height * zoom), Image.Resampling.NEAREST)
