"""THE command table: every headless command, declared once as data.

The parser and its help (:mod:`digestdesk.cli.parser`) and the lock policy (read-only commands
open the library without the writer lock, :mod:`digestdesk.cli.runner`) are generated from
:data:`COMMAND_TABLE`; a man page or shell completions can be generated from it the same way.
This is a public interface: commands, flags, defaults and help texts are only ever extended.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from digestdesk.core.drafts import STATUSES

#: How an argument's value is read: ``text`` as given, ``integer`` a whole number, ``count`` a
#: whole number of at least 1, ``date`` an ISO day (YYYY-MM-DD), ``path`` a file or folder name
#: (any bytes the system allows; ``text`` must be valid UTF-8), ``entry`` an entry: its id in
#: the library or its arXiv id (``2608.17253``, ``2608.17253v2``, ``arXiv:2608.17253``,
#: ``hep-th/9901001``), which the runner resolves to the id once the library is open.
ValueType = Literal["text", "path", "integer", "count", "date", "entry"]

#: A handler: ``(library, args, out)``, or ``(library, args, out, stdin)`` for a command that
#: reads stdin; it returns the exit code. The table names it (""entries.cmd_search"": a function
#: of a module of :mod:`digestdesk.cli.handlers`), imported only when its command runs: a
#: command then imports what it uses, not what every other command does.
Handler = Callable[..., int]

#: The actions of ``digestdesk team`` and ``digestdesk session`` (their handlers take them).
TEAM_ACTIONS = ("init", "add", "members", "push")
SESSION_ACTIONS = ("start", "status", "next", "back", "stop")

# The registry's names (a test keeps them equal); importing the parsers here would slow every
# command down.
FORMAT_NAMES = ("digestdesk", "hf-json", "arxiv", "hf-page")


@dataclass(frozen=True)
class Argument:
    """One argument of a command: a positional (``names=("paths",)``) or an option."""

    names: tuple[str, ...]  # ("paths",) or ("-o", "--output")
    help: str | None = None
    metavar: str | None = None
    type: ValueType = "text"
    choices: tuple[str, ...] | None = None
    default: object = None
    nargs: Literal["+", "*", "?"] | None = None  # one or more, any number, optional
    flag: bool = False  # an on/off switch: takes no value, False unless given
    exclusive: str | None = None  # arguments sharing this group name exclude each other
    # "-TAG" looks like an option: with dash_words, words starting with "-" that no option
    # claims are values of this (positional) argument.
    dash_words: bool = False
    empty_error: str | None = None  # the usage error when this argument ends up empty

    @property
    def positional(self) -> bool:
        return not self.names[0].startswith("-")

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments that holds the value."""
        if self.positional:
            return self.names[0]
        name = next((n for n in self.names if n.startswith("--")), self.names[0])
        return name.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Command:
    """One command: its name and help, its arguments, how it opens the library, its handler."""

    name: str
    help: str
    handler: str  # "module.function" in digestdesk.cli.handlers (see Handler)
    arguments: tuple[Argument, ...] = ()
    read_only: bool = False  # opens the library without the writer lock
    # A broken or lagging index is repaired before the command runs (a reader only when it can
    # write the library; otherwise it reads the index as it is, with a note).
    repairs_index: bool = True
    reads_stdin: bool = False  # "-" reads stdin; the handler takes the stream
    # A writing command that runs as a reader on a library that cannot be written (a read-only
    # folder, a full disk: nobody can write it then, so reading sees a library at rest).
    reads_when_read_only: bool = False
    # False: the handler takes the library's paths, not an opened library (recover works on
    # the files of a library that does not open).
    opens_library: bool = True
    # The handler only uses the reads of :class:`~digestdesk.core.library.reader.LibraryReader`:
    # on a SQLite library it runs with the sqlite3 module, without importing SQLAlchemy.
    plain_reads: bool = False
    # Its output is a file format (export): printed exactly as made, never cleaned of controls
    # as text for the terminal is.
    prints_data: bool = False

    def load_handler(self) -> Handler:
        """The handler function, its module imported now."""
        module, _, function = self.handler.partition(".")
        handler: Handler = getattr(
            importlib.import_module(f"digestdesk.cli.handlers.{module}"), function
        )
        return handler


JSON_OUTPUT = Argument(("--json",), flag=True, help="print JSON")
ENTRY = Argument(
    ("id",),
    type="entry",
    metavar="ID",
    help="the entry's id (`digestdesk list` shows them) or its arXiv id (2608.17253)",
)

#: Options of every command, given before or after the command's name.
GLOBAL_ARGUMENTS = (
    Argument(
        ("--library",),
        type="path",
        metavar="DIR",
        help="keep the database and the index in DIR (default: the user data dir; "
        "also DIGESTDESK_LIBRARY)",
    ),
)
PROGRAM = "digestdesk"
DESCRIPTION = (
    "Digest Desk: a keyboard-driven reading manager for research-paper digests. "
    "Without a command it opens the desktop app."
)

