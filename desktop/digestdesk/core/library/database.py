"""The open library database: the writer lock file, the engine, write transactions, meta values.

SQLite: one process writes a library at a time (:class:`~digestdesk.core.store.WriterLock` on a
file); within it, :meth:`Database.writing` serialises the write transactions of every thread
behind one re-entrant lock, and each is a ``BEGIN IMMEDIATE`` transaction (see
:func:`~digestdesk.core.store.write_transaction`). Each write that changes entries draws the
next ``change_seq`` from ``meta`` (:func:`next_seq`) and stamps it on the rows, so the search
index can catch up from there. Nothing but write transactions holds the lock: the index follows
the database on its own (:mod:`.index_sync`), so a long index build never holds up an edit.

PostgreSQL: many processes on many machines write at once, and the database alone coordinates
them (the lock file only keeps one process per machine writing the local search index). The
change feed must then never skip a change that commits late with an earlier number (the
``seq > last_seen`` pitfall: A draws 5, B draws 6 and commits, a catch-up sees 6, then A
commits 5). So a transaction stamps its rows with a *provisional* number (minus its backend's
process id, unique among open transactions and never visible to others), and only at its very
end takes the real number: ``UPDATE meta ... + 1`` locks the counter row until the commit, the
rows are restamped, and the commit follows at once (:func:`_finish_changes`). Numbers are thus
handed out in commit order: whoever reads ``change_seq = N`` can read every row stamped N or
less. The counter row is held only for the restamp, a few index lookups. The same commit sends
``NOTIFY`` on :data:`CHANGES_CHANNEL` with the number, for windows that follow the library live.
A transaction that meets a deadlock, a serialization failure or a unique key written meanwhile
by another member is run again from the start (:func:`retried_on_conflict`).
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from digestdesk.core import schema
from digestdesk.core.library.sql import Reading, sqlite_values
from digestdesk.core.storage_problems import (
    folder_writable,
    library_folder_problem,
    storage_error,
)
from digestdesk.core.store import (
    WriterLock,
    fold_log_in,
    follow_team,
    mark_closed_clean,
    open_engine,
    write_transaction,
)
from digestdesk.core.team_schema import Team, read_team
from digestdesk.errors import LibraryError, StorageFullError
from digestdesk.paths import LibraryPaths, member_paths

log = logging.getLogger(__name__)

#: The ``NOTIFY`` channel a PostgreSQL library announces each committed change number on.
CHANGES_CHANNEL = "digestdesk_changes"

#: The key of the transaction-level advisory lock imports take turns on (PostgreSQL).
IMPORT_LOCK_KEY = 0x6469_6765_7374  # "digest"

#: Where a provisional change number is kept on a connection until its transaction ends.
_PROVISIONAL = "digestdesk_provisional_seq"

#: SQLSTATEs after which a write transaction is run again: serialization failure, deadlock,
#: a unique key another transaction committed meanwhile.
RETRIED_SQLSTATES = frozenset({"40001", "40P01", "23505"})
WRITE_ATTEMPTS = 8


def read_meta(conn: Connection, key: str) -> str:
    value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()
    if value is None:
        raise LibraryError(f"The library is missing its {key}; run `digestdesk check`.")
    return str(value)


def next_seq(conn: Connection) -> int:
    """Draw the change number to stamp on the rows this write transaction changes.

    SQLite: the next number at once (one writer at a time). PostgreSQL: a provisional one,
    the same for the whole transaction, replaced by the real one when it commits (see the
    module's docstring)."""
    if conn.dialect.name == "postgresql":
        provisional = conn.info.get(_PROVISIONAL)
        if provisional is None:
            provisional = -int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            conn.info[_PROVISIONAL] = provisional
        return int(provisional)
    seq = int(read_meta(conn, "change_seq")) + 1
    conn.execute(
        update(schema.meta).where(schema.meta.c.key == "change_seq").values(value=str(seq))
    )
    return seq


def seq_tables() -> list[Any]:
    """Every table whose rows carry a change number (a ``seq`` column)."""
    return [table for table in schema.metadata.sorted_tables if "seq" in table.c]


def _finish_changes(conn: Connection) -> int | None:
    """The last statements of a PostgreSQL write transaction that drew a number: take the
    next change number (its row stays locked until the commit right after), restamp the
    provisional rows with it and announce it. Returns the number (None: nothing drawn)."""
    provisional = conn.info.pop(_PROVISIONAL, None)
    if provisional is None:
        return None
    seq = int(
        conn.execute(
            text(
                "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) "
                "WHERE key = 'change_seq' RETURNING value"
            )
        ).scalar_one()
    )
    for table in seq_tables():
        conn.execute(update(table).where(table.c.seq == provisional).values(seq=seq))
    conn.execute(
        text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANGES_CHANNEL, "seq": str(seq)}
    )
    return seq


