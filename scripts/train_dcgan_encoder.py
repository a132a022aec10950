"""Train the DCGAN pack's encoder on samples of its own generator, on the CPU.

Every step draws fresh z ~ N(0, I), renders faces, degrades them as real
aligned photos are degraded (alignment error, colour, blur, JPEG, padding
outside the photo) and trains the encoder to recover z. The loss is the
latent L2, the pixel L1 of G(E(x)) against the clean face over the pixels
inside the photo, an L1 on the features of a fixed random conv net, and a
prior keeping ||E(x)||² near z_dim. Training stops after --minutes, then the
script measures 512 held-out samples and writes the weights and a model card.

    .venv/bin/python scripts/train_dcgan_encoder.py --minutes 45
"""

import argparse
import io
import json
import logging
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from large_desktop.core.packs.base import RESOURCES, PackManifest, sha256_of, weight_path  # noqa: E402
from large_desktop.core.packs.dcgan.encoder import DcganEncoder  # noqa: E402
from large_desktop.core.packs.dcgan.inversion import DEFAULT_LR, invert  # noqa: E402
from large_desktop.core.packs.dcgan.pack import load_generator  # noqa: E402
from large_desktop.core.packs.registry import MANIFEST_FOLDER  # noqa: E402

logger = logging.getLogger("train_dcgan_encoder")

LOSS_WEIGHTS = {"latent": 1.0, "pixel": 1.0, "feature": 0.5, "prior": 0.1}
AUGMENTED_STEPS = (0, 50)  # optimisation steps measured on degraded held-out faces

#----------------------------------------------------------------------------


def feature_net(seed: int) -> nn.Module:
    """Build a fixed, randomly initialised conv net whose features compare faces beyond single pixels.

    It does not depend on the generator, so the encoder cannot satisfy it by
    exploiting the generator's own features.
    """
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1), nn.LeakyReLU(0.2),    # 64 → 32
        nn.Conv2d(32, 64, 3, 2, 1), nn.LeakyReLU(0.2),   # 32 → 16
    )
    return net.eval().requires_grad_(False)


def gaussian_blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each image [N, 3, H, W] with its own sigma [N] (pixels) by a 5×5 kernel."""
    offsets = torch.arange(-2, 3, dtype=images.dtype)  # [5]
    kernel_1d = torch.exp(-offsets[None, :] ** 2 / (2 * sigma[:, None] ** 2))  # [N, 5]
    kernel_1d = kernel_1d / kernel_1d.sum(1, keepdim=True)
    kernel = kernel_1d[:, :, None] * kernel_1d[:, None, :]  # [N, 5, 5]
    weight = kernel.repeat_interleave(3, 0)[:, None]  # [3N, 1, 5, 5]
    flat = images.reshape(1, -1, *images.shape[2:])  # [1, 3N, H, W]
    return F.conv2d(F.pad(flat, (2, 2, 2, 2), mode="replicate"), weight, groups=flat.shape[1]).reshape(images.shape)


def jpeg_round_trip(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Encode and decode one image [3, H, W] in [-1, 1] as JPEG at the given quality."""
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    decoded = np.asarray(Image.open(buffer).convert("RGB"))
    return torch.from_numpy(decoded.copy()).permute(2, 0, 1).float() / 127.5 - 1


