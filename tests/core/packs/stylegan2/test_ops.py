"""The plain-PyTorch StyleGAN2 ops agree with direct per-pixel and per-sample computations."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from large_desktop.core.packs.stylegan2.ops import (
    Blur,
    EqualLinear,
    ModulatedConv2d,
    Upsample,
    fused_leaky_relu,
    make_blur_kernel,
    upfirdn2d,
)


def upfirdn2d_by_loops(x: np.ndarray, kernel: np.ndarray, up: int, down: int, pad: tuple[int, int]) -> np.ndarray:
    """Reference: the textbook definition, one output pixel at a time, for one [H, W] channel."""
    height, width = x.shape
    upsampled = np.zeros((height * up, width * up))
    upsampled[::up, ::up] = x

    before, after = pad
    side_h = height * up + before + after
    side_w = width * up + before + after
    padded = np.zeros((side_h, side_w))
    for row in range(side_h):
        for column in range(side_w):
            source_row, source_column = row - before, column - before
            if 0 <= source_row < height * up and 0 <= source_column < width * up:
                padded[row, column] = upsampled[source_row, source_column]

    taps = kernel.shape[0]
    out_h, out_w = side_h - taps + 1, side_w - taps + 1
    filtered = np.zeros((out_h, out_w))
    for row in range(out_h):
        for column in range(out_w):
            # A convolution applies the filter flipped.
            filtered[row, column] = np.sum(padded[row:row + taps, column:column + taps] * kernel[::-1, ::-1])
    return filtered[::down, ::down]


@pytest.mark.parametrize(
    ("up", "down", "pad"),
    [(1, 1, (1, 2)), (2, 1, (2, 1)), (1, 2, (1, 1)), (2, 2, (1, 1)), (1, 1, (-1, 2))],
)
def test_upfirdn2d_matches_loops(up, down, pad):
    x = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kernel = torch.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]], dtype=torch.float64)  # asymmetric

    out = upfirdn2d(x, kernel, up=up, down=down, pad=pad)

    for n in range(2):
        for c in range(3):
            expected = upfirdn2d_by_loops(x[n, c].numpy(), kernel.numpy(), up, down, pad)
            np.testing.assert_allclose(out[n, c].numpy(), expected, atol=1e-12, err_msg=f"sample {n}, channel {c}")


def test_blur_kernel_values():
    kernel = make_blur_kernel(gain=4.0)

    assert kernel.shape == (4, 4)
    assert kernel.sum().item() == pytest.approx(4.0)
    assert kernel[0].tolist() == [0.0625, 0.1875, 0.1875, 0.0625]


def test_upsample_doubles_and_keeps_level():
    x = torch.full((1, 2, 6, 6), 3.0)

    out = Upsample()(x)

    assert out.shape == (1, 2, 12, 12)
    torch.testing.assert_close(out[:, :, 2:-2, 2:-2], torch.full((1, 2, 8, 8), 3.0))


def test_blur_keeps_size_and_level():
    x = torch.full((1, 1, 6, 6), 2.0)

    out = Blur(pad=(2, 1))(x)

    assert out.shape == (1, 1, 6, 6)
    torch.testing.assert_close(out[:, :, 2:-2, 2:-2], torch.full((1, 1, 2, 2), 2.0))


def test_fused_leaky_relu_values():
    x = torch.tensor([[[[-1.0]], [[2.0]]]])  # [1, 2, 1, 1]
    bias = torch.tensor([0.5, -1.0])

    out = fused_leaky_relu(x, bias).flatten().tolist()

    assert out[0] == pytest.approx(-0.5 * 0.2 * math.sqrt(2))
    assert out[1] == pytest.approx(1.0 * math.sqrt(2))


def test_equal_linear_scales_by_lr_mul():
    layer = EqualLinear(4, 3, bias_init=0.5, lr_mul=0.01)
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))

    expected = x @ (layer.weight * 0.01 / 2).T + layer.bias * 0.01

    torch.testing.assert_close(layer(x), expected)
    assert layer.bias[0].item() == 0.5


def modulated_conv_per_sample(conv: ModulatedConv2d, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Reference: modulate, demodulate and convolve each sample on its own, without grouped convolutions."""
    outputs = []
    for n in range(x.shape[0]):
        s = conv.modulation(style[n:n + 1])[0]  # [I]
        weight = conv.weight[0] * conv.scale * s[None, :, None, None]  # [O, I, k, k]
        if conv.demodulate:
            weight = weight / torch.sqrt(weight.pow(2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        if conv.upsample:
            out = F.conv_transpose2d(x[n:n + 1], weight.transpose(0, 1), stride=2)
            out = conv.blur(out)
        else:
            out = F.conv2d(x[n:n + 1], weight, padding=conv.kernel_size // 2)
        outputs.append(out)
    return torch.cat(outputs)


@pytest.mark.parametrize(
    ("kernel_size", "demodulate", "upsample", "out_side"),
    [(3, True, False, 5), (3, True, True, 10), (1, False, False, 5)],
)
def test_modulated_conv_matches_per_sample(kernel_size, demodulate, upsample, out_side):
    torch.manual_seed(0)
    conv = ModulatedConv2d(4, 6, kernel_size, style_dim=8, demodulate=demodulate, upsample=upsample)
    x = torch.randn(3, 4, 5, 5)
    style = torch.randn(3, 8)

    out = conv(x, style)

    assert out.shape == (3, 6, out_side, out_side)
    torch.testing.assert_close(out, modulated_conv_per_sample(conv, x, style), rtol=1e-5, atol=1e-5)


def test_demodulation_gives_unit_weight_norm():
    torch.manual_seed(0)
    conv = ModulatedConv2d(4, 6, 3, style_dim=8)
    x = torch.zeros(1, 4, 3, 3)
    x[0, :, 1, 1] = torch.randn(4)  # one pixel: the centre output is one weight column per channel

    # With demodulation, each output channel's effective weights have unit L2 norm for any style.
    for scale in (0.1, 10.0):
        style = torch.randn(1, 8) * scale
        s = conv.modulation(style)[0]
        weight = conv.weight[0] * conv.scale * s[None, :, None, None]
        norms = weight.pow(2).sum(dim=(1, 2, 3)).sqrt()
        out_centre = conv(x, style)[0, :, 1, 1]
        expected = (weight[:, :, 1, 1] @ x[0, :, 1, 1]) / norms
        torch.testing.assert_close(out_centre, expected, rtol=1e-5, atol=1e-5)
