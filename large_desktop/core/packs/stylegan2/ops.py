"""StyleGAN2 building blocks (Karras et al. 2020) in plain PyTorch, for CPU and CUDA.

The module and attribute names (`modulation`, `blur`, `noise`, `activate`,
`upsample`, `kernel`, ...) are the state-dict keys of rosinality's
stylegan2-pytorch, which e4e, pSp and ReStyle checkpoints embed as their
`decoder.*` weights. The arithmetic follows the same conventions, so those
weights give the same images:

- equalized learning rate: weights are stored as N(0, 1) and scaled by
  1/sqrt(fan_in) at use; the mapping network also multiplies by lr_mul;
- the fused bias + leaky ReLU is `leaky_relu(x + b, 0.2) * sqrt(2)`;
- FIR filters are a normalized outer product of `[1, 3, 3, 1]`, multiplied by
  factor² after a ×factor zero-insert upsample so the image keeps its gain.

No compiled extension is used, so nothing is built at import time.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

LEAKY_SLOPE = 0.2
ACTIVATION_GAIN = math.sqrt(2.0)  # keeps the activations' second moment after a leaky ReLU
DEMODULATION_EPS = 1e-8
BLUR_TAPS = (1, 3, 3, 1)

#----------------------------------------------------------------------------
# Functional ops


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Add a per-channel bias (channel = dim 1), apply leaky ReLU 0.2 and scale by sqrt(2)."""
    assert bias.ndim == 1, f"bias {tuple(bias.shape)}, expected [C]"
    assert bias.shape[0] == x.shape[1], f"bias {tuple(bias.shape)} does not match the channels of x {tuple(x.shape)}"
    broadcast = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(broadcast), LEAKY_SLOPE) * ACTIVATION_GAIN


