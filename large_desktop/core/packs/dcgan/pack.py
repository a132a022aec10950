"""GAN pack on the 64×64 DCGAN face generator: crops → z [N, 1, 100].

The generator comes from the `gan-face-generate` wheel, whose `weights.tar`
is a torch zip checkpoint, not a tar archive. The encoder is trained against
it by `scripts/train_dcgan_encoder.py` and ships in `resources/weights`.
With the generator the pack also renders latents and walks along directions.
"""

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from large_desktop.core.errors import CheckpointError
from large_desktop.core.packs.base import (
    Pack,
    PackManifest,
    WeightFile,
    check_state_dict,
    load_state_dict,
    verify_weight_file,
    weight_path,
)
from large_desktop.core.packs.dcgan.encoder import DcganEncoder
from large_desktop.core.packs.dcgan.generator import DcganGenerator, generator_shapes
from large_desktop.core.packs.dcgan.inversion import invert

logger = logging.getLogger(__name__)

GENERATOR_KEY = "netG_state_dict"  # the one entry of the wheel's checkpoint dict
CROP_SIZE = 64

#----------------------------------------------------------------------------


def load_generator(path: Path, expected: WeightFile, z_dim: int = 100) -> DcganGenerator:
    """Verify, load and shape-check the generator checkpoint; return it in eval mode, frozen."""
    verify_weight_file(path, expected)
    checkpoint = load_state_dict(path)
    state = checkpoint.get(GENERATOR_KEY)
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} lacks key {GENERATOR_KEY!r}; it is not a gan-face-generate generator")

    check_state_dict(state, generator_shapes(z_dim), path)
    generator = DcganGenerator(z_dim)
    generator.load_state_dict(state, strict=True)
    return generator.eval().requires_grad_(False)


def load_encoder(path: Path, expected: WeightFile, z_dim: int = 100) -> DcganEncoder:
    """Verify, load and shape-check the encoder's safetensors; return it in eval mode, frozen."""
    verify_weight_file(path, expected)
    state = load_state_dict(path)

    encoder = DcganEncoder(z_dim)
    check_state_dict(state, {key: tuple(value.shape) for key, value in encoder.state_dict().items()}, path)
    encoder.load_state_dict(state, strict=True)  # float16 files are cast to the float32 parameters here
    return encoder.eval().requires_grad_(False)


def crops_to_tensors(crops: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Convert RGBA uint8 crops to images in [-1, 1] and binary masks.

    Alpha 255 marks pixels inside the photo and 0 marks padding. Resampled
    edge pixels count as inside from alpha 128 on. An RGB crop is all inside.
    """
    for crop in crops:
        assert crop.dtype == np.uint8, crop.dtype
        assert crop.shape in ((CROP_SIZE, CROP_SIZE, 4), (CROP_SIZE, CROP_SIZE, 3)), crop.shape

    opaque = np.full((CROP_SIZE, CROP_SIZE, 1), 255, np.uint8)
    rgba = np.stack([crop if crop.shape[2] == 4 else np.concatenate([crop, opaque], axis=2) for crop in crops])  # [N, H, W, 4]
    pixels = torch.from_numpy(rgba).permute(0, 3, 1, 2)  # [N, 4, H, W] uint8
    images = pixels[:, :3].float() / 127.5 - 1  # [N, 3, H, W]
    masks = (pixels[:, 3:] >= 128).float()  # [N, 1, H, W]
    return images, masks


def images_to_uint8(images: torch.Tensor) -> np.ndarray:
    """Convert generator output [N, 3, H, W] in [-1, 1] to [N, H, W, 3] uint8."""
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).contiguous().numpy()


#----------------------------------------------------------------------------


class DcganPack(Pack):
    """DCGAN face pack: 64×64 RGBA crops (recipe `dcgan_64`) → latents [N, 1, z_dim]."""

    def __init__(
        self,
        manifest: PackManifest,
        weights_folder: Path | None = None,    # Folder holding every weight file; None = as `weight_path` finds them.
        optimise_steps: int | None = None,     # Adam steps after the encoder; None = manifest input.optimise_steps (0 if absent).
        batch_size: int = 64,                  # Faces per forward pass; bounds memory only.
    ) -> None:
        super().__init__(manifest)
        self.weights_folder = weights_folder
        self.optimise_steps = int(manifest.input.get("optimise_steps", 0)) if optimise_steps is None else optimise_steps
        self.batch_size = batch_size
        if self.optimise_steps < 0:
            raise CheckpointError(f"pack {manifest.id}: optimise_steps is {self.optimise_steps}, expected 0 or more")

        self.z_dim = int((manifest.generator or {}).get("z_dim", 100))
        if manifest.latent_shape != (1, self.z_dim):
            raise CheckpointError(f"pack {manifest.id}: latent_shape {manifest.latent_shape} does not match z_dim {self.z_dim}")

        generator_file = self._weight("generator")
        encoder_file = self._weight("encoder")
        self.generator = load_generator(weight_path(generator_file, weights_folder), generator_file, self.z_dim)
        self.encoder = load_encoder(weight_path(encoder_file, weights_folder), encoder_file, self.z_dim)
        logger.info("loaded pack %s (optimise_steps=%d)", self.id, self.optimise_steps)

    def _weight(self, role: str) -> WeightFile:
        for weight in self.manifest.weights:
            if weight.role == role:
                return weight
        raise CheckpointError(f"pack manifest {self.manifest.id} lists no weight file with role {role!r}")

    def _encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """Invert aligned RGBA crops ([64, 64, 4] uint8) into latents [N, 1, z_dim] float32."""
        if not crops:
            return np.zeros((0, *self.latent_shape), dtype=np.float32)

        latents = []
        for start in range(0, len(crops), self.batch_size):
            images, masks = crops_to_tensors(crops[start : start + self.batch_size])  # [B, 3, 64, 64], [B, 1, 64, 64]
            z = invert(self.generator, self.encoder, images, masks, steps=self.optimise_steps)  # [B, z_dim]
            latents.append(z.numpy())

        z_all = np.concatenate(latents)  # [N, z_dim]
        return self.check_latents(z_all[:, None, :], len(crops))  # [N, 1, z_dim]

    @torch.no_grad()
    def render(self, latents: np.ndarray) -> np.ndarray:
        """Render latents [N, 1, z_dim] as faces [N, 64, 64, 3] uint8."""
        assert latents.ndim == 3, latents.shape
        assert latents.shape[1:] == self.latent_shape, latents.shape
        z = torch.from_numpy(np.ascontiguousarray(latents[:, 0, :], dtype=np.float32))  # [N, z_dim]
        return images_to_uint8(self.generator(z))

    def walk(self, latent: np.ndarray, direction: np.ndarray, amounts: Iterable[float]) -> list[np.ndarray]:
        """Render latent + a·direction for each amount a; latent and direction are [1, z_dim]."""
        assert latent.shape == self.latent_shape, latent.shape
        assert direction.shape == self.latent_shape, direction.shape
        steps = np.array([latent + amount * direction for amount in amounts], dtype=np.float32)  # [A, 1, z_dim]
        if len(steps) == 0:
            return []
        return list(self.render(steps))
