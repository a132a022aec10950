"""Reading direction files without running code from them.

A file contains one direction (an InterFaceGAN-style boundary or an e4e
direction) or a set of GANSpace principal components. One direction may be a
`.npy` array, a `.pt` / `.pth` tensor or dict with one tensor, or a `.npz` or
`.safetensors` file with one array. GANSpace components are a dict of `mean`
(1, D), `comp` (K, 1, D) and `std` (K,), as in e4e's `ffhq_pca.pt`; the
GANSpace `.npz` keys `lat_mean`, `lat_comp` and `lat_stdev` work too.

`.npy` and `.npz` are read with ``allow_pickle=False``, `.pt` with
``torch.load(weights_only=True, map_location="cpu")``, so a file that needs
Python code to load is rejected before any code in it runs. Some published
`.pt` directions were saved on a CUDA device, hence `map_location`.
"""

import logging
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from large_desktop.core import engine
from large_desktop.core.errors import CheckpointError

logger = logging.getLogger(__name__)

# Values of `DirectionArray.kind`.
KIND_W = "w"  # one row, used on every latent row
KIND_W_PLUS = "w_plus"  # one row per latent row
KIND_PCA = "pca"  # a GANSpace principal component of W, with the mean and standard deviation
KINDS = (KIND_W, KIND_W_PLUS, KIND_PCA)

SUFFIXES = (".npy", ".npz", ".pt", ".pth", ".safetensors")
# Bytes a direction file may unpack to. e4e's GANSpace file of 80 components
# is 168 kB, so this leaves room while a small compressed archive cannot fill memory.
MAX_DIRECTION_BYTES = 64 << 20
GANSPACE_KEYS = (("mean", "comp", "std"), ("lat_mean", "lat_comp", "lat_stdev"))


@dataclass(frozen=True, eq=False)
class DirectionArray:
    """One direction as a file stores it, before it is fitted to a pack's latent shape.

    Attributes:
        index: None for a file with one direction, else the component number.
        array: (D,), (1, D), (L, D) or (1, L, D) float64, not normalised.
        kind: One of KINDS.
        mean: GANSpace mean of W, [1, D], for KIND_PCA only.
        std: GANSpace standard deviation along the component, for KIND_PCA only.
    """

    index: int | None
    array: np.ndarray
    kind: str
    mean: np.ndarray | None = None
    std: float | None = None


def read_direction_file(path: Path) -> list[DirectionArray]:
    """Read every direction in a file: one, or all GANSpace components.

    Raises:
        CheckpointError: the file is missing, unreadable, would run code, or
            does not contain one array or a GANSpace dict.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"direction file not found: {path}; check the path")

    _check_unpacked_size(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        content: Any = _load_numpy(path)
    elif suffix == ".npz":
        content = _load_numpy(path)
    elif suffix in (".pt", ".pth"):
        content = _load_torch(path)
    elif suffix == ".safetensors":
        content = _load_safetensors(path)
    else:
        raise CheckpointError(
            f"direction file {path} has an unsupported type {suffix!r}; use {', '.join(SUFFIXES)}"
        )

    if isinstance(content, dict):
        return _from_mapping(content, path)
    return [_single(content, path)]


def load_direction_file(path: Path, latent_shape: tuple[int, int]) -> engine.Direction:
    """Load a file with one direction as a unit Direction of shape latent_shape.

    Raises:
        CheckpointError: as `read_direction_file`, or the file contains several
            components, or a direction of another shape.
    """
    directions = read_direction_file(path)
    if len(directions) != 1:
        raise CheckpointError(
            f"direction file {path} contains {len(directions)} components; import them with "
            "`large-desktop directions import NAME FILE` and sort by NAME-0, NAME-1, ..."
        )
    return engine.direction_from_array(directions[0].array, latent_shape, f"file {Path(path).name}")


def kind_of(array: np.ndarray) -> str:
    """Return KIND_W for a single row, (D,) or (1, D), else KIND_W_PLUS."""
    return KIND_W if array.ndim == 1 or array.shape == (1, array.shape[-1]) else KIND_W_PLUS


# ---------------------------------------------------------------- file types


def _check_unpacked_size(path: Path) -> None:
    """Reject a file that is, or unpacks to, more than MAX_DIRECTION_BYTES, before any of it is read.

    `.npz` and `.pt` files are zip archives, whose members may be compressed;
    their central directory gives the unpacked sizes, and Python's zipfile
    (which numpy uses) stops reading a member at its declared size, so a file is rejected before anything is unpacked.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        total = path.stat().st_size  # not a zip archive; the loaders below report other problems
    if total > MAX_DIRECTION_BYTES:
        raise CheckpointError(
            f"direction file {path} contains {total} bytes once unpacked, more than the limit of {MAX_DIRECTION_BYTES}; "
            "a direction needs far less, so check that this is the right file"
        )



