"""The pack interface: manifest, checksummed weight files, safe loading.

A pack turns aligned crops into latents of shape (L, D). A GAN pack inverts a
face into a generator's latent space and may carry the generator. An
embedding pack maps a crop to a pretrained network's features and has no
generator. The indexer, the cache and the engine use only the manifest and
`encode`.
"""

import importlib.util
import json
import logging
import pickle
import sys
import sysconfig
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from large_desktop.core.errors import CheckpointError
from large_desktop.core.hashing import sha256_of

logger = logging.getLogger(__name__)

PACK_KINDS = ("gan", "embedding")

RESOURCES_DATA_FOLDER = ("share", "large-desktop", "resources")  # pyproject.toml [tool.setuptools.data-files]


def find_resources() -> Path:
    """Locate resources/ (pack manifests, shipped weights, icons, licences).

    In order: the folder a frozen bundle unpacks (PyInstaller's
    sys._MEIPASS), the repository root of a source checkout or editable
    install, and the data folder a wheel installs into
    (<prefix>/share/large-desktop/resources). Falls back to the checkout
    location, so an error message names a plausible path.
    """
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources"

    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "resources").is_dir():
        return checkout / "resources"

    for prefix in (sysconfig.get_path("data"), sys.prefix):
        installed = Path(prefix).joinpath(*RESOURCES_DATA_FOLDER)
        if installed.is_dir():
            return installed
    return checkout / "resources"


RESOURCES = find_resources()
SHIPPED_WEIGHTS = RESOURCES / "weights"


@dataclass(frozen=True)
class WeightFile:
    """One weight file of a pack with the size and SHA-256 it must have."""

    role: str
    file: str
    size: int
    sha256: str
    package: str | None = None  # Python package whose folder contains the file, if any


