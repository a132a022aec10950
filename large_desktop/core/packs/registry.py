"""The packs this installation knows: manifests in resources/packs and their loaders."""

import logging
from pathlib import Path

from large_desktop.core.errors import UserInputError
from large_desktop.core.packs.base import Pack, PackManifest

logger = logging.getLogger(__name__)

# TODO: a wheel built from this repository does not include resources/; only
# source checkouts and editable installs find the manifests.
RESOURCES = Path(__file__).resolve().parents[3] / "resources"
MANIFEST_FOLDER = RESOURCES / "packs"

DEFAULT_PACK_ID = "dlib-face-128"


def available_packs(folder: Path = MANIFEST_FOLDER) -> dict[str, PackManifest]:
    """Read every pack manifest in the folder, keyed by pack id."""
    manifests = {}
    for path in sorted(folder.glob("*.json")):
        manifest = PackManifest.from_file(path)
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

    if pack_id == "dlib-face-128":
        from large_desktop.core.packs.dlib_face import DlibFacePack

        return DlibFacePack(manifest, weights_folder)
    raise UserInputError(f"pack {pack_id!r} has a manifest but no loader in this version; update large-desktop")
