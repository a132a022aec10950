"""The installed packs: manifests in resources/packs and the classes that load them."""

import importlib
import json
import logging
from pathlib import Path

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.base import RESOURCES, Pack, PackManifest

logger = logging.getLogger(__name__)

MANIFEST_FOLDER = RESOURCES / "packs"

# The face pack with the best k = 2 Spearman ρ in bench/accuracy.py
# (resources/packs/measured.json contains the figures).
DEFAULT_PACK_ID = "dlib-face-128"
MEASURED_FILE = MANIFEST_FOLDER / "measured.json"

# A manifest's "loader" names the Pack subclass that loads it.
LOADERS = {
    "dlib_face": "large_desktop.core.packs.dlib_face:DlibFacePack",
    "efficientnet": "large_desktop.core.packs.efficientnet:EfficientNetPack",
    "dcgan": "large_desktop.core.packs.dcgan.pack:DcganPack",
    "stylegan2": "large_desktop.core.packs.stylegan2.pack:StyleGan2Pack",
}


def measured_accuracy(path: Path = MEASURED_FILE) -> dict[str, dict]:
    """Return the figures bench/accuracy.py recorded per pack id, or {} when there are none."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as exc:
        logger.warning("cannot read measured pack accuracy %s: %s", path, exc)
        return {}


def available_packs(folder: Path = MANIFEST_FOLDER) -> dict[str, PackManifest]:
    """Read every valid pack manifest in the folder, keyed by pack id.

    An invalid manifest is logged and left out, so one broken pack does not
    disable the others.
    """
    manifests = {}
    for path in sorted(folder.glob("*.json")):
        if path == folder / MEASURED_FILE.name:
            continue
        try:
            manifest = PackManifest.from_file(path)
        except CheckpointError as exc:
            logger.warning("skipping pack manifest: %s", exc.message)
            continue
        manifests[manifest.id] = manifest
    return manifests


def load_pack(pack_id: str = DEFAULT_PACK_ID, weights_folder: Path | None = None) -> Pack:
    """Verify a pack's weights and load it.

    Raises:
        UserInputError: the pack id is unknown.
        CheckpointError: a weight file is missing, tampered or unsafe.
    """
    manifests = available_packs()
    if pack_id not in manifests:
        raise UserInputError(f"unknown pack {pack_id!r}; installed packs: {', '.join(sorted(manifests))}")
    manifest = manifests[pack_id]

    target = LOADERS.get(manifest.loader)
    if target is None:
        raise UserInputError(f"pack {pack_id!r} needs loader {manifest.loader!r}, which this version lacks; update large-desktop")
    module_name, class_name = target.split(":")
    pack_class = getattr(importlib.import_module(module_name), class_name)
    return pack_class(manifest, weights_folder)