def take_import_turn(conn: Connection) -> None:
    """The first statement of an import's write transaction: on PostgreSQL, imports apply
    their plans in turns (a transaction-level advisory lock, released by the commit or
    rollback, also when the process dies). A paper's identity is its arXiv id *or* its title
    where either side lacks an id: no unique constraint can hold that, so two imports whose
    re-checks each ran before the other committed would both add the paper. Waiting here
    instead, the re-check that follows sees every paper the other import committed. Parsing
    and planning run before, at once with other members' imports; edits never take it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})


def is_retried_conflict(exc: BaseException) -> bool:
    """Whether a failed write transaction is worth running again (see RETRIED_SQLSTATES)."""
    if not isinstance(exc, DBAPIError):
        return False
    return getattr(exc.orig, "sqlstate", None) in RETRIED_SQLSTATES


class _HasDatabase(Protocol):
    _database: Database


F = TypeVar("F", bound=Callable[..., Any])


def retried_on_conflict(method: F) -> F:
    """Run a write method (of an object with ``_database``) again when its transaction met
    another member's (deadlock, serialization failure, a unique key written meanwhile); the
    transaction was rolled back, so running it again from the start is safe. SQLite has one
    writer at a time and never gets there."""

    @functools.wraps(method)
    def run(self: _HasDatabase, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return method(self, *args, **kwargs)
            except DBAPIError as exc:
                if not is_retried_conflict(exc) or attempt == WRITE_ATTEMPTS:
                    if is_retried_conflict(exc):
                        raise LibraryError(
                            f"{method.__name__.replace('_', ' ').strip()}: the change met other "
                            f"members' changes {WRITE_ATTEMPTS} times in a row and was not made; "
                            "try again."
                        ) from exc
                    raise
                log.info(
                    "%s met another writer (%s); attempt %d",
                    method.__name__,
                    getattr(exc.orig, "sqlstate", "?"),
                    attempt + 1,
                )
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise AssertionError("unreachable")

    return run  # type: ignore[return-value]


class ConnectionReading:
    """Plain SQL reads (:mod:`.sql`) on a SQLAlchemy connection, within its transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        values = dict(params or {})
        if self._conn.dialect.name == "sqlite":
            values = sqlite_values(values)
        return [tuple(row) for row in self._conn.execute(text(sql), values)]


