"""The headless command line, on the same core as the desktop app.

Every user error prints one line naming the file or value and what to do,
and exits with status 2; cancellation exits with 130. Bugs keep their
traceback.
"""

import argparse
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.exc import SQLAlchemyError

from large_desktop import __version__
from large_desktop.core.errors import LargeError, UserInputError
from large_desktop.core.scan import normalise_root

logger = logging.getLogger(__name__)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
MAX_WALK_STEPS = 64  # wider strips exceed JPEG's 65,500-pixel limit at 4× zoom
MAX_WALK_SPREAD = 10.0  # standard deviations; beyond that the generator renders noise


def default_db_path() -> Path:
    return Path(user_data_dir("large-desktop", appauthor=False)) / "library.sqlite"


class StopFlag:
    """Turns the first Ctrl-C into a request to stop after the current batch."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def install(self) -> None:
        def handler(_signum: int, _frame: object) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            print("\nstopping after the current batch (press Ctrl-C again to abort now)", file=sys.stderr)

        signal.signal(signal.SIGINT, handler)


def open_library(args: argparse.Namespace) -> "Library":
    from large_desktop.core.library import Library
    from large_desktop.core.packs import available_packs

    installed = available_packs()
    if args.pack is not None and args.pack not in installed:
        raise UserInputError(f"unknown pack {args.pack!r}; installed packs: {', '.join(sorted(installed))}")
    return Library(Path(args.db), pack_id=args.pack)


# ------------------------------------------------------------------ commands

def cmd_index(args: argparse.Namespace) -> int:
    library = open_library(args)
    folders = [Path(folder) for folder in args.folders]
    check_folders(library, folders)
    stop = StopFlag()
    stop.install()

    with library.exclusive():
        run_scan(library, folders, stop, quiet=args.quiet)
        last = run_index(library, stop, quiet=args.quiet)

    if last is not None:
        encoded = "faces" if library.pack.manifest.domain == "face" else "photos encoded"
        skipped = f", {last.missing} vanished before they were read" if last.missing else ""
        print(f"indexed {last.done - last.missing} of {last.total} pending photos: {last.faces} {encoded}, {last.failed} failed{skipped}")
    if stop():
        print("stopped; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def check_folders(library: "Library", folders: list[Path]) -> None:
    """Reject a folder that does not exist unless the library has scanned it before (an unplugged drive)."""
    known = library.folder_paths()
    for folder in folders:
        if not str(folder).strip():
            raise UserInputError("an empty folder name was given; name the folder to index")
        if folder.is_dir() or str(normalise_root(folder)) in known:
            continue
        if folder.exists():
            raise UserInputError(f"{folder} is not a folder; give the folder that contains the photos")
        raise UserInputError(f"folder {folder} not found; check the path")


def run_scan(library: "Library", folders: list[Path], stop: StopFlag, quiet: bool) -> None:
    from tqdm import tqdm

    with tqdm(desc="scanning", unit=" files", disable=quiet) as bar:
        for progress in library.scan(folders, stop):
            bar.set_postfix_str(f"{progress.folder.name}: {progress.new} new, {progress.missing} missing", refresh=False)
            bar.update(progress.seen - bar.n)
            if progress.folder_missing:
                print(f"warning: folder {progress.folder} is missing or unmounted; its photos are kept and marked missing", file=sys.stderr)


def run_index(library: "Library", stop: StopFlag, quiet: bool) -> "IndexProgress | None":
    from tqdm import tqdm

    last = None
    with tqdm(desc="indexing", unit=" photos", disable=quiet) as bar:
        for last in library.index(stop):
            bar.total = last.total
            bar.set_postfix_str(f"{last.faces} items, {last.failed} failed", refresh=False)
            bar.update(last.done - bar.n)
    return last


def cmd_attribute(args: argparse.Namespace) -> int:
    library = open_library(args)
    if args.action == "create":
        library.create_attribute(args.name)
        print(f"created attribute {args.name!r}; label examples with `large-desktop label {args.name} PHOTO low|high|NUMBER`")
    elif args.action == "delete":
        count = library.delete_attribute(args.name)
        print(f"deleted attribute {args.name!r} and its {count} labels")
    else:
        rows = library.attributes()
        if not rows:
            print("no attributes yet; create one with `large-desktop attribute create NAME`")
        for name, count in rows:
            print(f"{name}\t{count} labels")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    library = open_library(args)
    library.label(args.name, Path(args.image), args.value)
    print(f"labeled {args.image} as {args.value} for {args.name!r}")
    return 0


def cmd_sort(args: argparse.Namespace) -> int:
    if args.name and (args.direction or args.component is not None):
        raise UserInputError(f"give either the attribute {args.name!r} or --direction/--component, not both")
    library = open_library(args)
    direction_file = Path(args.direction) if args.direction else None
    result = library.sort(args.name, component=args.component, direction_file=direction_file, reverse=args.reverse)

    print(f"direction: {result.direction.estimator}", file=sys.stderr)
    if result.loo_error is not None:
        print(f"leave-one-out mean absolute error: {result.loo_error:.3g}", file=sys.stderr)
    if result.calibration is None and args.name:
        print("values need at least two numeric labels; the value column is empty", file=sys.stderr)

    export_sorted(args, result.rows)

    for line in format_rows(result.rows, limit=None if args.all else 20):
        print(line)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    library = open_library(args)
    for prediction in library.predict(args.name, [Path(image) for image in args.images]):
        if prediction.score is None:
            print(f"{prediction.path}\t-\t({prediction.status.replace('_', ' ')})")
        elif prediction.value is None:
            print(f"{prediction.path}\tscore {prediction.score:.4f}\t(no value: label at least two photos with numbers)")
        else:
            print(f"{prediction.path}\t{prediction.value:.2f}\tscore {prediction.score:.4f}")
    return 0


def cmd_reconstruct(args: argparse.Namespace) -> int:
    from large_desktop.core.faces import FaceDetector
    from large_desktop.core.packs import available_packs, load_pack
    from large_desktop.core.previews import reconstruct

    pack_id = args.pack
    if pack_id is None and Path(args.db).is_file():
        # The library's own pack when it has a generator, else the offline GAN.
        library_pack = open_library(args).pack_id
        pack_id = library_pack if available_packs()[library_pack].has_generator else None
    pack = load_pack(pack_id or "dcgan-face-64")
    image = reconstruct(pack, Path(args.image), FaceDetector())
    save_image(image, Path(args.out))
    print(f"wrote {args.out}: the aligned face (left) and its reconstruction by {pack.id} (right)")
    return 0


def cmd_walk(args: argparse.Namespace) -> int:
    from large_desktop.core.previews import walk

    from large_desktop.core import engine

    if not 2 <= args.steps <= MAX_WALK_STEPS:
        raise UserInputError(f"--steps {args.steps} is invalid; use 2 to {MAX_WALK_STEPS} faces")
    if not 0 < args.spread <= MAX_WALK_SPREAD:
        raise UserInputError(f"--spread {args.spread:g} is invalid; use a number above 0 and at most {MAX_WALK_SPREAD:g}")
    library = open_library(args)
    direction, _, _, _ = library.direction_for(args.name)
    index = library.latent_index()
    center = index.basis.mean.reshape(library.pack.latent_shape)  # the library's mean latent
    scores = engine.score_coords(index.coords, engine.direction_coords(index.basis, direction))  # [N]
    spread = args.spread * float(scores.std())
    image = walk(library.pack, center, direction.vector, spread, steps=args.steps)
    save_image(image, Path(args.out))
    print(f"wrote {args.out}: {args.name!r} from less (left) to more (right), ±{args.spread:g} std of the library")
    return 0


def save_image(image: "Image.Image", path: Path) -> None:
    try:
        image.save(path)
    except (OSError, ValueError) as exc:
        raise UserInputError(f"cannot write image {path}: {exc}; choose another path ending in .png or .jpg") from exc


def cmd_packs(args: argparse.Namespace) -> int:
    from large_desktop.core.packs import DEFAULT_PACK_ID, available_packs
    from large_desktop.core.packs.registry import measured_accuracy

    measured = measured_accuracy()
    print("  id\tkind\tdomain\tlatent\tk=2 ρ (age)\tname")
    for manifest in available_packs().values():
        marker = "*" if manifest.id == DEFAULT_PACK_ID else " "
        rows, dim = manifest.latent_shape
        figure = measured.get(manifest.id, {}).get("k2_rho")
        accuracy = f"{figure:.2f}" if figure is not None else "-"
        print(f"{marker} {manifest.id}\t{manifest.kind}\t{manifest.domain}\t{rows}x{dim}\t{accuracy}\t{manifest.name}")
    print("* default; ρ: Spearman rank correlation with age from two labeled faces, measured by bench/accuracy.py")
    return 0


# ------------------------------------------------------------------- output

def export_sorted(args: argparse.Namespace, rows: list) -> None:
    """Write the exports the sort command was given, through `core.export`."""
    from large_desktop.core import export

    if args.csv:
        count = export.write_csv(Path(args.csv), rows)
        print(f"wrote {count} rows to {args.csv}", file=sys.stderr)
    if args.copy_to:
        skipped = run_export(export.place_photos(Path(args.copy_to), rows, args.copy_mode), "exporting", args.quiet)
        verb = {export.COPY: "copied", export.HARDLINK: "hard-linked", export.SYMLINK: "symlinked"}[args.copy_mode]
        exported = len(export.ranked(rows)) - skipped
        print(f"{verb} {exported} photos to {args.copy_to}" + (f", skipped {skipped} missing" if skipped else ""), file=sys.stderr)
    if args.contact_sheet:
        export.write_contact_sheet(Path(args.contact_sheet), rows)
        print(f"wrote contact sheet {args.contact_sheet}", file=sys.stderr)
    if args.xmp_ratings:
        skipped = run_export(export.write_xmp_ratings(rows), "rating", args.quiet)
        rated = len(export.ranked(rows)) - skipped
        print(f"wrote star ratings into the .xmp sidecars of {rated} photos" + (f", skipped {skipped}" if skipped else ""), file=sys.stderr)


def run_export(progress: Iterator["ExportProgress"], description: str, quiet: bool) -> int:
    """Drive an export generator with a progress bar, print each skipped photo; return how many were skipped."""
    from tqdm import tqdm

    skipped = 0
    with tqdm(desc=description, unit=" photos", disable=quiet) as bar:
        for step in progress:
            bar.total = step.total
            bar.update(step.done - bar.n)
            for message in step.skipped:
                tqdm.write(f"warning: {message}", file=sys.stderr)
            skipped += len(step.skipped)
    return skipped


def format_rows(rows: list, limit: int | None) -> Iterator[str]:
    yield "rank\tscore\tvalue\tpath"
    shown = rows if limit is None else rows[:limit]
    for row in shown:
        rank = str(row.rank) if row.rank is not None else "-"
        score = f"{row.score:.4f}" if row.score is not None else row.status.replace("_", " ")
        value = f"{row.value:.1f}" if row.value is not None else ""
        path = row.path.encode("unicode_escape").decode("ascii") if not row.path.isprintable() else row.path
        yield f"{rank}\t{score}\t{value}\t{path}"
    if limit is not None and len(rows) > limit:
        yield f"... {len(rows) - limit} more (use --all or --csv)"


# ------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="large-desktop", description="Sort photos by attributes taught from a few examples.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=str(default_db_path()), help="library database file (default: %(default)s)")
    common.add_argument("--pack", default=None, help="model pack id (default: the pack the library was indexed with, else dlib-face-128; see `large-desktop packs list`)")
    common.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", parents=[common], help="scan folders and encode every new photo")
    index.add_argument("folders", nargs="+", metavar="FOLDER")
    index.set_defaults(run=cmd_index)

    attribute = commands.add_parser("attribute", help="create, list or delete attributes")
    actions = attribute.add_subparsers(dest="action", required=True)
    for action in ("create", "delete"):
        sub = actions.add_parser(action, parents=[common])
        sub.add_argument("name", metavar="NAME")
        sub.set_defaults(run=cmd_attribute, action=action)
    listing = actions.add_parser("list", parents=[common])
    listing.set_defaults(run=cmd_attribute, action="list")

    label = commands.add_parser("label", parents=[common], help="label a photo low, high or with a number")
    label.add_argument("name", metavar="NAME")
    label.add_argument("image", metavar="IMAGE")
    label.add_argument("value", metavar="VALUE", help="a number, 'low' or 'high'")
    label.set_defaults(run=cmd_label)

    sort = commands.add_parser("sort", parents=[common], help="sort the library by an attribute")
    sort.add_argument("name", metavar="NAME", nargs="?")
    sort.add_argument("--component", type=int, help="sort by principal component K (1 = largest) instead of labels")
    sort.add_argument("--direction", metavar="FILE", help="sort along a direction file (.npy or .pt)")
    sort.add_argument("--csv", metavar="OUT", help="write rank,path,score,value,status to a CSV file")
    sort.add_argument("--copy-to", metavar="DIR", help="copy the sorted photos into DIR with rank prefixes; existing files are kept")
    sort.add_argument("--copy-mode", choices=("copy", "hardlink", "symlink"), default="copy",
                      help="how --copy-to places each photo: a copy, a hard link or a symbolic link (default: %(default)s)")
    sort.add_argument("--contact-sheet", metavar="OUT.jpg", help="write a contact sheet of the sorted faces")
    sort.add_argument("--xmp-ratings", action="store_true",
                      help="write 1 to 5 stars by score quintile into a sidecar NAME.jpg.xmp next to each photo NAME.jpg; other sidecar fields are kept")
    sort.add_argument("--reverse", action="store_true", help="lowest first")
    sort.add_argument("--all", action="store_true", help="print every row, not the first 20")
    sort.set_defaults(run=cmd_sort)

    predict = commands.add_parser("predict", parents=[common], help="predict an attribute's value for images")
    predict.add_argument("name", metavar="NAME")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.set_defaults(run=cmd_predict)

    rebuild = commands.add_parser("reconstruct", parents=[common], help="show a face beside its GAN reconstruction")
    rebuild.add_argument("image", metavar="IMAGE")
    rebuild.add_argument("--out", required=True, metavar="OUT.png", help="image file to write")
    rebuild.set_defaults(run=cmd_reconstruct)

    walking = commands.add_parser("walk", parents=[common], help="render faces along an attribute's direction")
    walking.add_argument("name", metavar="NAME")
    walking.add_argument("--out", required=True, metavar="OUT.png", help="image file to write")
    walking.add_argument("--steps", type=int, default=7, help="faces in the strip (default: %(default)s)")
    walking.add_argument("--spread", type=float, default=2.0,
                         help="how far to walk each way, in standard deviations of the library's scores (default: %(default)s)")
    walking.set_defaults(run=cmd_walk)

    packs = commands.add_parser("packs", help="list installed model packs")
    packs_actions = packs.add_subparsers(dest="action", required=True)
    packs_actions.add_parser("list").set_defaults(run=cmd_packs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except LargeError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SQLAlchemyError as exc:
        # Anything SQLite reports that the core did not already translate:
        # a corrupt page, a foreign key broken by hand, an I/O error.
        print(f"error: the library database {args.db} failed: {getattr(exc, 'orig', exc)}; "
              "if it is corrupt, move it away and index again (labels live in the same file, so keep a copy)", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader of stdout went away (`large-desktop sort age | head`).
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
