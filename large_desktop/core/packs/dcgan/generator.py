"""The DCGAN generator (Radford, Metz, Chintala 2016) of `gan-face-generate` 1.1.1.

The layer order and the attribute name `main` match the wheel's
`weights.tar`, so its `netG_state_dict` loads with `strict=True`: keys
`main.0.weight` … `main.12.weight`, BatchNorm at `main.{1,4,7,10}`.
The weights were trained on DigiFace-1M (synthetic faces) under the MIT licence.
"""

import torch
from torch import nn

#----------------------------------------------------------------------------


class DcganGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int = 100,         # Latent z dimensionality; z ~ N(0, I).
        channels: int = 64,       # Feature maps of the last hidden layer (ngf); earlier layers have 2×, 4×, 8×.
        img_channels: int = 3,    # RGB.
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.img_resolution = 64
        self.img_channels = img_channels

        # Indices matter: they are the state-dict keys (ReLU layers hold no weights).
        self.main = nn.Sequential(
            nn.ConvTranspose2d(z_dim, channels * 8, 4, 1, 0, bias=False),          # 0: 1 → 4
            nn.BatchNorm2d(channels * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(channels * 8, channels * 4, 4, 2, 1, bias=False),   # 3: 4 → 8
            nn.BatchNorm2d(channels * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(channels * 4, channels * 2, 4, 2, 1, bias=False),   # 6: 8 → 16
            nn.BatchNorm2d(channels * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(channels * 2, channels, 4, 2, 1, bias=False),       # 9: 16 → 32
            nn.BatchNorm2d(channels),
            nn.ReLU(True),
            nn.ConvTranspose2d(channels, img_channels, 4, 2, 1, bias=False),       # 12: 32 → 64
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        assert z.ndim == 2, f"z {tuple(z.shape)}, expected [N, {self.z_dim}]"
        assert z.shape[1] == self.z_dim, f"z {tuple(z.shape)}, expected [N, {self.z_dim}]"

        x = z[:, :, None, None]  # [N, z_dim, 1, 1]
        img = self.main(x)  # [N, C, H, W] in [-1, 1]
        return img


#----------------------------------------------------------------------------


def generator_shapes(z_dim: int = 100) -> dict[str, tuple[int, ...]]:
    """Return the key → shape map a checkpoint of this generator must match."""
    return {key: tuple(value.shape) for key, value in DcganGenerator(z_dim).state_dict().items()}
