"""Opening the library database: pragmas, schema version, errors.

The schema version is packed into SQLite's `user_version` as
major << 16 | minor. A file with a newer major version is rejected before
anything is written; an older one is backed up and migrated.
"""

import logging
import sqlite3
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from large_desktop.core.cache.migrations import migrate, pack_version, unpack_version
from large_desktop.core.cache.schema import SCHEMA_VERSION, Base
from large_desktop.core.errors import DatabaseError
from large_desktop.core.file_lock import file_lock

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # journal_mode is stored in the file, so it is set once the schema
    # version has been accepted; these settings are per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def describe_sqlite_error(exc: BaseException, path: Path) -> str:
    """Turn a SQLite failure into a message that names the file and a remedy."""
    detail = str(getattr(exc, "orig", exc))
    lowered = detail.lower()
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return f"the disk holding the library database {path} is full; free some space, then try again"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the library database {path} is read-only; choose a writable location with --db"
    if "unable to open" in lowered:
        return f"cannot open the library database {path}; check the folder exists and is writable, or choose another with --db"
    if "locked" in lowered:
        return f"the library database {path} is locked by another program; close it and try again"
    if "not a database" in lowered or "malformed" in lowered:
        return f"{path} is not a valid library database (corrupt or another file); move it away or choose another --db"
    return f"library database {path} failed: {detail}"


def open_database(path: Path) -> sessionmaker[Session]:
    """Open (creating or migrating) a library database and return its session factory.

    Raises:
        DatabaseError: the location is not writable, the file is corrupt or
            was written by a newer major version.
    """
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create the folder for the library database {path}: {exc.strerror}; choose another --db") from exc

    # URL.create escapes the path, so "?" or "%20" in a folder name stay literal.
    url = URL.create("sqlite", database=str(path))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _set_pragmas)

    try:
        with file_lock(lock_path(path)):
            _prepare_schema(engine, path)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(describe_sqlite_error(exc, path)) from exc

    logger.info("opened library database %s", path)
    return sessionmaker(engine, expire_on_commit=False)


def _prepare_schema(engine: Engine, path: Path) -> None:
    with engine.connect() as connection:
        user_version = connection.execute(text("PRAGMA user_version")).scalar_one()
        has_tables = connection.execute(text("SELECT count(*) FROM sqlite_master WHERE type='table'")).scalar_one() > 0

    current = unpack_version(user_version)
    if current[0] > SCHEMA_VERSION[0]:
        raise DatabaseError(
            f"the library database {path} has schema {current[0]}.{current[1]}, newer than this program's "
            f"{SCHEMA_VERSION[0]}.{SCHEMA_VERSION[1]}; update large-desktop to open it"
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")

    if not has_tables:
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(text(f"PRAGMA user_version={pack_version(*SCHEMA_VERSION)}"))
        logger.info("created library database %s at schema %d.%d", path, *SCHEMA_VERSION)
        return

    if current < SCHEMA_VERSION:
        migrate(engine, path, current, SCHEMA_VERSION)


def database_error(exc: OperationalError, path: Path) -> DatabaseError:
    """Wrap an OperationalError raised during a write into a DatabaseError."""
    return DatabaseError(describe_sqlite_error(exc, path))
