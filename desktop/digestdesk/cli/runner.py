"""Running one command: parse, open the library as the command's table entry says, call its
handler, and turn expected problems into a message and an exit code (no traceback). Anything
else is a bug: its traceback goes to the log file, one line saying so to stderr."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from digestdesk.cli.commands import COMMANDS_BY_NAME, Command
from digestdesk.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, CliError, printable
from digestdesk.cli.output import ProgressBar, TerminalText
from digestdesk.cli.parser import build_parser, command_word, parse_command_line
from digestdesk.errors import (
    DigestDeskError,
    EntryNotFoundError,
    LibraryLockedError,
    ReadOnlyLibraryError,
    SearchIndexDamagedError,
    StorageFullError,
)
from digestdesk.paths import resolve_library

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from digestdesk.core.library import Library
    from digestdesk.core.library.reader import LibraryReader


def run(argv: Sequence[str], *, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run one command; returns the exit code. Expected problems print a message, no traceback."""
    out = out or sys.stdout
    stdin = stdin or sys.stdin
    try:
        code = _run(argv, out, stdin)
        out.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except BrokenPipeError:
        # The reader went away (`digestdesk search x --json | head -1`): not an error. Point
        # stdout at devnull so the interpreter's final flush does not complain either (as
        # Python's documentation of SIGPIPE advises).
        _silence(out)
        return EXIT_OK
    except Exception as exc:  # a bug (expected problems are answered in _run)
        _report_bug(argv, exc)
        return EXIT_FAILED


def _report_bug(argv: Sequence[str], exc: Exception) -> None:
    """The traceback to the log file, one line to stderr naming it (the whole traceback there
    too when the log file cannot be written)."""
    from digestdesk.logs import log_file_path, log_file_unusable

    word = command_word(argv)
    command = f"`digestdesk {word}`" if word in COMMANDS_BY_NAME else "the command"
    where = log_file_path()
    log.error(
        "%s stopped on an unexpected error (%s: %s). This is a bug; please report it with "
        "the log file %s",
        command,
        type(exc).__name__,
        exc,
        where,
        exc_info=exc,
    )
    if log_file_unusable():
        import traceback

        sys.stderr.write(f"digestdesk: {where} could not be written; the details:\n")
        traceback.print_exception(exc, file=sys.stderr)


