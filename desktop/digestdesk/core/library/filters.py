"""Filters in SQL: a query's ``status:``, ``tag:``, ``year:``... filters as conditions, sort orders.

Word queries run in the search index; everything else a query says runs here, on indexed
columns. :func:`allowed_or_excluded` hands the index the ids a filter leaves (or, when that is
most of them, the ids it removes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, Select, and_, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from digestdesk.core import schema
from digestdesk.core.drafts import STATUSES
from digestdesk.core.library.common import E
from digestdesk.core.query import Filter, FilterExpr, FilterGroup
from digestdesk.core.text import normalize_tag
from digestdesk.errors import DigestDeskError


def order_by(sort: str) -> list[Any]:
    """The ORDER BY of a sort name ("date", the default; "votes", "title", "added").

    Within a day, "date" puts the most voted first, as the Hugging Face daily page does."""
    if sort == "votes":
        return [E.c.votes.desc().nulls_last(), E.c.published.desc().nulls_last(), E.c.id.desc()]
    if sort == "title":
        return [E.c.title_norm, E.c.id]
    if sort == "added":
        return [E.c.id.desc()]
    return [E.c.published.desc().nulls_last(), E.c.votes.desc().nulls_last(), E.c.id.desc()]


def list_ids(
    engine: Engine,
    *,
    status: str | None = None,
    tag: str | None = None,
    sort: str = "date",
    limit: int | None = None,
) -> list[int]:
    """Ids with this status and tag (both optional), sorted."""
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(condition(Filter("status", "=", status)))
    if tag:
        conditions.append(condition(Filter("tag", "=", tag)))
    return ids_where(engine, conditions, sort, limit)


def allowed_or_excluded(
    engine: Engine, filters: Sequence[FilterExpr]
) -> tuple[set[int] | None, set[int] | None]:
    """(allowed, None) or, when most entries pass the filters, (None, excluded): fetching
    80k ids of "status:unread" costs more than the search itself at 100k, the 20 others
    almost nothing. A count on the indexed columns decides; every query here is answered
    from indexes (tests/core/test_filter_indexes.py checks the query plans)."""
    passing = and_(*(condition(f) for f in filters))
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(E).where(passing)).scalar_one()
        total = conn.execute(select(func.count()).select_from(E)).scalar_one()
        if count * 2 <= total:
            return set(conn.execute(select(E.c.id).where(passing)).scalars()), None
        failing = or_(*(failing_condition(f) for f in filters))
        return None, set(conn.execute(select(E.c.id).where(failing)).scalars())


def ids_where(
    engine: Engine, conditions: Sequence[ColumnElement[bool]], sort: str, limit: int | None
) -> list[int]:
    """Ids that pass every condition, sorted, at most ``limit``."""
    stmt = select(E.c.id).where(*conditions).order_by(*order_by(sort))
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def condition(flt: FilterExpr) -> ColumnElement[bool]:
    """One filter of a query (or filters joined by OR and AND) as a condition on entries, in a
    form a database index answers: ``-votes:>5`` is ``votes <= 5``, ``-status:read`` the other
    statuses, ``-has:code`` ``has_code = false``, ``-(a OR b)`` is ``-a AND -b``. A negated
    membership (``-tag:x``, ``-has:note``, ``-digest:...``) is a ``NOT IN``."""
    return _sides(flt).true


def failing_condition(flt: FilterExpr) -> ColumnElement[bool]:
    """The entries a filter leaves out, those where it is unknown (a NULL value) included."""
    return _sides(flt).not_true


@dataclass(frozen=True)
class _Sides:
    """Where a filter is true, false, not true and not false. SQL's NOT of a comparison with
    NULL is NULL, so an entry without a value is neither true nor false: ``-votes:>5`` leaves
    out an entry without votes, as ``votes:>5`` does."""

    true: ColumnElement[bool]
    false: ColumnElement[bool]
    not_true: ColumnElement[bool]
    not_false: ColumnElement[bool]

    def negated(self) -> _Sides:
        return _Sides(self.false, self.true, self.not_false, self.not_true)


def _sides(flt: FilterExpr) -> _Sides:
    if isinstance(flt, FilterGroup):
        parts = [_sides(child) for child in flt.children]
        join, dual = (and_, or_) if flt.op == "and" else (or_, and_)
        sides = _Sides(
            join(*(p.true for p in parts)),
            dual(*(p.false for p in parts)),
            dual(*(p.not_true for p in parts)),
            join(*(p.not_false for p in parts)),
        )
    else:
        positive, opposite, nullable = _parts(flt)
        unknown = nullable.is_(None) if nullable is not None else None
        sides = _Sides(
            positive,
            opposite,
            opposite if unknown is None else or_(opposite, unknown),
            positive if unknown is None else or_(positive, unknown),
        )
    return sides.negated() if flt.negate else sides


def _parts(flt: Filter) -> tuple[ColumnElement[bool], ColumnElement[bool], Any]:
    """(the condition, its opposite, the nullable column it compares or None). Where a column
    may be NULL, neither side holds for NULL, as SQL's NOT would have it."""
    field, op, value = flt.field, flt.op, flt.value
    if field == "status":
        others = [s for s in STATUSES if s != str(value)]
        return E.c.status == str(value), E.c.status.in_(others), None
    if field == "has" and value == "code":
        return E.c.has_code == true(), E.c.has_code == false(), None
    if field == "has" and value == "project":
        return E.c.project_page.is_not(None), E.c.project_page.is_(None), None
    if field == "year":
        op, value = _year_as_dates(op, value)
        field = "date"
    if field in ("date", "votes", "arxiv"):
        column = {"date": E.c.published, "votes": E.c.votes, "arxiv": E.c.arxiv_id}[field]
        if field == "arxiv":
            value = str(value)
        return _compare(column, op, value), _opposite(column, op, value), column
    member = E.c.id.in_(_member_ids(field, op, value))
    return member, not_(member), None


def _member_ids(field: str, op: str, value: Any) -> Select[Any]:
    """The ids of a filter on another table: one indexed lookup there, not a probe per entry."""
    if field == "tag":
        return (
            select(schema.entry_tags.c.entry_id)
            .join(schema.tags, schema.tags.c.id == schema.entry_tags.c.tag_id)
            .where(schema.tags.c.name == normalize_tag(str(value)))
        )
    if field == "has" and value == "note":
        return select(schema.notes.c.entry_id)
    if field == "has":
        raise DigestDeskError(f"has:{value} is not known (use has:code, has:note, has:project)")
    if field == "digest":
        return (
            select(schema.digest_entries.c.entry_id)
            .join(schema.digests, schema.digests.c.id == schema.digest_entries.c.digest_id)
            .where(_compare(schema.digests.c.digest_date, op, value))
        )
    raise DigestDeskError(f"Cannot filter on {field}.")


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


def _opposite(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    """NOT of :func:`_compare` for a non-NULL value, as ranges an index answers."""
    if op == "range":
        lo, hi = value
        return or_(column < lo, column > hi)
    return {
        "=": or_(column < value, column > value),
        ">": column <= value,
        ">=": column < value,
        "<": column >= value,
        "<=": column > value,
    }[op]


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "range":
        lo, hi = value
        return and_(column >= lo, column <= hi)
    return {
        "=": column == value,
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }[op]
