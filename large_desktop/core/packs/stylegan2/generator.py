"""The StyleGAN2 generator in rosinality's stylegan2-pytorch layout, its loader, previews and SeFa.

`Generator(1024, 512, 8, channel_multiplier=2)` has exactly the 171
`decoder.*` state-dict entries (keys, order, shapes, dtypes) of the e4e and
pSp FFHQ checkpoints. They include the 17 `noises.noise_i` buffers and the 16
blur `kernel` buffers. So those weights load with `strict=True` and render
the same images as the reference code.

W+ row → layer (n_latent = 2·log2(size) − 2 rows; 18 at 1024 px):
row 0 drives `conv1`; row 1 drives `to_rgb1` and `convs[0]`; then each odd
row k ≥ 3 drives `to_rgbs[(k − 3) / 2]` and `convs[k − 1]`, and each even row
k drives `convs[k − 1]`. The last row drives only the last `to_rgbs`.
"""

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.base import load_state_dict
from large_desktop.core.packs.stylegan2.ops import (
    ConstantInput,
    EqualLinear,
    ModulatedConv2d,
    PixelNorm,
    StyledConv,
    ToRGB,
)

logger = logging.getLogger(__name__)

DECODER_PREFIX = "decoder."  # e4e / pSp / ReStyle checkpoints hold the generator under this prefix
MAPPING_LR_MUL = 0.01

#----------------------------------------------------------------------------


def channels_at(resolution: int, channel_multiplier: int) -> int:
    """Return the feature channels of the synthesis layers at a resolution.

    512 up to 32 px, then 256·multiplier at 64 px, halving per octave
    (config-f, multiplier 2: 512, 256, 128, 64, 32 at 64 ... 1024 px).
    """
    if resolution <= 32:
        return 512
    return 16 * channel_multiplier * 1024 // resolution


