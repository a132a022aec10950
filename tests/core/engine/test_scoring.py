"""Tests for the principal basis, scores, calibration, leave-one-out error and ranking."""

import numpy as np
import pytest

from large_desktop.core.engine import (
    Calibration,
    PrincipalBasis,
    average_ranks,
    combine_rows,
    direction_coords,
    direction_from_examples,
    fit_calibration,
    leave_one_out,
    rank,
    row_distances,
    score_coords,
    spearman,
)
from large_desktop.core.engine import basis as basis_module
from large_desktop.core.errors import UserInputError


def make_library(seed: int, num_items: int = 1000):
    """Synthetic W+-like latents [N, 3, 16]: a planted attribute along one axis plus 30 identity axes.

    Returns (latents float32, attribute [N]).
    """
    rng = np.random.default_rng(seed)
    axes = np.linalg.qr(rng.standard_normal((48, 31)))[0].T  # [31, 48] orthonormal
    attribute = rng.standard_normal(num_items)
    flat = 3.0 * attribute[:, None] * axes[0] + rng.standard_normal((num_items, 30)) @ axes[1:]
    flat += 0.05 * rng.standard_normal((num_items, 48))
    return flat.reshape(num_items, 3, 16).astype(np.float32), attribute


@pytest.fixture(scope="module")
def library():
    latents, attribute = make_library(seed=3)
    basis = PrincipalBasis.fit(latents, max_components=20)
    return latents, basis, basis.project(latents), attribute


# ----------------------------------------------------------------------
# PrincipalBasis


def test_projection_exact_at_full_rank():
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((200, 1, 128)).astype(np.float32)

    basis = PrincipalBasis.fit(latents)
    coords = basis.project(latents)

    assert basis.num_components == 128
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(128), atol=1e-12)
    np.testing.assert_allclose(basis.lift(coords), latents, atol=1e-5)
    centered = latents.reshape(200, 128) - basis.mean
    np.testing.assert_allclose(np.linalg.norm(coords, axis=1), np.linalg.norm(centered, axis=1), rtol=1e-5)
    assert basis.explained_ratio.sum() == pytest.approx(1.0)


def test_basis_from_chunks_equals_array():
    latents, _ = make_library(seed=4, num_items=500)

    from_array = PrincipalBasis.fit(latents, max_components=10, max_fit_items=100, seed=5)
    chunks = (latents[start:start + 37] for start in range(0, 500, 37))
    from_chunks = PrincipalBasis.fit(chunks, max_components=10, max_fit_items=100, seed=5)

    # The same 100 items are sampled; their order in the reservoir may differ, so sums differ by rounding.
    np.testing.assert_allclose(from_chunks.mean, from_array.mean, atol=1e-12)
    np.testing.assert_allclose(from_chunks.components, from_array.components, atol=1e-9)
    np.testing.assert_allclose(from_chunks.explained_variance, from_array.explained_variance, rtol=1e-10)
    assert from_chunks.total_variance == pytest.approx(from_array.total_variance, rel=1e-12)


def test_basis_from_chunks_exact_below_capacity():
    latents, _ = make_library(seed=4, num_items=300)

    from_array = PrincipalBasis.fit(latents, max_components=10)
    from_chunks = PrincipalBasis.fit((latents[start:start + 37] for start in range(0, 300, 37)), max_components=10)

    # Every item is kept in item order, so the sums are the same to the bit.
    np.testing.assert_array_equal(from_chunks.mean, from_array.mean)
    np.testing.assert_array_equal(from_chunks.components, from_array.components)


def test_basis_sample_differs_by_seed():
    latents, _ = make_library(seed=4, num_items=500)

    first = PrincipalBasis.fit(latents, max_components=10, max_fit_items=100, seed=5)
    second = PrincipalBasis.fit(latents, max_components=10, max_fit_items=100, seed=6)

    assert not np.allclose(first.mean, second.mean)


def test_basis_component_count():
    latents, _ = make_library(seed=4, num_items=30)

    assert PrincipalBasis.fit(latents).num_components == 29  # N - 1 (Gram route)
    assert PrincipalBasis.fit(latents, max_components=5).num_components == 5
    assert PrincipalBasis.fit(latents, max_fit_items=10).num_components == 9
    assert PrincipalBasis.fit(latents[:1]).num_components == 1


@pytest.mark.parametrize("num_items", [60, 40])
def test_basis_matches_svd(num_items):
    # 48 dimensions: 60 items take the covariance route, 40 items the Gram route.
    latents, _ = make_library(seed=6, num_items=num_items)
    flat = latents.reshape(num_items, -1).astype(np.float64)
    singular_values, reference = np.linalg.svd(flat - flat.mean(axis=0))[1:]

    basis = PrincipalBasis.fit(latents, max_components=5)

    np.testing.assert_allclose(np.abs(basis.components @ reference[:5].T), np.eye(5), atol=1e-6)
    np.testing.assert_allclose(basis.explained_variance, singular_values[:5] ** 2 / (num_items - 1), rtol=1e-6)


def test_basis_pads_duplicates():
    latents, _ = make_library(seed=6, num_items=3)
    duplicated = np.concatenate([latents, latents, latents])  # 9 items spanning 2 axes

    basis = PrincipalBasis.fit(duplicated)

    assert basis.num_components == 8
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(8), atol=1e-10)
    np.testing.assert_allclose(basis.explained_variance[2:], 0.0)


