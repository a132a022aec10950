"""Attribute directions in latent space: from labeled examples, principal axes or imported arrays.

A direction n has the shape of one latent (L, D) and unit norm over all L*D
numbers. Distance along it is, by the LARGE hypothesis (Latent-Based
Regression through GAN Semantics, CVPR 2022), close to linear in the
attribute, so few labels fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from large_desktop.core.engine.basis import PrincipalBasis
from large_desktop.core.errors import CheckpointError, UserInputError

# Values of `Direction.source`.
SOURCE_EXAMPLES = "examples"
SOURCE_PRINCIPAL = "principal"
SOURCE_FILE = "file"

# Smallest subspace for a fit from examples, and the relative ridge strength.
# Measured with dlib 128-d descriptors of 200 UTKFace photos (age, gender and
# race, 300 random label sets per k, Spearman rho on the unlabeled photos):
# m = clamp(k, 4, K) stays within 0.04 of the best of m = 4, 8 or K for every
# k from 2 to 32, while m = 4k loses up to 0.08 and the full space up to 0.10.
# Ridge 1.0 removes the dip of an exact fit when m is close to k (age, k = 8,
# m = 8: rho 0.55 with ridge 1e-3, 0.76 with ridge 1.0). Whitened coordinates
# never ranked age better and fell to rho 0.04 in the full space at k = 2.
MIN_FIT_COMPONENTS = 4
DEFAULT_RIDGE = 1.0

# The default fit uses every component with a Gaussian prior on the direction
# whose variance along principal axis i is λ_i^PRIOR_POWER (λ = the library's
# variance there): a soft version of "stay in the top components", because an
# attribute that varies a lot across the library is a priori more likely.
# Measured with bench/accuracy.py (stratified draws, 300 per k) on the dlib
# descriptors of the 200 dev faces, Spearman rho at k = 2 / 5 / 10 / 20:
#   age:    hard cut-off m = clamp(k, 4, K) 0.563 / 0.763 / 0.820 / 0.851,
#           power 1 0.575 / 0.785 / 0.839 / 0.867, power 2 0.605 / 0.798 / 0.840 / 0.865;
#   gender (not used to choose): cut-off 0.489 / 0.653 / 0.703,
#           power 1 0.498 / 0.665 / 0.745, power 2 0.511 / 0.690 / 0.762.
# NOTE: both attributes come from one 200-face set. The power is not checked
# on other spaces, and on the joined dlib + EfficientNet space it ranked gender worse.
# NOTE: k = 2 on the dlib dev faces stays below the 0.60 target (age 0.583,
# 1000 draws). Each estimator change that raised age there lowered gender,
# because it moved the ranking toward the first principal axis, which carries
# age. bench/k2_priors.py reruns the comparison on age, gender and four races
# (sparse, graph-Laplacian and neighbour-variance priors, mirror averaging,
# joins with EfficientNet or landmarks). Every row there that gains on age
# loses on the mean of the other five. The smallest trade is mirror averaging
# at +0.004 / -0.002, and dlib + 0.35 × EfficientNet reaches age 0.611 at
# -0.024 on gender. Change against this default at k = 2 on the same 300
# draws, for age / gender / race scored as white against the rest:
#   power 3: +0.009 / -0.005 / -0.011 (1000 draws); power 4: +0.010 / -0.020 / -0.016;
#   the prior plus a cut-off at m = 4 to 64 components: within 0.005;
#   L2-normalised descriptors: +0.018 / -0.029 / -0.008; centred and L2-normalised:
#   +0.037 / -0.033 / -0.023; each labeled point averaged with its 5 or 20
#   nearest library items: +0.018 / -0.032 / +0.004 and +0.039 / -0.046 / -0.018;
#   per-axis shrinkage of the difference by how far it exceeds the library's
#   spread there (Wiener-style with the scale fitted by maximum likelihood, or
#   positive-part James-Stein per axis): no gain on any attribute, age down 0.01 to 0.18.
# With two labels the value gap sets the ceiling: pairs less than 20 years
# apart average rho 0.10, pairs 60 or more apart 0.73.
DEFAULT_PRIOR_POWER = 2.0

# The variance prior hurts when the attribute is not among the library's
# high-variance axes: in bench/rescore.py's synthetic W+ library, with the
# attribute on the fifth factor and 8 labels, rho fell from 0.63 (hard
# cut-off) to 0.14 (power 2). With enough labels to check, the power is
# therefore chosen per fit by leave-one-out error among these candidates:
# that synthetic case recovers 0.50, and on the dev faces (dlib, age,
# 500 draws) k = 5 / 10 / 20 give 0.776 / 0.833 / 0.860 against power 2's
# 0.797 / 0.841 / 0.864.
AUTO_PRIOR_POWERS = (DEFAULT_PRIOR_POWER, 1.0, 0.0)
AUTO_MIN_LABELS = 4
AUTO_MAX_FOLDS = 20  # leave-one-out folds per candidate; more labels use a random subset
PRIOR_MIN_COMPONENTS = 16  # a basis fitted on fewer than 17 items gets no variance prior


@dataclass(frozen=True, eq=False)
class Direction:
    """A unit direction in latent space and where it came from.

    Attributes:
        vector: Unit-norm direction. # [L, D] float64
        estimator: Human-readable description, e.g. "principal component 3".
        source: One of SOURCE_EXAMPLES, SOURCE_PRINCIPAL, SOURCE_FILE.
    """

    vector: np.ndarray
    estimator: str
    source: str

    def __post_init__(self) -> None:
        assert self.vector.ndim == 2, self.vector.shape
        assert abs(np.linalg.norm(self.vector) - 1.0) < 1e-6, np.linalg.norm(self.vector)
        assert self.source in (SOURCE_EXAMPLES, SOURCE_PRINCIPAL, SOURCE_FILE), self.source
        self.vector.setflags(write=False)

    def flipped(self) -> Direction:
        """Return the same direction pointing the other way.

        The sign of a principal axis is arbitrary, so the user may flip it.
        """
        return Direction(-self.vector, self.estimator, self.source)


def default_fit_components(num_labels: int, num_available: int) -> int:
    """Return the default subspace size m = clamp(num_labels, 4, num_available).

    One principal component per label, at least 4: two photos then differ
    mostly in the library's main axes of variation instead of in identity
    details, and more labels can reach subtler attributes.
    """
    return int(min(max(num_labels, MIN_FIT_COMPONENTS), num_available))


def direction_from_examples(
    coords: np.ndarray,
    values: np.ndarray,
    basis: PrincipalBasis,
    n_components: int | None = None,
    ridge: float = DEFAULT_RIDGE,
    prior_power: float | None = None,
) -> Direction:
    """Estimate an attribute direction from k >= 2 labeled items.

    With prior_power None, the power of the variance prior is DEFAULT_PRIOR_POWER
    below AUTO_MIN_LABELS labels. With more labels it is the one of
    AUTO_PRIOR_POWERS with the smallest leave-one-out error. A basis of fewer
    than PRIOR_MIN_COMPONENTS components gets no prior. `fit_direction`
    documents the fit itself.
    """
    if prior_power is not None:
        return fit_direction(coords, values, basis, n_components, ridge, prior_power)

    num_labels = coords.shape[0]
    if basis.num_components < PRIOR_MIN_COMPONENTS:
        # A handful of photos gives variances too rough to serve as a prior.
        return fit_direction(coords, values, basis, n_components, ridge, 0.0)
    if num_labels < AUTO_MIN_LABELS or np.unique(np.asarray(values)).size < 3:
        return fit_direction(coords, values, basis, n_components, ridge, DEFAULT_PRIOR_POWER)

    # Errors are compared, not shown, so values scaled to at most 1 keep 1e300 from overflowing them.
    unit_values = np.asarray(values, dtype=np.float64) / np.max(np.abs(values))
    errors = [_leave_one_out_error(coords, unit_values, basis, n_components, ridge, power) for power in AUTO_PRIOR_POWERS]
    best = AUTO_PRIOR_POWERS[int(np.argmin(errors))]
    direction = fit_direction(coords, values, basis, n_components, ridge, best)
    return Direction(direction.vector, f"{direction.estimator} (prior chosen by leave-one-out)", direction.source)


def _leave_one_out_error(
    coords: np.ndarray, values: np.ndarray, basis: PrincipalBasis, n_components: int | None, ridge: float, power: float
) -> float:
    """Mean absolute error of predicting each held-out label from the others (inf when a fold cannot be fitted)."""
    values = np.asarray(values, dtype=np.float64)
    folds = np.arange(len(values))
    if len(folds) > AUTO_MAX_FOLDS:
        folds = np.random.default_rng(0).choice(folds, AUTO_MAX_FOLDS, replace=False)

    errors = []
    for held_out in folds:
        keep = np.arange(len(values)) != held_out
        if np.ptp(values[keep]) == 0:
            return float("inf")
        try:
            direction = fit_direction(coords[keep], values[keep], basis, n_components, ridge, power)
        except UserInputError:
            return float("inf")
        weights = basis.components @ direction.vector.ravel()  # [K]
        scores = coords.astype(np.float64) @ weights  # [k]
        slope, intercept = np.polyfit(scores[keep], values[keep], 1)
        errors.append(abs(slope * scores[held_out] + intercept - values[held_out]))
    return float(np.mean(errors))


def fit_direction(
    coords: np.ndarray,
    values: np.ndarray,
    basis: PrincipalBasis,
    n_components: int | None = None,
    ridge: float = DEFAULT_RIDGE,
    prior_power: float = DEFAULT_PRIOR_POWER,
) -> Direction:
    """Estimate an attribute direction from k >= 2 labeled items.

    Fits ridge regression of the centered values on the centered coordinates
    in the top m principal components. The coordinates are not whitened, so
    high-variance axes dominate, because whitening ranked real faces worse.
    With k = 2 every ridge strength gives the same direction, the difference
    of the two items.

    Args:
        coords: Principal coordinates of the labeled items. # [k, K]
        values: Their attribute values; a higher value means "more". # [k]
        basis: The basis the coordinates are in.
        n_components: Subspace size m; None for all components when
            prior_power > 0, else `default_fit_components`.
        ridge: Penalty relative to the mean squared norm of the centered
            coordinates; 0 gives the minimum-norm least-squares fit.
        prior_power: Prior variance of the direction along principal axis i
            is λ_i ** prior_power; 0 gives the plain ridge fit in the top m.

    Returns:
        A unit direction in latent space, oriented so that items with higher
        values get higher scores.

    Raises:
        UserInputError: Fewer than 2 labels, all values equal, m out of range,
            or the labeled items are identical inside the subspace.
    """
    num_labels = coords.shape[0]
    assert coords.shape == (num_labels, basis.num_components), (coords.shape, basis.num_components)
    values = np.asarray(values, dtype=np.float64)
    assert values.shape == (num_labels,), values.shape
    assert ridge >= 0.0, ridge

    if num_labels < 2:
        raise UserInputError(f"a direction needs at least 2 labeled items, got {num_labels}; label another item")
    if not np.all(np.isfinite(values)):
        raise UserInputError(f"label values must be finite numbers, got {values.tolist()}; correct the labels")
    if np.ptp(values) == 0.0:
        raise UserInputError(
            f"all {num_labels} labels have the same value {values[0]:g}; label at least one item higher or lower"
        )
    if n_components is not None:
        num_fit = n_components
    elif prior_power > 0:
        num_fit = basis.num_components
    else:
        num_fit = default_fit_components(num_labels, basis.num_components)
    if not 1 <= num_fit <= basis.num_components:
        raise UserInputError(
            f"n_components={num_fit} is out of range; the library basis has {basis.num_components} components"
        )

    # The dual form of ridge solves a k x k system, whatever m is.
    # Scaling coordinate i by λ_i^(power/2) before a plain ridge fit, and the
    # fitted weights by the same factor after it, is ridge with that prior.
    prior_scale = np.maximum(basis.explained_variance[:num_fit], 0.0) ** (prior_power / 2)  # [m]
    subspace = coords[:, :num_fit].astype(np.float64) * prior_scale  # [k, m]
    centered = subspace - subspace.mean(axis=0)
    # The direction does not depend on the scale of the values; dividing by the
    # largest keeps 1e300 from overflowing and 1e-300 from underflowing the fit.
    unit_values = values / np.max(np.abs(values))
    targets = unit_values - unit_values.mean()  # [k]
    gram = centered @ centered.T  # [k, k]
    penalty = ridge * np.trace(gram) / num_labels
    dual = np.linalg.lstsq(gram + penalty * np.eye(num_labels), targets, rcond=None)[0]
    weights = centered.T @ dual * prior_scale  # [m]

    norm = np.linalg.norm(weights)
    if not norm > 0.0:
        raise UserInputError(
            f"the {num_labels} labeled items are identical in the top {num_fit} principal components; "
            "label items that look different"
        )
    # Ridge keeps the fitted scores positively correlated with the values. The check guards rounding at ridge = 0.
    raw_centered = centered / np.where(prior_scale > 0, prior_scale, 1.0)  # [k, m], back to plain coordinates
    if (raw_centered @ weights) @ targets < 0.0:
        weights = -weights

    vector = (weights @ basis.components[:num_fit]).reshape(basis.latent_shape)  # [L, D]
    vector /= np.linalg.norm(vector)
    prior = f" with a variance^{prior_power:g} prior" if prior_power > 0 else ""
    if num_labels == 2 and prior_power == 0:
        estimator = f"difference of 2 examples in top {num_fit} principal components"
    else:
        estimator = f"ridge regression{prior} on {num_labels} examples in top {num_fit} principal components"
    return Direction(vector, estimator, SOURCE_EXAMPLES)


def principal_direction(basis: PrincipalBasis, index: int) -> Direction:
    """Return principal axis `index` (0-based) as a label-free sorting direction.

    Raises:
        UserInputError: `index` is not below the number of components.
    """
    if not 0 <= index < basis.num_components:
        raise UserInputError(
            f"principal component {index + 1} does not exist; the library basis has "
            f"components 1 to {basis.num_components}"
        )
    vector = basis.components[index].reshape(basis.latent_shape).copy()  # [L, D]
    vector /= np.linalg.norm(vector)
    return Direction(vector, f"principal component {index + 1}", SOURCE_PRINCIPAL)


# ----------------------------------------------------------------------


def direction_from_array(array: np.ndarray, latent_shape: tuple[int, int], source: str) -> Direction:
    """Turn a boundary array (an InterFaceGAN normal, an e4e or GANSpace direction) into a unit Direction.

    Accepted shapes for latent_shape (L, D): (D,) and (1, D), a W direction
    repeated on all L rows, (L, D) and (1, L, D). Reading the array from a
    file is the caller's job (see `core.packs.direction_files`).

    Args:
        array: Raw direction of any real dtype.
        latent_shape: (L, D) of the pack the direction is for.
        source: What the array came from, e.g. a file path, for messages.

    Raises:
        CheckpointError: the array is of another shape, not real, zero or not finite.
    """
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise CheckpointError(f"direction {source} contains {array.dtype} values; expected real numbers")
    vector = broadcast_to_latent(array.astype(np.float64), latent_shape, source)  # [L, D]

    if not np.all(np.isfinite(vector)):
        raise CheckpointError(f"direction {source} contains NaN or infinite values; export it again")
    # Scale by the largest entry first so the norm of 1e300 or 1e-200 values neither overflows nor underflows.
    largest = np.max(np.abs(vector))
    if largest > 0.0:
        vector = vector / largest
    norm = np.linalg.norm(vector)
    if norm == 0.0:
        raise CheckpointError(f"direction {source} is all zeros; export a nonzero direction")
    return Direction(vector / norm, f"imported {source}", SOURCE_FILE)


def broadcast_to_latent(array: np.ndarray, latent_shape: tuple[int, int], source: str) -> np.ndarray:
    """Reshape (D,), (1, D), (L, D) or (1, L, D) to (L, D), repeating a W row L times.

    Raises:
        CheckpointError: naming the source, its shape and the latent shape.
    """
    num_rows, width = latent_shape
    if array.shape in ((width,), (1, width)):
        return np.tile(array.reshape(1, width), (num_rows, 1))
    if array.shape in ((num_rows, width), (1, num_rows, width)):
        return array.reshape(num_rows, width)

    # With L = 1, (1, D) is also (L, D); dict.fromkeys lists each accepted shape once, in order.
    accepted = dict.fromkeys([(width,), (1, width), (num_rows, width), (1, num_rows, width)])
    expected = ", ".join(str(shape) for shape in accepted)
    raise CheckpointError(
        f"direction {source} has shape {tuple(array.shape)}, but this pack's latents have shape "
        f"{tuple(latent_shape)}; use a direction of shape {expected} made for this pack"
    )
