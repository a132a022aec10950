"""Schema migrations, one function per minor step, run after a backup.

Each step takes the database from one version to the next inside one
transaction. The backup is a consistent copy made with SQLite's online backup
API next to the database file, named after the version it holds.
"""

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, text

logger = logging.getLogger(__name__)


def pack_version(major: int, minor: int) -> int:
    """Pack a schema version into SQLite's user_version as major << 16 | minor."""
    return (major << 16) | minor


def unpack_version(user_version: int) -> tuple[int, int]:
    return user_version >> 16, user_version & 0xFFFF


def _add_attribute_description(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE attributes ADD COLUMN description VARCHAR"))


# (from_version, to_version, step)
STEPS: list[tuple[tuple[int, int], tuple[int, int], Callable[[Connection], None]]] = [
    ((1, 0), (1, 1), _add_attribute_description),
]


def backup_path(path: Path, version: tuple[int, int]) -> Path:
    return path.with_name(f"{path.name}.backup-{version[0]}.{version[1]}")


def backup(path: Path, version: tuple[int, int]) -> Path:
    """Copy the database with SQLite's backup API before a migration."""
    target = backup_path(path, version)
    with sqlite3.connect(path) as source, sqlite3.connect(target) as destination:
        source.backup(destination)
    logger.info("backed up library database %s to %s", path, target)
    return target


def migrate(engine: Engine, path: Path, current: tuple[int, int], target: tuple[int, int]) -> None:
    """Apply every step from the current version up to the target version."""
    backup(path, current)
    version = current
    for start, end, step in STEPS:
        if start != version:
            continue
        with engine.begin() as connection:
            step(connection)
            connection.execute(text(f"PRAGMA user_version={pack_version(*end)}"))
        logger.info("migrated library database %s from %d.%d to %d.%d", path, *start, *end)
        version = end

    if version != target:
        raise RuntimeError(f"no migration path from schema {current} to {target}; last reached {version}")
