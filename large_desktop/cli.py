"""The headless command line, on the same core as the desktop app.

Every user error prints one line naming the file or value and what to do,
and exits with status 2; cancellation exits with 130. Bugs keep their
traceback.
"""

import argparse
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from large_desktop import __version__
from large_desktop.core.errors import LargeError, UserInputError
from large_desktop.core.packs.folders import user_data_folder
from large_desktop.core.scan import normalise_root

logger = logging.getLogger(__name__)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
MAX_WALK_STEPS = 64  # wider strips exceed JPEG's 65,500-pixel limit at 4× zoom
MAX_WALK_SPREAD = 10.0  # standard deviations; beyond that the generator renders noise
# A negative number as float() reads it, scientific notation included: -5, -.5, -1.5e3, -2E-4.
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def default_db_path() -> Path:
    """Return the default library file, in the user data folder that LARGE_DESKTOP_DATA_DIR overrides."""
    return user_data_folder() / "library.sqlite"


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
    from large_desktop.core.labels import attribute_name

    library = open_library(args)
    if args.action == "create":
        name = library.create_attribute(args.name)
        print(f"created attribute {name!r}; label examples with `large-desktop label {name} PHOTO low|high|NUMBER`")
    elif args.action == "delete":
        count = library.delete_attribute(args.name)
        print(f"deleted attribute {attribute_name(args.name)!r} and its {count} labels")
    else:
        rows = library.attributes()
        if not rows:
            print("no attributes yet; create one with `large-desktop attribute create NAME`")
        for name, count in rows:
            print(f"{name}\t{count} labels")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    library = open_library(args)
    change = library.label_file(args.name, Path(args.image), args.value)
    print(f"labeled {args.image} as {args.value} for {change.attribute!r}")
    return 0


def cmd_sort(args: argparse.Namespace) -> int:
    if args.name and (args.direction or args.component is not None):
        raise UserInputError(f"give either the attribute {args.name!r} or --direction/--component, not both")
    library = open_library(args)
    # An existing file takes precedence over a direction of the same name, so file paths keep working as before.
    direction_file = direction_name = None
    if args.direction and Path(args.direction).is_file():
        direction_file = Path(args.direction)
    elif args.direction:
        direction_name = args.direction
    result = library.sort(
        args.name, component=args.component, direction_file=direction_file, direction_name=direction_name, reverse=args.reverse
    )

    print(f"direction: {result.direction.estimator}", file=sys.stderr)
    if result.loo_error is not None:
        print(f"leave-one-out mean absolute error: {result.loo_error:.3g}", file=sys.stderr)
    if result.calibration is None and args.name:
        print("values need at least two numeric labels; the value column is empty", file=sys.stderr)

    export_sorted(args, result.rows, library.folder_paths())

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


def directions_pack(args: argparse.Namespace) -> "PackManifest":
    """Return the manifest of --pack, else of the library's pack when --db exists, else of the default pack."""
    from large_desktop.core.packs import DEFAULT_PACK_ID, available_packs

    installed = available_packs()
    pack_id = args.pack
    if pack_id is None:
        pack_id = open_library(args).pack_id if Path(args.db).is_file() else DEFAULT_PACK_ID
    if pack_id not in installed:
        raise UserInputError(f"unknown pack {pack_id!r}; installed packs: {', '.join(sorted(installed))}")
    return installed[pack_id]


def cmd_directions(args: argparse.Namespace) -> int:
    from large_desktop.core.packs import available_packs
    from large_desktop.core.packs.direction_store import import_directions, list_directions, remove_directions

    if args.action == "import":
        manifest = directions_pack(args)
        imported = import_directions(manifest, args.name, Path(args.file))
        names = [direction.name for direction in imported]
        shown = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"
        print(f"imported {len(names)} direction(s) {shown} for pack {manifest.id}; "
              f"sort with `large-desktop sort --direction {names[0]}`")
    elif args.action == "remove":
        manifest = directions_pack(args)
        removed = remove_directions(manifest, args.name)
        print(f"removed {len(removed)} direction(s) from pack {manifest.id}: {', '.join(removed)}")
    else:
        manifests = [directions_pack(args)] if args.pack else list(available_packs().values())
        print("pack\tname\tkind\tshape\torigin\tsource")
        count = 0
        for manifest in manifests:
            for direction in list_directions(manifest):
                shape = "x".join(map(str, direction.shape))
                print(f"{manifest.id}\t{direction.name}\t{direction.kind}\t{shape}\t{direction.origin}\t{direction.source}")
                count += 1
        if count == 0:
            print("no directions yet; import one with `large-desktop directions import NAME FILE [--pack ID]`", file=sys.stderr)
    return 0


