#!/bin/sh
# Start large-desktop from the unpacked tarball; arguments pass through
# (no arguments opens the window once the desktop app is in the build).
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/large-desktop/large-desktop" "$@"