class EngineReads:
    """Plain SQL reads (:mod:`.sql`) through an engine, each in a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        with self._engine.connect() as conn:
            yield ConnectionReading(conn)


def _take_lock(paths: LibraryPaths) -> WriterLock:
    lock = WriterLock(paths.lock_file)
    try:
        lock.acquire()
    except OSError as exc:  # a read-only folder or a full disk
        raise storage_error(paths, exc) or LibraryError(
            f"Cannot create the lock file {paths.lock_file}: {exc.strerror or exc}."
        ) from None
    return lock


class Database:
    """The engine of an open library, its writer lock (when writing) and its write lock."""

    def __init__(
        self,
        paths: LibraryPaths,
        engine: Engine,
        lock: WriterLock | None,
        *,
        writer: bool | None = None,
        role: str | None = None,
        team: Team | None = None,
    ) -> None:
        self.paths = paths
        self.engine = engine
        #: On a server, the role the connections run as (None: a SQLite file).
        self.role = role
        #: What ``meta`` says of a team library (None: a library of one user; SQLite always).
        self.team = team
        #: Plain SQL reads (:mod:`.entry_reads`, :mod:`.filters`) through the engine.
        self.reads = EngineReads(engine)
        self._lock = lock
        self._writer = lock is not None if writer is None else writer
        #: Held by every write transaction of this process, so they take turns at once rather
        #: than in the busy handler's sleeps; nothing else takes it.
        self.write_lock = threading.RLock()
        #: Held by an import from its plan (read outside the write transaction) to its end:
        #: only imports change what identifies a paper, so the plan holds (see importing.py).
        self.import_lock = threading.Lock()

    @classmethod
    def open(
        cls, paths: LibraryPaths, *, writer: bool, keep_index: bool = True, lent: bool = False
    ) -> Database:
        """Open (creating and migrating as needed). ``writer`` takes the one-writer lock.

        On a server the lock file only says which process keeps this machine's search index
        (the database coordinates the writers itself): ``keep_index=False`` opens a writer
        that leaves the index to the process holding it (see :attr:`keeps_index`). ``lent``:
        the process holding the lock lent its writing to this one (a child that imports for
        the app, :mod:`.import_worker`), which writes without the lock and leaves the index to
        the lender; SQLite's own lock still makes the two take turns."""
        problem = library_folder_problem(paths)
        if problem is not None:
            raise problem
        if not paths.is_sqlite:
            return cls._open_server(paths, writer=writer, keep_index=keep_index, lent=lent)
        lock = None
        if writer and not lent:
            lock = _take_lock(paths)
        try:
            # A reader of a folder it cannot write opens the file read-only: SQLite would
            # otherwise fail to create the files it reads a WAL database with.
            read_only = not writer and not folder_writable(paths)
            try:
                engine = open_engine(
                    paths, read_only=read_only, check_structure=writer and not lent
                )
            except StorageFullError:
                if writer or read_only:
                    raise
                # A full disk has no room for the shared-memory file SQLite reads a WAL
                # database with: a reader opens the file read-only instead.
                engine = open_engine(paths, read_only=True)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(paths, engine, lock, writer=writer)

    @classmethod
    def _open_server(
        cls, paths: LibraryPaths, *, writer: bool, keep_index: bool, lent: bool
    ) -> Database:
        """:meth:`open` on a server: connect first, then take the lock file of the role the
        connection runs as (:func:`~digestdesk.paths.member_paths`: this machine's index of
        what that role reads). On a team library every connection from then on sees it as
        that member (:func:`~digestdesk.core.store.follow_team`)."""
        engine = open_engine(paths)
        lock = None
        try:
            with engine.connect() as conn:
                role = str(conn.execute(text("SELECT current_user")).scalar_one())
                team = read_team(conn)
            if team is not None:
                follow_team(engine, team)
            paths = member_paths(paths, role)
            if writer and not lent and keep_index:
                lock = _take_lock(paths)
        except BaseException:
            engine.dispose()
            raise
        return cls(paths, engine, lock, writer=writer, role=role, team=team)

    @property
    def is_writer(self) -> bool:
        return self._writer

    @property
    def keeps_index(self) -> bool:
        """Whether this process writes the search index: the lock file's holder. A writer
        without it (on a server, another Digest Desk of this member keeps the index on this
        machine) writes the database only; the keeper's index follows the change feed."""
        return self._lock is not None

    def close(self, *, exiting: bool = False) -> None:
        """Close every idle connection and, when this process holds the writer lock and no
        write of it is under way, note the clean close (the next writer need not read every
        page: :func:`~digestdesk.core.store.mark_closed_clean`). ``exiting``: the process ends
        at once after this, leaving threads it gave up waiting for (an index build, a job past
        its last check); the locks then stay held until it has ended, so that none of them
        starts a write after the note and no other process writes meanwhile."""
        # Taken, never waited for: a thread still in a write transaction, or an import that
        # holds the writing from its plan to its end (its own or lent to a child process),
        # means the file may change after the note: no note then.
        quiet = self.write_lock.acquire(blocking=False)
        no_import = self.import_lock.acquire(blocking=False)
        try:
            if self._lock is not None and quiet and no_import:
                fold_log_in(self.engine, self.paths)
            self.engine.dispose()
            if self._lock is not None:
                if quiet and no_import:
                    mark_closed_clean(self.paths)  # the log folded in: the file is whole
                if not exiting:
                    self._lock.release()
                    self._lock = None
        finally:
            if not exiting:
                if no_import:
                    self.import_lock.release()
                if quiet:
                    self.write_lock.release()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        On PostgreSQL its change number is taken last, just before the commit."""
        with self.write_lock, write_transaction(self.engine) as conn:
            try:
                yield conn
            except BaseException:
                conn.info.pop(_PROVISIONAL, None)
                raise
            _finish_changes(conn)

    def meta(self, key: str) -> str:
        with self.engine.connect() as conn:
            return read_meta(conn, key)

    def change_seq(self) -> int:
        return int(self.meta("change_seq"))
