"""The open library database: the writer lock file, the engine, write transactions, meta values.

One process writes a library at a time (:class:`~digestdesk.core.store.WriterLock` on a file);
within it, :meth:`Database.writing` serialises the write transactions of every thread behind one
re-entrant lock, and each is a ``BEGIN IMMEDIATE`` transaction (see
:func:`~digestdesk.core.store.write_transaction`). Each write that changes entries draws the
next ``change_seq`` from ``meta`` (:func:`next_seq`) and stamps it on the rows, so the search
index can catch up from there. Nothing but write transactions holds the lock: the index follows
the database on its own (:mod:`.index_sync`), so a long index build never holds up an edit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.storage_problems import library_folder_problem, storage_error
from digestdesk.core.store import WriterLock, folder_writable, open_engine, write_transaction
from digestdesk.errors import LibraryError, StorageFullError
from digestdesk.paths import LibraryPaths


def read_meta(conn: Connection, key: str) -> str:
    value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()
    if value is None:
        raise LibraryError(f"The library is missing its {key}; run `digestdesk check`.")
    return str(value)


def next_seq(conn: Connection) -> int:
    """Draw the next change number (inside the write transaction that uses it)."""
    seq = int(read_meta(conn, "change_seq")) + 1
    conn.execute(
        update(schema.meta).where(schema.meta.c.key == "change_seq").values(value=str(seq))
    )
    return seq


class Database:
    """The engine of an open library, its writer lock (when writing) and its write lock."""

    def __init__(self, paths: LibraryPaths, engine: Engine, lock: WriterLock | None) -> None:
        self.paths = paths
        self.engine = engine
        self._lock = lock
        #: Held by every write transaction of this process, so they take turns at once rather
        #: than in the busy handler's sleeps; nothing else takes it.
        self.write_lock = threading.RLock()
        #: Held by an import from its plan (read outside the write transaction) to its end:
        #: only imports change what identifies a paper, so the plan holds (see importing.py).
        self.import_lock = threading.Lock()

    @classmethod
    def open(cls, paths: LibraryPaths, *, writer: bool) -> Database:
        """Open (creating and migrating as needed). ``writer`` takes the one-writer lock."""
        problem = library_folder_problem(paths)
        if problem is not None:
            raise problem
        lock = None
        if writer:
            lock = WriterLock(paths.lock_file)
            try:
                lock.acquire()
            except OSError as exc:  # a read-only folder or a full disk
                raise storage_error(paths, exc) or LibraryError(
                    f"Cannot create the lock file {paths.lock_file}: {exc.strerror or exc}."
                ) from None
        try:
            # A reader of a folder it cannot write opens the file read-only: SQLite would
            # otherwise fail to create the files it reads a WAL database with.
            read_only = not writer and not folder_writable(paths)
            try:
                engine = open_engine(paths, read_only=read_only, check_structure=writer)
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
        return cls(paths, engine, lock)

    @property
    def is_writer(self) -> bool:
        return self._lock is not None

    def close(self) -> None:
        self.engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self.write_lock, write_transaction(self.engine) as conn:
            yield conn

    def meta(self, key: str) -> str:
        with self.engine.connect() as conn:
            return read_meta(conn, key)

    def change_seq(self) -> int:
        return int(self.meta("change_seq"))
