"""Tests for a pack's named directions: import, list, lookup, removal and presets."""

import json
import pickle

import numpy as np
import pytest
import torch

from large_desktop.core import engine
from large_desktop.core.errors import CheckpointError, UserInputError
from large_desktop.core.packs.base import PackManifest
from large_desktop.core.packs.direction_store import (
    ORIGIN_IMPORTED,
    ORIGIN_PRESET,
    component_coordinates,
    directions_folder,
    find_direction,
    import_directions,
    list_directions,
    load_named_direction,
    remove_directions,
)
from large_desktop.core.packs.folders import DATA_DIR_ENV, packs_folder

from shared_data import E4E_DIRECTIONS
W_PLUS = (18, 512)


def make_manifest(latent_shape=W_PLUS, directions=(), pack_id="stylegan2-test") -> PackManifest:
    return PackManifest(
        id=pack_id, name="test pack", kind="gan", domain="face", version="1", license="test",
        latent_shape=latent_shape, input={}, alignment="ffhq_256", weights=(), directions=tuple(directions),
    )


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def e4e():
    if not (E4E_DIRECTIONS / "age.pt").is_file():
        pytest.skip(f"e4e directions not found at {E4E_DIRECTIONS}")
    return E4E_DIRECTIONS


def test_directions_folder_follows_env(data_dir):
    assert directions_folder("stylegan2-test") == data_dir / "packs" / "stylegan2-test" / "directions"


def test_directions_env_whitespace_trimmed(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.chdir(tmp_path)  # an untrimmed value is a relative path; keep what it creates in tmp_path
    monkeypatch.setenv(DATA_DIR_ENV, f"  {folder}\n")
    path = tmp_path / "d.npy"
    np.save(path, np.ones(512))

    import_directions(make_manifest(), "smile", path)

    assert (folder / "packs" / "stylegan2-test" / "directions" / "smile.npy").is_file()
    assert directions_folder("stylegan2-test") == packs_folder() / "stylegan2-test" / "directions"


def test_import_e4e_age(e4e, data_dir):
    manifest = make_manifest()

    (imported,) = import_directions(manifest, "age", e4e / "age.pt")

    folder = data_dir / "packs" / "stylegan2-test" / "directions"
    assert (folder / "age.npy").is_file()
    index = json.loads((folder / "index.json").read_text())["directions"]
    assert index["age"]["source"] == str((e4e / "age.pt").resolve())
    assert index["age"]["shape"] == [1, 512]
    assert index["age"]["kind"] == "w"
    assert imported.origin == ORIGIN_IMPORTED

    direction = load_named_direction(manifest, "age")
    assert direction.vector.shape == W_PLUS
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0)
    assert np.allclose(direction.vector, direction.vector[0])  # one W row on all 18 rows
    assert direction.estimator == "imported direction age"


def test_import_e4e_pose_and_smile(e4e):
    manifest = make_manifest()
    import_directions(manifest, "pose", e4e / "pose.pt")
    import_directions(manifest, "smile", e4e / "smile.pt")

    listed = {direction.name: direction for direction in list_directions(manifest)}

    assert listed["pose"].shape == (1, 18, 512)
    assert listed["pose"].kind == "w_plus"
    assert listed["smile"].shape == (1, 512)
    pose = load_named_direction(manifest, "pose").vector
    np.testing.assert_allclose(np.linalg.norm(pose, axis=1), 1 / np.sqrt(18), rtol=1e-5)


def test_import_ganspace_components(e4e, data_dir):
    manifest = make_manifest()

    imported = import_directions(manifest, "pca", e4e / "ffhq_pca.pt")

    assert [direction.name for direction in imported] == [f"pca-{i}" for i in range(80)]
    assert all(direction.group == "pca" for direction in imported)
    assert (data_dir / "packs" / "stylegan2-test" / "directions" / "means" / "pca.npy").is_file()
    listed = [direction.name for direction in list_directions(manifest)]
    assert listed[:3] == ["pca-0", "pca-1", "pca-2"]  # numeric order, not pca-10 after pca-1


def test_component_coordinates(e4e):
    manifest = make_manifest()
    import_directions(manifest, "pca", e4e / "ffhq_pca.pt")
    component = find_direction(manifest, "pca-3")
    mean, unit, std = component.raw.mean, component.raw.array, component.raw.std

    rng = np.random.default_rng(0)
    steps = rng.normal(size=50)
    noise = rng.normal(size=(50, 18, 512)) * 0.01
    latents = mean[None] + steps[:, None, None] * std * unit[None] + noise  # [50, 18, 512]

    coordinates = component_coordinates(latents, component)
    np.testing.assert_allclose(coordinates, steps, atol=0.05)

    direction = load_named_direction(manifest, "pca-3")
    scores = engine.combine_rows(engine.row_distances(latents, np.zeros(W_PLUS), direction.vector))
    assert np.array_equal(np.argsort(scores), np.argsort(coordinates))


def test_coordinates_need_ganspace(e4e):
    manifest = make_manifest()
    import_directions(manifest, "age", e4e / "age.pt")
    with pytest.raises(UserInputError, match="'age' is not a GANSpace component"):
        component_coordinates(np.zeros((2, 18, 512)), find_direction(manifest, "age"))