def upfirdn2d(
    x: torch.Tensor,        # [N, C, H, W]
    kernel: torch.Tensor,   # [kh, kw] FIR filter
    up: int = 1,            # zero-insert upsampling factor, both axes
    down: int = 1,          # decimation factor after filtering, both axes
    pad: tuple[int, int] = (0, 0),  # (before, after) padding of both axes, after upsampling; negative crops
) -> torch.Tensor:
    """Upsample by zero insertion, pad, convolve with a 2-D FIR filter, then keep every `down`-th pixel.

    The output side is (side·up + before + after − k) // down + 1 on each axis.
    The filter is flipped, so this is a true convolution (the blur kernels are
    symmetric, so it only matters for asymmetric filters).
    """
    assert x.ndim == 4, f"x {tuple(x.shape)}, expected [N, C, H, W]"
    assert kernel.ndim == 2, f"kernel {tuple(kernel.shape)}, expected [kh, kw]"
    batch, channels, height, width = x.shape
    before, after = pad

    # Zero insertion: each pixel is followed by up − 1 zeros along both axes.
    if up > 1:
        x = x.reshape(batch, channels, height, 1, width, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(batch, channels, height * up, width * up)

    # Pad with zeros where positive, crop where negative.
    x = F.pad(x, [max(before, 0), max(after, 0), max(before, 0), max(after, 0)])
    top, bottom = max(-before, 0), x.shape[2] - max(-after, 0)
    left, right = max(-before, 0), x.shape[3] - max(-after, 0)
    x = x[:, :, top:bottom, left:right]

    # Filter every channel on its own with a depthwise convolution. Folding channels
    # into the batch axis instead took 5× longer and 2 GB more on a 32-channel
    # 1025² map (torch 2.13 CPU).
    weight = torch.flip(kernel, [0, 1]).to(x.dtype)[None, None].expand(channels, 1, -1, -1)  # [C, 1, kh, kw]
    x = F.conv2d(x, weight, groups=channels)

    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


def make_blur_kernel(taps: Sequence[int] = BLUR_TAPS, gain: float = 1.0) -> torch.Tensor:
    """Build the separable 2-D filter outer(taps, taps), normalized to sum to `gain`."""
    row = torch.tensor(taps, dtype=torch.float32)
    kernel = row[:, None] * row[None, :]  # [k, k]
    return kernel / kernel.sum() * gain


#----------------------------------------------------------------------------
# Resampling modules


class Blur(nn.Module):
    """Pads and filters with the blur kernel; after a ×factor upsample the kernel sums to factor²."""

    def __init__(self, pad: tuple[int, int], upsample_factor: int = 1, taps: Sequence[int] = BLUR_TAPS) -> None:
        super().__init__()
        self.pad = pad
        # Persistent: checkpoints contain it as `...blur.kernel`.
        self.register_buffer("kernel", make_blur_kernel(taps, gain=float(upsample_factor**2)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """Doubles (×factor) the resolution: zero insertion followed by the blur kernel (gain factor²)."""

    def __init__(self, factor: int = 2, taps: Sequence[int] = BLUR_TAPS) -> None:
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", make_blur_kernel(taps, gain=float(factor**2)))

        # Centre the filter on the upsampled grid so the output is exactly factor× larger.
        excess = self.kernel.shape[0] - factor
        self.pad = ((excess + 1) // 2 + factor - 1, excess // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


#----------------------------------------------------------------------------
# Layers with equalized learning rate


class PixelNorm(nn.Module):
    """Scales each vector to unit root-mean-square over dim 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Fully connected layer with equalized learning rate.

    The stored weight is divided by `lr_mul` and multiplied by
    lr_mul/sqrt(in_dim) at use; the stored bias is multiplied by `lr_mul`.
    With `activation=True` the bias goes through `fused_leaky_relu`.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        bias_init: float = 0.0,     # modulation layers start at 1, so styles start as identity scales
        lr_mul: float = 1.0,        # 0.01 in the mapping network
        activation: bool = False,   # True: fused bias + leaky ReLU 0.2 + sqrt(2) gain
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.activation:
            out = F.linear(x, self.weight * self.scale)
            return fused_leaky_relu(out, self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class FusedLeakyReLU(nn.Module):
    """Learned per-channel bias followed by leaky ReLU 0.2 and a sqrt(2) gain."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


#----------------------------------------------------------------------------
# Synthesis layers


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are scaled per sample by a style (StyleGAN2 weight modulation).

    The style w [N, style_dim] goes through `modulation` (an EqualLinear, bias 1)
    to s [N, in_channels], the style-space code. The weight is multiplied by s
    along its input axis and, with `demodulate`, renormalized to unit L2 norm
    per output channel. `upsample` doubles the resolution by a stride-2
    transposed convolution followed by `blur`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,    # False only in ToRGB
        upsample: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.demodulate = demodulate
        self.upsample = upsample

        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.scale = 1.0 / math.sqrt(in_channels * kernel_size**2)
        self.padding = kernel_size // 2

        # Registration order fixes the state-dict order: blur.kernel before modulation.*.
        if upsample:
            factor = 2
            # The transposed conv outputs 2·side + k − 2 pixels; this pad brings it back to 2·side.
            excess = (len(BLUR_TAPS) - factor) - (kernel_size - 1)
            self.blur = Blur(pad=((excess + 1) // 2 + factor - 1, excess // 2 + 1), upsample_factor=factor)
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        batch, in_channels, height, width = x.shape
        assert in_channels == self.in_channels, f"x {tuple(x.shape)}, expected {self.in_channels} channels"
        assert style.ndim == 2, f"style {tuple(style.shape)}, expected [N, style_dim]"
        assert style.shape[0] == batch, f"style {tuple(style.shape)}, expected {batch} rows like x"
        k = self.kernel_size

        s = self.modulation(style).view(batch, 1, in_channels, 1, 1)  # [N, 1, I, 1, 1]
        weight = self.scale * self.weight * s  # [N, O, I, k, k]
        if self.demodulate:
            norm = torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4)) + DEMODULATION_EPS)  # [N, O]
            weight = weight * norm.view(batch, self.out_channels, 1, 1, 1)

        # One grouped convolution runs every sample with its own weights.
        x = x.reshape(1, batch * in_channels, height, width)
        if self.upsample:
            # conv_transpose2d expects the weight as [in, out, k, k] per group.
            weight = weight.transpose(1, 2).reshape(batch * in_channels, self.out_channels, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=batch)
            out = out.reshape(batch, self.out_channels, out.shape[2], out.shape[3])
            return self.blur(out)  # [N, O, 2H, 2W]

        weight = weight.reshape(batch * self.out_channels, in_channels, k, k)
        out = F.conv2d(x, weight, padding=self.padding, groups=batch)
        return out.reshape(batch, self.out_channels, height, width)  # [N, O, H, W]


class NoiseInjection(nn.Module):
    """Adds single-channel noise, broadcast over channels, times a learned scalar `weight`."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            batch, _, height, width = x.shape
            noise = x.new_empty(batch, 1, height, width).normal_()
        return x + self.weight * noise


class ConstantInput(nn.Module):
    """The learned 4×4 tensor that starts the synthesis network, repeated per sample."""

    def __init__(self, channels: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.repeat(batch, 1, 1, 1)  # [N, C, 4, 4]


class StyledConv(nn.Module):
    """Modulated 3×3 convolution, then noise, then bias + leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, style_dim: int, upsample: bool = False) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, style)
        out = self.noise(out, noise=noise)
        return self.activate(out)


class ToRGB(nn.Module):
    """1×1 modulated convolution to RGB without demodulation, added to the upsampled RGB skip."""

    def __init__(self, in_channels: int, style_dim: int, upsample: bool = True) -> None:
        super().__init__()
        # Registration order fixes the state-dict order: bias, upsample.kernel, conv.*.
        if upsample:
            self.upsample = Upsample()
        self.conv = ModulatedConv2d(in_channels, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, style) + self.bias  # [N, 3, H, W]
        if skip is not None:
            out = out + self.upsample(skip)
        return out