def _load_numpy(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """Read a `.npy` array or every array of a `.npz` archive. Object arrays are rejected because they unpickle."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        # np.load returns an NpzFile for a zip archive, whatever the suffix.
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except ValueError as error:
        # numpy raises ValueError both for object (pickled) arrays and for a broken header.
        raise CheckpointError(
            f"direction file {path} is not a plain numeric numpy array ({error}); save it with numpy.save"
        ) from error
    except (OSError, EOFError) as error:
        raise CheckpointError(f"failed to read direction file {path}: {error}; check that the file is complete") from error


def _load_torch(path: Path) -> Any:
    """Read a tensor or a dict of tensors with the weights-only unpickler."""
    import torch

    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols it reads fine; the error below is what the user needs.
            warnings.simplefilter("ignore")
            content = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # weights_only=True raises this before building any object it does not allow.
        raise CheckpointError(
            f"direction file {path} was rejected because loading it would run code; "
            "export the direction as a plain tensor"
        ) from error
    except (OSError, EOFError, RuntimeError) as error:
        raise CheckpointError(f"failed to read direction file {path}: {error}; check that the file is complete") from error
    except Exception as error:  # noqa: BLE001
        # torch.load on a file that is not a checkpoint at all (text, another
        # zip) fails with KeyError, TypeError and others depending on the bytes.
        raise CheckpointError(
            f"direction file {path} is not a PyTorch tensor file ({type(error).__name__}: {error}); "
            "export the direction with torch.save or numpy.save"
        ) from error

    if isinstance(content, dict):
        return {str(key): _tensor_to_numpy(value, path) for key, value in content.items() if isinstance(value, torch.Tensor)}
    if not isinstance(content, torch.Tensor):
        raise CheckpointError(f"direction file {path} contains a {type(content).__name__}; expected a tensor")
    return _tensor_to_numpy(content, path)


def _load_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path), device="cpu")
    except Exception as error:  # noqa: BLE001 (SafetensorError and others, by what the bytes hold)
        raise CheckpointError(f"direction file {path} is not a valid safetensors file ({error}); export it again") from error
    return {key: _tensor_to_numpy(value, path) for key, value in tensors.items()}


def _tensor_to_numpy(tensor: Any, path: Path) -> np.ndarray:
    import torch

    if tensor.is_complex() or tensor.dtype == torch.bool:
        raise CheckpointError(f"direction file {path} contains {tensor.dtype} values; expected real numbers")
    if tensor.layout != torch.strided:
        raise CheckpointError(f"direction file {path} contains a {tensor.layout} tensor; save a dense tensor")
    return tensor.detach().to(torch.float64).numpy()


# ------------------------------------------------------------------ contents


def _single(array: np.ndarray, path: Path) -> DirectionArray:
    if array.ndim not in (1, 2, 3):
        raise CheckpointError(
            f"direction file {path} contains an array of shape {array.shape}; expected (D,), (1, D), (L, D) or (1, L, D)"
        )
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise CheckpointError(f"direction file {path} contains {array.dtype} values; expected real numbers")
    return DirectionArray(index=None, array=array.astype(np.float64), kind=kind_of(array))


def _from_mapping(content: dict[str, np.ndarray], path: Path) -> list[DirectionArray]:
    """Read a GANSpace dict, or a dict with exactly one array."""
    for mean_key, comp_key, std_key in GANSPACE_KEYS:
        if {mean_key, comp_key, std_key} <= set(content):
            return _ganspace(content[mean_key], content[comp_key], content[std_key], path)
    if len(content) != 1:
        raise CheckpointError(
            f"direction file {path} contains {len(content)} arrays (keys {sorted(content)}); "
            "expected exactly one, or the GANSpace keys mean, comp and std"
        )
    return [_single(next(iter(content.values())), path)]


def _ganspace(mean: np.ndarray, components: np.ndarray, stds: np.ndarray, path: Path) -> list[DirectionArray]:
    """Split GANSpace arrays into one DirectionArray per component."""
    if components.ndim == 2:
        components = components[:, None, :]  # [K, 1, D]
    if components.ndim != 3 or components.shape[1] != 1:
        raise CheckpointError(f"direction file {path}: GANSpace components have shape {components.shape}; expected (K, 1, D)")
    count, _, width = components.shape
    if mean.size != width:
        raise CheckpointError(f"direction file {path}: GANSpace mean has shape {mean.shape}; expected (1, {width})")
    if stds.shape != (count,):
        raise CheckpointError(f"direction file {path}: GANSpace std has shape {stds.shape}; expected ({count},)")
    if not np.all(np.isfinite(mean)):
        raise CheckpointError(f"direction file {path}: GANSpace mean contains NaN or infinite values; export it again")
    if not (np.all(np.isfinite(stds)) and np.all(stds > 0)):
        raise CheckpointError(f"direction file {path}: GANSpace std contains zero, negative or non-finite values; export it again")

    mean = mean.astype(np.float64).reshape(1, width)
    logger.debug("read %d GANSpace components of width %d from %s", count, width, path)
    return [
        DirectionArray(index=i, array=components[i].astype(np.float64), kind=KIND_PCA, mean=mean, std=float(stds[i]))
        for i in range(count)
    ]
