"""Verify an e4e / pSp / ReStyle checkpoint and convert its encoder to safetensors.

The public checkpoints are `torch.save` dicts: `state_dict` (the pSp wrapper,
`encoder.*` then `decoder.*`), `opts` (the training options as a plain dict)
and, when trained with `start_from_latent_avg`, `latent_avg` [n_styles, 512].
They load with `weights_only=True`, so a file that would run code on
unpickling is rejected before any of it runs. `mmap=True` leaves the
decoder's bytes on disk when only the encoder is read.

A verified file is converted once into `encoder.safetensors` (the
`encoder.*` tensors plus `latent_avg`) next to a pack manifest, so a later
start neither unpickles nor reads the 1.2 GB original.
"""

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import torch

from large_desktop.core.errors import CheckpointError
from large_desktop.core.hashing import sha256_of
from large_desktop.core.packs.base import PackManifest, load_state_dict
from large_desktop.core.packs.stylegan2.encoders import FAMILIES, RESTYLE_STEPS, STYLE_DIM, build_encoder, n_styles_for

logger = logging.getLogger(__name__)

ENCODER_PREFIX = "encoder."
DECODER_PREFIX = "decoder."
LATENT_AVG_KEY = "latent_avg"
ENCODER_FILE = "encoder.safetensors"
MANIFEST_FILE = "manifest.json"
INPUT_SIZE = 256
SHOWN_KEYS = 3  # keys named per kind of mismatch in an error message

# opts["encoder_type"] → family. pSp, e4e and ReStyle each store their class name.
ENCODER_TYPES = {
    "Encoder4Editing": "e4e",
    "GradualStyleEncoder": "psp",
    "BackboneEncoder": "restyle_psp",
    "ProgressiveBackboneEncoder": "restyle_e4e",
}
INPUT_CHANNELS = {"e4e": 3, "psp": 3, "restyle_e4e": 6, "restyle_psp": 6}
DEFAULT_RESOLUTION = 1024  # pSp's inference script assumes it for files without output_size
RESTYLE_STEPS_KEY = "restyle_steps"  # in a catalogue entry and in the manifest's input: encoder passes per image


@dataclass(frozen=True)
class CheckpointInfo:
    """Summary of a verified checkpoint."""

    path: Path
    family: str  # one of encoders.FAMILIES
    n_styles: int  # W+ rows
    resolution: int  # generator output side in pixels
    has_decoder: bool  # state_dict also contains decoder.* (the generator)
    encoder_keys: int  # number of encoder.* entries
    start_from_latent_avg: bool  # the encoder's output is added to latent_avg


#----------------------------------------------------------------------------
# Reading.


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint dict without executing pickled code; tensors stay memory-mapped where possible.

    Raises:
        CheckpointError: the file is missing, corrupt, not a dict, or would run code.
    """
    checkpoint = load_state_dict(path, mmap=True)
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} has no 'state_dict' dict; it is not an e4e, pSp or ReStyle checkpoint")
    return checkpoint


def describe_opts(opts: Any, path: Path) -> tuple[str, int, int, bool]:
    """Read the family, resolution, n_styles and start_from_latent_avg from a checkpoint's opts.

    Raises:
        CheckpointError: opts are missing, or name an encoder or input this version does not support.
    """
    if not isinstance(opts, dict):
        raise CheckpointError(f"checkpoint {path} has no 'opts' dict, so its encoder type is unknown; it is not an e4e, pSp or ReStyle checkpoint")

    encoder_type = opts.get("encoder_type")
    family = ENCODER_TYPES.get(str(encoder_type))
    if family is None:
        raise CheckpointError(
            f"checkpoint {path} uses encoder_type {encoder_type!r}, which is not supported; "
            f"supported: {', '.join(ENCODER_TYPES)} (the IR-SE50 e4e, pSp and ReStyle encoders)"
        )

    resolution = opts.get("stylegan_size") or opts.get("output_size")
    if resolution is None:
        logger.warning("checkpoint %s names no generator size in opts, assuming %d px", path, DEFAULT_RESOLUTION)
        resolution = DEFAULT_RESOLUTION
    try:
        n_styles = n_styles_for(int(resolution))
    except ValueError as exc:
        raise CheckpointError(f"checkpoint {path}: opts give generator size {resolution!r}, which is invalid ({exc})") from exc
    stored_styles = opts.get("n_styles")
    if stored_styles is not None and int(stored_styles) != n_styles:
        raise CheckpointError(
            f"checkpoint {path}: opts give n_styles={stored_styles} but a {resolution} px generator has {n_styles} W+ rows; the file is inconsistent"
        )

    input_nc = int(opts.get("input_nc", 3))
    if input_nc != INPUT_CHANNELS[family]:
        raise CheckpointError(
            f"checkpoint {path}: the {family} encoder reads {input_nc} input channels, expected {INPUT_CHANNELS[family]}; "
            "encoders of sketches, segmentation maps or other inputs are not supported"
        )
    return family, int(resolution), n_styles, bool(opts.get("start_from_latent_avg", False))


@cache
def expected_layout(family: str, n_styles: int) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Return the `encoder.*` keys with shape and dtype that this project's encoder has, in state_dict order.

    The module is built on the meta device, so no weights are allocated.
    """
    with torch.device("meta"):
        encoder = build_encoder(family, n_styles)
    return {ENCODER_PREFIX + key: (tuple(value.shape), value.dtype) for key, value in encoder.state_dict().items()}


