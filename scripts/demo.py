"""Run the demo from a checkout: `make demo` calls this (see large_desktop/demo.py).

It indexes sample photos (or --folder), teaches an attribute and sorts, then
opens the app on that library when a display is available.
"""

import sys

from large_desktop.demo import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
