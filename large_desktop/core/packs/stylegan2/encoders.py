"""IR-SE50 encoders that invert an aligned face into StyleGAN2 W+ codes.

The networks follow the encoders of pSp (Richardson et al., CVPR 2021,
"Encoding in Style"), e4e (Tov et al., SIGGRAPH 2021, "Designing an Encoder
for StyleGAN Image Manipulation") and ReStyle (Alaluf et al., ICCV 2021).
The module and parameter names reproduce the `encoder.*` part of their public
checkpoints, so `load_state_dict(strict=True)` takes those tensors unchanged.

All three share one backbone: an input layer (3×3 conv, BatchNorm, PReLU)
and 24 bottleneck_IR_SE units in stages of 3/4/14/3 (64/128/256/512
channels, stride 2 at each stage start), which turn a 256² face into maps of
64², 32² and 16². A "map2style" head per W+ row reduces a map to 1×1 with
stride-2 3×3 convs and maps the 512 channels to a style with an EqualLinear.

- pSp (`PspEncoder`): an FPN merges the three maps. Heads 0–2 read the 16²
  map, heads 3–6 the 32² map and the rest the 64² map. Each head is one row.
- e4e (`E4eEncoder`): the same heads, but head 0 gives a base style copied to
  every row and heads 1…n_styles−1 add a delta to their own row.
- ReStyle (`RestyleEncoder`): 6 input channels (image and current
  reconstruction), no FPN, every head on the 16² map, and the output is a
  residual added to the previous W+ code; `iterate` runs the refinement loop.

The encoders return codes without `latent_avg`; the caller adds it.
"""

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

STYLE_DIM = 512
SE_REDUCTION = 16
COARSE_HEADS = 3  # heads [0, 3) read the 16² map
MIDDLE_HEADS = 7  # heads [3, 7) read the 32² map, heads from 7 on the 64² map
HEAD_SLOPE = 0.01  # LeakyReLU slope inside the map2style heads (torch's default)

# (in_channels, out_channels, units) per stage; the first unit of each stage has stride 2.
IR_SE50_STAGES = ((64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3))
TAP_UNITS = (6, 20, 23)  # body units whose outputs feed the FPN: 128ch@64², 256ch@32², 512ch@16²

FAMILIES = ("e4e", "psp", "restyle_e4e", "restyle_psp")
RESTYLE_STEPS = 5  # ReStyle's encoder passes per image; its papers use 5


def n_styles_for(resolution: int) -> int:
    """Return the number of W+ rows of a StyleGAN2 generator of this output size."""
    log_size = int(math.log2(resolution))
    if 2**log_size != resolution or resolution < 8:
        raise ValueError(f"StyleGAN2 resolution must be a power of two ≥ 8, got {resolution}")
    return 2 * log_size - 2


#----------------------------------------------------------------------------
# Backbone blocks.


class SqueezeExcite(nn.Module):
    """Channel gate: global average → 1×1 conv down → ReLU → 1×1 conv up → sigmoid."""

    def __init__(self, channels: int, reduction: int = SE_REDUCTION) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, bias=False)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = F.adaptive_avg_pool2d(x, 1)  # [N, C, 1, 1]
        gate = torch.relu(self.fc1(gate))
        gate = torch.sigmoid(self.fc2(gate))
        return x * gate


