"""Filters in SQL: a query's ``status:``, ``tag:``, ``year:``... filters as conditions, sort orders.

Word queries run in the search index; everything else a query says runs here, on indexed
columns. :func:`allowed_or_excluded` hands the index the ids a filter leaves (or, when that is
most of them, the ids it removes). The conditions are plain SQL text with parameters
(:mod:`.sql`), the same on SQLite and PostgreSQL, run through SQLAlchemy or, by the command
line's reading commands, through the sqlite3 module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from digestdesk.core.drafts import STATUSES
from digestdesk.core.library.sql import Params, Reads
from digestdesk.core.query import Filter, FilterExpr, FilterGroup
from digestdesk.core.query.filters import TEAM_FIELDS
from digestdesk.core.text import tag_forms
from digestdesk.errors import DigestDeskError

_ORDERS = {
    "votes": "entries.votes DESC NULLS LAST, entries.published DESC NULLS LAST, entries.id DESC",
    "title": "entries.title_norm, entries.id",
    "added": "entries.id DESC",
    "date": "entries.published DESC NULLS LAST, entries.votes DESC NULLS LAST, entries.id DESC",
}


def order_by(sort: str) -> str:
    """The ORDER BY of a sort name ("date", the default; "votes", "title", "added").

    Within a day, "date" puts the most voted first, as the Hugging Face daily page does."""
    return _ORDERS.get(sort, _ORDERS["date"])


def list_ids(
    reads: Reads,
    *,
    status: str | None = None,
    tag: str | None = None,
    sort: str = "date",
    limit: int | None = None,
) -> list[int]:
    """Ids with this status and tag (both optional), sorted."""
    filters: list[FilterExpr] = []
    if status:
        filters.append(Filter("status", "=", status))
    if tag:
        filters.append(Filter("tag", "=", tag))
    return ids_where(reads, filters, sort, limit)


def allowed_or_excluded(
    reads: Reads, filters: Sequence[FilterExpr]
) -> tuple[set[int] | None, set[int] | None]:
    """(allowed, None) or, when most entries pass the filters, (None, excluded): fetching
    80k ids of "status:unread" costs more than the search itself at 100k, the 20 others
    almost nothing. A count on the indexed columns decides; every query here is answered
    from indexes (tests/core/test_filter_indexes.py checks the query plans)."""
    require_team(reads, filters)
    params = Params()
    passing = " AND ".join(condition(f, params) for f in filters)
    with reads.reading() as reading:
        ((count,),) = reading.all(f"SELECT count(*) FROM entries WHERE {passing}", params.values)
        ((total,),) = reading.all("SELECT count(*) FROM entries")
        if count * 2 <= total:
            rows = reading.all(f"SELECT entries.id FROM entries WHERE {passing}", params.values)
            return {row[0] for row in rows}, None
        params = Params()
        failing = " OR ".join(failing_condition(f, params) for f in filters)
        rows = reading.all(f"SELECT entries.id FROM entries WHERE {failing}", params.values)
        return None, {row[0] for row in rows}


def ids_where(
    reads: Reads, filters: Sequence[FilterExpr], sort: str, limit: int | None
) -> list[int]:
    """Ids that pass every filter, sorted, at most ``limit``."""
    require_team(reads, filters)
    params = Params()
    where = " AND ".join(condition(f, params) for f in filters)
    sql = "SELECT entries.id FROM entries"
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {order_by(sort)}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with reads.reading() as reading:
        return [row[0] for row in reading.all(sql, params.values)]


def condition(flt: FilterExpr, params: Params) -> str:
    """One filter of a query (or filters joined by OR and AND) as a condition on entries, in a
    form a database index answers: ``-votes:>5`` is ``votes <= 5``, ``-status:read`` the other
    statuses, ``-has:code`` ``has_code = false``, ``-(a OR b)`` is ``-a AND -b``. A negated
    membership (``-tag:x``, ``-has:note``, ``-digest:...``) is a ``NOT IN``."""
    return _sides(flt, params).true


def failing_condition(flt: FilterExpr, params: Params) -> str:
    """The entries a filter leaves out, those where it is unknown (a NULL value) included."""
    return _sides(flt, params).not_true


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def _or(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


@dataclass(frozen=True)
class _Sides:
    """Where a filter is true, false, not true and not false. SQL's NOT of a comparison with
    NULL is NULL, so an entry without a value is neither true nor false: ``-votes:>5`` leaves
    out an entry without votes, as ``votes:>5`` does."""

    true: str
    false: str
    not_true: str
    not_false: str

    def negated(self) -> _Sides:
        return _Sides(self.false, self.true, self.not_false, self.not_true)


def _sides(flt: FilterExpr, params: Params) -> _Sides:
    if isinstance(flt, FilterGroup):
        parts = [_sides(child, params) for child in flt.children]
        join, dual = (_and, _or) if flt.op == "and" else (_or, _and)
        sides = _Sides(
            join([p.true for p in parts]),
            dual([p.false for p in parts]),
            dual([p.not_true for p in parts]),
            join([p.not_false for p in parts]),
        )
    else:
        positive, opposite, nullable = _parts(flt, params)
        unknown = f"{nullable} IS NULL" if nullable is not None else None
        sides = _Sides(
            positive,
            opposite,
            opposite if unknown is None else _or([opposite, unknown]),
            positive if unknown is None else _or([positive, unknown]),
        )
    return sides.negated() if flt.negate else sides


_COLUMNS = {"date": "entries.published", "votes": "entries.votes", "arxiv": "entries.arxiv_id"}


def _parts(flt: Filter, params: Params) -> tuple[str, str, str | None]:
    """(the condition, its opposite, the nullable column it compares or None). Where a column
    may be NULL, neither side holds for NULL, as SQL's NOT would have it."""
    field, op, value = flt.field, flt.op, flt.value
    if field == "status":
        others = [s for s in STATUSES if s != str(value)]
        return (
            f"entries.status = {params(str(value))}",
            f"entries.status IN ({params.many(others)})",
            None,
        )
    if field == "has" and value == "code":
        return (
            f"entries.has_code = {params(True)}",
            f"entries.has_code = {params(False)}",
            None,
        )
    if field == "has" and value == "project":
        return "entries.project_page IS NOT NULL", "entries.project_page IS NULL", None
    if field == "year":
        op, value = _year_as_dates(op, value)
        field = "date"
    if field in _COLUMNS:
        column = _COLUMNS[field]
        if field == "arxiv":
            value = str(value)
        return (
            _compare(column, op, value, params),
            _opposite(column, op, value, params),
            column,
        )
    members = _member_ids(field, op, value, params)
    return f"entries.id IN ({members})", f"entries.id NOT IN ({members})", None


