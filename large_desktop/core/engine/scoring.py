"""Scores, calibration and ranking: distances along a direction turned into an order and values.

Every function is vectorised over items; the only Python loop is over the
labeled items in `leave_one_out`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from large_desktop.core.engine.basis import PrincipalBasis
from large_desktop.core.engine.directions import Direction, direction_from_examples
from large_desktop.core.errors import UserInputError


def row_distances(latents: np.ndarray, center: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Compute LARGE's per-row distances d_l = <x_l - c_l, n_l>.

    Args:
        latents: Latents x. # [N, L, D]
        center: Reference point c, e.g. the mean latent. # [L, D]
        direction: Direction n. # [L, D]

    Returns:
        Signed distances in latent units, in the latents' float dtype. # [N, L]
    """
    assert latents.ndim == 3, latents.shape
    assert center.shape == latents.shape[1:], (center.shape, latents.shape)
    assert direction.shape == latents.shape[1:], (direction.shape, latents.shape)
    dtype = latents.dtype if np.issubdtype(latents.dtype, np.floating) else np.float64

    # <x_l, n_l> - <c_l, n_l> avoids allocating x - c for every item.
    direction = direction.astype(dtype, copy=False)
    offsets = np.einsum("ld,ld->l", center.astype(dtype, copy=False), direction)  # [L]
    return np.einsum("nld,ld->nl", latents, direction) - offsets  # [N, L]


def combine_rows(distances: np.ndarray, row_weights: np.ndarray | None = None) -> np.ndarray:
    """Combine per-row distances into one score s = sum_l a_l d_l.

    Args:
        distances: Per-row distances. # [N, L]
        row_weights: Row weights a. # [L]; None for a_l = 1, which makes s the
            dot product <x - c, n> over the whole code.

    Returns:
        Scores. # [N]
    """
    assert distances.ndim == 2, distances.shape
    if row_weights is None:
        return distances.sum(axis=1)
    assert row_weights.shape == (distances.shape[1],), row_weights.shape
    return distances @ row_weights.astype(distances.dtype, copy=False)


def direction_coords(basis: PrincipalBasis, direction: Direction) -> np.ndarray:
    """Express a direction in principal coordinates (its projection onto the basis).

    Returns:
        Coordinates. # [K] float64
    """
    assert direction.vector.shape == basis.latent_shape, (direction.vector.shape, basis.latent_shape)
    return basis.components @ direction.vector.ravel()


