"""Named directions of a pack: presets from its manifest and directions the user imported.

Imported directions live in the user data folder, one `.npy` per direction
(the array as the source file stored it) plus an `index.json` with the
source file, shape and kind of each:

    <data folder>/packs/<pack id>/directions/<name>.npy
    <data folder>/packs/<pack id>/directions/index.json
    <data folder>/packs/<pack id>/directions/means/<group>.npy   (GANSpace means)

The data folder is `folders.user_data_folder()`: the folder named by the
environment variable LARGE_DESKTOP_DATA_DIR, else the platform's data folder.

A manifest lists presets as {"name", "file", "kind"}; a relative `file` is
resolved against the resources folder. A file of GANSpace components, imported
or preset under NAME, gives the directions NAME-0, NAME-1, ...
"""

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from large_desktop.core import engine
from large_desktop.core.errors import CheckpointError, LargeError, UserInputError
from large_desktop.core.packs.base import RESOURCES, PackManifest
from large_desktop.core.packs.direction_files import KIND_PCA, KINDS, DirectionArray, read_direction_file
from large_desktop.core.packs.folders import DATA_DIR_ENV, packs_folder

logger = logging.getLogger(__name__)

INDEX_FILE = "index.json"
INDEX_FORMAT = 1
# Names become file names, so they are limited to portable characters.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

ORIGIN_IMPORTED = "imported"
ORIGIN_PRESET = "preset"


@dataclass(frozen=True, eq=False)
class NamedDirection:
    """A direction a pack offers by name, with the raw array it was made from.

    Attributes:
        name: The name to sort by, e.g. "age" or "pca-3".
        origin: ORIGIN_IMPORTED or ORIGIN_PRESET.
        source: The file it was imported from, or the preset's file.
        group: The name given to a whole GANSpace file, else None.
        raw: The direction as stored, see `DirectionArray`.
    """

    name: str
    origin: str
    source: str
    group: str | None
    raw: DirectionArray

    @property
    def kind(self) -> str:
        return self.raw.kind

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.raw.array.shape)


def directions_folder(pack_id: str) -> Path:
    if not NAME_PATTERN.fullmatch(pack_id):
        raise UserInputError(f"pack id {pack_id!r} is invalid; use letters, digits, '.', '_' and '-'")
    return packs_folder() / pack_id / "directions"


# ------------------------------------------------------------------ queries


def list_directions(manifest: PackManifest) -> list[NamedDirection]:
    """Return the pack's presets, then its imported directions, each sorted by name.

    A preset whose file is missing or invalid is logged and left out, so one
    broken file does not hide the others.
    """
    presets = []
    for entry in manifest.directions:
        try:
            presets.extend(_read_preset(manifest, entry))
        except (LargeError, KeyError, TypeError) as error:
            logger.warning("skipping preset direction %s of pack %s: %s", entry, manifest.id, error)
    return sorted(presets, key=_name_order) + sorted(_read_imported(manifest.id), key=_name_order)


def find_direction(manifest: PackManifest, name: str) -> NamedDirection:
    """Return the preset or imported direction called `name`.

    Raises:
        UserInputError: no direction of the pack has that name.
    """
    known = list_directions(manifest)
    for direction in known:
        if direction.name == name:
            return direction
    hint = f"known directions: {_summarise([d.name for d in known])}" if known else "it has none yet"
    raise UserInputError(
        f"pack {manifest.id!r} has no direction named {name!r} ({hint}); "
        "import one with `large-desktop directions import NAME FILE`"
    )


def load_named_direction(manifest: PackManifest, name: str) -> engine.Direction:
    """Return the named direction as a unit Direction of the pack's latent shape.

    Raises:
        UserInputError: no direction of the pack has that name.
        CheckpointError: its array does not fit the pack's latent shape.
    """
    found = find_direction(manifest, name)
    direction = engine.direction_from_array(found.raw.array, manifest.latent_shape, f"{name!r} ({found.source})")
    return engine.Direction(direction.vector, f"{found.origin} direction {name}", engine.SOURCE_FILE)


def component_coordinates(latents: np.ndarray, direction: NamedDirection) -> np.ndarray:
    """Compute GANSpace coordinates (w − mean)·comp / std, averaged over the latent rows.

    The order they give equals the order of the engine's scores along the same
    component, because they differ only by a positive factor and an offset.

    Args:
        latents: [N, L, D] latents of the pack.
        direction: A KIND_PCA direction.

    Returns:
        [N] float64 coordinates in standard deviations.
    """
    assert latents.ndim == 3, latents.shape
    if direction.kind != KIND_PCA:
        raise UserInputError(f"direction {direction.name!r} is not a GANSpace component; it has no coordinate scale")
    raw = direction.raw
    component = raw.array.reshape(-1)  # [D]
    centered = latents.astype(np.float64) - raw.mean.reshape(1, 1, -1)  # [N, L, D]
    return (centered @ component).mean(axis=1) / raw.std


# ----------------------------------------------------------------- changes


