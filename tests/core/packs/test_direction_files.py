"""Tests for reading direction files safely: formats, shapes and pickled code."""

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from large_desktop.core.engine import SOURCE_FILE
from large_desktop.core.errors import CheckpointError
from large_desktop.core.packs.direction_files import (
    KIND_PCA,
    KIND_W,
    KIND_W_PLUS,
    MAX_DIRECTION_BYTES,
    load_direction_file,
    read_direction_file,
)

W_PLUS = (18, 512)


@pytest.mark.parametrize("shape", [(512,), (1, 512), (18, 512), (1, 18, 512)])
@pytest.mark.parametrize("suffix", [".npy", ".pt"])
def test_direction_file_shapes_accepted(tmp_path, shape, suffix):
    rng = np.random.default_rng(0)
    array = rng.standard_normal(shape).astype(np.float32)
    path = tmp_path / f"age{suffix}"
    if suffix == ".npy":
        np.save(path, array)
    else:
        torch.save(torch.from_numpy(array), path)

    direction = load_direction_file(path, W_PLUS)

    assert direction.vector.shape == W_PLUS
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0)
    assert direction.estimator == f"imported file age{suffix}"
    assert direction.source == SOURCE_FILE
    rows = array.reshape(-1, 512)
    expected = np.tile(rows, (18 // len(rows), 1))
    np.testing.assert_allclose(direction.vector, expected / np.linalg.norm(expected), rtol=1e-6)


def test_direction_file_broadcasts_w_row(tmp_path):
    path = tmp_path / "smile.npy"
    np.save(path, np.ones((1, 512), dtype=np.float32))

    direction = load_direction_file(path, W_PLUS)

    np.testing.assert_allclose(direction.vector, np.full(W_PLUS, 1.0 / np.sqrt(18 * 512)))


def test_direction_file_dict_with_one_tensor(tmp_path):
    path = tmp_path / "pose.pth"
    torch.save({"direction": torch.ones(18, 512), "name": "pose"}, path)
    assert load_direction_file(path, W_PLUS).vector.shape == W_PLUS


def test_direction_file_rejects_two_tensors(tmp_path):
    path = tmp_path / "two.pt"
    torch.save({"a": torch.ones(512), "b": torch.ones(512)}, path)
    with pytest.raises(CheckpointError, match=r"contains 2 arrays \(keys \['a', 'b'\]\)"):
        load_direction_file(path, W_PLUS)


def test_direction_file_rejects_shape(tmp_path):
    path = tmp_path / "odd.npy"
    np.save(path, np.ones((5, 7), dtype=np.float32))
    with pytest.raises(CheckpointError, match=r"file odd\.npy has shape \(5, 7\), but this pack's latents have shape \(18, 512\)"):
        load_direction_file(path, W_PLUS)


class _CreatesMarker:
    """Unpickling this object opens (creates) the marker file: a stand-in for arbitrary code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_code_payload_is_live(tmp_path):
    # Proves the payload used below would run under a plain unpickler.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_CreatesMarker(marker))).close()
    assert marker.exists()


def test_direction_file_rejects_pickled_code_pt(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save(_CreatesMarker(marker), path)

    with pytest.raises(CheckpointError, match="rejected because loading it would run code"):
        load_direction_file(path, W_PLUS)
    assert not marker.exists()


def test_direction_file_rejects_object_npy(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.npy"
    np.save(path, np.array([_CreatesMarker(marker)], dtype=object), allow_pickle=True)

    with pytest.raises(CheckpointError, match="not a plain numeric numpy array"):
        load_direction_file(path, W_PLUS)
    assert not marker.exists()


def test_direction_file_missing(tmp_path):
    with pytest.raises(CheckpointError, match="direction file not found"):
        load_direction_file(tmp_path / "absent.npy", W_PLUS)


def test_direction_file_corrupt(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a zip or a pickle")
    with pytest.raises(CheckpointError, match="broken.pt"):
        load_direction_file(path, W_PLUS)


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.zeros(512), "all zeros"), (np.full(512, np.nan), "NaN or infinite")],
)
def test_direction_file_rejects_values(tmp_path, values, message):
    path = tmp_path / "bad.npy"
    np.save(path, values)
    with pytest.raises(CheckpointError, match=message):
        load_direction_file(path, W_PLUS)


def test_direction_file_rejects_suffix(tmp_path):
    path = tmp_path / "age.txt"
    path.write_text("0.1 0.2")
    with pytest.raises(CheckpointError, match="unsupported type '.txt'"):
        load_direction_file(path, W_PLUS)


@pytest.mark.parametrize("scale", [1e300, 1e-200])
def test_direction_extreme_magnitude_normalised(tmp_path, scale):
    path = tmp_path / "extreme.npy"
    np.save(path, np.full((1, 8), scale))

    direction = load_direction_file(path, (2, 8))

    assert np.isclose(np.linalg.norm(direction.vector), 1.0)


def test_direction_text_as_pt_rejected(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("these are notes, not a tensor")

    with pytest.raises(CheckpointError, match="notes.pt"):
        load_direction_file(path, (1, 8))


def test_direction_sparse_and_bool_rejected(tmp_path):
    sparse = tmp_path / "sparse.pt"
    torch.save(torch.eye(8)[:1].to_sparse(), sparse)
    flags = tmp_path / "flags.pt"
    torch.save(torch.ones(1, 8, dtype=torch.bool), flags)

    with pytest.raises(CheckpointError, match="dense"):
        load_direction_file(sparse, (1, 8))
    with pytest.raises(CheckpointError, match="bool"):
        load_direction_file(flags, (1, 8))




def test_npz_and_safetensors_single_array(tmp_path):
    array = np.random.default_rng(1).standard_normal((1, 18, 512)).astype(np.float32)
    npz = tmp_path / "pose.npz"
    np.savez(npz, boundary=array)
    tensors = tmp_path / "pose.safetensors"
    save_file({"direction": array}, tensors)

    for path in (npz, tensors):
        (direction,) = read_direction_file(path)
        assert direction.kind == KIND_W_PLUS
        np.testing.assert_array_equal(direction.array, array)


def test_object_npz_rejected(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.npz"
    np.savez(path, boundary=np.array([_CreatesMarker(marker)], dtype=object))

    with pytest.raises(CheckpointError, match=r"evil\.npz is not a plain numeric numpy array"):
        read_direction_file(path)
    assert not marker.exists()


def test_corrupt_safetensors_rejected(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(CheckpointError, match=r"broken\.safetensors is not a valid safetensors file"):
        read_direction_file(path)


def test_ganspace_npz_keys(tmp_path):
    rng = np.random.default_rng(2)
    components = rng.standard_normal((5, 1, 8))
    path = tmp_path / "pca.npz"
    np.savez(path, lat_mean=np.zeros((1, 8)), lat_comp=components, lat_stdev=np.arange(1.0, 6.0))

    directions = read_direction_file(path)

    assert [direction.index for direction in directions] == [0, 1, 2, 3, 4]
    assert all(direction.kind == KIND_PCA for direction in directions)
    assert directions[3].std == 4.0
    np.testing.assert_array_equal(directions[3].array, components[3])


def test_ganspace_bad_std_rejected(tmp_path):
    path = tmp_path / "pca.pt"
    torch.save({"mean": torch.zeros(1, 8), "comp": torch.ones(3, 1, 8), "std": torch.tensor([1.0, 0.0, 2.0])}, path)
    with pytest.raises(CheckpointError, match="std contains zero, negative or non-finite values"):
        read_direction_file(path)


def test_components_need_import(tmp_path):
    path = tmp_path / "pca.pt"
    torch.save({"mean": torch.zeros(1, 8), "comp": torch.ones(3, 1, 8), "std": torch.ones(3)}, path)
    with pytest.raises(CheckpointError, match="contains 3 components; import them"):
        load_direction_file(path, (1, 8))


# ----------------------------------------------------------------------
# e4e's published StyleGAN2 FFHQ directions, read in place

from shared_data import E4E_DIRECTIONS


@pytest.fixture
def e4e():
    if not (E4E_DIRECTIONS / "age.pt").is_file():
        pytest.skip(f"e4e directions not found at {E4E_DIRECTIONS}")
    return E4E_DIRECTIONS


@pytest.mark.parametrize("name", ["age.pt", "smile.pt"])
def test_e4e_w_directions(e4e, name):
    (raw,) = read_direction_file(e4e / name)
    assert raw.array.shape == (1, 512)
    assert raw.kind == KIND_W
    assert np.linalg.norm(raw.array) == pytest.approx(1.0, abs=1e-5)

    direction = load_direction_file(e4e / name, W_PLUS)

    assert direction.vector.shape == W_PLUS
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0)
    for row in direction.vector:  # the W normal on every W+ row
        np.testing.assert_allclose(row * np.sqrt(18), raw.array[0], rtol=1e-5, atol=1e-7)


def test_e4e_pose_saved_on_cuda(e4e):
    (raw,) = read_direction_file(e4e / "pose.pt")
    assert raw.array.shape == (1, 18, 512)
    assert raw.kind == KIND_W_PLUS
    np.testing.assert_allclose(np.linalg.norm(raw.array[0], axis=1), 1.0, rtol=1e-5)

    direction = load_direction_file(e4e / "pose.pt", W_PLUS)

    np.testing.assert_allclose(direction.vector, raw.array[0] / np.sqrt(18), rtol=1e-5, atol=1e-7)


def test_e4e_ganspace_components(e4e):
    directions = read_direction_file(e4e / "ffhq_pca.pt")

    assert len(directions) == 80
    assert [direction.index for direction in directions] == list(range(80))
    assert {direction.array.shape for direction in directions} == {(1, 512)}
    assert directions[0].mean.shape == (1, 512)
    norms = [np.linalg.norm(direction.array) for direction in directions]
    np.testing.assert_allclose(norms, 1.0, rtol=1e-4)
    stds = [direction.std for direction in directions]
    assert all(std > 0 for std in stds)
    assert stds[0] >= stds[-1]  # components come in order of variance


@pytest.mark.parametrize("name", ["age.pt", "smile.pt", "pose.pt"])
def test_e4e_rejected_by_dlib_shape(e4e, name):
    shape = "(1, 18, 512)" if name == "pose.pt" else "(1, 512)"
    with pytest.raises(CheckpointError, match=rf"file {name} has shape {re.escape(shape)}, but this pack's latents have shape \(1, 128\)"):
        load_direction_file(e4e / name, (1, 128))


def test_compressed_huge_npz_rejected_unread(tmp_path):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, direction=np.zeros(MAX_DIRECTION_BYTES // 8 + 1))
    assert path.stat().st_size < MAX_DIRECTION_BYTES // 100  # the archive itself is small

    with pytest.raises(CheckpointError, match=r"bomb.npz contains \d+ bytes once unpacked, more than the limit"):
        read_direction_file(path)
