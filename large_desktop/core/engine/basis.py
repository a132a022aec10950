"""Principal basis of a library's latents: the in-memory coordinates for scoring.

A library keeps one row of K principal-component coordinates per item instead
of the full latent (W+ at 1024 px: 18 x 512 = 9216 floats, 36 KB per item in
float32). With K = 256 the matrix for 100,000 items is about 100 MB, and a
re-score is one matrix-vector product over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from large_desktop.core.errors import UserInputError

# Rows per block when a whole array is split for fitting, and float64 elements
# per temporary block in `project` (2**23 elements = 64 MB).
_FIT_CHUNK_ROWS = 4096
_PROJECT_BLOCK_ELEMENTS = 2**23

# Fit sample sizes. Latents of up to 2,048 numbers (dlib, EfficientNet,
# DCGAN z) take the covariance route, which with 20,000 items needs an
# estimated 350 MB at most. Larger latents such as W+ (18 x 512 = 9,216) go
# through the Gram matrix of the sample, whose side is the sample size, so
# the sample is kept to 4,000 items (bench/rescore.py: 876 MB peak RSS).
DEFAULT_FIT_ITEMS = 20_000
LARGE_LATENT_SIZE = 2_048
LARGE_LATENT_FIT_ITEMS = 4_000


def fit_sample_size(latent_size: int) -> int:
    """Return how many items to fit a basis on for latents of `latent_size` numbers (L*D)."""
    return DEFAULT_FIT_ITEMS if latent_size <= LARGE_LATENT_SIZE else LARGE_LATENT_FIT_ITEMS


@dataclass(frozen=True, eq=False)
class PrincipalBasis:
    """Mean and top principal components of a set of latents, flattened to L*D.

    Attributes:
        latent_shape: (L, D) of one latent, e.g. (18, 512) for W+.
        mean: Mean latent, flattened. # [L*D] float64
        components: Orthonormal principal axes, largest variance first. # [K, L*D] float64
        explained_variance: Variance of the fit sample along each axis. # [K]
        total_variance: Trace of the fit sample's covariance (all L*D axes).

    When K == L*D, `project` is an exact rotation and nothing is lost. When
    K < L*D, the coordinates keep only the top-K subspace: scores of directions
    inside it are exact, and scores of other directions (an imported file) are
    those of the direction's projection onto it.
    """

    latent_shape: tuple[int, int]
    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    total_variance: float

    def __post_init__(self) -> None:
        size = self.latent_shape[0] * self.latent_shape[1]
        num_components = self.components.shape[0]
        assert self.mean.shape == (size,), self.mean.shape
        assert self.components.shape == (num_components, size), self.components.shape
        assert self.explained_variance.shape == (num_components,), self.explained_variance.shape

        # Read-only arrays, so the frozen dataclass is frozen in its contents too.
        for array in (self.mean, self.components, self.explained_variance):
            array.setflags(write=False)

    @property
    def num_components(self) -> int:
        """Number K of principal components kept."""
        return self.components.shape[0]

    @property
    def explained_ratio(self) -> np.ndarray:
        """Fraction of the total variance along each component. # [K]"""
        if self.total_variance <= 0.0:
            return np.zeros_like(self.explained_variance)
        return self.explained_variance / self.total_variance

    # ------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        latents: np.ndarray | Iterable[np.ndarray],
        max_components: int = 256,
        max_fit_items: int = 20000,
        seed: int = 0,
    ) -> PrincipalBasis:
        """Fit the mean and principal components of a random sample of latents.

        The sample is the `max_fit_items` items with the smallest keys from one
        random stream drawn in item order, so an array and the same items split
        into any chunks select the same sample (results then agree to rounding).
        The decomposition is exact: `eigh` of the n x n Gram matrix when
        n < L*D, else of the (L*D) x (L*D) covariance.

        Memory: the float32 sample (n * L*D * 4 bytes), one float64 square
        matrix of side min(n, L*D), and about 4 times that inside `eigh`
        (LAPACK syevd workspace, input copy and eigenvectors). For W+
        (L*D = 9216) with n = 4000 that is about 150 + 130 + 510 MB, and
        `bench/rescore.py` measured an 876 MB peak RSS. With n >= 9216 the
        covariance route needs about 3.4 GB plus the sample and an `eigh` of
        side 9216, so W+ callers on a desktop should pass max_fit_items < 9216.

        Args:
            latents: One array [N, L, D], or an iterable of chunks [n, L, D].
            max_components: Upper bound on K.
            max_fit_items: Size of the random sample the basis is fitted on.
            seed: Seed of the sampling stream and of the padding axes.

        Returns:
            A basis with K = min(max_components, L*D, n - 1) components, at
            least 1, where n is the sample size. Axes the sample does not span
            (duplicate items) are padded with orthonormal axes of variance 0.

        Raises:
            UserInputError: No latents were given.
        """
        assert max_components >= 1, max_components
        assert max_fit_items >= 1, max_fit_items
        rng = np.random.default_rng(seed)

        sample, latent_shape = _sample_items(_iter_chunks(latents), max_fit_items, rng)  # [n, L*D] float32
        num_items, size = sample.shape
        if num_items == 0:
            raise UserInputError("no latents to fit a principal basis on; index at least one photo first")
        num_components = max(1, min(max_components, size, num_items - 1))

        # Centre the private sample in place: no second copy of it is made.
        mean = np.zeros(size)  # [L*D]
        for rows in _blocks(num_items, size):
            mean += sample[rows].sum(axis=0, dtype=np.float64)
        mean /= num_items
        for rows in _blocks(num_items, size):
            sample[rows] = sample[rows] - mean

        if num_items < size:
            components, variance, total_variance = _decompose_gram(sample, num_components)
        else:
            components, variance, total_variance = _decompose_covariance(sample, num_components)
        del sample
        components = _pad_orthonormal(components, variance, rng)

        # Sign convention: the largest-magnitude entry of each axis is positive,
        # so "principal component k" points the same way on every fit.
        pivots = np.abs(components).argmax(axis=1)
        signs = np.sign(components[np.arange(len(components)), pivots])
        components *= np.where(signs == 0, 1.0, signs)[:, None]
        return cls(latent_shape, mean, components, np.maximum(variance, 0.0), total_variance)

    # ------------------------------------------------------------------

    def project(self, latents: np.ndarray) -> np.ndarray:
        """Project latents onto the basis, block by block, in float64.

        Args:
            latents: Latents, possibly a memory map. # [n, L, D]

        Returns:
            Principal coordinates. # [n, K] float32
        """
        assert latents.ndim == 3, latents.shape
        assert latents.shape[1:] == self.latent_shape, (latents.shape, self.latent_shape)
        num_items = latents.shape[0]
        size = self.mean.shape[0]

        coords = np.empty((num_items, self.num_components), dtype=np.float32)  # [n, K]
        block_rows = max(1, _PROJECT_BLOCK_ELEMENTS // size)
        for start in range(0, num_items, block_rows):
            block = latents[start:start + block_rows].reshape(-1, size)  # [b, L*D]
            coords[start:start + block_rows] = (block.astype(np.float64) - self.mean) @ self.components.T
        return coords

    def lift(self, coords: np.ndarray) -> np.ndarray:
        """Map principal coordinates back to latents (the mean plus the combination of axes).

        Args:
            coords: Coordinates of one item [K] or of n items [n, K].

        Returns:
            Latents [L, D] or [n, L, D]. For a direction (no mean) use
            ``coords @ components`` instead.
        """
        assert coords.ndim in (1, 2), coords.shape
        assert coords.shape[-1] == self.num_components, (coords.shape, self.num_components)
        flat = self.mean + np.asarray(coords, dtype=np.float64) @ self.components  # [..., L*D]
        return flat.reshape(coords.shape[:-1] + self.latent_shape)


# ----------------------------------------------------------------------


def _iter_chunks(latents: np.ndarray | Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Yield [n, L, D] chunks of an array, or the chunks of an iterable as they come."""
    if isinstance(latents, np.ndarray):
        for start in range(0, latents.shape[0], _FIT_CHUNK_ROWS):
            yield latents[start:start + _FIT_CHUNK_ROWS]
    else:
        yield from latents


def _sample_items(
    chunks: Iterator[np.ndarray], capacity: int, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int]]:
    """Keep the `capacity` items with the smallest random keys (a reservoir sample).

    Returns the sample [n, L*D] float32, n = min(N, capacity), and (L, D).
    Rows are in item order until the reservoir is full, then in slot order.
    """
    buffer = np.empty((0, 0), dtype=np.float32)
    keys = np.empty(0)
    latent_shape = (0, 0)
    filled = 0

    for chunk in chunks:
        assert chunk.ndim == 3, chunk.shape
        if buffer.size == 0:
            latent_shape = (int(chunk.shape[1]), int(chunk.shape[2]))
            buffer = np.empty((capacity, latent_shape[0] * latent_shape[1]), dtype=np.float32)
            keys = np.empty(capacity)
        assert chunk.shape[1:] == latent_shape, (chunk.shape, latent_shape)
        flat = chunk.reshape(chunk.shape[0], -1)  # [c, L*D]

        # One key per item in item order, so the stream does not depend on chunking.
        chunk_keys = rng.random(flat.shape[0])

        # Free slots take the first items as they come.
        taken = min(capacity - filled, flat.shape[0])
        buffer[filled:filled + taken] = flat[:taken]
        keys[filled:filled + taken] = chunk_keys[:taken]
        filled += taken
        if taken == flat.shape[0]:
            continue

        # Once full, a new item replaces the buffer item with the largest key if its key is smaller.
        rest_keys = chunk_keys[taken:]
        kept = np.argpartition(np.concatenate([keys, rest_keys]), capacity - 1)[:capacity]
        admitted = kept[kept >= capacity] - capacity
        evicted = np.setdiff1d(np.arange(capacity), kept[kept < capacity])
        buffer[evicted] = flat[taken:][admitted]
        keys[evicted] = rest_keys[admitted]

    return buffer[:filled], latent_shape


def _blocks(num_items: int, size: int) -> Iterator[slice]:
    """Yield row slices whose float64 copy stays under _PROJECT_BLOCK_ELEMENTS elements."""
    block_rows = max(1, _PROJECT_BLOCK_ELEMENTS // size)
    for start in range(0, num_items, block_rows):
        yield slice(start, min(start + block_rows, num_items))


def _decompose_gram(centered: np.ndarray, num_components: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Top axes from the n x n Gram matrix, cheaper when n < L*D.

    Returns the axes [K, L*D], their variances [K] and the total variance.
    """
    num_items, size = centered.shape
    blocks = list(_blocks(num_items, size))

    # float64 products, one pair of float32 blocks at a time.
    gram = np.empty((num_items, num_items))  # [n, n]
    for index, rows in enumerate(blocks):
        left = centered[rows].astype(np.float64)
        for columns in blocks[: index + 1]:
            gram[rows, columns] = left @ centered[columns].astype(np.float64).T
            gram[columns, rows] = gram[rows, columns].T
    total_variance = float(np.trace(gram)) / max(num_items - 1, 1)

    eigenvalues, eigenvectors = np.linalg.eigh(gram)  # ascending
    del gram
    eigenvalues = eigenvalues[::-1][:num_components]
    eigenvectors = np.ascontiguousarray(eigenvectors[:, ::-1][:, :num_components])  # [n, K]

    # Axes with a numerically zero eigenvalue cannot be recovered from the Gram
    # matrix, so they stay zero rows for _pad_orthonormal to fill.
    tolerance = max(eigenvalues[0], 0.0) * num_items * np.finfo(np.float64).eps
    valid = eigenvalues > tolerance
    axes = np.zeros((size, num_components))  # [L*D, K]
    for rows in blocks:
        axes += centered[rows].astype(np.float64).T @ eigenvectors[rows]
    axes[:, valid] /= np.sqrt(eigenvalues[valid])
    axes[:, ~valid] = 0.0
    variance = np.where(valid, eigenvalues, 0.0) / max(num_items - 1, 1)
    return np.ascontiguousarray(axes.T), variance, total_variance


def _decompose_covariance(centered: np.ndarray, num_components: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Top axes from the (L*D) x (L*D) covariance, accumulated block by block.

    Returns the axes [K, L*D], their variances [K] and the total variance.
    """
    num_items, size = centered.shape
    scatter = np.zeros((size, size))  # [L*D, L*D]
    for rows in _blocks(num_items, size):
        block = centered[rows].astype(np.float64)
        scatter += block.T @ block
    total_variance = float(np.trace(scatter)) / max(num_items - 1, 1)

    eigenvalues, eigenvectors = np.linalg.eigh(scatter)  # ascending, orthonormal columns
    del scatter
    components = np.ascontiguousarray(eigenvectors[:, ::-1][:, :num_components].T)
    variance = eigenvalues[::-1][:num_components] / max(num_items - 1, 1)
    return components, variance, total_variance


def _pad_orthonormal(components: np.ndarray, variance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace zero rows by random unit axes orthogonal to every other row."""
    missing = np.flatnonzero(~np.any(components, axis=1))
    if len(missing) == 0:
        return components
    known = np.delete(components, missing, axis=0)  # [r, L*D]
    random_axes = rng.standard_normal((components.shape[1], len(missing)))
    random_axes -= known.T @ (known @ random_axes)
    components[missing] = np.linalg.qr(random_axes)[0].T
    variance[missing] = 0.0
    return components
