"""Entry script of the frozen app: the same main() as the `large-desktop` console script."""

import multiprocessing
import sys

from large_desktop.cli import main

if __name__ == "__main__":
    # A frozen executable re-runs itself for multiprocessing children; this
    # hands such a run to the child instead of the command line.
    multiprocessing.freeze_support()
    sys.exit(main())