@dataclass(frozen=True)
class PackManifest:
    """Everything a pack declares about itself (the JSON file in resources/packs)."""

    id: str
    name: str
    kind: str  # "gan" or "embedding"
    domain: str  # "face" or "photo"
    version: str
    license: str
    latent_shape: tuple[int, int]  # (L, D)
    input: dict[str, Any]
    alignment: str
    weights: tuple[WeightFile, ...]
    loader: str = ""  # which Pack subclass loads it, see registry.LOADERS
    generator: dict[str, Any] | None = None
    directions: tuple[dict[str, Any], ...] = ()
    sources: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_file(cls, path: Path) -> "PackManifest":
        """Read and validate a manifest; errors name the file and the field."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckpointError(f"pack manifest {path} cannot be read ({exc}); reinstall the pack") from exc

        try:
            manifest = cls(
                id=str(raw["id"]),
                name=str(raw["name"]),
                kind=str(raw["kind"]),
                domain=str(raw["domain"]),
                version=str(raw["version"]),
                license=str(raw["license"]),
                latent_shape=(int(raw["latent_shape"][0]), int(raw["latent_shape"][1])),
                input=dict(raw["input"]),
                alignment=str(raw["alignment"]),
                weights=tuple(WeightFile(**entry) for entry in raw["weights"]),
                loader=str(raw["loader"]),
                generator=raw.get("generator"),
                directions=tuple(raw.get("directions", ())),
                sources=tuple(raw.get("sources", ())),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CheckpointError(f"pack manifest {path} is invalid: missing or malformed field {exc}") from exc

        if manifest.kind not in PACK_KINDS:
            raise CheckpointError(f"pack manifest {path}: kind {manifest.kind!r} is not one of {PACK_KINDS}")
        return manifest

    @property
    def has_generator(self) -> bool:
        return self.generator is not None


def weight_path(weight: WeightFile, folder: Path | None = None) -> Path:
    """Locate a weight file: in `folder` when given, else in its Python package's
    folder (found without importing the package), else among the shipped weights."""
    if folder is not None:
        return folder / weight.file
    if weight.package:
        spec = importlib.util.find_spec(weight.package)
        if spec is None or not spec.submodule_search_locations:
            raise CheckpointError(
                f"the Python package {weight.package!r} holding weight file {weight.file} is not installed; run `make setup`"
            )
        return Path(next(iter(spec.submodule_search_locations))) / weight.file
    return SHIPPED_WEIGHTS / weight.file


def verify_weight_file(path: Path, expected: WeightFile) -> None:
    """Check a weight file's presence, size and SHA-256 against the manifest.

    Raises:
        CheckpointError: naming the file and what differs.
    """
    if not path.is_file():
        raise CheckpointError(f"weight file {path} ({expected.role}) is missing; reinstall or re-download the pack")

    size = path.stat().st_size
    if size != expected.size:
        raise CheckpointError(
            f"weight file {path} has {size} bytes, the manifest expects {expected.size}; "
            "the file is truncated or wrong, reinstall or re-download the pack"
        )

    actual = sha256_of(path)
    if actual != expected.sha256:
        raise CheckpointError(
            f"weight file {path} has SHA-256 {actual}, the manifest expects {expected.sha256}; "
            "the file was modified or corrupted, reinstall or re-download the pack"
        )
    logger.debug("verified weight file %s (%s)", path, expected.role)


def load_state_dict(path: Path, mmap: bool = False) -> dict[str, Any]:
    """Load tensors from a checkpoint without executing pickled code.

    `.safetensors` files go through safetensors; anything else through
    `torch.load(weights_only=True)`, which rejects every pickle global that
    is not a tensor, a container or a primitive. With `mmap`, tensors of a
    torch zip file stay on disk until read (older non-zip files are read whole).

    Raises:
        CheckpointError: the file is missing, unreadable or would run code.
    """
    import torch
    from safetensors.torch import load_file

    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found; check the path")

    try:
        if path.suffix == ".safetensors":
            try:
                return dict(load_file(str(path), device="cpu"))
            except Exception as exc:  # noqa: BLE001 (SafetensorError and others, by what the bytes hold)
                raise CheckpointError(f"checkpoint {path} is not a valid safetensors file ({exc}); re-download it") from exc
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except RuntimeError as exc:
            # torch cannot memory-map files in its pre-1.6 (non-zip) format.
            if not mmap or "mmap" not in str(exc):
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"rejected {path}: it contains pickled objects other than tensors, which could run code; "
            "use a checkpoint from a trusted source or convert it to safetensors"
        ) from exc
    except (OSError, RuntimeError, ValueError, EOFError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file ({exc}); re-download it") from exc

    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} contains a {type(state).__name__}, expected a dict of tensors")
    return state


def check_state_dict(state: dict[str, Any], expected: dict[str, tuple[int, ...]], path: Path) -> None:
    """Compare a state dict's keys and shapes with the expected ones.

    Raises:
        CheckpointError: naming the first missing, unexpected or misshapen key.
    """
    for key, shape in expected.items():
        if key not in state:
            raise CheckpointError(f"checkpoint {path} lacks key {key!r}; it is not a checkpoint of this pack")
        actual = tuple(state[key].shape)
        if actual != tuple(shape):
            raise CheckpointError(f"checkpoint {path}: key {key!r} has shape {actual}, expected {tuple(shape)}")

    unexpected = sorted(set(state) - set(expected))
    if unexpected:
        raise CheckpointError(f"checkpoint {path} has unexpected key {unexpected[0]!r}; it is not a checkpoint of this pack")


class Pack(ABC):
    """A loaded pack: turns aligned crops into latents.

    Subclasses load their weights in `__init__` (after verifying them) and
    implement `_encode`. `encode` runs it under a lock, because the app's
    index worker and a file dropped on the window may encode with the same
    pack at once, and dlib's networks keep scratch state per object.
    """

    def __init__(self, manifest: PackManifest) -> None:
        self.manifest = manifest
        self._encode_lock = threading.Lock()

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def latent_shape(self) -> tuple[int, int]:
        return self.manifest.latent_shape

    @property
    def alignment(self) -> str:
        return self.manifest.alignment

    def encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """Encode aligned crops ([S, S, 3] uint8 each) into latents [N, L, D] float32, one caller at a time."""
        with self._encode_lock:
            return self._encode(crops)

    @abstractmethod
    def _encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """Encode aligned crops into latents; `encode` holds the pack's lock around it."""

    def check_latents(self, latents: np.ndarray, count: int) -> np.ndarray:
        """Assert the encoder's output shape at the pack boundary."""
        expected = (count, *self.latent_shape)
        assert latents.shape == expected, f"{self.id}: latents {latents.shape}, expected {expected}"
        return np.ascontiguousarray(latents, dtype=np.float32)
