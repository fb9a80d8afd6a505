"""The index follows the database: edits commit while the index is rebuilt, write transactions
are BEGIN IMMEDIATE, and the index catches up from the change sequence."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from digestdesk.core.library import Library
from digestdesk.core.store import write_transaction
from digestdesk.paths import LibraryPaths
from tests.core import factories

#: A guard against a hang (a deadlock would otherwise stop the suite), not a timing.
HANG_GUARD_S = 60


def _sqlite_file(library: Library) -> Path:
    path = library.paths.sqlite_file
    if path is None:
        pytest.skip("SQLite's transaction modes only")
    return path


def test_a_write_transaction_holds_the_write_lock_from_its_start(library: Library) -> None:
    other = sqlite3.connect(_sqlite_file(library), timeout=0, isolation_level=None)
    try:
        with write_transaction(library.engine) as conn:
            conn.execute(text("SELECT 1"))  # nothing written yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again once it committed
        other.execute("ROLLBACK")
        # A read stays deferred: it neither takes nor waits for the write lock.
        with library.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM entries")).scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_two_connections_that_read_then_write_both_commit(library: Library) -> None:
    """The deferred-upgrade deadlock: two transactions that read first and write second. With
    plain BEGIN the second to write gets SQLITE_BUSY at once; with BEGIN IMMEDIATE it waits."""
    _sqlite_file(library)
    library.import_bytes(factories.api_day(2), name="day.json")
    first_read = threading.Event()
    errors: list[BaseException] = []

    def writer(note: str, wait_for_other: bool) -> None:
        try:
            with write_transaction(library.engine) as conn:
                conn.execute(text("SELECT count(*) FROM entries")).scalar()
                first_read.set()
                if wait_for_other:
                    first_read.wait(HANG_GUARD_S)
                conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, 'v')"), {"k": f"test-{note}"}
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n, i == 1)) for i, n in enumerate("ab")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert errors == []


def test_an_edit_commits_while_the_index_is_rebuilt(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths) as library:
        library.import_bytes(factories.api_day(5), name="day.json")
        entry_id = library.list_ids()[0]
        behind: list[int] = []
        library.follow_index_in_background(lambda: behind.append(1))  # as the app does
        rebuilding = threading.Event()
        release = threading.Event()

        def cancelled() -> bool:
            # The rebuild checks this before its first document: it is under way and holds
            # the index until ``release``.
            rebuilding.set()
            release.wait(HANG_GUARD_S)
            return False

        rebuild = threading.Thread(target=lambda: library.rebuild_index(cancelled=cancelled))
        rebuild.start()
        try:
            assert rebuilding.wait(HANG_GUARD_S)
            edit_done = threading.Event()

            def edit() -> None:
                library.set_status([entry_id], "read")
                library.change_tags([entry_id], add=["wombat"])
                library.set_note(entry_id, "quokka")
                edit_done.set()

            editor = threading.Thread(target=edit)
            editor.start()
            editor.join(HANG_GUARD_S)
            # The edits finished while the rebuild was still held: they never waited for it.
            assert edit_done.is_set()
            assert not release.is_set()
        finally:
            release.set()
            rebuild.join(HANG_GUARD_S)
        # Another connection sees them (committed, not waiting for the index).
        with sqlite_or_engine(library) as read:
            assert read("SELECT status FROM entries WHERE id = :i", entry_id) == "read"
            assert read("SELECT text FROM notes WHERE entry_id = :i", entry_id) == "quokka"
        # The rebuilt index has seen the change number of its start: it catches up the rest.
        assert len(behind) == 3
        assert library.index_status() == "behind"
        assert library.catch_up_index() == 1
        assert library.index_status() == "ok"
        assert library.search("quokka").ids == [entry_id]
        assert library.search("tag:wombat status:read").ids == [entry_id]


class sqlite_or_engine:  # noqa: N801 - used as a context manager
    """Scalar reads through a connection of their own."""

    def __init__(self, library: Library) -> None:
        self.engine = library.engine

    def __enter__(self) -> object:
        self.conn = self.engine.connect()

        def read(sql: str, entry_id: int) -> object:
            return self.conn.execute(text(sql), {"i": entry_id}).scalar()

        return read

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def test_in_the_background_a_write_only_says_the_index_is_behind(library: Library) -> None:
    library.import_bytes(factories.api_day(3), name="day.json")
    entry_id = library.list_ids()[0]
    told: list[int] = []
    library.follow_index_in_background(lambda: told.append(1))
    library.set_note(entry_id, "platypus")
    library.import_bytes(factories.api_day(2, day="2025-11-21", start=4), name="d2.json")
    assert len(told) == 2
    assert library.index_status() == "behind"
    assert library.search("platypus").ids == []  # the cache lags; the database does not
    assert library.entry(entry_id).note == "platypus"
    assert library.catch_up_index() == 3  # the note's entry and the two new ones
    assert library.search("platypus").ids == [entry_id]
    assert library.search("digest:2025-11-21").total == 2
    library.follow_index_in_background(None)
    library.set_note(entry_id, "echidna")
    assert library.search("echidna").ids == [entry_id]


def test_an_edit_after_an_unindexed_import_indexes_the_import_too(library: Library) -> None:
    """An edit used to record its own change number as seen, leaving the rows of an import
    made with index=False out of the index for good; a catch-up indexes every row behind."""
    library.import_bytes(factories.api_day(3), name="day.json")
    library.import_bytes(
        factories.api_day(2, day="2025-11-21", start=4), name="d2.json", index=False
    )
    library.set_status([library.list_ids()[0]], "read")
    assert library.index_status() == "ok"
    assert library.search("digest:2025-11-21").total == 2
    assert library.check() == []