def test_basis_rejects_empty():
    with pytest.raises(UserInputError, match="no latents"):
        PrincipalBasis.fit(iter([]))


def test_project_in_blocks(library, monkeypatch):
    latents, basis, coords, _ = library
    monkeypatch.setattr(basis_module, "_PROJECT_BLOCK_ELEMENTS", 48 * 7)  # 7 items per block
    np.testing.assert_array_equal(basis.project(latents), coords)


# ----------------------------------------------------------------------
# Scores


def test_row_distances_by_hand():
    latents = np.array([[[1.0, 2.0], [3.0, 4.0]]])  # [1, 2, 2]
    center = np.array([[1.0, 0.0], [0.0, 1.0]])
    direction = np.array([[0.0, 1.0], [1.0, 0.0]])

    distances = row_distances(latents, center, direction)

    np.testing.assert_allclose(distances, [[2.0, 3.0]])
    np.testing.assert_allclose(combine_rows(distances), [5.0])
    np.testing.assert_allclose(combine_rows(distances, np.array([2.0, -1.0])), [1.0])


def test_full_path_matches_fast_path(library):
    latents, basis, coords, attribute = library
    direction = direction_from_examples(coords[:4], attribute[:4], basis)

    center = basis.mean.reshape(basis.latent_shape)
    full = combine_rows(row_distances(latents, center, direction.vector))
    fast = score_coords(coords, direction_coords(basis, direction))

    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, full, atol=1e-4)


# ----------------------------------------------------------------------
# Calibration and leave-one-out


def test_calibration_two_points_exact():
    calibration = fit_calibration(np.array([-1.5, 2.5]), np.array([20.0, 60.0]))

    assert calibration == Calibration(alpha=10.0, beta=35.0)
    np.testing.assert_allclose(calibration.predict(np.array([-1.5, 2.5])), [20.0, 60.0])


def test_calibration_least_squares():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal(500)
    values = 4.0 * scores - 2.0 + 0.1 * rng.standard_normal(500)

    calibration = fit_calibration(scores, values)

    assert calibration.alpha == pytest.approx(4.0, abs=0.02)
    assert calibration.beta == pytest.approx(-2.0, abs=0.02)


def test_calibration_rejects_one_value():
    with pytest.raises(UserInputError, match="2 distinct label values"):
        fit_calibration(np.array([1.0, 2.0]), np.array([5.0, 5.0]))


def test_calibration_rejects_one_score():
    with pytest.raises(UserInputError, match="all score 0.5"):
        fit_calibration(np.array([0.5, 0.5]), np.array([1.0, 2.0]))


def test_leave_one_out_clean_attribute(library):
    _, basis, coords, attribute = library
    values = 10.0 * attribute[:12] + 40.0  # years, exactly linear in the planted axis

    error = leave_one_out(coords[:12], values, basis)

    # The 30 identity axes still leak into a 12-label fit: about 0.15 std over 30 random label sets.
    assert error < 0.3 * values.std()


def test_leave_one_out_noise(library):
    _, basis, coords, _ = library
    values = np.random.default_rng(1).normal(40.0, 10.0, size=12)  # unrelated to the latents

    error = leave_one_out(coords[:12], values, basis)

    assert error > 0.5 * values.std()


def test_leave_one_out_rejects_two_labels(library):
    _, basis, coords, attribute = library
    with pytest.raises(UserInputError, match="at least 3 labeled items, got 2"):
        leave_one_out(coords[:2], attribute[:2], basis)


def test_leave_one_out_rejects_single_value_fold(library):
    _, basis, coords, _ = library
    with pytest.raises(UserInputError, match="leaving out item 3 leaves a single value"):
        leave_one_out(coords[:3], np.array([0.0, 0.0, 1.0]), basis)


# ----------------------------------------------------------------------
# Ranking and Spearman


def test_rank_highest_first():
    scores = np.array([0.2, 0.9, 0.2, -1.0])
    np.testing.assert_array_equal(rank(scores), [1, 0, 2, 3])


def test_rank_reverse():
    scores = np.array([0.2, 0.9, 0.2, -1.0])
    np.testing.assert_array_equal(rank(scores, reverse=True), [3, 0, 2, 1])


@pytest.mark.parametrize("reverse", [False, True])
def test_rank_nan_last(reverse):
    scores = np.array([np.nan, 1.0, np.nan, 3.0, 2.0], dtype=np.float32)
    order = rank(scores, reverse=reverse)
    assert set(order[-2:]) == {0, 2}
    assert list(order[:3]) == ([1, 4, 3] if reverse else [3, 4, 1])


def test_average_ranks_ties():
    np.testing.assert_array_equal(average_ranks(np.array([3.0, 1.0, 3.0, 2.0])), [2.5, 0.0, 2.5, 1.0])


def test_spearman_values():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])

    assert spearman(a, a**3) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    # Centered ranks [-2, -1, 0, 1, 2] and [-2, 0.5, 0.5, -1, 2]: r = 6.5 / sqrt(10 * 9.5).
    assert spearman(a, np.array([1.0, 3.0, 3.0, 2.0, 5.0])) == pytest.approx(6.5 / np.sqrt(95.0))
    assert np.isnan(spearman(a, np.ones(5)))
