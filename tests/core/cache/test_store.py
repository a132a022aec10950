import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from large_desktop.core.cache.migrations import backup_path, pack_version
from large_desktop.core.cache.schema import SCHEMA_VERSION, Attribute, Label
from large_desktop.core.cache.store import describe_sqlite_error, open_database
from large_desktop.core.errors import DatabaseError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA user_version").fetchone()[0]


def test_new_database_pragmas(tmp_path):
    sessions = open_database(tmp_path / "lib.sqlite")

    with sessions() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
        assert session.execute(text("PRAGMA busy_timeout")).scalar_one() > 0
        assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    assert user_version(tmp_path / "lib.sqlite") == pack_version(*SCHEMA_VERSION)


def test_migration_from_1_0_keeps_labels(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript((FIXTURES / "library-1.0.sql").read_text())

    sessions = open_database(path)

    assert user_version(path) == pack_version(*SCHEMA_VERSION)
    with sessions() as session:
        attribute = session.scalar(select(Attribute).where(Attribute.name == "age"))
        assert attribute.description is None
        assert sorted(label.kind for label in session.scalars(select(Label))) == ["high", "value"]
    backup = backup_path(path, (1, 0))
    assert backup.is_file()
    assert user_version(backup) == pack_version(1, 0)


def test_newer_major_rejected_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE future (x)")
        connection.execute(f"PRAGMA user_version={pack_version(SCHEMA_VERSION[0] + 1, 0)}")
    before = path.read_bytes()

    with pytest.raises(DatabaseError, match="newer than this program"):
        open_database(path)
    assert path.read_bytes() == before


def test_corrupt_file_named(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is a text file, not SQLite " * 100)

    with pytest.raises(DatabaseError, match="not a valid library database") as error:
        open_database(path)
    assert str(path) in error.value.message


def test_unwritable_location_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    path = blocker / "lib.sqlite"  # its parent is a file, so no folder can be created

    with pytest.raises(DatabaseError, match="choose another --db") as error:
        open_database(path)
    assert str(path) in error.value.message


def full_database_error(path: Path) -> sqlite3.OperationalError:
    """Fill a SQLite file capped at a few pages and return the error SQLite raises."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE blobs (data BLOB)")
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count={pages + 2}")
        try:
            for _ in range(100):
                connection.execute("INSERT INTO blobs VALUES (zeroblob(4096))")
        except sqlite3.OperationalError as exc:
            return exc
    raise AssertionError("SQLite never reported a full database")


def test_full_disk_message_neutral(tmp_path):
    message = describe_sqlite_error(full_database_error(tmp_path / "lib.sqlite"), tmp_path / "lib.sqlite")

    assert f"the disk holding the library database {tmp_path / 'lib.sqlite'} is full" in message
    assert message.endswith("free some space, then try again")
    assert "command" not in message