@pytest.mark.parametrize("name", ["age.pt", "pose.pt", "ffhq_pca.pt"])
def test_other_latent_shape_rejected(e4e, data_dir, name):
    manifest = make_manifest(latent_shape=(1, 128), pack_id="dlib-face-128")

    with pytest.raises(CheckpointError, match=rf"{name} has shape \(1, (18, )?512\), but this pack's latents have shape \(1, 128\)"):
        import_directions(manifest, "attribute", e4e / name)
    assert not (data_dir / "packs").exists()


def test_pickled_code_never_runs(tmp_path, data_dir):
    marker = tmp_path / "ran"

    class CreatesMarker:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    torch.save(CreatesMarker(), path)
    with open(tmp_path / "check.pkl", "wb") as handle:
        pickle.dump(CreatesMarker(), handle)
    pickle.loads((tmp_path / "check.pkl").read_bytes()).close()  # the payload is live
    marker.unlink()

    with pytest.raises(CheckpointError, match="rejected because loading it would run code"):
        import_directions(make_manifest(), "evil", path)
    assert not marker.exists()
    assert not (data_dir / "packs").exists()


def test_names_checked(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, np.ones(512))
    manifest = make_manifest()
    import_directions(manifest, "smile", path)

    with pytest.raises(UserInputError, match="already has a direction named 'smile'"):
        import_directions(manifest, "smile", path)
    for bad in ("../escape", "", "a/b", ".hidden"):
        with pytest.raises(UserInputError, match="is invalid"):
            import_directions(manifest, bad, path)


def test_remove_direction_and_group(e4e, data_dir):
    manifest = make_manifest()
    import_directions(manifest, "age", e4e / "age.pt")
    import_directions(manifest, "pca", e4e / "ffhq_pca.pt")
    folder = data_dir / "packs" / "stylegan2-test" / "directions"

    assert remove_directions(manifest, "age") == ["age"]
    assert not (folder / "age.npy").exists()
    removed = remove_directions(manifest, "pca")
    assert removed == [f"pca-{i}" for i in range(80)]
    assert not (folder / "means" / "pca.npy").exists()
    assert list_directions(manifest) == []
    with pytest.raises(UserInputError, match="no direction or group has that name"):
        remove_directions(manifest, "age")


def test_unknown_name_lists_known(e4e):
    manifest = make_manifest()
    import_directions(manifest, "age", e4e / "age.pt")
    with pytest.raises(UserInputError, match=r"no direction named 'smile' \(known directions: age\)"):
        load_named_direction(manifest, "smile")


def test_manifest_presets(e4e, tmp_path):
    presets = [
        {"name": "age", "file": str(e4e / "age.pt"), "kind": "w"},
        {"name": "pca", "file": str(e4e / "ffhq_pca.pt"), "kind": "pca"},
        {"name": "broken", "file": str(tmp_path / "absent.pt"), "kind": "w"},
    ]
    manifest = make_manifest(directions=presets)

    listed = list_directions(manifest)

    assert [direction.name for direction in listed[:3]] == ["age", "pca-0", "pca-1"]
    assert len(listed) == 81  # the missing preset file is left out
    assert all(direction.origin == ORIGIN_PRESET for direction in listed)
    assert load_named_direction(manifest, "pca-5").estimator == "preset direction pca-5"
    with pytest.raises(UserInputError, match="it is a preset of the pack's manifest"):
        remove_directions(manifest, "age")
    with pytest.raises(UserInputError, match="already has a direction named 'age'"):
        import_directions(manifest, "age", e4e / "smile.pt")


def test_preset_kind_checked(e4e):
    manifest = make_manifest(directions=[{"name": "age", "file": str(e4e / "age.pt"), "kind": "w_plus"}])
    assert list_directions(manifest) == []


def test_packs_kept_apart(e4e):
    first = make_manifest(pack_id="first")
    second = make_manifest(pack_id="second")
    import_directions(first, "age", e4e / "age.pt")

    assert [direction.name for direction in list_directions(first)] == ["age"]
    assert list_directions(second) == []


def test_group_name_is_taken(e4e, tmp_path):
    manifest = make_manifest()
    import_directions(manifest, "pca", e4e / "ffhq_pca.pt")
    with pytest.raises(UserInputError, match="already has a direction named 'pca'"):
        import_directions(manifest, "pca", e4e / "age.pt")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.full(512, np.nan), "NaN or infinite"),
        (np.r_[np.inf, np.zeros(511)], "NaN or infinite"),
        (np.zeros(512), "all zeros"),
    ],
)
def test_unusable_direction_not_imported(tmp_path, data_dir, values, message):
    path = tmp_path / "bad.npy"
    np.save(path, values)

    with pytest.raises(CheckpointError, match=message):
        import_directions(make_manifest(), "bad", path)
    assert not (data_dir / "packs").exists()


@pytest.mark.parametrize("part", ["mean", "comp"])
def test_ganspace_with_nan_not_imported(tmp_path, data_dir, part):
    arrays = {"mean": np.zeros((1, 512)), "comp": np.eye(3, 512)[:, None, :], "std": np.ones(3)}
    arrays[part] = np.full_like(arrays[part], np.nan)
    path = tmp_path / "pca.npz"
    np.savez(path, **arrays)

    with pytest.raises(CheckpointError, match="NaN or infinite"):
        import_directions(make_manifest(), "pca", path)
    assert not (data_dir / "packs").exists()
