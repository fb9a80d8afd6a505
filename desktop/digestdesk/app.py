"""Composition root: argv -> logging -> paths -> settings -> Library -> QApplication -> MainWindow.

``digestdesk COMMAND ...`` runs a headless command (see :mod:`digestdesk.cli`); without a
command it opens the desktop app.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from digestdesk import __version__

# Logging, the command table, the library and Qt are imported where they are first needed:
# `digestdesk --version` and `--help` answer without them (tests/core/test_light_start.py).


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestdesk",
        description="Open the Digest Desk window. Run `digestdesk --help-commands` "
        "for the headless commands.",
    )
    parser.add_argument("--version", action="version", version=f"digestdesk {__version__}")
    parser.add_argument("--library", metavar="DIR", help="use the library in DIR")
    parser.add_argument(
        "--demo", action="store_true", help="open a generated demo library (a temporary folder)"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start with a temporary library, import a built-in sample, search, render the "
        "window, save --screenshot and exit",
    )
    parser.add_argument("--screenshot", metavar="PATH", help="with --self-test: where to save")
    parser.add_argument(
        "--action",
        metavar="ID",
        help="run one of the window's commands once it opens, by its id (for example fetch.run "
        "or session.start; the menu entry's actions use it); given to the open window when "
        "the library is already open",
    )
    parser.add_argument("--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="digest files to import when the window opens"
    )
    return parser


#: The window's options (build_gui_parser's): those that take a value, then the others.
GUI_VALUE_OPTIONS = ("--library", "--screenshot", "--action")
GUI_FLAGS = ("--help", "--version", "--demo", "--self-test", "--verbose")


def _takes_value(arg: str) -> bool:
    """Whether ``arg`` is a window's option that takes the next word as its value, named in
    full or abbreviated as argparse allows (``--lib DIR``)."""
    if arg in GUI_VALUE_OPTIONS or arg in GUI_FLAGS or not arg.startswith("--") or "=" in arg:
        return arg in GUI_VALUE_OPTIONS
    from digestdesk.cli.parser import option_named  # an abbreviation: rare

    return option_named(arg, (*GUI_VALUE_OPTIONS, *GUI_FLAGS)) in GUI_VALUE_OPTIONS


def _wants_cli(argv: Sequence[str]) -> bool:
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if _takes_value(arg):
            skip_next = True
            continue
        if arg == "--help-commands":
            return True
        if arg.startswith("-"):
            continue
        # `digestdesk FILE...` (the desktop file's %F) opens the window on those files; any
        # other positional word is a command (or a usage error). Imported only here: the
        # window and --version do without the command table.
        from digestdesk.cli import COMMANDS

        return arg in COMMANDS or not Path(arg).exists()
    return False


def _display_or_offscreen(options: argparse.Namespace) -> bool:
    """Whether the window can open: on Linux without a display Qt aborts the process (SIGABRT,
    blaming an xcb library), so say so instead, and run ``--self-test`` offscreen."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    if options.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        sys.stderr.write(
            "digestdesk: no display (DISPLAY and WAYLAND_DISPLAY are unset): "
            "the self-test renders offscreen\n"
        )
        return True
    sys.stderr.write(
        "digestdesk: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
        "The headless commands work without one: digestdesk --help-commands\n"
    )
    return False


def _skip_final_collection() -> None:
    """A command has finished (its library closed, its files written): the interpreter's
    last garbage collections at exit would walk every object the command made, Whoosh's
    and the index's included, only to free memory the process returns anyway: 6 ms of a
    100 ms ``digestdesk search``. Freezing them leaves them to the exit."""
    import gc

    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    import os

    if os.environ.pop("DIGESTDESK_INDEX_WORKER", None) == "1":
        # The app's own child that builds the search index (core/library/index_worker.py).
        from digestdesk.core.library.worker_child import main as index_worker

        return index_worker()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if _wants_cli(args_list):
        from digestdesk import cli
        from digestdesk.logs import configure_logging

        configure_logging()
        if "--help-commands" in args_list:
            args_list = [a for a in args_list if a != "--help-commands"] + ["--help"]
        code = cli.run(args_list)
        if argv is None:  # the process's own command, which ends now
            _skip_final_collection()
        return code
    options = build_gui_parser().parse_args(args_list)  # --version and --help end here
    from digestdesk.logs import configure_logging

    configure_logging(verbose=options.verbose)
    if not _display_or_offscreen(options):
        return 1
    try:
        from digestdesk.ui.application import run_app
    except ImportError as exc:  # the desktop window is not available in this build
        import logging

        logging.getLogger(__name__).debug("no GUI: %s", exc)
        from digestdesk import cli

        sys.stderr.write("The desktop window is not available here; the commands are:\n\n")
        return cli.run(["--help"])
    return run_app(options)
