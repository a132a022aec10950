"""StyleGAN2 GAN pack: aligned 256² face crops → W+ codes [N, n_styles, 512].

The pack folder contains `encoder.safetensors` (written by
`checkpoint.install_from_checkpoint`) with the `encoder.*` tensors of an e4e,
pSp or ReStyle checkpoint and the `latent_avg` that is added to the encoder's
output. A ReStyle pack also loads the generator from the checkpoint kept in
the folder when it starts: each of its `input.restyle_steps` encoder passes
reads the face next to the generator's rendering of the current code.
It runs on the GPU when there is one: inference mode, channels-last memory
format and bf16 autocast (fp16 where the GPU lacks bf16) for the encoder,
with the batch size chosen from free GPU memory.
"""

import logging
import os
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.base import Pack, PackManifest, WeightFile, check_state_dict, load_state_dict, verify_weight_file, weight_path
from large_desktop.core.packs.stylegan2.checkpoint import (
    ENCODER_PREFIX,
    INPUT_SIZE,
    LATENT_AVG_KEY,
    RESTYLE_STEPS_KEY,
    expected_layout,
    restyle_steps,
)
from large_desktop.core.packs.stylegan2.encoders import FAMILIES, RESTYLE_STEPS, STYLE_DIM, IrSe50Encoder, RestyleEncoder, build_encoder, iterate
from large_desktop.core.packs.stylegan2.generator import Generator, load_generator, synthesize

logger = logging.getLogger(__name__)

DEVICE_VARIABLE = "LARGE_DESKTOP_DEVICE"  # e.g. "cpu", "cuda" or "cuda:1"; unset = the first GPU if there is one
CPU_BATCH = 8  # about 0.1 GB of activations per face in float32, so 8 faces stay under 1 GB
MAX_GPU_BATCH = 256
# NOTE: an estimate, not measured on a GPU yet. At most about four 64-channel
# 256² maps are alive at once in 16-bit, plus cuDNN workspace.
GPU_BYTES_PER_FACE = 64 << 20
GPU_MEMORY_SHARE = 0.5  # of the free memory, leaving room for the generator and other processes
# ReStyle renders every face at the generator's size on each pass. On the CPU
# a 1024² render of 2 faces peaked at 1.7 GB and larger batches were no faster
# (see `generator.synthesize`). NOTE: the GPU figure is an estimate, not
# measured: a handful of 32–64-channel 1024² float32 maps per face.
RESTYLE_CPU_BATCH = 2
GPU_BYTES_PER_RESTYLE_FACE = 768 << 20
PREVIEW_SIZE = 256  # renders are average-pooled to this side; 1024² previews cost 16× the memory for no visible gain


def select_device() -> torch.device:
    """Return the device named by LARGE_DESKTOP_DEVICE, else the first GPU, else the CPU.

    Raises:
        UserInputError: the variable names an invalid or unavailable device.
    """
    requested = os.environ.get(DEVICE_VARIABLE, "").strip()
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as exc:
        raise UserInputError(f"{DEVICE_VARIABLE}={requested!r} is not a valid torch device; use cpu, cuda or cuda:N") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserInputError(f"{DEVICE_VARIABLE}={requested!r} requests a GPU, but torch finds no CUDA device; unset it or use cpu")
    if device.type not in ("cpu", "cuda"):
        raise UserInputError(f"{DEVICE_VARIABLE}={requested!r}: only cpu and cuda devices are supported")
    return device


