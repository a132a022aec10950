"""The LARGE engine: principal basis, directions, scores and calibration, arrays in and out.

Nothing here reads the library database or imports packs. The only file
access is `load_direction_file`.
"""

from large_desktop.core.engine.basis import PrincipalBasis
from large_desktop.core.engine.directions import (
    DEFAULT_RIDGE,
    MIN_FIT_COMPONENTS,
    SOURCE_EXAMPLES,
    SOURCE_FILE,
    SOURCE_PRINCIPAL,
    Direction,
    default_fit_components,
    direction_from_examples,
    load_direction_file,
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
    "combine_rows",
    "default_fit_components",
    "direction_coords",
    "direction_from_examples",
    "fit_calibration",
    "leave_one_out",
    "load_direction_file",
    "principal_direction",
    "rank",
    "row_distances",
    "score_coords",
    "spearman",
]