def cmd_packs_list(args: argparse.Namespace) -> int:
    from large_desktop.core.packs import DEFAULT_PACK_ID
    from large_desktop.core.packs.catalogue import license_summary, load_catalogue
    from large_desktop.core.packs.download import format_bytes
    from large_desktop.core.packs.manager import installed_packs
    from large_desktop.core.packs.registry import installed_pack_manifests, measured_accuracy, shipped_packs

    measured = measured_accuracy()
    folders = installed_packs()
    print("  id\tkind\tdomain\tlatent\tk=2 ρ (age)\tsize\tlicence\tstatus\tname")
    shipped = shipped_packs()
    rows = [(manifest, "shipped") for manifest in shipped.values()]
    rows += [(manifest, "installed") for manifest, _ in installed_pack_manifests().values() if manifest.id not in shipped]
    for manifest, status in rows:
        marker = "*" if manifest.id == DEFAULT_PACK_ID else " "
        latent_rows, dim = manifest.latent_shape
        figure = measured.get(manifest.id, {}).get("k2_rho")
        accuracy = f"{figure:.2f}" if figure is not None else "-"
        size = format_bytes(sum(weight.size for weight in manifest.weights))
        print(f"{marker} {manifest.id}\t{manifest.kind}\t{manifest.domain}\t{latent_rows}x{dim}\t{accuracy}\t{size}\t"
              f"{license_summary(manifest.license)}\t{status}\t{manifest.name}")

    listed = {manifest.id for manifest, _ in rows}
    for entry in load_catalogue().values():
        if entry.id in listed:
            continue
        latent_rows, dim = entry.latent_shape
        size = format_bytes(entry.size) if entry.size_exact else f"~{format_bytes(entry.size)}"
        status = describe_download(folders.get(entry.id))
        print(f"  {entry.id}\tgan\t{entry.domain}\t{latent_rows}x{dim}\t-\t{size}\t{entry.license_short}\t{status}\t{entry.name}")

    print("* default; ρ: Spearman rank correlation with age from two labeled faces, measured by bench/accuracy.py")
    print("install a pack with `large-desktop packs install ID`, or `packs import ID FILE` for a checkpoint you already have")
    return 0


def describe_download(folder: "InstalledPack | None") -> str:
    """Describe how far a catalogue pack got towards being installed."""
    from large_desktop.core.packs.download import format_bytes

    if folder is None or folder.status == "empty":
        return "not installed"
    if folder.status == "partial":
        return f"partial download ({format_bytes(folder.partial_bytes)})"
    if folder.status == "downloaded":
        return "downloaded, not converted"
    return "broken manifest, run `packs remove` and install again"


def cmd_packs_install(args: argparse.Namespace) -> int:
    from large_desktop.core.packs import manager
    from large_desktop.core.packs.catalogue import catalogue_entry
    from large_desktop.core.packs.download import format_bytes

    entry = catalogue_entry(args.id)
    confirm_license(entry, args.accept_license)
    print(f"downloading {entry.id} ({entry.file}, about {format_bytes(entry.size)}) from {entry.url}", file=sys.stderr)
    return run_pack_job(lambda progress, stop: manager.install(entry.id, progress=progress, stop=stop), entry.id, args.quiet)


def cmd_packs_import(args: argparse.Namespace) -> int:
    from large_desktop.core.packs import manager
    from large_desktop.core.packs.catalogue import catalogue_entry

    entry = catalogue_entry(args.id)
    confirm_license(entry, args.accept_license)
    file = Path(args.file)
    return run_pack_job(lambda progress, stop: manager.import_pack(entry.id, file, progress=progress, stop=stop), entry.id, args.quiet)


def run_pack_job(job: "Callable", pack_id: str, quiet: bool) -> int:
    """Run an install or import with a byte progress bar; Ctrl-C stops it after the current chunk."""
    from tqdm import tqdm

    from large_desktop.core.errors import Interrupted
    from large_desktop.core.packs.manager import packs_folder

    stop = StopFlag()
    stop.install()
    with tqdm(desc=pack_id, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, disable=quiet) as bar:
        def on_progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            manifest = job(on_progress, stop)
        except Interrupted as exc:
            bar.close()
            print(exc.message, file=sys.stderr)
            return EXIT_INTERRUPTED
    print(f"installed {manifest.id} in {packs_folder() / manifest.id}")
    return 0