def device_label(device: torch.device) -> str:
    """Return a short name for the status bar: "CPU" or the GPU's model name."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "CPU"


def gpu_batch_size(device: torch.device, bytes_per_face: int = GPU_BYTES_PER_FACE) -> int:
    """Return how many faces fit in a share of the GPU's free memory, between 1 and MAX_GPU_BATCH."""
    free, _ = torch.cuda.mem_get_info(device)
    return max(1, min(MAX_GPU_BATCH, int(free * GPU_MEMORY_SHARE) // bytes_per_face))


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Return the 16-bit autocast type for a GPU (bf16, else fp16), or None for float32 on the CPU."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def load_encoder(path: Path, weight: WeightFile, family: str, n_styles: int) -> tuple[IrSe50Encoder, torch.Tensor]:
    """Verify and load encoder.safetensors; return the encoder (eval mode, frozen) and latent_avg [n_styles, 512]."""
    verify_weight_file(path, weight)
    state = load_state_dict(path)

    expected = {key: shape for key, (shape, _) in expected_layout(family, n_styles).items()}
    expected[LATENT_AVG_KEY] = (n_styles, STYLE_DIM)
    check_state_dict(state, expected, path)

    latent_avg = state.pop(LATENT_AVG_KEY).float()
    with torch.device("meta"):
        encoder = build_encoder(family, n_styles)
    # assign=True adopts the loaded tensors instead of copying into allocated ones.
    encoder.load_state_dict({key.removeprefix(ENCODER_PREFIX): value for key, value in state.items()}, strict=True, assign=True)
    return encoder.eval().requires_grad_(False), latent_avg


class StyleGan2Pack(Pack):
    """e4e / pSp / ReStyle encoder of a StyleGAN2 generator: [256, 256, 3] uint8 crops (recipe ffhq_256) → W+ [N, n_styles, 512]."""

    def __init__(
        self,
        manifest: PackManifest,
        weights_folder: Path | None = None,   # Folder holding encoder.safetensors (and the checkpoint); None = as `weight_path` finds it.
    ) -> None:
        super().__init__(manifest)
        self.family = str(manifest.input.get("family", ""))
        self.n_styles, style_dim = manifest.latent_shape
        if self.family not in FAMILIES:
            raise CheckpointError(f"pack manifest {manifest.id}: input.family is {self.family!r}, expected one of {FAMILIES}")
        if style_dim != STYLE_DIM:
            raise CheckpointError(f"pack manifest {manifest.id}: latent_shape {manifest.latent_shape} must have {STYLE_DIM} columns")
        self.is_restyle = self.family.startswith("restyle")
        # 0 for e4e / pSp, which encode in one pass without the generator.
        self.restyle_steps = (
            restyle_steps(manifest.input.get(RESTYLE_STEPS_KEY, RESTYLE_STEPS), f"pack manifest {manifest.id}: input") if self.is_restyle else 0
        )

        weight = next((w for w in manifest.weights if w.role == "encoder"), None)
        if weight is None:
            raise CheckpointError(f"pack manifest {manifest.id} lists no weight file with role 'encoder'")
        path = weight_path(weight, weights_folder)
        encoder, latent_avg = load_encoder(path, weight, self.family, self.n_styles)

        self.device = select_device()
        self.device_name = device_label(self.device)
        self.weights_folder = weights_folder
        self.encoder = encoder.to(self.device, memory_format=torch.channels_last)
        self.latent_avg = latent_avg.to(self.device)  # [L, 512] float32
        self.autocast_dtype = autocast_dtype(self.device)
        self._generator: Generator | None = None  # e4e / pSp: loaded on the first render, since indexing never needs it
        if self.is_restyle:
            self._generator = self._load_generator()
            if self._generator.size < INPUT_SIZE or self._generator.size % INPUT_SIZE:
                raise CheckpointError(
                    f"pack {self.id}: its {self._generator.size} px generator cannot be pooled to the ReStyle encoder's "
                    f"{INPUT_SIZE} px input; only generators of {INPUT_SIZE} px times a power of two are supported"
                )
            self.batch_size = gpu_batch_size(self.device, GPU_BYTES_PER_RESTYLE_FACE) if self.device.type == "cuda" else RESTYLE_CPU_BATCH
        else:
            self.batch_size = gpu_batch_size(self.device) if self.device.type == "cuda" else CPU_BATCH
        logger.info("loaded pack %s (%s) on %s, batch %d", self.id, self.family, self.device_name, self.batch_size)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Encode normalised images [N, 3, 256, 256] in [-1, 1] into W+ [N, L, 512] float32 on the pack's device."""
        assert images.ndim == 4, images.shape
        assert images.shape[1:] == (3, INPUT_SIZE, INPUT_SIZE), images.shape
        images = images.to(self.device, torch.float32).contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast("cuda", dtype=self.autocast_dtype) if self.autocast_dtype else nullcontext()
        with torch.inference_mode(), autocast:
            if self.is_restyle:
                assert isinstance(self.encoder, RestyleEncoder), type(self.encoder)
                # iterate starts from latent_avg and adds each pass's residual itself.
                return iterate(self.encoder, images, self._render_for_encoder, self.latent_avg, steps=self.restyle_steps).float()  # [N, L, 512]
            codes = self.encoder(images)  # [N, L, 512]
        return codes.float() + self.latent_avg

    def _render_for_encoder(self, w_plus: torch.Tensor) -> torch.Tensor:
        """Render W+ [N, L, 512] with the fixed noise; return [N, 3, 256, 256], average-pooled and not clamped.

        The generator runs in float32 even under the encoder's 16-bit autocast,
        as it does for previews.
        """
        assert self._generator is not None
        with torch.autocast(self.device.type, enabled=False):
            image, _ = self._generator(w_plus.float(), input_is_latent=True, randomize_noise=False)  # [N, 3, size, size]
            if self._generator.size != INPUT_SIZE:
                image = F.avg_pool2d(image, self._generator.size // INPUT_SIZE)  # [N, 3, 256, 256]
        return image.contiguous(memory_format=torch.channels_last)

    def _encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """Encode aligned RGB crops ([256, 256, 3] uint8, recipe ffhq_256) into W+ [N, n_styles, 512] float32."""
        if not crops:
            return np.zeros((0, *self.latent_shape), dtype=np.float32)
        for crop in crops:
            assert crop.shape == (INPUT_SIZE, INPUT_SIZE, 3), crop.shape
            assert crop.dtype == np.uint8, crop.dtype

        batches = []
        for start in range(0, len(crops), self.batch_size):
            pixels = torch.from_numpy(np.stack(crops[start : start + self.batch_size])).to(self.device)  # [B, H, W, 3] uint8
            images = pixels.permute(0, 3, 1, 2).float() / 127.5 - 1  # [B, 3, H, W] in [-1, 1]
            batches.append(self.encode_images(images).cpu().numpy())
        return self.check_latents(np.concatenate(batches), len(crops))  # [N, L, 512]

    def render(self, latents: np.ndarray) -> np.ndarray:
        """Render W+ codes [N, n_styles, 512] with the checkpoint's generator; return uint8 [N, 256, 256, 3].

        Raises:
            CheckpointError: the pack has no generator, or its checkpoint is missing or mis-shaped.
        """
        assert latents.ndim == 3, latents.shape
        assert latents.shape[1:] == self.latent_shape, latents.shape
        if self._generator is None:
            self._generator = self._load_generator()
        return synthesize(self._generator, latents, preview_size=PREVIEW_SIZE)

    def _load_generator(self) -> Generator:
        generator_info = self.manifest.generator or {}
        checkpoint = generator_info.get("checkpoint")
        if not checkpoint or self.weights_folder is None:
            raise CheckpointError(f"pack {self.id} names no generator checkpoint, so it cannot render faces; re-import the pack's checkpoint")
        path = self.weights_folder / str(checkpoint)
        if not path.is_file():
            raise CheckpointError(f"generator checkpoint {path} of pack {self.id} is missing; re-import it with `large-desktop packs import {self.id} FILE`")
        logger.info("loading the generator of pack %s from %s", self.id, path)
        return load_generator(path, int(generator_info.get("resolution", 1024)), self.device)
