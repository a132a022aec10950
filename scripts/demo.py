"""The main job end to end, through the installed `large-desktop` command.

Without --folder it builds a sample folder from photos that scikit-image and
matplotlib ship (Eileen Collins, Grace Hopper, the cameraman, a cup of coffee,
a cat), teaches "age" from two of them and sorts the folder. With --folder it
indexes the user's photos. Given --low and --high too, it teaches an attribute
from those two photos. Otherwise it sorts by the first principal component,
which needs no labels.
"""

import argparse
import importlib.util
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).with_name("large-desktop")

# (package, file inside the package, name in the sample folder)
SAMPLE_PHOTOS = [
    ("skimage", "data/astronaut.png", "eileen_collins.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg", "grace_hopper.jpg"),
    ("skimage", "data/camera.png", "cameraman.png"),
    ("skimage", "data/coffee.png", "coffee.png"),
    ("skimage", "data/chelsea.png", "chelsea_the_cat.png"),
]


def package_folder(name: str) -> Path:
    """Locate an installed package without importing it (only its data is used)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: package {name} is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def build_sample_folder(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for package, relative, name in SAMPLE_PHOTOS:
        shutil.copyfile(package_folder(package) / relative, target / name)
    return target


def run(*args: str) -> None:
    print(f"$ large-desktop {shlex.join(args)}", flush=True)
    completed = subprocess.run([str(CLI), *args])
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-output", help="folder for the database, CSV and contact sheet")
    parser.add_argument("--folder", help="your own photo folder (default: a sample folder)")
    parser.add_argument("--low", help="a photo showing little of the attribute")
    parser.add_argument("--high", help="a photo showing much of the attribute")
    args = parser.parse_args()
    if bool(args.low) != bool(args.high):
        parser.error("give both --low and --high (LOW= and HIGH= with make), or neither")

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    database = str(out / "library.sqlite")

    if args.folder:
        folder = Path(args.folder).expanduser()
        name = "attribute"
        low, high = args.low, args.high
    else:
        folder = build_sample_folder(out / "sample")
        name = "age"
        low, high = str(folder / "eileen_collins.png"), str(folder / "grace_hopper.jpg")

    run("index", str(folder), "--db", database)
    outputs = ["--csv", str(out / "sorted.csv"), "--contact-sheet", str(out / "contact_sheet.jpg"), "--all"]

    if low and high:
        if name in _attributes(database):
            # A second demo run starts the attribute afresh.
            run("attribute", "delete", name, "--db", database)
        run("attribute", "create", name, "--db", database)
        run("label", name, low, "low", "--db", database)
        run("label", name, high, "high", "--db", database)
        run("sort", name, "--db", database, *outputs)
    else:
        print("no --low/--high photos given: sorting by the first principal component, which needs no labels")
        run("sort", "--component", "1", "--db", database, *outputs)

    print(f"\nresults: {out / 'sorted.csv'} and {out / 'contact_sheet.jpg'}")
    return 0


def _attributes(database: str) -> set[str]:
    listing = subprocess.run([str(CLI), "attribute", "list", "--db", database], capture_output=True, text=True)
    return {line.split("\t")[0] for line in listing.stdout.splitlines() if "\t" in line}


if __name__ == "__main__":
    sys.exit(main())
