"""Model packs: everything needed to turn a photo or a face into a latent."""

from large_desktop.core.packs.base import Pack, PackManifest, WeightFile
from large_desktop.core.packs.registry import DEFAULT_PACK_ID, available_packs, load_pack

__all__ = ["DEFAULT_PACK_ID", "Pack", "PackManifest", "WeightFile", "available_packs", "load_pack"]