def _name_some(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOWN_KEYS])
    return shown + (f" and {len(keys) - SHOWN_KEYS} more" if len(keys) > SHOWN_KEYS else "")


def check_encoder_state(state: dict[str, Any], family: str, n_styles: int, path: Path) -> None:
    """Compare the checkpoint's `encoder.*` entries with the layout of this project's encoder.

    Raises:
        CheckpointError: listing missing, unexpected and mis-shaped keys by name (first few of each, with counts).
    """
    expected = expected_layout(family, n_styles)
    present = [key for key in state if key.startswith(ENCODER_PREFIX)]
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in present if key not in expected]
    mismatched = []
    for key, (shape, dtype) in expected.items():
        tensor = state.get(key)
        if tensor is None:
            continue
        if not isinstance(tensor, torch.Tensor):
            mismatched.append(f"{key} is a {type(tensor).__name__}, expected a tensor")
        elif tuple(tensor.shape) != shape:
            mismatched.append(f"{key} has shape {tuple(tensor.shape)}, expected {shape}")
        elif tensor.dtype.is_floating_point != dtype.is_floating_point:
            mismatched.append(f"{key} has dtype {tensor.dtype}, expected {dtype}")

    problems = []
    if missing:
        problems.append(f"{len(missing)} missing key(s): {_name_some(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s): {_name_some(unexpected)}")
    if mismatched:
        problems.append(f"{len(mismatched)} mismatched key(s): {_name_some(mismatched)}")
    if problems:
        raise CheckpointError(
            f"checkpoint {path} does not match the {family} encoder with {n_styles} styles: "
            + "; ".join(problems)
            + ". The file is damaged or from a different model; download it again"
        )


def effective_latent_avg(checkpoint: dict[str, Any], n_styles: int, start_from_latent_avg: bool, path: Path) -> torch.Tensor:
    """Return the code [n_styles, 512] that is added to the encoder's output (zeros without start_from_latent_avg).

    A [512] or [1, 512] latent_avg is broadcast to every row, which is what
    pSp's `latent_avg.repeat(N, 1, 1)` does with it.

    Raises:
        CheckpointError: latent_avg is needed but absent, or has another shape.
    """
    if not start_from_latent_avg:
        return torch.zeros(n_styles, STYLE_DIM)

    latent_avg = checkpoint.get(LATENT_AVG_KEY)
    if not isinstance(latent_avg, torch.Tensor):
        # TODO: e4e recomputes a missing latent_avg as the mean of 10^4 mapped z with the generator; this version rejects such files.
        raise CheckpointError(f"checkpoint {path} was trained with start_from_latent_avg but has no 'latent_avg' tensor; download the file again")
    if tuple(latent_avg.shape) in ((STYLE_DIM,), (1, STYLE_DIM)):
        latent_avg = latent_avg.reshape(1, STYLE_DIM).expand(n_styles, STYLE_DIM)
    if tuple(latent_avg.shape) != (n_styles, STYLE_DIM):
        raise CheckpointError(f"checkpoint {path}: 'latent_avg' has shape {tuple(latent_avg.shape)}, expected ({n_styles}, {STYLE_DIM})")
    return latent_avg.float().contiguous()


def verify_checkpoint(path: Path) -> tuple[dict[str, Any], CheckpointInfo]:
    """Read a checkpoint and verify its opts, encoder keys, shapes and latent_avg; return it with its summary.

    Raises:
        CheckpointError: naming the file and what is wrong.
    """
    checkpoint = read_checkpoint(path)
    family, resolution, n_styles, start_from_latent_avg = describe_opts(checkpoint.get("opts"), path)
    state = checkpoint["state_dict"]
    check_encoder_state(state, family, n_styles, path)
    effective_latent_avg(checkpoint, n_styles, start_from_latent_avg, path)

    info = CheckpointInfo(
        path=path,
        family=family,
        n_styles=n_styles,
        resolution=resolution,
        has_decoder=any(key.startswith(DECODER_PREFIX) for key in state),
        encoder_keys=sum(key.startswith(ENCODER_PREFIX) for key in state),
        start_from_latent_avg=start_from_latent_avg,
    )
    logger.info("checkpoint %s: %s encoder, %d styles, %d px generator", path, family, n_styles, resolution)
    return checkpoint, info


def inspect_checkpoint(path: Path) -> CheckpointInfo:
    """Verify a checkpoint without reading its weights (they stay memory-mapped) and summarise it.

    Raises:
        CheckpointError: naming the file and what is wrong.
    """
    return verify_checkpoint(path)[1]