def augment(clean: torch.Tensor, rng: torch.Generator, py_rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    """Degrade clean faces [N, 3, 64, 64] as real aligned photos are; return (images, masks [N, 1, 64, 64])."""
    n = clean.shape[0]

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(*(shape or (n,)), generator=rng)

    # Alignment error: rotation ±5°, scale ±7 %, shift ±3 px (landmark noise of a 64 px crop).
    angle = uniform(-5, 5) * math.pi / 180
    scale = uniform(0.93, 1.07)
    shift = uniform(-3, 3, n, 2) * 2 / 64  # in affine_grid's [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)  # [N, 2, 3]
    grid = F.affine_grid(theta, list(clean.shape), align_corners=False)
    images = F.grid_sample(clean, grid, mode="bilinear", padding_mode="border", align_corners=False)

    # Colour: brightness, contrast, saturation, per-channel gain (white balance).
    grey = images.mean(1, keepdim=True)  # [N, 1, H, W]
    images = grey + (images - grey) * uniform(0.6, 1.3)[:, None, None, None]
    mean = images.mean((1, 2, 3), keepdim=True)
    images = mean + (images - mean) * uniform(0.75, 1.25)[:, None, None, None]
    images = images * uniform(0.9, 1.1, n, 3)[:, :, None, None] + uniform(-0.15, 0.15)[:, None, None, None]

    # Blur on a third of the faces (a 64 px face is often downscaled from a soft photo).
    blurred = torch.rand(n, generator=rng) < 0.33
    if blurred.any():
        images[blurred] = gaussian_blur(images[blurred], uniform(0.4, 1.2, int(blurred.sum())))
    images = images + uniform(0, 0.03)[:, None, None, None] * torch.randn(images.shape, generator=rng)
    images = images.clamp(-1, 1)

    # JPEG on 40 % of the faces at quality 30–90.
    for index in range(n):
        if py_rng.random() < 0.4:
            images[index] = jpeg_round_trip(images[index], py_rng.randint(30, 90))

    # Padding: a face near a photo edge is aligned with parts of the crop outside the photo.
    masks = torch.ones(n, 1, 64, 64)
    for index in range(n):
        if py_rng.random() < 0.5:
            for side in range(4):
                if py_rng.random() < 0.35:
                    width = py_rng.randint(1, 20)
                    rows_or_columns = slice(0, width) if side % 2 == 0 else slice(64 - width, 64)
                    if side < 2:
                        masks[index, :, rows_or_columns, :] = 0
                    else:
                        masks[index, :, :, rows_or_columns] = 0
    images = torch.where(masks > 0, images, torch.zeros_like(images))  # padding reaches the encoder as 0
    return images, masks


#----------------------------------------------------------------------------


def masked_l1(a: torch.Tensor, b: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Return the mean absolute difference of a and b over the pixels inside the photo."""
    if masks.shape[-1] != a.shape[-1]:
        # Min pool to a feature map's resolution: a feature counts only if its whole cell is inside.
        masks = -F.adaptive_max_pool2d(-masks, a.shape[-1])
    return ((a - b).abs() * masks).sum() / (masks.sum() * a.shape[1]).clamp_min(1)


def load_models(args: argparse.Namespace) -> tuple[nn.Module, nn.Module]:
    manifest = PackManifest.from_file(MANIFEST_FOLDER / "dcgan-face-64.json")
    generator_file = next(w for w in manifest.weights if w.role == "generator")
    generator = load_generator(weight_path(generator_file), generator_file)
    torch.manual_seed(args.seed)
    return generator, DcganEncoder()


def train(args: argparse.Namespace, generator: nn.Module, encoder: nn.Module) -> dict:
    """Train the encoder in place for the time budget; return the training figures for the model card."""
    rng = torch.Generator().manual_seed(args.seed)
    py_rng = random.Random(args.seed)
    features = feature_net(args.seed + 1)
    parameter_count = sum(p.numel() for p in encoder.parameters())
    optimiser = torch.optim.Adam(encoder.parameters(), lr=args.lr, betas=(0.9, 0.99))
    logger.info("encoder: %d parameters; batch %d; budget %.1f min; %d threads", parameter_count, args.batch, args.minutes, torch.get_num_threads())

    encoder.train()
    budget_s = args.minutes * 60
    start = time.perf_counter()
    step = 0
    while (elapsed := time.perf_counter() - start) < budget_s:
        # Cosine decay over the time budget, so a slower machine still ends on a small learning rate.
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * elapsed / budget_s))
        for group in optimiser.param_groups:
            group["lr"] = lr

        z = torch.randn(args.batch, 100, generator=rng)  # [N, 100]
        with torch.no_grad():
            clean = generator(z)  # [N, 3, 64, 64]
        images, masks = augment(clean, rng, py_rng)

        z_hat = encoder(images)  # [N, 100]
        rendered = generator(z_hat)  # [N, 3, 64, 64]
        losses = {
            "latent": F.mse_loss(z_hat, z),
            "pixel": masked_l1(rendered, clean, masks),
            "feature": masked_l1(features(rendered), features(clean), masks),
            "prior": (z_hat.pow(2).mean(1) - 1).pow(2).mean(),
        }
        total = sum(LOSS_WEIGHTS[name] * value for name, value in losses.items())
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        optimiser.step()
        step += 1

        if step % args.log_every == 0 or step == 1:
            cosine = F.cosine_similarity(z_hat.detach(), z, dim=1).mean()
            logger.info(
                "step %d  %.0f s  lr %.2e  %s  z-cosine %.3f  %.1f samples/s",
                step, time.perf_counter() - start, lr,
                "  ".join(f"{name} {value.item():.4f}" for name, value in losses.items()),
                cosine.item(), step * args.batch / (time.perf_counter() - start),
            )

    wall_s = time.perf_counter() - start
    logger.info("training done: %d steps, %d samples, %.0f s", step, step * args.batch, wall_s)
    return {
        "steps": step, "batch": args.batch, "samples": step * args.batch, "wall_s": round(wall_s), "seed": args.seed,
        "lr": args.lr, "parameters": parameter_count, "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} {platform.processor() or 'CPU'}, {os.cpu_count()} cores, torch {torch.__version__}",
        "loss_weights": LOSS_WEIGHTS,
    }


#----------------------------------------------------------------------------


def measure(generator: nn.Module, encoder: nn.Module, images: torch.Tensor, masks: torch.Tensor, z: torch.Tensor,
            clean: torch.Tensor, steps: int) -> dict:
    """Invert held-out faces in batches of 64; return z cosine, pixel MAE against the clean faces and time per face."""
    start = time.perf_counter()
    z_hat = torch.cat([invert(generator, encoder, images[i : i + 64], masks[i : i + 64], steps) for i in range(0, len(z), 64)])
    seconds = time.perf_counter() - start
    with torch.no_grad():
        rendered = generator(z_hat)
    return {
        "steps": steps,
        "z_cosine": F.cosine_similarity(z_hat, z, dim=1).mean().item(),
        "pixel_mae_8bit": ((rendered - clean).abs().mean() * 127.5).item(),  # [-1, 1] → 0..255 levels
        "ms_per_face": 1000 * seconds / len(z),
    }


def evaluate(generator: nn.Module, encoder: nn.Module, hybrid_steps: list[int], count: int, seed: int) -> dict:
    """Measure fresh generator samples, clean and degraded, with the encoder alone and with optimisation steps."""
    encoder.eval()
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(count, 100, generator=rng)  # [count, 100]
    with torch.no_grad():
        clean = generator(z)
    degraded, degraded_masks = augment(clean, rng, random.Random(seed))

    metrics: dict[str, list[dict]] = {"clean": [], "degraded": []}
    for steps in [0, *hybrid_steps]:
        metrics["clean"].append(measure(generator, encoder, clean, torch.ones(count, 1, 64, 64), z, clean, steps))
        logger.info("held-out clean: %s", metrics["clean"][-1])
    for steps in AUGMENTED_STEPS:
        metrics["degraded"].append(measure(generator, encoder, degraded, degraded_masks, z, clean, steps))
        logger.info("held-out degraded: %s", metrics["degraded"][-1])
    return metrics


def write_model_card(path: Path, weights: Path, training: dict, metrics: dict, count: int) -> None:
    def table(rows: list[dict]) -> str:
        lines = ["| optimisation steps | z cosine | pixel MAE (0–255) | ms per face |", "|---:|---:|---:|---:|"]
        lines += [f"| {r['steps']} | {r['z_cosine']:.3f} | {r['pixel_mae_8bit']:.2f} | {r['ms_per_face']:.1f} |" for r in rows]
        return "\n".join(lines)

    card = CARD_TEMPLATE.format(
        size=weights.stat().st_size, sha256=sha256_of(weights), count=count, inversion_lr=DEFAULT_LR,
        clean=table(metrics["clean"]), degraded=table(metrics["degraded"]),
        weights_json=json.dumps(training["loss_weights"]), **training,
    )
    path.write_text(card, encoding="utf-8")
    logger.info("wrote %s", path)


CARD_TEMPLATE = """# dcgan-encoder.safetensors

Encoder from 64×64 face crops to the 100-d z of the DCGAN generator in
`gan-face-generate` 1.1.1, for the `dcgan-face-64` packs. Written by
`scripts/train_dcgan_encoder.py`; every figure below comes from that run.

- File: {size} bytes, SHA-256 `{sha256}`, float32 safetensors.
- Architecture: `DcganEncoder`, four 4×4 stride-2 convolutions 3→64→128→256→512
  (BatchNorm after all but the first, LeakyReLU 0.2), then a linear layer
  8192→100. {parameters} parameters.
- Input: RGB in [-1, 1], pixels outside the photo set to 0.

## Training

- Data: generator samples only, z ~ N(0, I), fresh every step; no photos.
- Degradations: rotation ±5°, scale ±7 %, shift ±3 px, saturation, contrast,
  gain and brightness jitter, Gaussian blur (σ 0.4–1.2 px on a third), noise,
  JPEG quality 30–90 (on 40 %), padding bands of 1–20 px (on half the faces).
- Loss weights: {weights_json}.
  Pixel and feature losses compare G(E(x)) with the clean face over the pixels
  inside the photo. The feature net is a fixed random two-layer conv net, not
  the generator.
- {steps} steps of batch {batch} ({samples} samples), Adam peak lr {lr} with
  cosine decay over the time budget, {wall_s} s wall time, seed {seed},
  {threads} torch threads on {machine}, shared with other work.
  The schedule follows wall time, so a rerun on another machine differs.

## Held-out metrics

{count} fresh generator samples (seed {seed} + 10000). "Optimisation steps"
are Adam steps on z after the encoder (lr {inversion_lr}, pixel L2 on the mask plus
the ||z||² prior), as `DcganPack(optimise_steps=...)` runs them. Times are
for batches of 64 on the training machine, whose 2 cores other work shared.

Clean samples:

{clean}

Degraded samples (the training degradations, metrics against the clean face):

{degraded}

On degraded input the optimisation also fits the degradations (colour shift,
blur, misalignment), so it does not bring the reconstruction closer to the
clean face. These are generator samples. Real photos lie partly outside the generator's
range, so their reconstructions are worse than these figures.

## Licences

- Generator weights: MIT, gan-face-generate 1.1.1 (Chien Liu), trained on
  DigiFace-1M, Microsoft's synthetic face images; check that data set's own
  terms before commercial use.
- Encoder weights: the project's licence (MIT); trained only on that
  generator's output.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=45, help="training time budget in minutes (default 45)")
    parser.add_argument("--out", type=Path, default=RESOURCES / "weights" / "dcgan-encoder.safetensors", help="safetensors file to write")
    parser.add_argument("--card", type=Path, default=None, help="model card to write (default: --out with .md)")
    parser.add_argument("--batch", type=int, default=64, help="generator samples per step (default 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate (default 1e-3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of torch, numpy and random (default 0)")
    parser.add_argument("--log-every", type=int, default=25, help="log losses every this many steps (default 25)")
    parser.add_argument("--hybrid-steps", type=lambda text: [int(s) for s in text.split(",")], default=[25, 50, 100],
                        help="comma-separated optimisation step counts to measure after training (default 25,50,100)")
    parser.add_argument("--eval-only", action="store_true", help="skip training: measure --out and rewrite the model card")
    parser.add_argument("--eval-count", type=int, default=512, help="held-out generator samples to measure (default 512)")
    args = parser.parse_args()
    args.card = args.card or args.out.with_suffix(".md")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    random.seed(args.seed)
    np.random.seed(args.seed)
    generator, encoder = load_models(args)

    if args.eval_only:
        encoder.load_state_dict(load_file(str(args.out)))
        with safe_open(str(args.out), framework="pt") as handle:
            training = json.loads(handle.metadata()["training"])
    else:
        training = train(args, generator, encoder)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        state = {key: value.detach().contiguous() for key, value in encoder.state_dict().items()}
        save_file(state, str(args.out), metadata={"format": "pt", "training": json.dumps(training)})
        logger.info("wrote %s: %d bytes, sha256 %s", args.out, args.out.stat().st_size, sha256_of(args.out))

    metrics = evaluate(generator, encoder, args.hybrid_steps, args.eval_count, seed=args.seed + 10_000)
    write_model_card(args.card, args.out, training, metrics, args.eval_count)


if __name__ == "__main__":
    main()
