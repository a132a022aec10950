"""Tests for directions from examples, principal axes and direction files."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from large_desktop.core.engine import (
    SOURCE_EXAMPLES,
    SOURCE_FILE,
    SOURCE_PRINCIPAL,
    PrincipalBasis,
    broadcast_to_latent,
    direction_coords,
    direction_from_examples,
    principal_direction,
    score_coords,
    spearman,
)
from large_desktop.core.errors import CheckpointError, UserInputError

LATENT_SHAPE = (2, 32)


def make_library(seed: int, num_items: int = 2000, attribute_std: float = 3.0):
    """Synthetic latents: one planted linear attribute plus 40 identity factors and small noise.

    Returns (latents [N, 2, 32] float32, attribute [N], planted unit direction [2, 32]).
    """
    rng = np.random.default_rng(seed)
    size = LATENT_SHAPE[0] * LATENT_SHAPE[1]
    axes = np.linalg.qr(rng.standard_normal((size, 41)))[0].T  # [41, 64] orthonormal
    planted, identity_axes = axes[0], axes[1:]

    attribute = rng.standard_normal(num_items)
    identity = rng.standard_normal((num_items, 40)) @ identity_axes  # unit variance per identity axis
    noise = 0.05 * rng.standard_normal((num_items, size))
    flat = attribute_std * attribute[:, None] * planted + identity + noise + 0.5
    return flat.reshape(num_items, *LATENT_SHAPE).astype(np.float32), attribute, planted.reshape(LATENT_SHAPE)


@pytest.fixture(scope="module")
def library():
    latents, attribute, planted = make_library(seed=1)
    basis = PrincipalBasis.fit(latents)
    return basis, basis.project(latents), attribute, planted


# ----------------------------------------------------------------------
# direction_from_examples


def test_two_examples_recover_attribute(library):
    basis, coords, attribute, planted = library
    # A user picks a clearly low and a clearly high example: the extremes of 50 items.
    labeled = np.array([np.argmin(attribute[:50]), np.argmax(attribute[:50])])

    direction = direction_from_examples(coords[labeled], attribute[labeled], basis)
    scores = score_coords(coords, direction_coords(basis, direction))

    assert spearman(scores, attribute) > 0.95
    assert abs(np.sum(direction.vector * planted)) > 0.9
    assert direction.estimator == "ridge regression with a variance^2 prior on 2 examples in top 64 principal components"
    assert direction.source == SOURCE_EXAMPLES
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0)


def test_hard_cutoff_names_difference(library):
    basis, coords, attribute, _ = library
    labeled = np.array([np.argmin(attribute[:50]), np.argmax(attribute[:50])])

    direction = direction_from_examples(coords[labeled], attribute[labeled], basis, prior_power=0.0)

    assert direction.estimator == "difference of 2 examples in top 4 principal components"


@pytest.mark.parametrize("settings", [{"prior_power": 0.0}, {}])
def test_subspace_beats_full_space_for_two_examples(library, settings):
    basis, coords, attribute, _ = library
    rng = np.random.default_rng(7)
    shrunk_rhos, full_rhos = [], []

    for _ in range(20):
        labeled = rng.choice(len(attribute), 2, replace=False)
        shrunk = direction_from_examples(coords[labeled], attribute[labeled], basis, **settings)
        full = direction_from_examples(coords[labeled], attribute[labeled], basis, basis.num_components, prior_power=0.0)
        shrunk_rhos.append(spearman(score_coords(coords, direction_coords(basis, shrunk)), attribute))
        full_rhos.append(spearman(score_coords(coords, direction_coords(basis, full)), attribute))

    # Both the hard cut-off and the variance prior keep identity noise out of the direction.
    assert np.mean(shrunk_rhos) > np.mean(full_rhos) + 0.1


def test_many_examples_use_ridge(library):
    basis, coords, attribute, _ = library
    labeled = np.arange(20)

    direction = direction_from_examples(coords[labeled], attribute[labeled], basis)
    scores = score_coords(coords, direction_coords(basis, direction))

    assert direction.estimator.startswith("ridge regression")
    assert direction.estimator.endswith("(prior chosen by leave-one-out)")
    assert spearman(scores, attribute) > 0.95


def test_auto_prior_finds_low_variance_attribute():
    rng = np.random.default_rng(3)
    loud = rng.standard_normal((400, 4)) * np.array([3.0, 2.5, 2.0, 1.5])  # four high-variance identity factors
    attribute = rng.standard_normal(400)
    quiet = attribute[:, None] * 1.0  # the attribute lives on a low-variance axis
    noise = rng.standard_normal((400, 27)) * 0.3
    latents = np.concatenate([loud, quiet, noise], axis=1)[:, None, :]  # [N, 1, 32]
    basis = PrincipalBasis.fit(latents)
    coords = basis.project(latents)
    labeled = rng.choice(400, 12, replace=False)

    fixed = direction_from_examples(coords[labeled], attribute[labeled], basis, prior_power=2.0)
    chosen = direction_from_examples(coords[labeled], attribute[labeled], basis)

    fixed_rho = spearman(score_coords(coords, direction_coords(basis, fixed)), attribute)
    chosen_rho = spearman(score_coords(coords, direction_coords(basis, chosen)), attribute)
    # A strong variance prior pulls the direction onto the loud factors; leave-one-out notices.
    assert chosen_rho > fixed_rho + 0.2, (chosen_rho, fixed_rho)


def test_direction_follows_higher_values(library):
    basis, coords, attribute, _ = library
    labeled = np.arange(5)

    upward = direction_from_examples(coords[labeled], attribute[labeled], basis)
    downward = direction_from_examples(coords[labeled], -attribute[labeled], basis)
    scores = score_coords(coords[labeled], direction_coords(basis, upward))

    np.testing.assert_allclose(downward.vector, -upward.vector, atol=1e-12)
    assert np.corrcoef(scores, attribute[labeled])[0, 1] > 0


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_direction_independent_of_value_scale(library, scale):
    basis, coords, attribute, _ = library
    labeled = np.arange(5)

    plain = direction_from_examples(coords[labeled], attribute[labeled], basis)
    scaled = direction_from_examples(coords[labeled], attribute[labeled] * scale, basis)

    np.testing.assert_allclose(scaled.vector, plain.vector, atol=1e-9)


def test_minimum_norm_fit_without_ridge(library):
    basis, coords, attribute, _ = library
    labeled = np.arange(6)

    direction = direction_from_examples(coords[labeled], attribute[labeled], basis, n_components=10, ridge=0.0)
    scores = score_coords(coords[labeled], direction_coords(basis, direction)).astype(np.float64)

    # An exact fit in 10 dimensions through 6 points: scores are an affine map of the values.
    residual = np.polynomial.polynomial.polyfit(attribute[labeled], scores, 1, full=True)[1][0]
    assert residual < 1e-8


def test_examples_reject_one_label(library):
    basis, coords, _, _ = library
    with pytest.raises(UserInputError, match="at least 2 labeled items, got 1"):
        direction_from_examples(coords[:1], np.array([3.0]), basis)


def test_examples_reject_equal_values(library):
    basis, coords, _, _ = library
    with pytest.raises(UserInputError, match="all 3 labels have the same value 7"):
        direction_from_examples(coords[:3], np.array([7.0, 7.0, 7.0]), basis)


def test_examples_reject_component_count(library):
    basis, coords, attribute, _ = library
    with pytest.raises(UserInputError, match="n_components=65 is out of range"):
        direction_from_examples(coords[:2], attribute[:2], basis, n_components=65)


def test_examples_reject_identical_items(library):
    basis, coords, _, _ = library
    same = np.repeat(coords[:1], 2, axis=0)
    with pytest.raises(UserInputError, match="identical in the top 64 principal components"):
        direction_from_examples(same, np.array([1.0, 2.0]), basis)


# ----------------------------------------------------------------------
# principal_direction


def test_principal_direction_is_component(library):
    basis, coords, _, _ = library

    direction = principal_direction(basis, 2)

    assert direction.estimator == "principal component 3"
    assert direction.source == SOURCE_PRINCIPAL
    np.testing.assert_allclose(direction.vector.ravel(), basis.components[2])
    np.testing.assert_allclose(score_coords(coords, direction_coords(basis, direction)), coords[:, 2], atol=1e-5)


def test_principal_direction_flips(library):
    basis, _, _, _ = library
    direction = principal_direction(basis, 0)
    np.testing.assert_array_equal(direction.flipped().vector, -direction.vector)


def test_principal_direction_rejects_index(library):
    basis, _, _, _ = library
    with pytest.raises(UserInputError, match="principal component 65 does not exist"):
        principal_direction(basis, 64)


def test_tiny_library_skips_prior():
    rng = np.random.default_rng(5)
    latents = rng.standard_normal((3, 1, 8))
    basis = PrincipalBasis.fit(latents)
    coords = basis.project(latents)

    direction = direction_from_examples(coords[:2], np.array([0.0, 1.0]), basis)

    assert direction.estimator.startswith("difference of 2 examples")


@pytest.mark.parametrize(
    ("latent_shape", "expected"),
    [
        ((1, 128), "use a direction of shape (128,), (1, 128), (1, 1, 128) made for this pack"),
        ((18, 512), "use a direction of shape (512,), (1, 512), (18, 512), (1, 18, 512) made for this pack"),
    ],
)
def test_wrong_shape_lists_each_once(latent_shape, expected):
    with pytest.raises(CheckpointError) as caught:
        broadcast_to_latent(np.ones((3, 7)), latent_shape, "file odd.npy")

    assert caught.value.message.endswith(expected)
