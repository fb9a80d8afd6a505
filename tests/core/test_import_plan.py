"""An import is planned outside its write transaction (identity, matching, merges) and applied
in a short one that re-checks what changed meanwhile: edits made between the two are kept and
merged with, a paper another writer added meanwhile is not added twice, and the outcome is the
same as an import with nothing in between."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

import digestdesk.core.library.import_plan as import_plan
import digestdesk.core.library.importing as importing
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories


@pytest.fixture
def between(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], None]]]:
    """Callables run once, right after the next import's plan (outside its transaction)."""
    pending: list[Callable[[], None]] = []
    plans: list[object] = []
    real_plan = importing.plan_import

    def plan_then(*args: object, **kwargs: object) -> import_plan.Plan:
        made = real_plan(*args, **kwargs)  # type: ignore[arg-type]
        plans.append(made)
        while pending:
            pending.pop(0)()
        return made

    monkeypatch.setattr(importing, "plan_import", plan_then)
    yield pending


def _plans_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Where each plan of the next imports was made: "outside" or "inside" the transaction."""
    made: list[str] = []
    real = importing.plan_import

    def counting(conn: object, *args: object, **kwargs: object) -> import_plan.Plan:
        inside = conn.in_transaction()  # type: ignore[attr-defined]
        made.append("inside" if inside else "outside")
        return real(conn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importing, "plan_import", counting)
    return made


def test_an_edit_between_plan_and_apply_is_kept_and_merged_with(
    library: Library, between: list[Callable[[], None]]
) -> None:
    library.import_bytes(factories.api_day(3, upvotes=5), name="a.json")
    first = library.list_ids(sort="date")
    target = first[0]
    between.append(lambda: library.set_status([target], "read"))
    between.append(lambda: library.set_note(target, "mine"))
    # The same papers with more votes: the import updates them all, the edited one included.
    report = library.import_bytes(factories.api_day(3, upvotes=50), name="b.json")
    assert (report.new, report.updated, report.unchanged) == (0, 3, 0)
    detail = library.entries([target])[0]
    assert detail.status == "read"
    assert detail.note == "mine"
    assert detail.votes >= 50
    assert library.counts()["total"] == 3


def test_a_paper_added_between_plan_and_apply_is_not_added_twice(
    library: Library, library_paths: LibraryPaths, between: list[Callable[[], None]]
) -> None:
    """Another writer (on a server, another member) imports a paper this import also has:
    the plan no longer holds and is made again in the transaction."""
    library.import_bytes(factories.api_day(2), name="a.json")

    def other_writer() -> None:
        with Library.open(library_paths, writer=False, repair_index=False) as other:
            other.import_bytes(factories.api_day(1, start=3), name="other.json", index=False)

    between.append(other_writer)
    report = library.import_bytes(factories.api_day(4), name="b.json")
    assert library.counts()["total"] == 4  # 2.00001-2.00004, 2.00003 once
    assert (report.new, report.unchanged + report.updated) == (1, 3)


def test_a_plain_import_plans_once_outside_the_transaction(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.import_bytes(factories.api_day(2), name="a.json")
    made = _plans_made(monkeypatch)
    library.set_status(library.list_ids()[:1], "read")  # before the plan: nothing to re-check
    library.import_bytes(factories.api_day(5), name="b.json")
    assert made == ["outside"]


def test_the_import_transaction_does_no_lookup_per_paper(library: Library) -> None:
    """Inside the write transaction: statements per chunk, not per paper (an import of 600
    known and 600 new papers)."""
    library.import_bytes(factories.api_day(600), name="a.json", index=False)
    statements: list[str] = []
    real_writing = library._database.writing

    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counted():  # type: ignore[no-untyped-def]
        with real_writing() as conn:

            def seen(*args: object) -> None:
                statements.append(str(args[2]))

            event.listen(conn, "before_cursor_execute", seen)
            try:
                yield conn
            finally:
                event.remove(conn, "before_cursor_execute", seen)

    library._database.writing = counted  # type: ignore[method-assign]
    report = library.import_bytes(factories.api_day(1200, upvotes=9), name="b.json", index=False)
    assert (report.new, report.updated) == (600, 600)
    assert len(statements) < 40, statements[:50]
    with library.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM digest_entries")).scalar_one() == 1800


def test_sqlite_stores_new_papers_as_sqlalchemy_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's new rows go to the driver as parameters made in the plan (and their first
    status and digest links straight to it): the stored values are the same as through
    SQLAlchemy's INSERT (JSON, dates, booleans, times)."""
    monkeypatch.delenv("DIGESTDESK_DATABASE_URL", raising=False)  # SQLite's own path
    stored = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(import_plan, "driver_params", lambda *_a: None)
        paths = resolve_library(tmp_path / f"library-{fast}")
        with Library.open(paths) as library:
            library.import_bytes(factories.api_day(7), name="a.json", index=False)
            library.import_bytes(
                factories.page_text().encode(), name="p.txt", as_of=date(2025, 11, 20)
            )
            library.set_status(library.list_ids()[:1], "read")  # a status row by SQLAlchemy
        assert paths.sqlite_file is not None
        with sqlite3.connect(paths.sqlite_file) as conn:
            conn.row_factory = sqlite3.Row
            rows = [
                dict(r)
                for table in ("entries", "status_history", "digest_entries")
                for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")  # noqa: S608
            ]
        for row in rows:
            for name in ("added_at", "updated_at", "status_changed_at", "at"):  # each run's
                if name in row:
                    row[name] = type(row[name]).__name__, len(row[name] or "")
        stored.append(rows)
    assert len(stored[0]) == 31  # 10 entries, their first status and digest; one more status
    assert stored[0] == stored[1]
    # The times written straight to the driver look like the one SQLAlchemy wrote.
    assert len({row["at"] for row in stored[0] if "at" in row}) == 1
