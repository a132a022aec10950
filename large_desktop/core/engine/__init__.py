"""The LARGE engine: principal basis, directions, scores and calibration, arrays in and out.

Nothing here reads files or the library database, or imports packs.
"""

from large_desktop.core.engine.basis import PrincipalBasis, fit_sample_size
from large_desktop.core.engine.directions import (
    DEFAULT_RIDGE,
    MIN_FIT_COMPONENTS,
    SOURCE_EXAMPLES,
    SOURCE_FILE,
    SOURCE_PRINCIPAL,
    Direction,
    broadcast_to_latent,
    default_fit_components,
    direction_from_array,
    direction_from_examples,
    principal_direction,
)
from large_desktop.core.engine.scoring import (
    Calibration,
    average_ranks,
    combine_rows,
    direction_coords,
    fit_calibration,
    leave_one_out,
    rank,
    row_distances,
    score_coords,
    spearman,
)

__all__ = [
    "DEFAULT_RIDGE",
    "MIN_FIT_COMPONENTS",
    "SOURCE_EXAMPLES",
    "SOURCE_FILE",
    "SOURCE_PRINCIPAL",
    "Calibration",
    "Direction",
    "PrincipalBasis",
    "average_ranks",
    "broadcast_to_latent",
    "combine_rows",
    "default_fit_components",
    "direction_coords",
    "direction_from_array",
    "direction_from_examples",
    "fit_calibration",
    "fit_sample_size",
    "leave_one_out",
    "principal_direction",
    "rank",
    "row_distances",
    "score_coords",
    "spearman",
]
