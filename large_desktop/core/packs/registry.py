"""The installed packs: manifests shipped in resources/packs, packs installed in
the per-user packs folder, and the classes that load them."""

import importlib
import json
import logging
from pathlib import Path

from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.base import RESOURCES, Pack, PackManifest
from large_desktop.core.packs.folders import packs_folder

logger = logging.getLogger(__name__)

MANIFEST_FOLDER = RESOURCES / "packs"
MANIFEST_FILE = "manifest.json"  # name of the manifest inside an installed pack's folder

# The face pack with the best k = 2 Spearman ρ in bench/accuracy.py
# (resources/packs/measured.json contains the figures).
DEFAULT_PACK_ID = "dlib-face-128"
MEASURED_FILE = MANIFEST_FOLDER / "measured.json"
# JSON files in resources/packs that are not manifests.
NOT_MANIFESTS = (MEASURED_FILE.name, "catalogue.json")

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


def shipped_packs(folder: Path = MANIFEST_FOLDER) -> dict[str, PackManifest]:
    """Read every valid pack manifest shipped in the folder, keyed by pack id.

    An invalid manifest is logged and left out, so one broken pack does not
    disable the others.
    """
    manifests = {}
    for path in sorted(folder.glob("*.json")):
        if path.name in NOT_MANIFESTS:
            continue
        try:
            manifest = PackManifest.from_file(path)
        except CheckpointError as exc:
            logger.warning("skipping pack manifest: %s", exc.message)
            continue
        manifests[manifest.id] = manifest
    return manifests


def installed_pack_manifests(root: Path | None = None) -> dict[str, tuple[PackManifest, Path]]:
    """Read the manifest of every pack installed under `root` (default `packs_folder()`).

    Returns:
        pack id → (manifest, the pack's folder, which contains its weight files).
        A pack folder whose manifest is unreadable, or names another id than
        the folder, is logged and left out.
    """
    root = packs_folder() if root is None else root
    found = {}
    for path in sorted(root.glob(f"*/{MANIFEST_FILE}")):
        try:
            manifest = PackManifest.from_file(path)
        except CheckpointError as exc:
            logger.warning("skipping installed pack %s: %s", path.parent.name, exc.message)
            continue
        if manifest.id != path.parent.name:
            logger.warning("skipping installed pack %s: its manifest %s declares id %r", path.parent.name, path, manifest.id)
            continue
        found[manifest.id] = (manifest, path.parent)
    return found


def available_packs(folder: Path = MANIFEST_FOLDER) -> dict[str, PackManifest]:
    """Return the shipped packs and then the installed ones, keyed by pack id.

    A shipped pack wins over an installed pack of the same id.
    """
    manifests = shipped_packs(folder)
    for pack_id, (manifest, pack_folder) in installed_pack_manifests().items():
        if pack_id in manifests:
            logger.warning("installed pack %s in %s has the id of a shipped pack; using the shipped one", pack_id, pack_folder)
            continue
        manifests[pack_id] = manifest
    return manifests


def load_pack(pack_id: str = DEFAULT_PACK_ID, weights_folder: Path | None = None) -> Pack:
    """Verify a pack's weights and load it.

    An installed pack reads its weights from its own folder unless
    `weights_folder` is given.

    Raises:
        UserInputError: the pack id is unknown.
        CheckpointError: a weight file is missing, tampered or unsafe.
    """
    shipped = shipped_packs()
    installed = installed_pack_manifests()
    if pack_id in shipped:
        manifest = shipped[pack_id]
    elif pack_id in installed:
        manifest, pack_folder = installed[pack_id]
        weights_folder = pack_folder if weights_folder is None else weights_folder
    else:
        known = sorted(set(shipped) | set(installed))
        raise UserInputError(f"unknown pack {pack_id!r}; installed packs: {', '.join(known)}")

    target = LOADERS.get(manifest.loader)
    if target is None:
        raise UserInputError(f"pack {pack_id!r} needs loader {manifest.loader!r}, which this version lacks; update large-desktop")
    module_name, class_name = target.split(":")
    pack_class = getattr(importlib.import_module(module_name), class_name)
    return pack_class(manifest, weights_folder)