def import_directions(manifest: PackManifest, name: str, path: Path) -> list[NamedDirection]:
    """Import the direction(s) of a file under `name` for a pack.

    A GANSpace file gives `name`-0, `name`-1, ... Every direction is checked
    against the pack's latent shape, and for NaN, infinite and all-zero
    values, before anything is written, so a stored direction always sorts.

    Raises:
        UserInputError: the name is invalid or taken.
        CheckpointError: the file is unreadable, unsafe or of another shape.
    """
    _check_name(name)
    path = Path(path).expanduser().resolve()
    raws = read_direction_file(path)
    for raw in raws:
        engine.direction_from_array(raw.array, manifest.latent_shape, f"file {path}")

    group = name if raws[0].kind == KIND_PCA else None
    names = [name if raw.index is None else f"{name}-{raw.index}" for raw in raws]
    # Group names count as taken, because `remove NAME` removes a whole group.
    existing = list_directions(manifest)
    taken = {direction.name for direction in existing} | {direction.group for direction in existing if direction.group}
    clashes = sorted(taken.intersection(names + ([group] if group else [])))
    if clashes:
        raise UserInputError(
            f"pack {manifest.id!r} already has a direction named {clashes[0]!r}; "
            f"choose another name or remove it with `large-desktop directions remove {clashes[0]}`"
        )

    folder = directions_folder(manifest.id)
    index = _read_index(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if group is not None:
            (folder / "means").mkdir(exist_ok=True)
            np.save(folder / "means" / f"{group}.npy", raws[0].mean)
        for direction_name, raw in zip(names, raws):
            np.save(folder / f"{direction_name}.npy", raw.array)
            index[direction_name] = {
                "file": f"{direction_name}.npy",
                "source": str(path),
                "shape": list(raw.array.shape),
                "kind": raw.kind,
                "group": group,
                "std": raw.std,
            }
        _write_index(folder, index)
    except OSError as error:
        raise UserInputError(
            f"cannot write imported directions to {folder}: {error.strerror}; "
            f"check the folder's permissions or set {DATA_DIR_ENV} to another folder"
        ) from error

    logger.info("imported %d directions from %s for pack %s as %s", len(names), path, manifest.id, name)
    imported = {direction.name: direction for direction in _read_imported(manifest.id)}
    return [imported[direction_name] for direction_name in names]


def remove_directions(manifest: PackManifest, name: str) -> list[str]:
    """Remove an imported direction, or every component of an imported GANSpace group; return the removed names.

    Raises:
        UserInputError: no imported direction or group has that name (presets cannot be removed).
    """
    folder = directions_folder(manifest.id)
    index = _read_index(folder)
    removed = [key for key, entry in index.items() if key == name or entry.get("group") == name]
    if not removed:
        preset = any(direction.name == name for direction in list_directions(manifest))
        reason = "it is a preset of the pack's manifest" if preset else "no direction or group has that name"
        raise UserInputError(
            f"cannot remove {name!r} from pack {manifest.id!r}: {reason}; "
            "see `large-desktop directions list` for imported directions"
        )

    groups = {index[key]["group"] for key in removed if index[key].get("group")}
    for key in removed:
        del index[key]
    try:
        _write_index(folder, index)
        for key in removed:
            (folder / f"{key}.npy").unlink(missing_ok=True)
        for group in groups - {entry.get("group") for entry in index.values()}:
            (folder / "means" / f"{group}.npy").unlink(missing_ok=True)
    except OSError as error:
        raise UserInputError(f"cannot remove directions from {folder}: {error.strerror}; check the folder's permissions") from error
    logger.info("removed directions %s of pack %s", removed, manifest.id)
    return sorted(removed, key=_name_key)


# ----------------------------------------------------------------- storage


def _check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise UserInputError(
            f"direction name {name!r} is invalid; use up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit"
        )


def _read_index(folder: Path) -> dict[str, dict]:
    path = folder / INDEX_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as error:
        raise CheckpointError(
            f"the index of imported directions {path} cannot be read ({error}); delete the folder {folder} and import them again"
        ) from error
    if not isinstance(raw, dict) or raw.get("format") != INDEX_FORMAT or not isinstance(raw.get("directions"), dict):
        raise CheckpointError(
            f"the index of imported directions {path} has an unknown format; delete the folder {folder} and import them again"
        )
    return raw["directions"]


def _write_index(folder: Path, index: dict[str, dict]) -> None:
    """Replace index.json atomically, so a crash leaves the old or the new index."""
    path = folder / INDEX_FILE
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps({"format": INDEX_FORMAT, "directions": index}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def _read_imported(pack_id: str) -> list[NamedDirection]:
    folder = directions_folder(pack_id)
    directions = []
    for name, entry in _read_index(folder).items():
        try:
            array = _load_stored(folder / entry["file"])
            mean = _load_stored(folder / "means" / f"{entry['group']}.npy") if entry.get("kind") == KIND_PCA else None
            if entry.get("kind") not in KINDS:
                raise CheckpointError(f"unknown kind {entry.get('kind')!r}")
        except (CheckpointError, KeyError, TypeError) as error:
            logger.warning("skipping imported direction %r of pack %s in %s: %s", name, pack_id, folder, error)
            continue
        raw = DirectionArray(index=None, array=array, kind=entry["kind"], mean=mean, std=entry.get("std"))
        directions.append(NamedDirection(name, ORIGIN_IMPORTED, entry.get("source", ""), entry.get("group"), raw))
    return directions


def _load_stored(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise CheckpointError(f"stored direction {path} cannot be read ({error}); remove it and import it again") from error


def _read_preset(manifest: PackManifest, entry: dict) -> list[NamedDirection]:
    name, kind = str(entry["name"]), str(entry["kind"])
    _check_name(name)
    path = Path(entry["file"])
    if not path.is_absolute():
        path = RESOURCES / path
    raws = read_direction_file(path)
    if any(raw.kind != kind for raw in raws):
        raise CheckpointError(f"preset {name!r} is declared as kind {kind!r}, but {path} contains {raws[0].kind!r} directions")
    group = name if kind == KIND_PCA else None
    return [
        NamedDirection(name if raw.index is None else f"{name}-{raw.index}", ORIGIN_PRESET, str(path), group, raw)
        for raw in raws
    ]


def _name_key(name: str) -> tuple:
    """Sort key that puts pca-2 before pca-10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _name_order(direction: NamedDirection) -> tuple:
    return _name_key(direction.name)


def _summarise(names: list[str], limit: int = 12) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
