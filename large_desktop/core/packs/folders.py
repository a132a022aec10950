"""Per-user folders: the user data folder, which contains the default library and the packs, and the packs folder."""

import os
from pathlib import Path

from platformdirs import user_data_dir

DATA_DIR_ENV = "LARGE_DESKTOP_DATA_DIR"


def user_data_folder() -> Path:
    """Return the root of the user's data: $LARGE_DESKTOP_DATA_DIR when set, else the platform's data folder."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(user_data_dir("large-desktop", appauthor=False))


def packs_folder() -> Path:
    """Return the folder holding one subfolder per installed pack (it may not exist yet)."""
    return user_data_folder() / "packs"