def _member_ids(field: str, op: str, value: Any, params: Params) -> str:
    """The ids of a filter on another table: one indexed lookup there, not a probe per entry."""
    if field == "tag":
        return (
            "SELECT entry_tags.entry_id FROM entry_tags JOIN tags ON tags.id = entry_tags.tag_id"
            f" WHERE tags.name IN ({params.many(tag_forms(str(value)))})"
        )
    if field == "has" and value == "note":
        return "SELECT notes.entry_id FROM notes"
    if field == "has":
        raise DigestDeskError(f"has:{value} is not known (use has:code, has:note, has:project)")
    if field == "read-by":
        # Every member's status is readable by every member (team_schema); "read" is read.
        return (
            "SELECT member_state.entry_id FROM member_state"
            f" WHERE member_state.owner = {params(str(value))} AND member_state.status = 'read'"
        )
    if field == "comment":
        words = str(value).split()
        if not words:
            return "SELECT comments.entry_id FROM comments"
        matches = " AND ".join(
            f"lower(comments.text) LIKE {params('%' + _like(word.lower()) + '%')} ESCAPE '!'"
            for word in words
        )
        return f"SELECT comments.entry_id FROM comments WHERE {matches}"
    if field == "digest":
        return (
            "SELECT digest_entries.entry_id FROM digest_entries"
            " JOIN digests ON digests.id = digest_entries.digest_id"
            f" WHERE {_compare('digests.digest_date', op, value, params)}"
        )
    raise DigestDeskError(f"Cannot filter on {field}.")


def _like(word: str) -> str:
    """A word as a LIKE pattern matches it literally (``!`` escapes)."""
    return word.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def require_team(reads: Reads, filters: Sequence[FilterExpr]) -> None:
    """``read-by:`` and ``comment:`` need a team library: a clear word on any other (one small
    query, only for a query that uses them)."""
    if not any(_fields(f) & TEAM_FIELDS for f in filters):
        return
    with reads.reading() as reading:
        ((count,),) = reading.all("SELECT count(*) FROM meta WHERE key = 'team'")
    if not count:
        raise DigestDeskError(
            "read-by: and comment: are for a team library (PostgreSQL, `digestdesk team init`); "
            "this library has one reader."
        )


def _fields(flt: FilterExpr) -> set[str]:
    if isinstance(flt, FilterGroup):
        return set().union(*(_fields(child) for child in flt.children))
    return {flt.field}


def _year_as_dates(op: str, value: Any) -> tuple[str, Any]:
    """A ``year:`` filter as the same filter on the published date."""
    if op == "range":
        lo_year, hi_year = int(value[0]), int(value[1])
        return "range", (date(lo_year, 1, 1), date(hi_year, 12, 31))
    year = int(value)
    first, last = date(year, 1, 1), date(year, 12, 31)
    return {
        "=": ("range", (first, last)),
        ">": (">", last),
        ">=": (">=", first),
        "<": ("<", first),
        "<=": ("<=", last),
    }[op]


def _opposite(column: str, op: str, value: Any, params: Params) -> str:
    """NOT of :func:`_compare` for a non-NULL value, as ranges an index answers."""
    if op == "range":
        lo, hi = value
        return f"({column} < {params(lo)} OR {column} > {params(hi)})"
    if op == "=":
        return f"({column} < {params(value)} OR {column} > {params(value)})"
    opposite = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[op]
    return f"{column} {opposite} {params(value)}"


def _compare(column: str, op: str, value: Any, params: Params) -> str:
    if op == "range":
        lo, hi = value
        return f"({column} >= {params(lo)} AND {column} <= {params(hi)})"
    if op not in ("=", ">", ">=", "<", "<="):
        raise KeyError(op)
    return f"{column} {op} {params(value)}"
