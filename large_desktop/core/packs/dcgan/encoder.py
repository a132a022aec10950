"""An encoder from 64×64 faces to the DCGAN generator's z.

It mirrors a DCGAN discriminator: four strided 4×4 convolutions halve the
resolution 64 → 4 while the width doubles, then a linear head predicts z.
BatchNorm runs on its running statistics at inference, so a batch of one
face encodes as it would in any batch (GroupNorm was 4× slower on the CPU).
Trained only on generator samples by `scripts/train_dcgan_encoder.py`.
"""

import torch
from torch import nn

#----------------------------------------------------------------------------


def down_block(in_channels: int, out_channels: int, norm: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class DcganEncoder(nn.Module):
    def __init__(
        self,
        z_dim: int = 100,         # Output z dimensionality, as the generator's.
        channels: int = 64,       # Feature maps of the first layer; each later layer has 2× more.
        img_channels: int = 3,    # RGB in [-1, 1]; padding outside the photo is filled with 0.
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.img_resolution = 64
        self.img_channels = img_channels

        self.features = nn.Sequential(
            *down_block(img_channels, channels, norm=False),   # 64 → 32
            *down_block(channels, channels * 2),               # 32 → 16
            *down_block(channels * 2, channels * 4),           # 16 → 8
            *down_block(channels * 4, channels * 8),           # 8 → 4
        )
        self.head = nn.Linear(channels * 8 * 4 * 4, z_dim)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        expected = (self.img_channels, self.img_resolution, self.img_resolution)
        assert img.ndim == 4, f"img {tuple(img.shape)}, expected [N, C, H, W]"
        assert tuple(img.shape[1:]) == expected, f"img {tuple(img.shape)}, expected [N, *{expected}]"

        x = self.features(img)  # [N, 8C, 4, 4]
        z = self.head(x.flatten(1))  # [N, z_dim]
        return z
