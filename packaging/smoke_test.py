"""Smoke test of the built Linux artefact, run from the unpacked tar.gz.

    python packaging/smoke_test.py [ARTEFACT] [--faces DIR] [--keep]

Unpacks the artefact into a temporary folder and runs the bundled launcher
with HOME pointed into that folder. It prints `--version` and indexes four
real faces with the dlib, EfficientNet-Lite0 and DCGAN hybrid packs (the
plain DCGAN pack uses a subset of the hybrid's files). It then creates an
attribute, labels one face low and one high, sorts into a CSV, and opens and
closes the window offscreen when the build has the desktop app. Every run's stderr is scanned
for a missing module, data file or Qt plugin. Prints the start-up times and
exits 1 on the first failure.

tests/packaging/test_bundle_smoke.py runs the same checks under pytest when
an artefact exists in dist/.
"""

import argparse
import csv
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
DEV_FACES = ROOT.parent / "shared" / "data" / "faces_age_dev"
ARTEFACT_GLOB = "large-desktop-*-linux-x86_64.tar.gz"
QUIT_AFTER_MS = 500
RUN_TIMEOUT_S = 600

# Any of these in a run's stderr means the bundle lacks something.
BUNDLE_ERRORS = re.compile(
    r"ModuleNotFoundError|ImportError|FileNotFoundError|No such file or directory"
    r"|Could not find the Qt platform plugin|Could not load the Qt platform plugin"
    r"|qt\.qpa\.plugin: Could not|Traceback \(most recent call last\)"
)
# A line the app may print or log when its window is shown.
WINDOW_SHOWN = re.compile(r"window (is )?shown|shown the window|main window shown", re.IGNORECASE)
IMAGE_PLUGINS = ("libqjpeg.so", "libqsvg.so", "libqgif.so", "libqico.so")


class SmokeError(Exception):
    """The bundle failed a check; the message names the check and shows the output."""


@dataclass
class Report:
    """What one smoke run measured."""

    version: str = ""
    version_seconds: float = 0.0
    indexed: dict[str, str] = field(default_factory=dict)  # pack id → the index command's summary line
    sorted_paths: list[str] = field(default_factory=list)
    window: str = ""  # how the window check went
    window_seconds: float | None = None  # launch to shown (or to exit, less --quit-after)
    bundle_mb: int = 0

    def lines(self) -> list[str]:
        shown = "n/a" if self.window_seconds is None else f"{self.window_seconds:.2f} s"
        return [
            f"version: {self.version} ({self.version_seconds:.2f} s to print --version)",
            *(f"index with {pack}: {line}" for pack, line in self.indexed.items()),
            f"sorted: {', '.join(Path(path).name for path in self.sorted_paths)}",
            f"window: {self.window} (launch to window: {shown})",
            f"unpacked bundle: {self.bundle_mb} MB",
        ]


def find_artefact(folder: Path = DIST) -> Path | None:
    """The newest Linux artefact in dist/, or None."""
    candidates = sorted(folder.glob(ARTEFACT_GLOB), key=lambda path: path.stat().st_mtime)
    return candidates[-1] if candidates else None


