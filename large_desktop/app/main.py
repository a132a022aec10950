"""Start the desktop app: logging, translations, settings, the window.

Without a display (Linux with neither DISPLAY nor WAYLAND_DISPLAY and no
QT_QPA_PLATFORM), it prints that in one line and runs the headless demo instead,
unless --db or --folder name the user's own library: then the line names the
command that indexes it, and the app exits with status 2.
"""

import argparse
import ctypes.util
import logging
import logging.handlers
import os
import shlex
import sys
from pathlib import Path

from platformdirs import user_cache_dir, user_log_dir

logger = logging.getLogger(__name__)

APP_NAME = "large-desktop"
ORGANIZATION = "large-desktop"
LOG_BYTES = 2_000_000  # per log file; three old files are kept


def display_available() -> bool:
    """Return False on Linux without an X11 or Wayland display and without QT_QPA_PLATFORM."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def display_problem() -> str | None:
    """Return why Qt could not open a window on this X11 display, or None when no cause is known.

    Qt aborts the process (no exception) when its xcb plugin cannot start, so the
    common causes are checked first: a local display without its server socket,
    and a missing libxcb-cursor, which Qt 6.5 and later need on X11.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    display = os.environ.get("DISPLAY", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb") or not display or os.environ.get("WAYLAND_DISPLAY"):
        return None

    host, _, number = display.rpartition(":")
    number = number.split(".")[0]
    if host in ("", "unix") and number.isdigit() and not Path(f"/tmp/.X11-unix/X{number}").exists():
        return f"cannot connect to X display {display}: no X server listens there; start one, or unset DISPLAY to run headless"
    if ctypes.util.find_library("xcb-cursor") is None:
        return "Qt needs the system library libxcb-cursor0 to open a window on X11; install it (e.g. `apt install libxcb-cursor0`)"
    return None


def setup_logging(verbose: bool = False) -> Path | None:
    """Log to a rotating file in the user log folder and warnings (debug with verbose) to stderr.

    Returns:
        The log file, or None when its folder cannot be created.
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    stderr_level = logging.DEBUG if verbose else logging.WARNING
    consoles = [handler for handler in root.handlers if type(handler) is logging.StreamHandler]
    if not consoles:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
        consoles = [console]
    for console in consoles:
        # The root level is DEBUG for the file, so the console filters by itself.
        console.setLevel(stderr_level)

    log_file = Path(user_log_dir(APP_NAME, appauthor=False)) / "large-desktop.log"
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=3, encoding="utf-8")
    except OSError as exc:
        logger.warning("cannot write the log file %s: %s; logging to stderr only", log_file, exc)
        return None
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    return log_file


def install_translator(app, folder: Path | None = None):
    """Load large_desktop_<locale>.qm when it exists; return the installed translator or None.

    The folder defaults to resources/translations, which also contains the
    template large_desktop.ts that `make translations` refreshes.
    """
    from PySide6.QtCore import QLocale, QTranslator

    from large_desktop.core.packs.base import RESOURCES

    folder = folder or RESOURCES / "translations"

    translator = QTranslator(app)
    if not translator.load(QLocale(), "large_desktop", "_", str(folder)):
        logger.debug("no translation for locale %s in %s", QLocale().name(), folder)
        return None
    app.installTranslator(translator)
    logger.info("loaded translation %s", translator.filePath())
    return translator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="large-desktop app", description="Open the desktop app.")
    parser.add_argument("--db", help="library database file (default: the last library opened, else the default library)")
    parser.add_argument("--folder", action="append", default=[], metavar="DIR", help="add this folder to the library (repeatable)")
    parser.add_argument("--quit-after", type=int, metavar="MS", help="close the window this many milliseconds after it is shown")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    return parser


def no_display_for_library(args: argparse.Namespace) -> int:
    """Print the command that indexes the named library when there is no display; return the exit status."""
    from large_desktop.cli import EXIT_USER_ERROR

    folders = " ".join(shlex.quote(folder) for folder in args.folder) or "FOLDER"
    database = f" --db {shlex.quote(args.db)}" if args.db else ""
    print(
        "no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the app cannot open this library; "
        f"index and sort it on the command line instead: `large-desktop index {folders}{database}`",
        file=sys.stderr,
    )
    return EXIT_USER_ERROR


def run(argv: list[str] | None = None) -> int:
    """Run the app until its window closes; return the exit status."""
    args = build_parser().parse_args(argv)
    if not display_available():
        if args.db or args.folder:
            return no_display_for_library(args)
        print("no display found (DISPLAY and WAYLAND_DISPLAY are unset); running the headless demo instead", flush=True)
        from large_desktop import demo

        return demo.main(["--headless"])

    problem = display_problem()
    if problem is not None:
        from large_desktop.cli import EXIT_USER_ERROR

        print(problem, file=sys.stderr)
        return EXIT_USER_ERROR

    log_file = setup_logging(args.verbose)
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from large_desktop.app.main_window import MainWindow
    from large_desktop.app.qt_workarounds import collect_garbage_on_main_thread
    from large_desktop.cli import default_db_path

    app = QApplication.instance() or QApplication(sys.argv[:1])
    collect_garbage_on_main_thread(app)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    install_translator(app)

    settings = QSettings()
    db_path = Path(args.db).expanduser() if args.db else Path(str(settings.value("library/last", default_db_path())))
    db_path.parent.mkdir(parents=True, exist_ok=True)
    cache = Path(user_cache_dir(APP_NAME, appauthor=False)) / "thumbnails"
    logger.info("starting the app on %s (log %s)", db_path, log_file)

    window = MainWindow(settings, cache, log_file)
    window.show()
    window.open_library(db_path, folders=[Path(folder).expanduser() for folder in args.folder])
    if args.quit_after is not None:
        # Smoke tests time the launch by this line: it prints once the event loop has painted the window.
        QTimer.singleShot(0, lambda: print("main window shown", file=sys.stderr, flush=True))
        QTimer.singleShot(args.quit_after, window.close)
    return app.exec()


if __name__ == "__main__":
    sys.exit(run())
