"""The catalogue of downloadable packs: StyleGAN2 encoder checkpoints and where to get them.

The catalogue lists what can be installed; `manager` installs it and the
registry lists what is installed. Entries are data only: nothing here
touches the network.
"""

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from large_desktop.core.errors import LargeError, UserInputError
from large_desktop.core.packs.base import RESOURCES

logger = logging.getLogger(__name__)

CATALOGUE_FILE = RESOURCES / "packs" / "catalogue.json"
CATALOGUE_ENV = "LARGE_DESKTOP_CATALOGUE"  # path of another catalogue file, for tests and mirrors
FAMILIES = ("e4e", "psp", "restyle_e4e", "restyle_psp")

# Pack ids name folders in the packs folder, so they must not contain path separators or "..".
PACK_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

# Licence names recognised in a manifest's free-text licence, in display order.
KNOWN_LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "CC0", "CC BY-NC-SA 4.0", "CC BY-NC 4.0")


class CatalogueError(LargeError):
    """The catalogue file is missing, unreadable or has an invalid entry."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One downloadable checkpoint and what it installs as."""

    id: str
    name: str
    family: str  # one of FAMILIES; selects the preparer in manager.PREPARERS
    domain: str  # "face" (FFHQ-aligned crops) or "photo" (whole photo)
    dataset: str
    resolution: int  # generator output size in pixels
    n_styles: int  # W+ rows: 2·log2(resolution) − 2
    latent_shape: tuple[int, int]  # (n_styles, 512)
    file: str  # file name of the checkpoint inside the pack folder
    size: int  # bytes; exact only when size_exact
    size_exact: bool
    sha256: str | None  # published hash, None when the authors publish none
    license_short: str
    license_text: str
    url: str
    page: str
    project: str
    raw: dict[str, Any]  # the JSON object as read, handed to the preparer

    @property
    def known_size(self) -> int | None:
        """The size a download or import must have, or None when the catalogue gives an estimate."""
        return self.size if self.size_exact else None


def catalogue_path() -> Path:
    """Return the catalogue file: $LARGE_DESKTOP_CATALOGUE when set, else the shipped one."""
    override = os.environ.get(CATALOGUE_ENV, "").strip()
    return Path(override).expanduser() if override else CATALOGUE_FILE


def load_catalogue(path: Path | None = None) -> dict[str, CatalogueEntry]:
    """Read and validate the catalogue, keyed by pack id.

    Raises:
        CatalogueError: the file cannot be read or an entry is invalid; the
            message names the file and the entry.
    """
    path = catalogue_path() if path is None else path
    fix = f"reinstall large-desktop or fix {CATALOGUE_ENV}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"pack catalogue {path} cannot be read ({exc}); {fix}") from exc

    if not isinstance(raw, dict):
        raise CatalogueError(f"pack catalogue {path} must be a JSON object with a 'packs' list, not a {type(raw).__name__}; {fix}")
    items = raw.get("packs", [])
    if not isinstance(items, list):
        raise CatalogueError(f"pack catalogue {path}: the 'packs' field must be a list of pack entries, not a {type(items).__name__}; {fix}")

    entries = {}
    for index, item in enumerate(items):
        entry = parse_entry(item, path, index)
        if entry.id in entries:
            raise CatalogueError(f"pack catalogue {path}: pack id {entry.id!r} appears twice")
        entries[entry.id] = entry
    return entries


def parse_entry(item: Any, path: Path, index: int) -> CatalogueEntry:
    """Build one entry from its JSON object; errors name the file and the entry."""
    if not isinstance(item, dict):
        raise CatalogueError(f"pack catalogue {path}: entry #{index} must be a JSON object, not a {type(item).__name__}")
    label = item.get("id", f"#{index}")
    try:
        entry = CatalogueEntry(
            id=str(item["id"]),
            name=str(item["name"]),
            family=str(item["family"]),
            domain=str(item["domain"]),
            dataset=str(item["dataset"]),
            resolution=int(item["resolution"]),
            n_styles=int(item["n_styles"]),
            latent_shape=(int(item["latent_shape"][0]), int(item["latent_shape"][1])),
            file=str(item["file"]),
            size=int(item["size"]),
            size_exact=bool(item["size_exact"]),
            sha256=None if item["sha256"] is None else str(item["sha256"]).lower(),
            license_short=str(item["license"]["short"]),
            license_text=str(item["license"]["text"]),
            url=str(item["url"]),
            page=str(item.get("page", "")),
            project=str(item.get("project", "")),
            raw=dict(item),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise CatalogueError(f"pack catalogue {path}: entry {label} has a missing or malformed field {exc}") from exc

    problem = entry_problem(entry)
    if problem:
        raise CatalogueError(f"pack catalogue {path}: entry {label} is invalid: {problem}")
    return entry


def entry_problem(entry: CatalogueEntry) -> str | None:
    """Return what is wrong with an entry, or None when it is valid."""
    if not PACK_ID_PATTERN.fullmatch(entry.id):
        return f"id {entry.id!r} must be lower-case letters, digits, '-' and '_'"
    if entry.family not in FAMILIES:
        return f"family {entry.family!r} is not one of {FAMILIES}"
    if Path(entry.file).name != entry.file or entry.file in ("", ".", "..") or entry.file == "manifest.json":
        return f"file {entry.file!r} must be a plain file name"
    if entry.sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
        return f"sha256 {entry.sha256!r} is not 64 hex digits"
    if entry.size <= 0:
        return f"size {entry.size} must be positive"
    if not entry.url.startswith(("https://", "http://")):
        return f"url {entry.url!r} must be http or https"
    return None


def catalogue_entry(pack_id: str) -> CatalogueEntry:
    """Return the catalogue entry of a pack id.

    Raises:
        UserInputError: the id is not in the catalogue; the message lists the ids.
    """
    entries = load_catalogue()
    if pack_id not in entries:
        raise UserInputError(f"pack {pack_id!r} is not in the catalogue; downloadable packs: {', '.join(sorted(entries))}")
    return entries[pack_id]


def license_summary(text: str) -> str:
    """Shorten a manifest's free-text licence to the licence names it mentions, plus "NC" for non-commercial terms."""
    names = [name for name in KNOWN_LICENSES if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
    lowered = text.lower()
    if ("non-commercial" in lowered or "exclude commercial" in lowered) and not any("NC" in name for name in names):
        names.append("NC parts")
    return ", ".join(names) if names else "see manifest"
