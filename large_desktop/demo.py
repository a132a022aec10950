"""The main job end to end on sample photos, in-process through the command line.

Without a folder it builds a sample folder from photos that scikit-image and
matplotlib ship (Eileen Collins, Grace Hopper, the cameraman, a cup of coffee,
a cat), teaches "age" from two of them and sorts the folder. With a folder it
indexes the user's photos. Given low and high photos too, it teaches an
attribute from those two. Otherwise it sorts by the first principal
component, which needs no labels. With a display, the app then opens on the
library it made.
"""

import argparse
import contextlib
import importlib.util
import io
import shlex
import shutil
import sys
from pathlib import Path

from platformdirs import user_data_dir

from large_desktop.core.errors import UserInputError

# (package, file inside the package, name in the sample folder)
SAMPLE_PHOTOS = [
    ("skimage", "data/astronaut.png", "eileen_collins.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg", "grace_hopper.jpg"),
    ("skimage", "data/camera.png", "cameraman.png"),
    ("skimage", "data/coffee.png", "coffee.png"),
    ("skimage", "data/chelsea.png", "chelsea_the_cat.png"),
]


def default_out() -> Path:
    return Path(user_data_dir("large-desktop", appauthor=False)) / "demo"


def package_folder(name: str) -> Path:
    """Locate an installed package without importing it (only its data is used).

    Raises:
        UserInputError: the package is not installed.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise UserInputError(f"package {name} is not installed, so the sample photos are missing; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def build_sample_folder(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for package, relative, name in SAMPLE_PHOTOS:
        shutil.copyfile(package_folder(package) / relative, target / name)
    return target


def run_cli(*args: str) -> None:
    """Run one `large-desktop` command in this process; exit with its status when it fails."""
    from large_desktop.cli import main as cli_main

    print(f"$ large-desktop {shlex.join(args)}", flush=True)
    status = cli_main(list(args))
    if status != 0:
        raise SystemExit(status)


def attribute_names(database: str) -> set[str]:
    from large_desktop.cli import main as cli_main

    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        cli_main(["attribute", "list", "--db", database])
    return {line.split("\t")[0] for line in listing.getvalue().splitlines() if "\t" in line}


def run_headless(out: Path, folder: Path | None = None, low: str | None = None, high: str | None = None) -> Path:
    """Index, label and sort into `out`; return the library database it made."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    database = str(out / "library.sqlite")

    if folder is not None:
        name = "attribute"
    else:
        folder = build_sample_folder(out / "sample")
        name = "age"
        low, high = str(folder / "eileen_collins.png"), str(folder / "grace_hopper.jpg")

    run_cli("index", str(folder), "--db", database)
    outputs = ["--csv", str(out / "sorted.csv"), "--contact-sheet", str(out / "contact_sheet.jpg"), "--all"]
    if low and high:
        if name in attribute_names(database):
            # A second demo run starts the attribute afresh.
            run_cli("attribute", "delete", name, "--db", database)
        run_cli("attribute", "create", name, "--db", database)
        run_cli("label", name, low, "low", "--db", database)
        run_cli("label", name, high, "high", "--db", database)
        run_cli("sort", name, "--db", database, *outputs)
    else:
        print("no --low/--high photos given: sorting by the first principal component, which needs no labels")
        run_cli("sort", "--component", "1", "--db", database, *outputs)

    print(f"\nresults: {out / 'sorted.csv'} and {out / 'contact_sheet.jpg'}")
    return Path(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="large-desktop demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(default_out()), help="folder for the database, CSV and contact sheet (default: %(default)s)")
    parser.add_argument("--folder", help="your own photo folder (default: a sample folder)")
    parser.add_argument("--low", help="a photo showing little of the attribute")
    parser.add_argument("--high", help="a photo showing much of the attribute")
    parser.add_argument("--headless", action="store_true", help="do not open the app afterwards")
    parser.add_argument("--quit-after", type=int, metavar="MS", help="close the app this many milliseconds after it is shown (for tests)")
    args = parser.parse_args(argv)
    if bool(args.low) != bool(args.high):
        parser.error("give both --low and --high (LOW= and HIGH= with make), or neither")

    from large_desktop.app.main import display_available

    show_app = not args.headless
    if show_app and not display_available():
        print("no display found (DISPLAY and WAYLAND_DISPLAY are unset); running the headless demo only", flush=True)
        show_app = False
    try:
        database = run_headless(Path(args.out), Path(args.folder).expanduser() if args.folder else None, args.low, args.high)
    except UserInputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if not show_app:
        return 0
    from large_desktop.app.main import run

    print(f"opening the app on {database}", flush=True)
    return run(["--db", str(database)] + (["--quit-after", str(args.quit_after)] if args.quit_after is not None else []))


if __name__ == "__main__":
    sys.exit(main())
