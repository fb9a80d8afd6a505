"""Every filter of the query language is answered by a database index, never by reading the
rows of the big tables: the SQLite query plan (EXPLAIN QUERY PLAN) of each filter's ids
query, of its negation and of the "failing" query used when most entries pass, says so.

A plan line "SCAN entries" without "USING ... INDEX" reads every row, abstracts and all; that is
what `has:code` did before schema 0004 (about 2 s at 100k entries). A negated membership
(`-tag:x`, `-has:note`, `-digest:...`) is a NOT IN and reads every id, but from the narrowest
covering index, not the table.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import pytest
from sqlalchemy import select

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.library.database import ConnectionReading
from digestdesk.core.library.filters import condition, failing_condition
from digestdesk.core.library.sql import Params
from digestdesk.core.query import FilterExpr, parse
from tests.core import factories

sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="EXPLAIN QUERY PLAN is SQLite's"
)

BIG_TABLES = ("entries", "digest_entries", "entry_tags", "status_history")

FILTERS = [
    "status:read",
    "tag:todo",
    "has:code",
    "has:note",
    "has:project",
    "votes:>5",
    "votes:3..9",
    "votes:7",
    "digest:>=2025-01-01",
    "digest:2025-11-20",
    "year:2024",
    "year:>2023",
    "year:2023..2025",
    "date:<2025-01-01",
    "arxiv:2511.00001",
    "arxiv:2511.00001 OR arxiv:2511.00002",
    "-(tag:todo OR status:read)",
    "votes:>5 OR has:code",
]


Condition = Callable[[FilterExpr, Params], str]


def _plan(library: Library, where: Condition, flt: FilterExpr, select: str = "id") -> list[str]:
    params = Params()
    sql = f"EXPLAIN QUERY PLAN SELECT {select} FROM entries WHERE {where(flt, params)}"
    with library.engine.connect() as conn:
        return [row[3] for row in ConnectionReading(conn).all(sql, params.values)]


def _table_scans(plan: list[str]) -> list[str]:
    """Plan lines that read a big table's rows one by one (not through an index)."""
    return [
        line
        for line in plan
        if line.startswith("SCAN ")
        and line.split()[1] in BIG_TABLES
        and "USING COVERING INDEX" not in line
    ]


def _filter(text: str, negate: bool = False) -> FilterExpr:
    (flt,) = parse(text).filters
    return dataclasses.replace(flt, negate=flt.negate != negate)


@sqlite_only
@pytest.mark.parametrize("text", FILTERS)
@pytest.mark.parametrize("negate", [False, True], ids=["", "negated"])
def test_each_filter_is_answered_by_an_index(library: Library, text: str, negate: bool) -> None:
    flt = _filter(text, negate)
    for label, where in (("ids", condition), ("failing", failing_condition)):
        plan = _plan(library, where, flt)
        assert not _table_scans(plan), f"{'-' if negate else ''}{text} ({label}): {plan}"
        membership = any(word in text for word in ("tag:", "digest:", "has:note"))
        scans = [line for line in plan if line.startswith("SCAN entries")]
        if not membership:  # a plain filter searches a range of its index, never scans it
            assert not scans, f"{'-' if negate else ''}{text} ({label}): {plan}"


@sqlite_only
def test_the_old_form_of_has_code_would_be_caught(library: Library) -> None:
    # Without its index (as before schema 0004) has:code reads every row: the check can fail.
    with library.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_entries_has_code")
    plan = _plan(library, condition, _filter("has:code"))
    assert _table_scans(plan) == ["SCAN entries"]


@sqlite_only
def test_counting_what_passes_uses_the_index_too(library: Library) -> None:
    plan = _plan(library, condition, _filter("has:code"), select="count(*)")
    assert plan == ["SEARCH entries USING COVERING INDEX ix_entries_has_code (has_code=?)"]


@pytest.mark.parametrize("text", FILTERS)
def test_indexed_forms_select_what_the_filters_mean(library: Library, text: str) -> None:
    """The rewritten conditions (IN instead of EXISTS, ranges instead of NOT) keep their
    meaning, on either database: a filter and its negation split the entries that have a
    value, and the failing query returns exactly the entries the filter leaves out, NULLs
    included."""
    library.import_bytes(
        factories.api_json(
            [
                factories.api_item(
                    f"2511.{i:05d}",
                    f"Paper {i}",
                    upvotes=i,
                    published=f"202{3 + i % 3}-0{1 + i % 9}-10T00:00:00.000Z",
                    githubRepo="https://github.com/o/r" if i % 2 else None,
                    projectPage="https://p.example/" if i % 3 == 0 else None,
                )
                for i in range(1, 13)
            ]
        ),
        name="2025-11-20.json",
    )
    library.import_bytes(factories.api_day(3, start=40, day="2024-06-01"), name="2024-06-01.json")
    library.change_tags([1, 3], add=["todo"])
    library.set_note(2, "a note")
    library.set_status([4], "read")
    with library.engine.begin() as conn:  # an entry with no votes and no date
        entries = schema.entries
        conn.execute(entries.update().where(entries.c.id == 5).values(votes=None, published=None))
    with library.engine.connect() as conn:
        every = set(conn.execute(select(entries.c.id)).scalars())

        def ids(where: Condition, flt: FilterExpr) -> set[int]:
            params = Params()
            sql = f"SELECT entries.id FROM entries WHERE {where(flt, params)}"
            return {row[0] for row in ConnectionReading(conn).all(sql, params.values)}

        yes, no = ids(condition, _filter(text)), ids(condition, _filter(text, True))
        failing = ids(failing_condition, _filter(text))
    assert yes and not yes & no, text
    assert failing == every - yes, text
    unknown = every - yes - no  # entries with no value for the column: in neither
    assert unknown <= {5}, text
    nullable = any(f"{field}:" in text for field in ("votes", "year", "date"))
    assert (unknown == {5}) == (nullable and "OR has:code" not in text), text
