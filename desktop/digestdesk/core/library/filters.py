"""Filters in SQL: a query's ``status:``, ``tag:``, ``year:``... filters as conditions, sort orders.

Word queries run in the search index; everything else a query says runs here, on indexed
columns. :func:`allowed_or_excluded` hands the index the ids a filter leaves (or, when that is
most of them, the ids it removes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, exists, false, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from digestdesk.core import schema
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
    engine: Engine, conditions: Sequence[ColumnElement[bool]]
) -> tuple[set[int] | None, set[int] | None]:
    """(allowed, None) or, when most entries pass the filter, (None, excluded): fetching
    80k ids of "status:unread" costs more than the search itself at 100k, the 20 others
    almost nothing. A count on the indexed columns decides."""
    passing = and_(*conditions)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(E).where(passing)).scalar_one()
        total = conn.execute(select(func.count()).select_from(E)).scalar_one()
        if count * 2 <= total:
            return set(conn.execute(select(E.c.id).where(passing)).scalars()), None
        # NOT of a NULL comparison is NULL, not true: coalesce so those are excluded too.
        failing = not_(func.coalesce(passing, false()))
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
    """One filter of a query (or filters joined by OR and AND) as a condition on entries."""
    if isinstance(flt, FilterGroup):
        parts = [condition(child) for child in flt.children]
        cond = or_(*parts) if flt.op == "or" else and_(*parts)
    else:
        cond = _positive_condition(flt)
    return not_(cond) if flt.negate else cond


def _positive_condition(flt: Filter) -> ColumnElement[bool]:
    field, op, value = flt.field, flt.op, flt.value
    if field == "status":
        return E.c.status == str(value)
    if field == "tag":
        return exists().where(
            schema.entry_tags.c.entry_id == E.c.id,
            schema.entry_tags.c.tag_id == schema.tags.c.id,
            schema.tags.c.name == normalize_tag(str(value)),
        )
    if field == "arxiv":
        return E.c.arxiv_id == str(value)
    if field == "has":
        if value == "code":
            return E.c.has_code.is_(True)
        if value == "project":
            return E.c.project_page.is_not(None)
        if value == "note":
            return exists().where(schema.notes.c.entry_id == E.c.id)
        raise DigestDeskError(f"has:{value} is not known (use has:code, has:note, has:project)")
    if field == "digest":
        return exists().where(
            schema.digest_entries.c.entry_id == E.c.id,
            schema.digest_entries.c.digest_id == schema.digests.c.id,
            _compare(schema.digests.c.digest_date, op, value),
        )
    if field == "year":
        if op == "range":
            bounds: tuple[Any, Any] = value  # type: ignore[assignment]
            lo_year, hi_year = int(bounds[0]), int(bounds[1])
            return and_(
                E.c.published >= date(lo_year, 1, 1), E.c.published <= date(hi_year, 12, 31)
            )
        year = int(value)  # type: ignore[call-overload]
        first, last = date(year, 1, 1), date(year, 12, 31)
        return {
            "=": and_(E.c.published >= first, E.c.published <= last),
            ">": E.c.published > last,
            ">=": E.c.published >= first,
            "<": E.c.published < first,
            "<=": E.c.published <= last,
        }[op]
    if field == "date":
        return _compare(E.c.published, op, value)
    if field == "votes":
        return _compare(E.c.votes, op, value)
    raise DigestDeskError(f"Cannot filter on {field}.")


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