def restyle_steps(value: Any, source: str) -> int:
    """Return a ReStyle step count as an int ≥ 1; `source` names where it was read, for the error.

    Raises:
        CheckpointError: the value is not a whole number of at least 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CheckpointError(f"{source}: {RESTYLE_STEPS_KEY} is {value!r}, expected a whole number of at least 1 (ReStyle uses {RESTYLE_STEPS})")
    return value


#----------------------------------------------------------------------------
# Conversion.


def _write_atomically(target: Path, write: Any) -> None:
    """Call `write(temp_path)` on a temporary file next to `target`, then rename it over `target`."""
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temp_path = Path(temp_name)
    try:
        write(temp_path)
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def encoder_tensors(checkpoint: dict[str, Any], info: CheckpointInfo) -> dict[str, torch.Tensor]:
    """Collect the verified encoder.* tensors (float32) and the effective latent_avg, each in its own contiguous storage."""
    state = checkpoint["state_dict"]
    tensors = {}
    seen_storages = set()
    for key, (_, dtype) in expected_layout(info.family, info.n_styles).items():
        tensor = state[key].to(dtype).contiguous()
        pointer = tensor.untyped_storage().data_ptr()
        if pointer in seen_storages:
            tensor = tensor.clone()  # safetensors cannot store two names for one buffer
        seen_storages.add(pointer)
        tensors[key] = tensor
    tensors[LATENT_AVG_KEY] = effective_latent_avg(checkpoint, info.n_styles, info.start_from_latent_avg, info.path).clone()
    return tensors


def write_encoder(checkpoint: dict[str, Any], info: CheckpointInfo, target: Path) -> None:
    """Write a verified checkpoint's encoder and latent_avg to `target` (safetensors), atomically."""
    from safetensors.torch import save_file

    tensors = encoder_tensors(checkpoint, info)
    metadata = {"family": info.family, "n_styles": str(info.n_styles), "resolution": str(info.resolution), "source": info.path.name}
    _write_atomically(target, lambda temp: save_file(tensors, str(temp), metadata=metadata))
    logger.info("converted the encoder of %s to %s", info.path, target)


def convert_encoder(checkpoint_path: Path, target: Path) -> CheckpointInfo:
    """Verify a checkpoint and write its encoder and latent_avg to `target` (safetensors), atomically."""
    checkpoint, info = verify_checkpoint(checkpoint_path)
    write_encoder(checkpoint, info, target)
    return info


def install_from_checkpoint(checkpoint: Path, pack_folder: Path, entry: dict[str, Any]) -> PackManifest:
    """Verify a checkpoint, convert its encoder into the pack folder and write the pack manifest.

    Args:
        checkpoint: the e4e / pSp / ReStyle `.pt` file.
        pack_folder: receives `encoder.safetensors` and `manifest.json`; created if absent.
        entry: the catalogue entry (id, name, family, domain, resolution, n_styles, license, directions;
            for ReStyle optionally restyle_steps, the encoder passes per image, default RESTYLE_STEPS).

    Raises:
        CheckpointError: the file is unsafe, damaged, or not the model the entry describes.
    """
    pack_folder.mkdir(parents=True, exist_ok=True)
    loaded, info = verify_checkpoint(checkpoint)
    pack_input: dict[str, Any] = {"size": INPUT_SIZE, "normalisation": "[-1, 1]", "family": info.family}
    if info.family.startswith("restyle"):
        pack_input[RESTYLE_STEPS_KEY] = restyle_steps(entry.get(RESTYLE_STEPS_KEY, RESTYLE_STEPS), f"catalogue entry {entry.get('id')!r}")
    for field, actual in (("family", info.family), ("n_styles", info.n_styles), ("resolution", info.resolution)):
        if field in entry and entry[field] != actual:
            raise CheckpointError(
                f"checkpoint {checkpoint} contains a {info.family} encoder with {info.n_styles} styles for a {info.resolution} px generator, "
                f"but catalogue entry {entry.get('id')!r} expects {field}={entry[field]!r}; pick the file that belongs to this entry"
            )

    encoder_path = pack_folder / ENCODER_FILE
    write_encoder(loaded, info, encoder_path)

    # TODO: non-face domains need their own alignment and input size (cars are resized to 192×256); every pack gets the FFHQ face crop.
    manifest = {
        "id": str(entry["id"]),
        "name": str(entry["name"]),
        "kind": "gan",
        "loader": "stylegan2",
        "domain": str(entry["domain"]),
        "version": str(entry.get("version", "1")),
        "license": str(entry["license"]),
        "latent_shape": [info.n_styles, STYLE_DIM],
        "input": pack_input,
        "alignment": "ffhq_256",
        "weights": [
            {"role": "encoder", "file": ENCODER_FILE, "package": None, "size": encoder_path.stat().st_size, "sha256": sha256_of(encoder_path)},
        ],
        "generator": {"checkpoint": checkpoint.name, "resolution": info.resolution},
        "directions": list(entry.get("directions", [])),
        "sources": [f"converted from {checkpoint.name}"],
    }
    manifest_path = pack_folder / MANIFEST_FILE
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    _write_atomically(manifest_path, lambda temp: temp.write_text(text, encoding="utf-8"))
    logger.info("installed pack %s in %s", manifest["id"], pack_folder)
    return PackManifest.from_file(manifest_path)