class BottleneckIrSe(nn.Module):
    """Pre-activation residual unit: BN → conv3×3 → PReLU → conv3×3 (stride) → BN → SE, plus a shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if in_channels == out_channels:
            # A 1×1 max pool with a stride only subsamples; it has no weights.
            self.shortcut_layer: nn.Module = nn.MaxPool2d(kernel_size=1, stride=stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=False),
            nn.PReLU(out_channels),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            SqueezeExcite(out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


def ir_se50_body() -> nn.Sequential:
    """Build the 24 bottleneck units of IR-SE50."""
    units = []
    for in_channels, out_channels, count in IR_SE50_STAGES:
        units.append(BottleneckIrSe(in_channels, out_channels, stride=2))
        units.extend(BottleneckIrSe(out_channels, out_channels, stride=1) for _ in range(count - 1))
    return nn.Sequential(*units)


#----------------------------------------------------------------------------
# Style heads.


class EqualLinear(nn.Module):
    """Linear layer whose weight is scaled by 1/sqrt(in_features) at run time (StyleGAN's equalised learning rate, lr_mul = 1)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.scale = 1 / math.sqrt(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class MapToStyle(nn.Module):
    """map2style head: stride-2 3×3 convs with LeakyReLU down to 1×1, then EqualLinear → one style [N, 512]."""

    def __init__(self, spatial: int, channels: int = STYLE_DIM) -> None:
        super().__init__()
        self.channels = channels
        layers: list[nn.Module] = []
        for _ in range(int(math.log2(spatial))):
            layers.append(nn.Conv2d(channels, channels, kernel_size=3, stride=2, padding=1))
            layers.append(nn.LeakyReLU(HEAD_SLOPE))
        self.convs = nn.Sequential(*layers)
        self.linear = EqualLinear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)  # [N, 512, 1, 1]
        assert x.shape[1:] == (self.channels, 1, 1), f"map2style head ended at {tuple(x.shape)}, expected 1×1"
        return self.linear(x.flatten(1))  # [N, 512]


def head_spatial(index: int) -> int:
    """Return the side of the FPN map that head `index` reads from a 256² input."""
    if index < COARSE_HEADS:
        return 16
    if index < MIDDLE_HEADS:
        return 32
    return 64


