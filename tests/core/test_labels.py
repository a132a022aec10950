"""Label writes by photo id, their undo information, attribute rename and restore, score_all."""

import csv
from pathlib import Path

import numpy as np
import pytest

from large_desktop.core import engine
from large_desktop.core.errors import UserInputError
from large_desktop.core.labels import LabelValue


def ages(dev_faces: Path) -> dict[str, int]:
    with (dev_faces / "labels.csv").open() as handle:
        return {row["file"]: int(row["age"]) for row in csv.DictReader(handle)}


def photo_id_of(library, path: Path) -> int:
    rows = library.sort(component=1).rows
    return next(row.photo_id for row in rows if Path(row.path).name == path.name)


@pytest.fixture
def age_library(dev_library, dev_faces):
    dev_library.create_attribute("age")
    return dev_library


def test_set_label_returns_previous(age_library, dev_faces):
    photo_id = photo_id_of(age_library, dev_faces / "d0002.jpg")

    first = age_library.set_label("age", photo_id, "low")
    second = age_library.set_label("age", photo_id, "17")

    assert first.previous is None
    assert first.current == LabelValue("low")
    assert second.previous == LabelValue("low")
    assert second.current == LabelValue("value", 17.0)
    [row] = age_library.labels("age")
    assert (row.photo_id, row.kind, row.value) == (photo_id, "value", 17.0)
    assert Path(row.path).name == "d0002.jpg"


def test_remove_then_restore_label(age_library, dev_faces):
    photo_id = photo_id_of(age_library, dev_faces / "d0003.jpg")
    age_library.set_label("age", photo_id, "65.5")

    removed = age_library.remove_label("age", photo_id)
    assert removed.previous == LabelValue("value", 65.5)
    assert age_library.labels("age") == []

    age_library.restore_label("age", photo_id, removed.previous)
    assert [(row.kind, row.value) for row in age_library.labels("age")] == [("value", 65.5)]

    age_library.restore_label("age", photo_id, None)
    assert age_library.labels("age") == []


def test_remove_missing_label_is_noop(age_library, dev_faces):
    photo_id = photo_id_of(age_library, dev_faces / "d0003.jpg")

    change = age_library.remove_label("age", photo_id)

    assert change.previous is None
    assert change.current is None


def test_label_errors_name_value(age_library):
    with pytest.raises(UserInputError, match="'older'"):
        age_library.set_label("age", 1, "older")
    with pytest.raises(UserInputError, match="photo 999999 is not in the library"):
        age_library.set_label("age", 999_999, "low")
    with pytest.raises(UserInputError, match="no attribute named 'smile'"):
        age_library.set_label("smile", 1, "low")


def test_label_value_text_round_trips():
    assert LabelValue("value", 0.1 + 0.2).text == "0.3"
    assert float(LabelValue("value", 1 / 3).text) == pytest.approx(1 / 3, rel=1e-14)
    assert LabelValue("high").text == "high"


def test_rename_keeps_labels(age_library, dev_faces):
    photo_id = photo_id_of(age_library, dev_faces / "d0002.jpg")
    age_library.set_label("age", photo_id, "low")

    age_library.rename_attribute("age", "years")

    assert age_library.attributes() == [("years", 1)]
    assert [row.photo_id for row in age_library.labels("years")] == [photo_id]


def test_rename_to_taken_name_rejected(age_library):
    age_library.create_attribute("smile")

    with pytest.raises(UserInputError, match="'smile' already exists"):
        age_library.rename_attribute("age", "smile")
    with pytest.raises(UserInputError, match="non-empty"):
        age_library.rename_attribute("age", "  ")


def test_deleted_attribute_restored(age_library, dev_faces):
    young = photo_id_of(age_library, dev_faces / "d0002.jpg")
    old = photo_id_of(age_library, dev_faces / "d0003.jpg")
    age_library.set_label("age", young, "low")
    age_library.set_label("age", old, "65")

    snapshot = age_library.snapshot_attribute("age")
    age_library.delete_attribute("age")
    assert age_library.attributes() == []

    age_library.restore_attribute(snapshot)
    assert age_library.attributes() == [("age", 2)]
    assert {(row.photo_id, row.kind, row.value) for row in age_library.labels("age")} == {
        (young, "low", None),
        (old, "value", 65.0),
    }
    with pytest.raises(UserInputError, match="already exists"):
        age_library.restore_attribute(snapshot)


def test_label_file_outside_library(age_library, sample_photo):
    before = len(age_library.latent_index().photo_ids)

    change = age_library.label_file("age", sample_photo("grace_hopper"), "high")

    assert change.previous is None
    assert change.photo_id in age_library.latent_index()
    assert len(age_library.latent_index().photo_ids) == before + 1
    [row] = age_library.labels("age")
    assert row.path == str(sample_photo("grace_hopper"))