def pick_faces(faces: Path, count: int = 4) -> list[tuple[Path, int]]:
    """The youngest and oldest faces of the dev set (half each), with their ages."""
    with (faces / "labels.csv").open(encoding="utf-8") as handle:
        rows = sorted(((int(row["age"]), row["file"]) for row in csv.DictReader(handle)), key=lambda row: (row[0], row[1]))
    chosen = rows[: count // 2] + rows[-(count - count // 2):]
    return [(faces / name, age) for age, name in chosen]


class Bundle:
    """The unpacked artefact and a private HOME for its runs."""

    def __init__(self, artefact: Path, workdir: Path) -> None:
        self.workdir = workdir
        with tarfile.open(artefact) as archive:
            archive.extractall(workdir / "unpacked", filter="data")
        tops = list((workdir / "unpacked").iterdir())
        if len(tops) != 1:
            raise SmokeError(f"{artefact} should hold one top folder, found {[path.name for path in tops]}")
        self.top = tops[0]
        for required in ("large-desktop.sh", "large-desktop.desktop", "large-desktop.png", "large-desktop/large-desktop"):
            if not (self.top / required).exists():
                raise SmokeError(f"{artefact} lacks {required}")
        self.launcher = self.top / "large-desktop.sh"
        self.home = workdir / "home"
        self.home.mkdir()

    @property
    def internal(self) -> Path:
        return self.top / "large-desktop" / "_internal"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV", "QT_"))}
        env.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_CACHE_HOME=str(self.home / "cache"),
            XDG_CONFIG_HOME=str(self.home / "config"),
            QT_QPA_PLATFORM="offscreen",
        )
        return env

    def run(self, *args: str, expect_rc: int | None = 0) -> subprocess.CompletedProcess:
        """Run the launcher; fail on an unexpected exit status or a bundle error in stderr."""
        command = [str(self.launcher), *args]
        logger.info("$ large-desktop %s", " ".join(args))
        result = subprocess.run(command, env=self.env(), cwd=self.workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        check_output(args, result, expect_rc)
        return result


def check_output(args: tuple[str, ...], result: subprocess.CompletedProcess, expect_rc: int | None) -> None:
    shown = f"large-desktop {' '.join(args)}"
    match = BUNDLE_ERRORS.search(result.stderr)
    if match:
        raise SmokeError(f"{shown}: the bundle lacks something ({match.group(0)}):\n{result.stderr[-4000:]}")
    if expect_rc is not None and result.returncode != expect_rc:
        raise SmokeError(f"{shown}: exit status {result.returncode}, expected {expect_rc}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


def check_qt_plugins(bundle: Bundle) -> None:
    """The platform and image-format plugins the build venv's Qt has must be in the bundle."""
    plugins = next(bundle.internal.rglob("plugins/platforms"), None)
    if plugins is None:
        raise SmokeError("the bundle has no Qt platforms plugin folder")
    present = [path.name for path in plugins.iterdir()]
    for name in ("libqoffscreen.so", "libqxcb.so"):
        if name not in present:
            raise SmokeError(f"Qt platform plugin {name} is missing from {plugins}; found {present}")
    if not any(name.startswith("libqwayland") for name in present):
        logger.warning("no Wayland platform plugin in the bundle (found %s); X11 and offscreen only", present)
    formats = plugins.parent / "imageformats"
    have = {path.name for path in formats.iterdir()} if formats.is_dir() else set()
    missing = [name for name in IMAGE_PLUGINS if name not in have]
    if missing:
        raise SmokeError(f"Qt image format plugins {missing} are missing from {formats}")


def time_version(bundle: Bundle, expected_version: str | None) -> tuple[str, float]:
    started = time.perf_counter()
    result = bundle.run("--version")
    elapsed = time.perf_counter() - started
    printed = result.stdout.strip()
    if not printed.startswith("large-desktop "):
        raise SmokeError(f"--version printed {printed!r}, expected 'large-desktop VERSION'")
    version = printed.split()[-1]
    if expected_version is not None and version != expected_version:
        raise SmokeError(f"--version printed {version}, the artefact's name says {expected_version}")
    return version, elapsed


def index_and_sort(bundle: Bundle, faces: list[tuple[Path, int]], report: Report) -> None:
    photos = bundle.workdir / "photos"
    photos.mkdir()
    for source, _age in faces:
        shutil.copyfile(source, photos / source.name)
    db = str(bundle.workdir / "library.sqlite")

    packs = bundle.run("packs", "list").stdout
    for required in ("dlib-face-128", "efficientnet-lite0-photo", "dcgan-face-64-hybrid"):
        if required not in packs:
            raise SmokeError(f"`packs list` does not list {required}:\n{packs}")

    # The sorted library uses the default pack. Each other pack indexes a
    # throwaway library, which proves its weights and model code are bundled.
    for pack, pack_db in (("dlib-face-128", db),
                          ("efficientnet-lite0-photo", str(bundle.workdir / "photo.sqlite")),
                          ("dcgan-face-64-hybrid", str(bundle.workdir / "dcgan.sqlite"))):
        result = bundle.run("index", str(photos), "--db", pack_db, "--pack", pack, "-q")
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        if f"indexed {len(faces)} of {len(faces)}" not in summary or " 0 failed" not in summary:
            raise SmokeError(f"index with {pack} did not encode all {len(faces)} photos: {summary!r}\n{result.stderr[-2000:]}")
        report.indexed[pack] = summary

    young, old = photos / faces[0][0].name, photos / faces[-1][0].name
    bundle.run("attribute", "create", "age", "--db", db)
    bundle.run("label", "age", str(young), "low", "--db", db)
    bundle.run("label", "age", str(old), "high", "--db", db)
    out = bundle.workdir / "sorted.csv"
    bundle.run("sort", "age", "--db", db, "--csv", str(out))
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if len(rows) != len(faces):
        raise SmokeError(f"sort wrote {len(rows)} rows, expected {len(faces)}")
    report.sorted_paths = [row["path"] for row in rows]
    ranks = {Path(row["path"]).name: int(row["rank"]) for row in rows if row["rank"]}
    if old.name not in ranks or young.name not in ranks or ranks[old.name] >= ranks[young.name]:
        raise SmokeError(f"the face labelled high should rank before the one labelled low (highest first): {ranks}")


def check_window(bundle: Bundle, db: Path) -> tuple[str, float | None]:
    """Open and close the window offscreen; skipped while the build has no app command."""
    probe = bundle.run("app", "--help", expect_rc=None)
    if probe.returncode != 0 and "invalid choice" in probe.stderr:
        return "window check skipped: the app is not in this build", None
    if probe.returncode != 0:
        raise SmokeError(f"`app --help` failed with status {probe.returncode}:\n{probe.stderr[-2000:]}")

    command = [str(bundle.launcher), "app", "--db", str(db), "--quit-after", str(QUIT_AFTER_MS)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=bundle.env(), cwd=bundle.workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    shown_at = None
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if shown_at is None and WINDOW_SHOWN.search(line):
            shown_at = time.perf_counter() - started
    rc = process.wait(timeout=RUN_TIMEOUT_S)
    total = time.perf_counter() - started
    result = subprocess.CompletedProcess(command, rc, "", "".join(lines))
    check_output(("app", "--quit-after", str(QUIT_AFTER_MS)), result, 0)
    if shown_at is not None:
        return "opened and closed offscreen", shown_at
    # No "shown" line: the window closes QUIT_AFTER_MS after it is shown.
    return "opened and closed offscreen (no 'shown' line; time is exit less --quit-after)", total - QUIT_AFTER_MS / 1000


def bundle_size_mb(bundle: Bundle) -> int:
    total = sum(path.stat().st_size for path in (bundle.top / "large-desktop").rglob("*") if path.is_file() and not path.is_symlink())
    return round(total / 2**20)


def run(artefact: Path, faces_folder: Path = DEV_FACES, keep: bool = False) -> Report:
    """Run every check on the artefact; raise SmokeError on the first failure."""
    match = re.match(r"large-desktop-(.+)-linux-x86_64\.tar\.gz$", artefact.name)
    expected_version = match.group(1) if match else None
    workdir = Path(tempfile.mkdtemp(prefix="large-desktop-smoke-"))
    try:
        bundle = Bundle(artefact, workdir)
        report = Report(bundle_mb=bundle_size_mb(bundle))
        check_qt_plugins(bundle)
        report.version, report.version_seconds = time_version(bundle, expected_version)
        index_and_sort(bundle, pick_faces(faces_folder), report)
        report.window, report.window_seconds = check_window(bundle, workdir / "library.sqlite")
        return report
    finally:
        if keep:
            logger.info("kept %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke-test the Linux tar.gz built by packaging/build.sh.")
    parser.add_argument("artefact", nargs="?", type=Path, help=f"the tar.gz (default: the newest {ARTEFACT_GLOB} in dist/)")
    parser.add_argument("--faces", type=Path, default=DEV_FACES, help="folder with labels.csv and face photos (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder for inspection")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[smoke] %(message)s")

    artefact = args.artefact or find_artefact()
    if artefact is None or not artefact.is_file():
        logger.error("no artefact found; run packaging/build.sh first")
        return 1
    if not (args.faces / "labels.csv").is_file():
        logger.error("no labels.csv in %s; pass --faces", args.faces)
        return 1
    try:
        report = run(artefact, args.faces, args.keep)
    except SmokeError as exc:
        logger.error("FAILED: %s", exc)
        return 1
    for line in report.lines():
        logger.info("%s", line)
    logger.info("passed: %s", artefact.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
