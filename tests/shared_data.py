"""Where the tests find the shared data: real photos and the StyleGAN2 reference files.

The folder `shared/` beside the repository, or the folder named by
LARGE_DESKTOP_SHARED. Tests that need it skip with the path they looked in.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LARGE_DESKTOP_SHARED") or REPO.parent / "shared")
DEV_FACES = SHARED / "data" / "faces_age_dev"
E4E_DIRECTIONS = SHARED / "reference" / "e4e_directions"
STYLEGAN2_REFERENCE = SHARED / "reference" / "stylegan2_e4e"