def test_index_image_without_face_rejected(age_library, sample_photo):
    with pytest.raises(UserInputError, match="no face found"):
        age_library.index_image(sample_photo("coffee"))


def test_score_all_matches_sort(age_library, dev_faces):
    truth = ages(dev_faces)
    for name in ("d0002.jpg", "d0003.jpg", "d0004.jpg"):
        age_library.set_label("age", photo_id_of(age_library, dev_faces / name), str(truth[name]))

    result = age_library.score_all("age")
    listing = age_library.sort("age")

    assert result.attribute == "age"
    assert result.num_labels == 3
    assert result.loo_error is not None
    assert result.photo_ids.dtype == np.int64
    assert np.all(np.diff(result.photo_ids) > 0)
    assert result.scores.dtype == np.float64
    assert result.scores.shape == result.photo_ids.shape == result.predicted.shape
    by_id = dict(zip(result.photo_ids.tolist(), result.scores.tolist(), strict=True))
    predicted_by_id = dict(zip(result.photo_ids.tolist(), result.predicted.tolist(), strict=True))
    ranked = [row for row in listing.rows if row.rank is not None]
    assert len(ranked) >= 195
    for row in ranked:
        assert by_id[row.photo_id] == pytest.approx(row.score, rel=1e-6, abs=1e-9)
        assert predicted_by_id[row.photo_id] == pytest.approx(row.value, rel=1e-6, abs=1e-9)
    assert result.estimator == listing.direction.estimator


def test_score_all_sorts_by_age(age_library, dev_faces):
    truth = ages(dev_faces)
    young, old = min(truth, key=truth.get), max(truth, key=truth.get)
    age_library.set_label("age", photo_id_of(age_library, dev_faces / young), "low")
    age_library.set_label("age", photo_id_of(age_library, dev_faces / old), "high")

    result = age_library.score_all("age")

    assert result.predicted is None
    paths = {row.photo_id: Path(row.path).name for row in age_library.sort(component=1).rows}
    known = [row for row, photo_id in enumerate(result.photo_ids.tolist()) if paths.get(photo_id) in truth]
    true_ages = np.array([truth[paths[int(result.photo_ids[row])]] for row in known], dtype=np.float64)
    assert engine.spearman(result.scores[known], true_ages) > 0.3


def test_score_all_needs_two_labels(age_library, dev_faces):
    age_library.set_label("age", photo_id_of(age_library, dev_faces / "d0002.jpg"), "low")

    with pytest.raises(UserInputError, match="1 usable labels"):
        age_library.score_all("age")


def test_label_value_magnitude_limited(age_library, dev_faces):
    photo_id = photo_id_of(age_library, dev_faces / "d0002.jpg")

    for text in ("1e16", "-1e308"):
        with pytest.raises(UserInputError, match=f"label value '{text}' is outside"):
            age_library.set_label("age", photo_id, text)
    assert age_library.labels("age") == []


def test_extreme_label_values_score(age_library, dev_faces):
    names = ("d0002.jpg", "d0003.jpg", "d0004.jpg")
    for name, text in zip(names, ("-1e15", "1e15", "high"), strict=True):
        age_library.set_label("age", photo_id_of(age_library, dev_faces / name), text)

    result = age_library.score_all("age")

    assert np.all(np.isfinite(result.scores))
    assert np.all(np.isfinite(result.predicted))


def test_attribute_names_reject_control_characters(age_library):
    for name in ("two\nlines", "tab\there", "nul\x00"):
        with pytest.raises(UserInputError, match="control character"):
            age_library.create_attribute(name)
        with pytest.raises(UserInputError, match="control character"):
            age_library.rename_attribute("age", name)
    assert age_library.attributes() == [("age", 0)]


def test_attribute_names_trimmed_everywhere(dev_library, dev_faces):
    photo_id = photo_id_of(dev_library, dev_faces / "d0002.jpg")

    assert dev_library.create_attribute(" age ") == "age"
    change = dev_library.set_label("\tage ", photo_id, "low")
    assert change.attribute == "age"
    assert [row.photo_id for row in dev_library.labels(" age")] == [photo_id]
    assert dev_library.rename_attribute(" age ", " years\n") == "years"
    assert dev_library.attributes() == [("years", 1)]
    assert dev_library.delete_attribute("years ") == 1
    assert dev_library.attributes() == []


def test_missing_attribute_named_trimmed(dev_library):
    with pytest.raises(UserInputError, match="no attribute named 'age';"):
        dev_library.labels("  age ")