class Generator(nn.Module):
    """StyleGAN2 generator: mapping network `style` (z → w) and the synthesis network.

    `forward` returns `(image, latent)`. The image [N, 3, size, size] is
    roughly in [−1, 1] and not clamped. `latent` is the W+ code [N, n_latent,
    style_dim] that drove it when `return_latents` is set, else None.
    """

    def __init__(
        self,
        size: int,                  # output resolution, a power of two from 8 to 1024
        style_dim: int = 512,       # dimensionality of z and w
        n_mlp: int = 8,             # EqualLinear layers of the mapping network
        channel_multiplier: int = 2,  # 2 = config-f; see channels_at
    ) -> None:
        super().__init__()
        log_size = int(math.log2(size))
        if not 8 <= size <= 1024 or 2**log_size != size:
            raise ValueError(f"generator size {size} is not a power of two from 8 to 1024")
        self.size = size
        self.style_dim = style_dim
        self.log_size = log_size
        self.num_layers = 2 * (log_size - 2) + 1  # modulated 3×3 convs = noise inputs
        self.n_latent = 2 * log_size - 2

        # Index 0 of `style` is the PixelNorm, so the weights are style.1 ... style.{n_mlp}.
        mapping: list[nn.Module] = [PixelNorm()]
        for _ in range(n_mlp):
            mapping.append(EqualLinear(style_dim, style_dim, lr_mul=MAPPING_LR_MUL, activation=True))
        self.style = nn.Sequential(*mapping)

        base_channels = channels_at(4, channel_multiplier)
        self.input = ConstantInput(base_channels)
        self.conv1 = StyledConv(base_channels, base_channels, style_dim)
        self.to_rgb1 = ToRGB(base_channels, style_dim, upsample=False)

        # Two StyledConvs (the first upsamples) and one ToRGB per resolution 8 ... size.
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        in_channels = base_channels
        for level in range(3, log_size + 1):
            out_channels = channels_at(2**level, channel_multiplier)
            self.convs.append(StyledConv(in_channels, out_channels, style_dim, upsample=True))
            self.convs.append(StyledConv(out_channels, out_channels, style_dim))
            self.to_rgbs.append(ToRGB(out_channels, style_dim))
            in_channels = out_channels

        # Fixed per-layer noise images, used when randomize_noise=False: 4², 8², 8², 16², 16², ...
        self.noises = nn.Module()
        for index in range(self.num_layers):
            side = 2 ** ((index + 5) // 2)
            self.noises.register_buffer(f"noise_{index}", torch.randn(1, 1, side, side))

    def noise_buffers(self) -> list[torch.Tensor]:
        """Return the fixed noise images in layer order."""
        return [getattr(self.noises, f"noise_{index}") for index in range(self.num_layers)]

    def forward(
        self,
        styles: torch.Tensor | Sequence[torch.Tensor],
        *,
        input_is_latent: bool = False,      # False: styles are z and go through the mapping network
        randomize_noise: bool = True,       # False: use the `noises` buffers (deterministic output)
        noise: Sequence[torch.Tensor | None] | None = None,  # per-layer noise; overrides randomize_noise
        truncation: float = 1.0,            # < 1 pulls w toward truncation_latent
        truncation_latent: torch.Tensor | None = None,  # [1, style_dim] or [n_latent, style_dim]
        return_latents: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Render styles: z or w [N, style_dim], or a W+ code [N, n_latent, style_dim] used as-is.

        A list of one tensor is accepted too, as in `G([w_plus], input_is_latent=True)`.
        """
        if isinstance(styles, torch.Tensor):
            styles = [styles]
        if len(styles) != 1:
            # TODO: style mixing (two codes with an inject_index) is not implemented.
            raise ValueError(f"expected one style tensor, got {len(styles)}; style mixing is not supported")
        style = styles[0]

        if not input_is_latent:
            assert style.ndim == 2, f"z {tuple(style.shape)}, expected [N, {self.style_dim}]"
            style = self.style(style)  # [N, style_dim]
        if truncation < 1.0:
            assert truncation_latent is not None, "truncation < 1 needs a truncation_latent"
            style = truncation_latent + truncation * (style - truncation_latent)

        if style.ndim == 2:
            latent = style[:, None, :].expand(-1, self.n_latent, -1)  # [N, n_latent, style_dim]
        else:
            latent = style
        assert latent.shape[1:] == (self.n_latent, self.style_dim), (
            f"latent {tuple(latent.shape)}, expected [N, {self.n_latent}, {self.style_dim}]"
        )

        if noise is None:
            noise = [None] * self.num_layers if randomize_noise else self.noise_buffers()
        assert len(noise) == self.num_layers, f"{len(noise)} noise inputs, expected {self.num_layers}"

        out = self.input(latent.shape[0])  # [N, 512, 4, 4]
        out = self.conv1(out, latent[:, 0], noise=noise[0])
        skip = self.to_rgb1(out, latent[:, 1])  # [N, 3, 4, 4]

        row = 1
        for block, to_rgb in enumerate(self.to_rgbs):
            out = self.convs[2 * block](out, latent[:, row], noise=noise[row])  # upsamples ×2
            out = self.convs[2 * block + 1](out, latent[:, row + 1], noise=noise[row + 1])
            skip = to_rgb(out, latent[:, row + 2], skip)
            row += 2

        image = skip  # [N, 3, size, size]
        return image, (latent if return_latents else None)

    def style_convs(self) -> list[ModulatedConv2d]:
        """Return the non-ToRGB modulated convolutions; item i reads W+ row i."""
        return [self.conv1.conv] + [layer.conv for layer in self.convs]


#----------------------------------------------------------------------------
# Loading


def load_generator(checkpoint_or_safetensors: Path, size: int, device: torch.device | str = "cpu") -> Generator:
    """Load the generator weights of a checkpoint into a `Generator(size)`; return it in eval mode, frozen.

    Accepted layouts: an e4e / pSp / ReStyle `.pt` checkpoint
    (`{"state_dict": {"encoder.*", "decoder.*"}, "latent_avg", ...}`), a
    rosinality checkpoint (`{"g_ema": {...}, "latent_avg"}`), or a flat
    `.safetensors` file whose keys start with `decoder.` or have no prefix.
    Only the generator's tensors are read: `.pt` files are memory-mapped and
    encoder tensors are never copied. The 16 blur `kernel` buffers may be
    missing (their values are fixed), every other key must be present.

    Raises:
        CheckpointError: the file is missing, unreadable or would run pickled
            code, or its generator keys or shapes do not match `size`. The
            message names the missing, unexpected and mis-shaped keys.
    """
    path = Path(checkpoint_or_safetensors)
    generator = Generator(size)
    expected = generator.state_dict()
    state = read_generator_state(path)

    missing = [key for key in expected if key not in state and not key.endswith(".kernel")]
    unexpected = [key for key in state if key not in expected]
    misshapen = [
        f"{key} {tuple(state[key].shape)} (expected {tuple(value.shape)})"
        for key, value in expected.items()
        if key in state and state[key].shape != value.shape
    ]
    if missing or unexpected or misshapen:
        raise CheckpointError(
            f"checkpoint {path} does not match a {size} px StyleGAN2 generator: "
            f"{_describe('missing', missing)}{_describe('unexpected', unexpected)}{_describe('mis-shaped', misshapen)}"
            "check the generator size of the pack, or re-export the checkpoint"
        )
    not_float = [key for key, value in state.items() if not value.is_floating_point()]
    if not_float:
        raise CheckpointError(f"checkpoint {path}: generator tensors {not_float[:3]} are not floating point; re-export it")

    generator.load_state_dict(state, strict=False)  # strict apart from the optional kernels checked above
    logger.info("loaded %s px StyleGAN2 generator from %s (%s tensors)", size, path, len(state))
    return generator.to(device).eval().requires_grad_(False)


def read_generator_state(path: Path) -> dict[str, torch.Tensor]:
    """Read the generator's tensors from a checkpoint, with the `decoder.` prefix removed.

    Raises:
        CheckpointError: the file is missing, unreadable, would run pickled code or contains no generator.
    """
    if not path.is_file():
        raise CheckpointError(f"generator checkpoint {path} not found; check the path or reinstall the pack")

    if path.suffix == ".safetensors":
        state = {_strip_prefix(key): value for key, value in _read_safetensors(path, _generator_keys).items()}
        if not state:
            raise CheckpointError(f"{path} contains no generator tensors (no 'decoder.*' or 'style.1.weight' keys)")
        return state

    raw = load_state_dict(path, mmap=True)
    if isinstance(raw.get("state_dict"), dict):
        source = raw["state_dict"]  # e4e / pSp / ReStyle
    elif isinstance(raw.get("g_ema"), dict):
        source = raw["g_ema"]  # rosinality: the exponential moving average generator, no prefix
    else:
        source = raw
    generator_keys = _generator_keys(list(source))
    if not generator_keys:
        raise CheckpointError(
            f"{path} contains no generator tensors (no 'state_dict' with 'decoder.*' keys, no 'g_ema'); "
            "use an e4e, pSp, ReStyle or rosinality StyleGAN2 checkpoint"
        )
    state = {}
    for key in generator_keys:
        value = source[key]
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"checkpoint {path}: {key!r} is a {type(value).__name__}, expected a tensor")
        state[_strip_prefix(key)] = value
    return state


def read_latent_avg(path: Path, n_latent: int, style_dim: int = 512) -> torch.Tensor | None:
    """Return a checkpoint's tracked mean w as [n_latent, style_dim], or None when the file has none.

    e4e / pSp files store it as [n_latent, style_dim], rosinality files as [style_dim].

    Raises:
        CheckpointError: the file is missing or unreadable, or `latent_avg` has another shape.
    """
    if path.suffix == ".safetensors":
        value = _read_safetensors(path, lambda keys: [key for key in keys if key == "latent_avg"]).get("latent_avg")
    else:
        value = load_state_dict(path, mmap=True).get("latent_avg")
    if value is None:
        return None

    expected = f"[{style_dim}] or [{n_latent}, {style_dim}]"
    if not isinstance(value, torch.Tensor):
        raise CheckpointError(f"checkpoint {path}: latent_avg is a {type(value).__name__}, expected a tensor {expected}")
    if value.ndim not in (1, 2) or value.shape[-1] != style_dim:
        raise CheckpointError(f"checkpoint {path}: latent_avg has shape {tuple(value.shape)}, expected {expected}")

    value = value.float().reshape(-1, style_dim)
    if value.shape[0] == 1:
        value = value.expand(n_latent, style_dim)
    if value.shape[0] != n_latent:
        raise CheckpointError(f"checkpoint {path}: latent_avg has {value.shape[0]} rows, expected {expected}")
    return value.clone()


def _read_safetensors(path: Path, select: Callable[[list[str]], list[str]]) -> dict[str, torch.Tensor]:
    """Read only the tensors whose keys `select` returns from a safetensors file."""
    from safetensors import safe_open

    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found; check the path or reinstall the pack")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as reader:
            return {key: reader.get_tensor(key) for key in select(list(reader.keys()))}
    except Exception as exc:  # noqa: BLE001 (safetensors raises its own error types for damaged files)
        raise CheckpointError(f"checkpoint {path} is not a valid safetensors file ({exc}); re-download it") from exc


def _generator_keys(keys: list[str]) -> list[str]:
    """Return the generator's keys: the `decoder.*` ones, or all but latent_avg for an unprefixed file."""
    prefixed = [key for key in keys if key.startswith(DECODER_PREFIX)]
    if prefixed:
        return prefixed
    if "style.1.weight" in keys:
        return [key for key in keys if key != "latent_avg"]
    return []


def _strip_prefix(key: str) -> str:
    return key.removeprefix(DECODER_PREFIX)


def _describe(label: str, keys: list[str], limit: int = 5) -> str:
    """Format up to `limit` keys of one kind for an error message."""
    if not keys:
        return ""
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return f"{label} {', '.join(keys[:limit])}{more}; "


#----------------------------------------------------------------------------
# Latents and images


def mean_latent(generator: Generator, n_samples: int = 4096, seed: int = 0) -> torch.Tensor:
    """Estimate the mean w [1, style_dim] by mapping `n_samples` seeded z vectors."""
    parameter = next(generator.parameters())
    z = torch.randn(n_samples, generator.style_dim, generator=torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        w = generator.style(z.to(parameter.device, parameter.dtype))  # [n_samples, style_dim]
    return w.mean(dim=0, keepdim=True)


def synthesize(
    generator: Generator,
    w_plus: np.ndarray | torch.Tensor,   # [N, n_latent, style_dim]
    preview_size: int | None = None,     # e.g. 256: average-pool the size² output down to this side
    batch_size: int = 1,
) -> np.ndarray:
    """Render W+ codes with the fixed noise buffers; return uint8 images [N, H, W, 3].

    Output values in [−1, 1] map linearly to [0, 255] and are clamped and rounded.
    At 1024 px on CPU one batch of 1 peaked at about 1.2 GB RSS and a batch of 2
    at 1.7 GB (torch 2.13, 2 cores). Larger batches gave no speedup there.
    """
    parameter = next(generator.parameters())
    codes = torch.as_tensor(w_plus).to(parameter.device, parameter.dtype)
    expected = f"expected [N, {generator.n_latent}, {generator.style_dim}]"
    assert codes.ndim == 3, f"w_plus {tuple(codes.shape)}, {expected}"
    assert codes.shape[1:] == (generator.n_latent, generator.style_dim), f"w_plus {tuple(codes.shape)}, {expected}"
    side = preview_size or generator.size
    if side > generator.size or generator.size % side:
        raise UserInputError(f"preview size {side} must divide the generator size {generator.size}")

    pages = []
    with torch.inference_mode():
        for start in range(0, codes.shape[0], batch_size):
            image, _ = generator(codes[start:start + batch_size], input_is_latent=True, randomize_noise=False)
            if side != generator.size:
                image = F.avg_pool2d(image, generator.size // side)  # [B, 3, side, side]
            pixels = ((image.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
            pages.append(pixels.permute(0, 2, 3, 1).cpu().numpy())  # [B, side, side, 3]
    if not pages:
        return np.zeros((0, side, side, 3), dtype=np.uint8)
    return np.concatenate(pages)


#----------------------------------------------------------------------------
# SeFa: closed-form factorization (Shen & Zhou, CVPR 2021)


def sefa_directions(generator: Generator, layers: Literal["all"] | Sequence[int] = "all", k: int = 5) -> np.ndarray:
    """Return the top-k SeFa directions in W, unit rows [k, style_dim] ordered by decreasing ‖A·n‖².

    A stacks the `modulation` weights [C_l, style_dim] of the chosen non-ToRGB
    convolutions; layer i is the one that reads W+ row i (0 = conv1). The
    directions are the eigenvectors of AᵀA with the largest eigenvalues. The
    sign of each direction is arbitrary.

    Raises:
        UserInputError: a layer index or k is out of range.
    """
    convs = generator.style_convs()
    indices = list(range(len(convs))) if layers == "all" else list(layers)
    if not indices or any(not 0 <= index < len(convs) for index in indices):
        raise UserInputError(f"SeFa layers {indices} must be indices in 0..{len(convs) - 1}, or 'all'")
    if not 1 <= k <= generator.style_dim:
        raise UserInputError(f"SeFa needs 1 ≤ k ≤ {generator.style_dim} directions, got {k}")

    weights = torch.cat([convs[index].modulation.weight.detach().cpu().double() for index in indices])  # [ΣC_l, D]
    eigenvalues, eigenvectors = torch.linalg.eigh(weights.T @ weights)  # ascending, columns are vectors
    order = torch.argsort(eigenvalues, descending=True)[:k]
    directions = eigenvectors[:, order].T  # [k, D]
    return directions.float().numpy()
