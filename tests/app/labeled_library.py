"""Fixtures for the attribute panel tests: a small indexed library of dev faces with known ages.

Test modules import these fixtures by name (`from labeled_library import ...`).
"""

import csv
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from shared_data import DEV_FACES
NUM_FACES = 12


def dev_ages() -> dict[str, int]:
    with (DEV_FACES / "labels.csv").open() as handle:
        return {row["file"]: int(row["age"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def small_library_template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """Index 12 dev faces spread over ages 1 to 96 once per module; return the database and the ages."""
    if not (DEV_FACES / "labels.csv").is_file():
        pytest.skip(f"dev faces not found at {DEV_FACES}")
    from large_desktop.core.library import Library

    ages = dev_ages()
    by_age = sorted(ages, key=lambda name: (ages[name], name))
    chosen = [by_age[int(index)] for index in np.linspace(0, len(by_age) - 1, NUM_FACES)]
    root = tmp_path_factory.mktemp("small")
    folder = root / "photos"
    folder.mkdir()
    for name in chosen:
        shutil.copyfile(DEV_FACES / name, folder / name)

    db_path = root / "template.sqlite"
    library = Library(db_path)
    for _ in library.scan([folder]):
        pass
    for _ in library.index():
        pass
    return db_path, {name: ages[name] for name in chosen}


@pytest.fixture
def small_library(small_library_template, tmp_path):
    """A private copy of the small library's database (the photos are shared, read-only by convention)."""
    from large_desktop.core.library import Library

    template, _ = small_library_template
    copy = tmp_path / "library.sqlite"
    with sqlite3.connect(template) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return Library(copy)


@pytest.fixture
def known_ages(small_library_template) -> dict[str, int]:
    """File name to age of the small library's photos."""
    return small_library_template[1]


def photo_ids_by_name(library) -> dict[str, int]:
    return {Path(row.path).name: row.photo_id for row in library.sort(component=1).rows}
