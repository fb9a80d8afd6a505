"""Many writers on one PostgreSQL library: the change feed never skips a late commit, the
change numbers are handed out in commit order, and overlapping imports add each paper once.

Each writer here is a library of its own (its own engine, lock file and index), as two members'
machines would be; they share only the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.library.change_listener import APPLICATION_NAME
from digestdesk.core.library.common import utcnow
from digestdesk.core.library.database import Database, next_seq
from digestdesk.errors import LibraryLockedError
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core.factories import PAGE_HEADER, api_day, api_item, api_json, page_entry

E = schema.entries

pytestmark = pytest.mark.postgres


@pytest.fixture
def second_paths(library_paths: LibraryPaths, tmp_path: Path) -> LibraryPaths:
    """The same database seen from another machine: its own lock file and index."""
    other = resolve_library(tmp_path / "second machine")
    assert other.database_url == library_paths.database_url
    return other


@pytest.fixture
def second(second_paths: LibraryPaths, library: Library) -> Iterator[Library]:
    lib = Library.open(second_paths)
    try:
        yield lib
    finally:
        lib.close()


def test_a_change_committed_late_with_an_earlier_number_is_indexed(
    library: Library, second_paths: LibraryPaths
) -> None:
    library.import_bytes(api_day(3), name="day.json")
    first, other, _ = library.list_ids(sort="date")
    late = Database.open(second_paths, writer=False)
    try:
        # Transaction A starts first and takes its change number...
        with late.writing() as conn:
            seq_a = next_seq(conn)
            conn.execute(
                insert(schema.notes),
                {"entry_id": first, "text": "zebrafinch", "edited_at": utcnow()},
            )
            conn.execute(E.update().where(E.c.id == first).values(seq=seq_a))
            # ...B takes a later one and commits, and the index catches up past it...
            library.set_note(other, "okapi")
            assert library.catch_up_index() == 0  # the writer indexed it already
            seen = library.index.state()
            assert seen is not None
            assert library.search("okapi").ids == [other]
            # ...and only then A commits.
        assert library.search("zebrafinch").ids == []
        assert library.catch_up_index() == 1
        assert library.search("zebrafinch").ids == [first]
        with library.engine.connect() as conn:
            stamped = conn.execute(select(E.c.seq).where(E.c.id == first)).scalar_one()
        assert stamped > seen.last_seq  # numbered in commit order, so a catch-up finds it
        assert library.check(deep=True) == []
    finally:
        late.close()


def test_change_numbers_follow_commit_order_under_concurrent_edits(
    library: Library, second: Library
) -> None:
    library.import_bytes(api_day(6), name="day.json")
    ids = library.list_ids(sort="date")
    start = library.change_seq()
    rounds = 15
    failures: list[BaseException] = []

    def edit(lib: Library, mine: list[int], word: str) -> None:
        try:
            for n in range(rounds):
                lib.set_note(mine[n % len(mine)], f"{word} {n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=edit, args=(library, ids[:3], "first")),
        threading.Thread(target=edit, args=(second, ids[3:], "second")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    # Every edit drew its own number: none was lost to a concurrent read-then-write.
    assert library.change_seq() == start + 2 * rounds
    with library.engine.connect() as conn:
        assert conn.execute(select(func.min(E.c.seq))).scalar_one() > 0  # none provisional
    for lib in (library, second):
        lib.catch_up_index()
        assert lib.check(deep=True) == []


def test_overlapping_imports_at_once_add_each_paper_once(library: Library, second: Library) -> None:
    # Two members import overlapping days at the same moment: API days (arXiv ids, a unique
    # key) and saved pages (titles only: no key a constraint could hold).
    day_one = api_json([api_item(f"2511.{n:05d}", f"Shared paper {n}") for n in range(40)])
    day_two = api_json(
        [api_item(f"2511.{n:05d}", f"Shared paper {n}", upvotes=9) for n in range(20, 60)]
    )
    page_one, page_two = (
        PAGE_HEADER
        + "".join(
            page_entry(f"Titled paper {n}", f"Abstract {n}.", 2, "Mar 9, 2023") for n in numbers
        )
        for numbers in (range(0, 30), range(10, 40))
    )
    failures: list[BaseException] = []

    def at_once(first: tuple[bytes, str], second_input: tuple[bytes, str]) -> None:
        # Each import waits at its first progress call (planning) until the other is there
        # too, or a few seconds passed: both then apply at once, and without taking turns
        # each would look for the papers before the other commits.
        inside = [threading.Event(), threading.Event()]

        def run(lib: Library, data: bytes, name: str, me: int) -> None:
            def progress(done: int, total: int) -> None:
                inside[me].set()
                inside[1 - me].wait(3)

            try:
                lib.import_bytes(data, name=name, progress=progress)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [
            threading.Thread(target=run, args=(library, *first, 0)),
            threading.Thread(target=run, args=(second, *second_input, 1)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    at_once((day_one, "one.json"), (day_two, "two.json"))
    at_once((page_one.encode(), "one.txt"), (page_two.encode(), "two.txt"))
    assert not failures
    with library.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(E)).scalar_one() == 100
        distinct = conn.execute(text("SELECT count(DISTINCT title_norm) FROM entries")).scalar_one()
        links = conn.execute(select(func.count()).select_from(schema.digest_entries)).scalar_one()
    assert distinct == 100
    assert links == 40 + 40 + 30 + 30
    for lib in (library, second):
        lib.catch_up_index()
        assert lib.check(deep=True) == []


def test_a_listener_hears_another_members_commit(library: Library, second: Library) -> None:
    second.import_bytes(api_day(2), name="day.json")
    entry = second.list_ids(sort="date")[0]
    assert library.catch_up_index() == 2  # the other member's import
    heard = threading.Event()
    # No fallback within the test: only the notification can wake it.
    listener = library.listen_for_changes(heard.set, fallback_s=3600)
    assert listener is not None
    try:
        assert listener.wait_listening(30)
        assert heard.wait(30)  # once when it starts listening: what committed meanwhile
        heard.clear()
        second.change_tags([entry], add=["reading-group"])
        assert heard.wait(30), "the commit's NOTIFY did not arrive"
        assert listener.heard >= 1
        # What it wakes catches the index up with the other member's change.
        assert library.catch_up_index_entries() == [entry]
        assert library.search("tag:reading-group").ids == [entry]
    finally:
        listener.stop()


def test_no_lock_file_decides_who_writes_a_servers_library(
    library: Library, tmp_path: Path
) -> None:
    # This process keeps the machine's index (it holds the lock file); a command of the same
    # member on the same machine still writes the database, and leaves the index to it.
    assert library.keeps_index
    day = tmp_path / "day.json"
    day.write_bytes(api_day(3))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "digestdesk",
            "--library",
            str(tmp_path / "library"),
            "import",
            str(day),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert library.counts()["total"] == 3
    with Library.open(library.paths, keep_index=False) as beside:
        assert beside.is_writer and not beside.keeps_index
        assert beside.ensure_index() == "ok"  # it never writes the index the other keeps
        assert beside.catch_up_index() == 0
        with pytest.raises(LibraryLockedError, match="keeps this library's search index"):
            beside.rebuild_index()
    assert sorted(library.catch_up_index_entries() or []) == library.list_ids(sort="added")[::-1]
    assert library.search("reasoning").total == 3
    assert library.check(deep=True) == []


def test_a_listener_reconnects_and_looks_periodically(library: Library, second: Library) -> None:
    calls = threading.Semaphore(0)
    listener = library.listen_for_changes(calls.release, fallback_s=0.5)
    assert listener is not None
    try:
        assert listener.wait_listening(30)
        # Without any commit it looks anyway, every fallback_s (a lost notification).
        for _ in range(3):
            assert calls.acquire(timeout=30)
        # The server drops its connection: it connects again, looks at once, and hears.
        with library.engine.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": APPLICATION_NAME},
            ).all()
        assert dropped
        heard_before = listener.heard
        for attempt in range(60):  # a commit every half second until one is heard
            second.import_bytes(api_day(1, start=100 + attempt), name=f"day {attempt}.json")
            time.sleep(0.5)
            if listener.heard > heard_before:
                break
        assert listener.heard > heard_before
    finally:
        listener.stop()


def _while_another_writes(
    second_paths: LibraryPaths, first: Callable[[Connection], object], edit: Callable[[], object]
) -> None:
    """Run ``first`` in another member's open transaction, then ``edit`` on a thread until
    it waits on that transaction (the server says so), then commit the other; ``edit``
    must end without failing."""
    other = Database.open(second_paths, writer=False)
    done = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            edit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            done.set()

    try:
        with other.writing() as conn:
            first(conn)
            thread = threading.Thread(target=run)
            thread.start()
            while not done.is_set() and not _someone_waits_on_a_lock(other):
                time.sleep(0.02)
            assert not done.is_set()
        thread.join(60)
    finally:
        other.close()
    assert not failures


def test_an_edit_that_meets_another_members_new_key_runs_again(
    library: Library, second_paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    library.import_bytes(api_day(2), name="day.json")
    entry = library.list_ids()[0]
    caplog.set_level("INFO", logger="digestdesk.core.library.database")
    # Another member's machine (the same member's other one: notes are private) writes the
    # entry's first note and has not committed: this edit's insert waits for it, then meets
    # the key it committed (23505), and runs again: it replaces that note.
    _while_another_writes(
        second_paths,
        lambda conn: conn.execute(
            insert(schema.notes), {"entry_id": entry, "text": "first", "edited_at": utcnow()}
        ),
        lambda: library.set_note(entry, "second"),
    )
    assert library.entry(entry).note == "second"
    assert "met another writer (23505)" in caplog.text


def test_two_members_making_the_same_tag_at_once_conflict_in_nothing(
    library: Library, second_paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    library.import_bytes(api_day(2), name="day.json")
    first, other = library.list_ids()
    caplog.set_level("INFO", logger="digestdesk.core.library.database")
    tags = schema.tags
    tagged = schema.entry_tags

    def tag_both(conn: Connection) -> None:
        tag_id = conn.execute(
            insert(tags).returning(tags.c.id), {"name": "reading-group"}
        ).scalar_one()
        conn.execute(insert(tagged), [{"entry_id": e, "tag_id": tag_id} for e in (first, other)])

    # The other member makes the tag and tags both papers, uncommitted; this edit tags the
    # first paper and untags nothing: it waits, then finds the tag and the pair there.
    _while_another_writes(
        second_paths, tag_both, lambda: library.change_tags([first], add=["reading-group"])
    )
    assert "met another writer" not in caplog.text
    assert library.entry(first).tags == library.entry(other).tags == ["reading-group"]
    # The pair the other member added is not this edit's to undo.
    library.undo()
    assert library.entry(first).tags == ["reading-group"]


def _someone_waits_on_a_lock(database: Database) -> bool:
    with database.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).first()
        )