def score_coords(coords: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Score items on the in-memory principal coordinates: the fast path.

    Equals ``combine_rows(row_distances(x, basis mean, n))`` for a direction n
    inside the basis span, because the coordinates are an orthonormal
    projection of x - mean.

    Args:
        coords: Principal coordinates of the items. # [N, K]
        direction: Direction in the same coordinates (`direction_coords`). # [K]

    Returns:
        Scores in the coordinates' dtype. # [N]
    """
    assert coords.ndim == 2, coords.shape
    assert direction.shape == (coords.shape[1],), (coords.shape, direction.shape)

    # Casting the small vector keeps a float32 matrix from being copied to float64.
    return coords @ direction.astype(coords.dtype, copy=False)


# ----------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """Linear map from a score to an attribute value: value = alpha * score + beta."""

    alpha: float
    beta: float

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Predict attribute values from scores. # [N] -> [N]"""
        return self.alpha * np.asarray(scores, dtype=np.float64) + self.beta


def fit_calibration(scores: np.ndarray, values: np.ndarray) -> Calibration:
    """Fit value = alpha * score + beta by least squares; two labels give the exact line.

    Args:
        scores: Scores of the labeled items. # [k]
        values: Their attribute values. # [k]

    Raises:
        UserInputError: Fewer than 2 distinct scores or values.
    """
    scores = np.asarray(scores, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    assert scores.ndim == 1, scores.shape
    assert values.shape == scores.shape, (scores.shape, values.shape)

    if len(np.unique(values)) < 2:
        raise UserInputError(
            f"calibration needs at least 2 distinct label values, got {values.tolist()}; "
            "label an item with another value"
        )
    if len(np.unique(scores)) < 2:
        raise UserInputError(
            f"calibration needs at least 2 distinct scores, but the {len(scores)} labeled items all score "
            f"{scores[0]:g}; label items that differ along the direction"
        )

    score_offsets = scores - scores.mean()
    alpha = float(score_offsets @ (values - values.mean()) / (score_offsets @ score_offsets))
    beta = float(values.mean() - alpha * scores.mean())
    return Calibration(alpha, beta)


def leave_one_out(coords: np.ndarray, values: np.ndarray, basis: PrincipalBasis, **fit_kwargs: Any) -> float:
    """Return the leave-one-out mean absolute error of direction plus calibration.

    Each label is predicted by a direction and a calibration fitted on the
    other k - 1 labels, with `fit_kwargs` passed to `direction_from_examples`
    (a default subspace size is recomputed for k - 1 labels).

    Args:
        coords: Principal coordinates of the labeled items. # [k, K]
        values: Their attribute values. # [k]
        basis: The basis the coordinates are in.

    Returns:
        Mean absolute error, in the values' unit.

    Raises:
        UserInputError: Fewer than 3 labels, or some k - 1 labels have a
            single value (e.g. two "lower" tags and one "higher").
    """
    values = np.asarray(values, dtype=np.float64)
    num_labels = len(values)
    assert coords.shape == (num_labels, basis.num_components), (coords.shape, values.shape)
    if num_labels < 3:
        raise UserInputError(
            f"leave-one-out error needs at least 3 labeled items, got {num_labels}; label another item"
        )

    errors = np.empty(num_labels)
    for held_out in range(num_labels):
        kept = np.arange(num_labels) != held_out
        if np.ptp(values[kept]) == 0.0:
            raise UserInputError(
                f"leave-one-out error is undefined for labels {values.tolist()} because leaving out item "
                f"{held_out + 1} leaves a single value; label another item with a different value"
            )
        direction = direction_from_examples(coords[kept], values[kept], basis, **fit_kwargs)
        scores = score_coords(coords, direction_coords(basis, direction))  # [k]
        calibration = fit_calibration(scores[kept], values[kept])
        errors[held_out] = abs(calibration.predict(scores[held_out : held_out + 1])[0] - values[held_out])
    return float(errors.mean())


# ----------------------------------------------------------------------


def rank(scores: np.ndarray, reverse: bool = False) -> np.ndarray:
    """Return item indices ordered by score, highest first; NaN scores always last.

    Args:
        scores: Scores. # [N]
        reverse: Order lowest first instead (NaN still last).

    Returns:
        A stable order: equal scores keep their index order. # [N] int64
    """
    assert scores.ndim == 1, scores.shape
    # argsort puts NaN last in both orders; negating gives a stable descending sort.
    keys = scores if reverse else -scores
    return np.argsort(keys, kind="stable")


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Return 0-based ranks, ties sharing their mean rank. # [N] -> [N] float64"""
    assert values.ndim == 1, values.shape
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts
    return (first_rank + (counts - 1) / 2.0)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Return Spearman's rank correlation of two finite arrays (ties get mean ranks).

    Returns NaN when either array is constant.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    assert a.ndim == 1, a.shape
    assert b.shape == a.shape, (a.shape, b.shape)
    assert np.all(np.isfinite(a)), "spearman needs finite values"
    assert np.all(np.isfinite(b)), "spearman needs finite values"

    ranks_a = average_ranks(a) - (len(a) - 1) / 2.0
    ranks_b = average_ranks(b) - (len(b) - 1) / 2.0
    denominator = np.sqrt((ranks_a @ ranks_a) * (ranks_b @ ranks_b))
    return float(ranks_a @ ranks_b / denominator) if denominator > 0 else float("nan")