def confirm_license(entry: "CatalogueEntry", accepted: bool) -> None:
    """Show a pack's licence; go on when it is accepted by flag or at a y/N prompt."""
    print(f"{entry.name}: licence {entry.license_short}\n{entry.license_text}\nsource: {entry.project}", file=sys.stderr)
    if accepted:
        return
    if not sys.stdin.isatty():
        raise UserInputError(f"pack {entry.id} is licensed for non-commercial use only; read the notice above and rerun with --accept-license to install it")
    try:
        answer = input("Accept this licence and install? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise UserInputError(f"licence not accepted, so pack {entry.id} was not installed")


def cmd_packs_remove(args: argparse.Namespace) -> int:
    from large_desktop.core.packs.manager import remove

    folder = remove(args.id, forget_hash=args.forget_hash)
    print(f"removed pack {args.id} ({folder})")
    return 0


# ------------------------------------------------------------------- output

def export_sorted(args: argparse.Namespace, rows: list, library_folders: set[str]) -> None:
    """Write the exports the sort command was given, through `core.export`."""
    from large_desktop.core import export

    if args.copy_to:  # refused before any other export is written
        export.check_outside_library(Path(args.copy_to), library_folders)
    if args.csv:
        count = export.write_csv(Path(args.csv), rows)
        print(f"wrote {count} rows to {args.csv}", file=sys.stderr)
    if args.copy_to:
        skipped = run_export(export.place_photos(Path(args.copy_to), rows, args.copy_mode, library_folders=library_folders), "exporting", args.quiet)
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

    # No command opens the desktop app, like `large-desktop app`.
    commands = parser.add_subparsers(dest="command")

    app = commands.add_parser("app", help="open the desktop app (the default without a command)")
    app.add_argument("--db", help="library database file (default: the last library opened, else %s)" % default_db_path())
    app.add_argument("--folder", action="append", default=[], metavar="DIR", help="add this folder to the library (repeatable)")
    app.add_argument("--quit-after", type=int, metavar="MS", help="close the window this many milliseconds after it is shown")
    app.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    app.set_defaults(run=cmd_app)

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
    # argparse in Python 3.11 reads only -5 and -1.5 as negative numbers and takes
    # -1e3 for an unknown option. NOTE: `_negative_number_matcher` is private to
    # argparse; test_label_negative_scientific_value fails if it stops working.
    label._negative_number_matcher = NEGATIVE_NUMBER
    label.set_defaults(run=cmd_label)

    sort = commands.add_parser("sort", parents=[common], help="sort the library by an attribute")
    sort.add_argument("name", metavar="NAME", nargs="?")
    sort.add_argument("--component", type=int, help="sort by principal component K (1 = largest) instead of labels")
    sort.add_argument("--direction", metavar="FILE|NAME",
                      help="sort along a direction file (.npy, .npz, .pt, .pth, .safetensors) or a direction of the pack by name (see `large-desktop directions list`)")
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

    directions = commands.add_parser("directions", help="list, import or remove named directions of a pack")
    directions_actions = directions.add_subparsers(dest="action", required=True)
    directions_actions.add_parser("list", parents=[common], help="list preset and imported directions (of every pack unless --pack)").set_defaults(
        run=cmd_directions, action="list")
    importing = directions_actions.add_parser("import", parents=[common], help="import a direction file under a name (a GANSpace file gives NAME-0, NAME-1, ...)")
    importing.add_argument("name", metavar="NAME")
    importing.add_argument("file", metavar="FILE", help="direction file: .npy, .npz, .pt, .pth or .safetensors")
    importing.set_defaults(run=cmd_directions, action="import")
    removing = directions_actions.add_parser("remove", parents=[common], help="remove an imported direction, or all components imported under NAME")
    removing.add_argument("name", metavar="NAME")
    removing.set_defaults(run=cmd_directions, action="remove")

    packs = commands.add_parser("packs", help="list, install, import or remove model packs")
    packs_actions = packs.add_subparsers(dest="action", required=True)
    packs_actions.add_parser("list", help="list shipped, installed and downloadable packs").set_defaults(run=cmd_packs_list)
    accept = argparse.ArgumentParser(add_help=False)
    accept.add_argument("--accept-license", action="store_true", help="accept the pack's licence without a prompt")
    accept.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    install = packs_actions.add_parser("install", parents=[accept], help="download a pack from the catalogue (resumes an interrupted download)")
    install.add_argument("id", metavar="ID")
    install.set_defaults(run=cmd_packs_install)
    importing = packs_actions.add_parser("import", parents=[accept], help="install a catalogue pack from a checkpoint file you already have")
    importing.add_argument("id", metavar="ID")
    importing.add_argument("file", metavar="FILE")
    importing.set_defaults(run=cmd_packs_import)
    removing = packs_actions.add_parser("remove", help="delete an installed pack")
    removing.add_argument("id", metavar="ID")
    removing.add_argument("--forget-hash", action="store_true",
                          help="also forget the checkpoint hash recorded at the first install, so another file is accepted")
    removing.set_defaults(run=cmd_packs_remove)
    return parser


def cmd_app(args: argparse.Namespace) -> int:
    from large_desktop.app.main import run

    argv = [f"--folder={folder}" for folder in args.folder]
    if args.db:
        argv.append(f"--db={args.db}")
    if args.quit_after is not None:
        argv.append(f"--quit-after={args.quit_after}")
    if args.verbose:
        argv.append("--verbose")
    return run(argv)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args(["app"])
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
