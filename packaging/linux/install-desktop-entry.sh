#!/bin/sh
# Add large-desktop to the desktop's application menu for the current user:
# writes ~/.local/share/applications/large-desktop.desktop pointing at this
# unpacked folder, and the icon into the user's icon theme folder.
# Run it again after moving the folder; remove both files to undo.
set -eu
HERE="$(dirname "$(readlink -f "$0")")"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$DATA/applications" "$DATA/icons/hicolor/256x256/apps" "$DATA/icons/hicolor/scalable/apps"
cp "$HERE/large-desktop.png" "$DATA/icons/hicolor/256x256/apps/large-desktop.png"
cp "$HERE/large-desktop.svg" "$DATA/icons/hicolor/scalable/apps/large-desktop.svg"
sed "s|^Exec=large-desktop|Exec=\"$HERE/large-desktop.sh\"|" "$HERE/large-desktop.desktop" \
    > "$DATA/applications/large-desktop.desktop"
echo "installed $DATA/applications/large-desktop.desktop"
