"""A SQLite library read with the standard ``sqlite3`` module: the command line's reading
commands (``list``, ``search``, ``show``, ``stats``) without SQLAlchemy.

A new ``digestdesk search`` process spent about half of its 0.4 s importing SQLAlchemy (its
SQLite dialect pulls in asyncio). :class:`SqliteLibrary` answers the same reads as
:class:`~digestdesk.core.library.Library` (both are a
:class:`~digestdesk.core.library.reader.LibraryReader`: the same plain SQL and the same index
code) over one read-only ``sqlite3`` connection. It only takes the libraries it can read as they
are: :meth:`SqliteLibrary.open` returns None for anything else (a server database, no file yet,
a schema to migrate, a folder it cannot write, a file that is not a library), and the caller
opens the full library, which says what is wrong or does what is needed. A read it cannot answer
(``sort:foryou`` needs the similarity model) raises :class:`NeedsLibrary` before anything is
printed. Like any reader it never takes the writer lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from digestdesk.core.library.common import LibraryTuning
from digestdesk.core.library.reader import LibraryReader, index_status
from digestdesk.core.library.sql import Reading, SqliteReading
from digestdesk.core.migrations import SCHEMA_HEAD
from digestdesk.core.storage_problems import (
    folder_writable,
    library_folder_problem,
    sqlite_file_problem,
    storage_error,
)
from digestdesk.paths import LibraryPaths

if TYPE_CHECKING:
    from digestdesk.core.index.base import SearchIndex


class NeedsLibrary(Exception):
    """This read needs the full library (SQLAlchemy, the similarity model): open that instead."""


class SqliteReads:
    """Plain SQL reads (:mod:`.sql`) on one ``sqlite3`` connection, each in a read transaction
    of its own (one snapshot per read, as through SQLAlchemy); SQLite's errors about damage, a
    full disk or a read-only file become the same clear messages."""

    def __init__(self, paths: LibraryPaths, connection: sqlite3.Connection) -> None:
        self._paths = paths
        self._connection = connection

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        try:
            self._connection.execute("BEGIN")
            try:
                yield SqliteReading(self._connection)
            finally:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error as exc:
            problem = storage_error(self._paths, exc)
            if problem is None:
                raise
            raise problem from exc


class SqliteLibrary(LibraryReader):
    """A SQLite library open for reading through the ``sqlite3`` module (see the module)."""

    def __init__(self, paths: LibraryPaths, connection: sqlite3.Connection, uuid: str) -> None:
        self.paths = paths
        self.uuid = uuid
        self.tuning = LibraryTuning()
        self.reads = SqliteReads(paths, connection)
        self._connection = connection
        self._index: SearchIndex | None = None

    @classmethod
    def open(cls, paths: LibraryPaths) -> SqliteLibrary | None:
        """The library, or None when it needs the full :class:`Library` to open (see above)."""
        file = paths.sqlite_file
        if file is None or not file.is_file() or not folder_writable(paths):
            return None
        if library_folder_problem(paths) is not None or sqlite_file_problem(paths) is not None:
            return None
        connection = None
        try:
            connection = sqlite3.connect(
                file, timeout=5, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA query_only=ON")
            tables = {
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name IN ('alembic_version', 'meta')"
                )
            }
            if tables != {"alembic_version", "meta"}:
                connection.close()
                return None
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            uuid = connection.execute(
                "SELECT value FROM meta WHERE key = 'library_uuid'"
            ).fetchone()
        except sqlite3.Error:
            if connection is not None:
                connection.close()
            return None
        if revision != (SCHEMA_HEAD,) or uuid is None:
            connection.close()
            return None
        return cls(paths, connection, str(uuid[0]))

    @property
    def index(self) -> SearchIndex:
        """The search index, opened when first used (``list`` and ``show`` never do)."""
        if self._index is None:
            from digestdesk.core.index.whoosh_index import WhooshIndex

            self._index = WhooshIndex(self.paths.index_dir)
        return self._index

    def rank_for_you(self, ids: list[int]) -> list[int] | None:
        raise NeedsLibrary("sort:foryou ranks by the similarity model")

    def change_seq(self) -> int:
        with self.reads.reading() as reading:
            found = reading.all("SELECT value FROM meta WHERE key = 'change_seq'")
        if not found:  # the full library says what is wrong
            raise NeedsLibrary("the library is missing its change_seq")
        return int(found[0][0])

    def index_status(self) -> str:
        """ "ok", "behind" or "rebuild", as :meth:`Library.index_status` says."""
        return index_status(self.index.state(), self.uuid, self.change_seq())

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self._connection.close()

    def __enter__(self) -> SqliteLibrary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
