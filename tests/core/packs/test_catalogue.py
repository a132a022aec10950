"""Reading the pack catalogue: the shipped file, and malformed files named with what is wrong."""

import json

import pytest

from large_desktop.core.packs.catalogue import CatalogueError, load_catalogue


def test_shipped_catalogue_loads():
    assert load_catalogue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"packs": {"e4e": {"id": "e4e"}}}, "the 'packs' field must be a list of pack entries, not a dict"),
        ({"packs": "e4e"}, "the 'packs' field must be a list of pack entries, not a str"),
        ([{"id": "e4e"}], "must be a JSON object with a 'packs' list, not a list"),
        ({"packs": ["e4e"]}, "entry #0 must be a JSON object, not a str"),
    ],
)
def test_malformed_catalogue_named(tmp_path, content, message):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(content), encoding="utf-8")

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)

    assert str(path) in caught.value.message
    assert message in caught.value.message
    assert "string indices" not in caught.value.message