def upsample_add(coarse: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
    """FPN merge: bilinear upsample (align_corners=True, as the checkpoints were trained) and add."""
    return F.interpolate(coarse, size=lateral.shape[-2:], mode="bilinear", align_corners=True) + lateral


#----------------------------------------------------------------------------
# Encoders.


class IrSe50Encoder(nn.Module):
    """Common trunk: `input_layer` and `body`; subclasses add `styles` (and the FPN laterals) in checkpoint order."""

    def __init__(
        self,
        n_styles: int,       # W+ rows: 18 for 1024 px generators, 16 for 512 px, 14 for 256 px.
        input_nc: int = 3,   # Input channels: 3 for an image, 6 for ReStyle's image ‖ reconstruction.
    ) -> None:
        super().__init__()
        if n_styles < 2:
            raise ValueError(f"n_styles must be at least 2, got {n_styles}")
        self.n_styles = n_styles
        self.input_nc = input_nc
        self.input_layer = nn.Sequential(
            nn.Conv2d(input_nc, 64, kernel_size=3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.PReLU(64),
        )
        self.body = ir_se50_body()

    def backbone(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the trunk; return the outputs of units 6, 20 and 23 (c1, c2, c3)."""
        assert x.ndim == 4, f"input {tuple(x.shape)}, expected [N, {self.input_nc}, H, W]"
        assert x.shape[1] == self.input_nc, f"input {tuple(x.shape)}, expected [N, {self.input_nc}, H, W]"
        x = self.input_layer(x)  # [N, 64, 256, 256]
        taps = []
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index in TAP_UNITS:
                taps.append(x)
        c1, c2, c3 = taps  # [N, 128, 64, 64], [N, 256, 32, 32], [N, 512, 16, 16]
        return c1, c2, c3

    def check_output(self, w_plus: torch.Tensor, batch: int) -> torch.Tensor:
        assert w_plus.shape == (batch, self.n_styles, STYLE_DIM), f"codes {tuple(w_plus.shape)}"
        return w_plus


class FpnEncoder(IrSe50Encoder):
    """Trunk + one head per row + the FPN laterals; `pyramid` computes the maps each head reads."""

    def __init__(self, n_styles: int) -> None:
        super().__init__(n_styles, input_nc=3)
        self.styles = nn.ModuleList(MapToStyle(head_spatial(index)) for index in range(n_styles))
        self.latlayer1 = nn.Conv2d(256, STYLE_DIM, kernel_size=1)
        self.latlayer2 = nn.Conv2d(128, STYLE_DIM, kernel_size=1)

    def pyramid(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return the FPN maps (p3, p2, p1) read by the coarse, middle and fine heads."""
        c1, c2, c3 = self.backbone(x)
        p2 = upsample_add(c3, self.latlayer1(c2))  # [N, 512, 32, 32]
        p1 = upsample_add(p2, self.latlayer2(c1))  # [N, 512, 64, 64]
        return c3, p2, p1

    def head_inputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        p3, p2, p1 = self.pyramid(x)
        return [(p3, p2, p1)[(index >= COARSE_HEADS) + (index >= MIDDLE_HEADS)] for index in range(self.n_styles)]


class PspEncoder(FpnEncoder):
    """pSp GradualStyleEncoder: [N, 3, 256, 256] in [-1, 1] → codes [N, n_styles, 512], one head per row."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inputs = self.head_inputs(x)
        w_plus = torch.stack([head(features) for head, features in zip(self.styles, inputs)], dim=1)  # [N, L, 512]
        return self.check_output(w_plus, x.shape[0])


class E4eEncoder(FpnEncoder):
    """e4e Encoder4Editing: head 0 is a base style on every row, heads 1… add per-row deltas."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inputs = self.head_inputs(x)
        base = self.styles[0](inputs[0])  # [N, 512]
        deltas = [torch.zeros_like(base)]
        deltas += [self.styles[index](inputs[index]) for index in range(1, self.n_styles)]
        w_plus = base[:, None, :] + torch.stack(deltas, dim=1)  # [N, L, 512]
        return self.check_output(w_plus, x.shape[0])


class RestyleEncoder(IrSe50Encoder):
    """ReStyle backbone encoder: [N, 6, 256, 256] (image ‖ reconstruction) → residual [N, n_styles, 512].

    With `progressive` (ReStyle-e4e) head 0 gives a base residual on every row
    and the other heads add deltas; otherwise (ReStyle-pSp) each head is a row.
    """

    def __init__(self, n_styles: int, progressive: bool) -> None:
        super().__init__(n_styles, input_nc=6)
        self.progressive = progressive
        self.styles = nn.ModuleList(MapToStyle(16) for _ in range(n_styles))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, c3 = self.backbone(x)  # [N, 512, 16, 16]
        rows = torch.stack([head(c3) for head in self.styles], dim=1)  # [N, L, 512]
        if self.progressive:
            rows = torch.cat([rows[:, :1], rows[:, :1] + rows[:, 1:]], dim=1)
        return self.check_output(rows, x.shape[0])


def build_encoder(family: str, n_styles: int) -> IrSe50Encoder:
    """Build the encoder of a checkpoint family (one of FAMILIES) with random weights."""
    if family == "e4e":
        return E4eEncoder(n_styles)
    if family == "psp":
        return PspEncoder(n_styles)
    if family in ("restyle_e4e", "restyle_psp"):
        return RestyleEncoder(n_styles, progressive=family == "restyle_e4e")
    raise ValueError(f"unknown encoder family {family!r}; expected one of {FAMILIES}")


def iterate(
    encoder: RestyleEncoder,
    images: torch.Tensor,                                 # [N, 3, 256, 256] in [-1, 1].
    decoder: Callable[[torch.Tensor], torch.Tensor],      # W+ [N, L, 512] → images [N, 3, 256, 256] in [-1, 1].
    latent_avg: torch.Tensor,                             # [L, 512]; also the starting code.
    steps: int = RESTYLE_STEPS,                           # Encoder passes, at least 1.
) -> torch.Tensor:
    """Run ReStyle's refinement: start from latent_avg, add the encoder's residual `steps` times.

    Each pass encodes the image next to the decoder's rendering of the current
    code. The decoder must resize its output to the encoder's input size
    (for a 1024 px generator, average-pool by 4).
    """
    assert images.ndim == 4, images.shape
    assert images.shape[1] == 3, images.shape
    assert latent_avg.shape == (encoder.n_styles, STYLE_DIM), latent_avg.shape
    batch = images.shape[0]
    w_plus = latent_avg.to(images)[None].expand(batch, -1, -1)  # [N, L, 512]
    reconstruction = decoder(w_plus)
    for step in range(steps):
        assert reconstruction.shape == images.shape, f"decoder returned {tuple(reconstruction.shape)}, expected {tuple(images.shape)}"
        w_plus = w_plus + encoder(torch.cat([images, reconstruction], dim=1))
        if step + 1 < steps:
            reconstruction = decoder(w_plus)
    return w_plus
