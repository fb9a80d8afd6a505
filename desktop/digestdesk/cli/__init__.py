"""Headless commands: import, list, search, show, status, tag, note, export, stats, check, reindex,
undo, redo, trends, sessions, fetch.

This is a public interface that users' scripts rely on: commands, flags, ``--json`` fields and
exit codes are only ever extended. Exit codes: 0 success; 1 refused or failed (a message on
stderr, no traceback); 2 usage; 3 partial import (some entries skipped, the rest imported).

Every command is declared once, in :mod:`.commands` (the command table); :mod:`.parser` builds
argparse from it, :mod:`.runner` opens the library as the table says and calls the handler
(:mod:`.handlers`), and :mod:`.output` prints.
"""

from digestdesk.cli.commands import (
    COMMAND_TABLE,
    COMMANDS,
    FORMAT_NAMES,
    READ_ONLY,
    Argument,
    Command,
)
from digestdesk.cli.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CliError,
    UsageError,
)
from digestdesk.cli.output import ProgressBar
from digestdesk.cli.parser import build_parser
from digestdesk.cli.runner import main, run

__all__ = [
    "COMMANDS",
    "COMMAND_TABLE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "FORMAT_NAMES",
    "READ_ONLY",
    "Argument",
    "CliError",
    "Command",
    "ProgressBar",
    "UsageError",
    "build_parser",
    "main",
    "run",
]