def _silence(out: TextIO) -> None:
    try:
        fileno = out.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _run(argv: Sequence[str], out: TextIO, stdin: TextIO) -> int:
    try:
        args = parse_command_line(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not args.command:
        build_parser().print_help(out)
        return EXIT_OK
    command = COMMANDS_BY_NAME[args.command]
    if not (command.prints_data or getattr(args, "json", False)):
        out = cast(TextIO, TerminalText(out))  # JSON escapes controls itself
    try:
        paths = resolve_library(args.library)
        if not command.opens_library:
            return command.load_handler()(paths, args, out)
        # Readers do not take the writer lock, so they work while the app has the library open;
        # they only repair the index when nobody else is writing.
        return _run_command(paths, command, args, out, stdin)
    except DigestDeskError as exc:
        sys.stderr.write(f"digestdesk: {exc.user_message}\n")
        return exc.exit_code
    except OSError as exc:
        # A full disk or a read-only folder met outside the database (the index, a file).
        from digestdesk.core.storage_problems import storage_error

        problem = storage_error(resolve_library(args.library), exc)
        if problem is None:
            raise
        sys.stderr.write(f"digestdesk: {problem.user_message}\n")
        return problem.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("digestdesk: interrupted; nothing was half-written.\n")
        return EXIT_INTERRUPTED


def resolve_entry_refs(library: LibraryReader, command: Command, args: Any) -> None:
    """Replace the arXiv ids given for the command's ``entry`` arguments by the entries' ids
    (the parser left entry ids as numbers and arXiv ids as versionless strings)."""
    for argument in command.arguments:
        if argument.type != "entry":
            continue
        value = getattr(args, argument.dest)
        refs: list[int | str] = value if isinstance(value, list) else [value]
        arxiv_ids = [ref for ref in refs if isinstance(ref, str)]
        if not arxiv_ids:
            continue
        found = library.ids_for_arxiv(arxiv_ids)
        missing = [ref for ref in arxiv_ids if ref not in found]
        if missing:
            raise EntryNotFoundError(
                f"No entry with arXiv id {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else "")
                + " in this library. `digestdesk search` finds entries by their words."
            )
        ids = [found[ref] if isinstance(ref, str) else ref for ref in refs]
        setattr(args, argument.dest, ids if isinstance(value, list) else ids[0])


def _run_command(paths: Any, command: Command, args: Any, out: TextIO, stdin: TextIO) -> int:
    """Open the library as ``command`` says and run it. A damaged index found by a read (a
    checksum, a block Whoosh could not decode) before anything was printed is rebuilt as one
    found damaged when opening, and a reading command then answers from the new index."""
    if command.plain_reads and paths.is_sqlite:
        code = _run_plain(paths, command, args, out, stdin)
        if code is not None:
            return code
    if command.read_only and paths.sqlite_file is not None and not paths.sqlite_file.exists():
        # A mistyped --library reads as an empty library: say so, once, where it is made.
        sys.stderr.write(
            f"digestdesk: note: there was no library in {printable(str(paths.root))}; an empty "
            "one was made there (check --library or DIGESTDESK_LIBRARY if you meant another).\n"
        )
    try:
        library = _open(paths, writer=not command.read_only, repair=command.repairs_index)
    except (ReadOnlyLibraryError, StorageFullError):
        if command.read_only or not command.reads_when_read_only:
            raise
        library = _open(paths, writer=False, repair=False)
    try:
        return _call(command, library, args, out, stdin)
    except SearchIndexDamagedError as exc:
        if not (command.read_only and command.repairs_index):
            raise
        sys.stderr.write(f"digestdesk: {exc.user_message}\n")
    finally:
        library.close()
    library = _open(paths, writer=False, repair=True, told=True)
    try:
        return _call(command, library, args, out, stdin)
    except SearchIndexDamagedError as exc:
        raise CliError(
            "The search index is still damaged"
            + (f" (file {exc.file})" if exc.file else "")
            + ". If another Digest Desk has the library open, it rebuilds the index; "
            "otherwise run `digestdesk reindex`."
        ) from None
    finally:
        library.close()


def _run_plain(paths: Any, command: Command, args: Any, out: TextIO, stdin: TextIO) -> int | None:
    """Run a reading command with the sqlite3 module (no SQLAlchemy import); None when the
    library or the read needs the full library (a schema to migrate, an index to repair,
    ``sort:foryou``...): nothing was printed then, and the caller runs it as any command."""
    from digestdesk.core.library.sqlite_reads import NeedsLibrary, SqliteLibrary

    library = SqliteLibrary.open(paths)
    if library is None:
        return None
    try:
        if command.repairs_index and library.index_status() != "ok":
            return None
        return _call(command, library, args, out, stdin)
    except (NeedsLibrary, SearchIndexDamagedError):
        return None  # the full library repairs a damaged index first and says so
    finally:
        library.close()


def _call(command: Command, library: LibraryReader, args: Any, out: TextIO, stdin: TextIO) -> int:
    resolve_entry_refs(library, command, args)
    if command.reads_stdin:
        return int(command.load_handler()(library, args, out, stdin))
    return int(command.load_handler()(library, args, out))


def _open(paths: Any, *, writer: bool, repair: bool = True, told: bool = False) -> Library:
    # Imported here, not at the top: the library pulls in SQLAlchemy and Whoosh, which
    # `digestdesk --help` and the app's "is this a command?" check do without.
    from digestdesk.core.library import Library

    if writer:
        try:
            library = Library.open(paths, writer=True, repair_index=False)
        except LibraryLockedError:
            if paths.is_sqlite:
                raise
            # A server's library: the database takes any number of writers; the Digest Desk
            # holding the lock keeps this machine's index and follows the change.
            library = Library.open(paths, writer=True, repair_index=False, keep_index=False)
        if repair and library.keeps_index:
            _repair(library, told=told)
        return library
    library = Library.open(paths, writer=False)
    if not repair or library.index_status() == "ok":
        return library  # a reader that needs no index never touches it
    # Repair the index if no other process is writing and the library can be written; else
    # read what is there, saying what that means.
    library.close()
    try:
        repaired = Library.open(paths, writer=True, repair_index=False)
    except LibraryLockedError:
        return Library.open(paths, writer=False)
    except (StorageFullError, ReadOnlyLibraryError) as exc:
        return _read_without_repair(paths, exc)
    try:
        _repair(repaired, told=told)  # closes it when it fails
    except (OSError, StorageFullError, ReadOnlyLibraryError) as exc:
        from digestdesk.core.storage_problems import storage_error

        problem = exc if isinstance(exc, DigestDeskError) else storage_error(paths, exc)
        if problem is None:
            raise
        return _read_without_repair(paths, problem)
    return repaired


def _repair(library: Library, *, told: bool) -> None:
    """Bring the index up to date, saying so first when it was found damaged."""
    try:
        if library.index_status() != "ok":
            damage = library.index_damage()
            if damage is not None and not told:
                sys.stderr.write(f"digestdesk: {damage.user_message}\n")
            library.ensure_index(progress=ProgressBar("Repairing the index"))
    except BaseException:
        library.close()
        raise


def _read_without_repair(paths: Any, why: DigestDeskError) -> Library:
    from digestdesk.core.library import Library

    library = Library.open(paths, writer=False)
    _say_index_not_repaired(library, why)
    return library


def _say_index_not_repaired(library: Library, why: DigestDeskError) -> None:
    reason = "the disk is full" if isinstance(why, StorageFullError) else "it cannot be written"
    behind = library.index_lag()
    if behind is None:
        what = (
            "the search index is missing or out of date and cannot be rebuilt here "
            f"({reason}): filters (status:, tag:, year:...) are exact, words cannot be "
            "searched until `digestdesk reindex` runs where the library can be written"
        )
    else:
        what = (
            f"the search index is {behind} changed entries behind the database and cannot be "
            f"updated here ({reason}): word matches may miss or misplace those entries; "
            "filters are exact"
        )
    sys.stderr.write(f"digestdesk: note: {what}.\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``digestdesk COMMAND ...``: run with the process's arguments (or ``argv``)."""
    return run(sys.argv[1:] if argv is None else argv)