# In the order of the help's list of commands.
COMMAND_TABLE: tuple[Command, ...] = (
    Command(
        "import",
        "import digest files (- reads stdin)",
        "importing.cmd_import",
        (
            JSON_OUTPUT,
            Argument(("paths",), type="path", nargs="+", metavar="PATH"),
            Argument(
                ("--as-of",),
                type="date",
                metavar="YYYY-MM-DD",
                help="resolve year-less dates in page text against this day (default: today)",
            ),
            Argument(
                ("--format",),
                default="auto",
                choices=("auto", *FORMAT_NAMES),
                help="the input format (default: detect it)",
            ),
        ),
        reads_stdin=True,
    ),
    Command(
        "list",
        "list entries, newest first",
        "entries.cmd_list",
        (
            JSON_OUTPUT,
            Argument(("--status",), choices=STATUSES),
            Argument(("--tag",)),
            Argument(("--sort",), choices=("date", "votes", "title", "added"), default="date"),
            Argument(("--limit",), type="count"),
        ),
        read_only=True,
        plain_reads=True,
        repairs_index=False,  # reads the database only
    ),
    Command(
        "search",
        "search with the query language (see the README)",
        "entries.cmd_search",
        (
            JSON_OUTPUT,
            Argument(("query",), nargs="+"),
            Argument(("--limit",), type="count", default=50),
            Argument(("--sort",), choices=("relevance", "date", "votes")),
        ),
        read_only=True,
        plain_reads=True,
    ),
    Command(
        "show",
        "show one entry",
        "entries.cmd_show",
        (JSON_OUTPUT, ENTRY),
        read_only=True,
        plain_reads=True,
        repairs_index=False,  # reads the database only
    ),
    Command(
        "related",
        "papers most like one entry, with the phrases they share",
        "entries.cmd_related",
        (
            JSON_OUTPUT,
            ENTRY,
            Argument(("--limit",), type="count", default=10),
        ),
        read_only=True,
    ),
    Command(
        "recommend",
        "unread papers your triage says you want (or that fit a tag), with why",
        "entries.cmd_recommend",
        (
            JSON_OUTPUT,
            Argument(("--tag",), help="papers that fit this tag (learned from its papers)"),
            Argument(("--query",), help="only among what this query matches"),
            Argument(("--limit",), type="count", default=10),
        ),
        read_only=True,
    ),
    Command(
        "status",
        "set the reading status of entries",
        "entries.cmd_status",
        (
            JSON_OUTPUT,
            Argument(("ids",), type="entry", nargs="+", metavar="ID", help=ENTRY.help),
            Argument(("status",), choices=STATUSES),
        ),
    ),
    Command(
        "tag",
        "add (+T) or remove (-T) tags",
        "entries.cmd_tag",
        (
            JSON_OUTPUT,
            ENTRY,
            Argument(
                ("changes",),
                nargs="*",
                metavar="+T|-T",
                dash_words=True,
                empty_error="tag: give at least one +TAG or -TAG",
            ),
        ),
    ),
    Command(
        "note",
        "set an entry's note (- reads stdin; empty text removes it)",
        "entries.cmd_note",
        (
            JSON_OUTPUT,
            ENTRY,
            Argument(
                ("text",),
                help="the note; - reads it from stdin (an empty stdin changes nothing); an "
                "empty text ('') removes the note",
            ),
            Argument(
                ("--shared",),
                flag=True,
                exclusive="sharing",
                help="on a team library: the note is a comment every member sees, with your "
                "name and its time",
            ),
            Argument(
                ("--private",),
                flag=True,
                exclusive="sharing",
                help="on a team library: the note is yours alone again (the default)",
            ),
        ),
        reads_stdin=True,
    ),
    Command(
        "export",
        "export the library (or a query's matches)",
        "maintenance.cmd_export",
        (
            Argument(("--format",), choices=("json", "bibtex", "csv", "markdown"), default="json"),
            Argument(
                ("-o", "--output"),
                type="path",
                metavar="FILE",
                help="write to FILE (default: stdout)",
            ),
            Argument(("--query",), help="export only what this query matches"),
        ),
        read_only=True,
        prints_data=True,
    ),
    Command(
        "stats",
        "library statistics",
        "maintenance.cmd_stats",
        (JSON_OUTPUT,),
        read_only=True,
        plain_reads=True,
        repairs_index=False,  # it reports the index as it is
    ),
    Command(
        "check",
        "check that the database and the search index agree",
        "maintenance.cmd_check",
        (
            JSON_OUTPUT,
            Argument(
                ("--deep",),
                flag=True,
                help="compare every entry and every word with the index (slower; default: "
                "a random sample)",
            ),
        ),
        repairs_index=False,  # it reports what it finds
        reads_when_read_only=True,
    ),
    Command("reindex", "rebuild the search index from the database", "maintenance.cmd_reindex"),
    Command(
        "recover",
        "copy what can be read from a damaged library into a new library (the damaged file "
        "is kept); exit 3 when some rows could not be read",
        "recovery.cmd_recover",
        (
            JSON_OUTPUT,
            Argument(
                ("--to",),
                metavar="DIR",
                help="the new library's folder (default: beside the library, "
                "<folder>-recovered-<time>)",
            ),
            Argument(
                ("--method",),
                choices=("auto", "python", "sqlite3"),
                default="auto",
                help="how damaged pages are read: sqlite3's .recover (when the sqlite3 program "
                "is installed; auto prefers it) or row by row in Python",
            ),
        ),
        opens_library=False,
    ),
    Command(
        "team",
        "a team library on a PostgreSQL server (DIGESTDESK_DATABASE_URL): init makes the "
        "library a team library (run by the owner of its tables), add ROLE lets a role in, "
        "members lists them, push --from DIR copies your own library into it (papers merged, "
        "your status, tags, notes and sessions as yours; pushing again adds nothing twice)",
        "team.cmd_team",
        (
            JSON_OUTPUT,
            Argument(("action",), choices=TEAM_ACTIONS, metavar="ACTION"),
            Argument(
                ("role",),
                nargs="?",
                metavar="ROLE",
                help="add: the PostgreSQL role to let in (made with CREATE ROLE name LOGIN)",
            ),
            Argument(
                ("--from",),
                type="path",
                metavar="DIR",
                help="push: the folder of your own library (the --library DIR of your commands)",
            ),
        ),
    ),
    Command("undo", "undo the last status or tag change", "entries.cmd_undo_redo", (JSON_OUTPUT,)),
    Command("redo", "redo the last undone change", "entries.cmd_undo_redo", (JSON_OUTPUT,)),
    Command(
        "trends",
        "rising topics, most voted, repositories, your reading",
        "reports.cmd_trends",
        (
            JSON_OUTPUT,
            Argument(("--window",), default="30d", choices=("7d", "30d", "90d", "365d")),
            Argument(("--as-of",), type="date", metavar="YYYY-MM-DD", help="default: today"),
            Argument(("--by",), choices=("published", "digest"), default="published"),
            Argument(("--query",), help="trends within what this query matches"),
            Argument(("--limit",), type="count", default=20, help="rising topics to show"),
        ),
        read_only=True,
    ),
    Command(
        "sessions",
        "list reading sessions, newest first",
        "reports.cmd_sessions",
        (JSON_OUTPUT, Argument(("--limit",), type="count")),
        read_only=True,
        repairs_index=False,  # reads the database only
    ),
    Command(
        "session",
        "a reading session, one step per call: start [--queue | --query Q], status, "
        "next read|skipped|queued|passed, back, stop",
        "sessions.cmd_session",
        (
            JSON_OUTPUT,
            Argument(("action",), choices=SESSION_ACTIONS, metavar="ACTION"),
            Argument(("outcome",), nargs="?", metavar="OUTCOME", help="with next: the decision"),
            Argument(
                ("--queue",),
                flag=True,
                help="start: over the queue, oldest first",
                exclusive="over",
            ),
            Argument(
                ("--query",),
                help="start: over what this query matches (default: status:unread)",
                exclusive="over",
            ),
            Argument(("--replace",), flag=True, help="start: end the open session first"),
        ),
    ),
    Command(
        "fetch",
        "fetch digests from Hugging Face daily papers or the arXiv API (default: today, UTC)",
        "importing.cmd_fetch",
        (
            JSON_OUTPUT,
            Argument(
                ("--date",),
                type="date",
                metavar="YYYY-MM-DD",
                help="fetch this day",
                exclusive="when",
            ),
            Argument(
                ("--since",),
                type="date",
                metavar="YYYY-MM-DD",
                help="fetch each day from it to today",
                exclusive="when",
            ),
            Argument(
                ("--days",),
                type="count",
                metavar="N",
                help="fetch the last N days, today included",
                exclusive="when",
            ),
            Argument(
                ("--source",),
                choices=("hf", "arxiv"),
                default="hf",
                help="hf: Hugging Face daily papers (HF_ENDPOINT); arxiv: arXiv API listings",
            ),
            Argument(
                ("--category",),
                metavar="CAT",
                help="the arXiv category (default cs.LG; --source arxiv)",
            ),
            Argument(
                ("--refresh",),
                flag=True,
                help="fetch days already fetched again (records new vote snapshots)",
            ),
            Argument(
                ("--timeout",),
                type="count",
                metavar="SECONDS",
                help="give up on a request after SECONDS in all (default 120)",
            ),
        ),
    ),
)

COMMANDS: tuple[str, ...] = tuple(command.name for command in COMMAND_TABLE)
COMMANDS_BY_NAME: dict[str, Command] = {command.name: command for command in COMMAND_TABLE}
READ_ONLY: frozenset[str] = frozenset(c.name for c in COMMAND_TABLE if c.read_only)
