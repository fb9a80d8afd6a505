"""Filters of the query language (``status:`` ``tag:`` ``year:`` ``date:`` ``votes:`` ``has:``
``digest:`` ``arxiv:``): their values checked and converted into :class:`Filter` objects.

Filters at the top level of a query are evaluated by the library in SQL; nested inside ``OR``
or parentheses the index evaluates them (see :mod:`digestdesk.core.index.compiler`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from digestdesk.core.drafts import STATUSES
from digestdesk.errors import QueryError

HAS_VALUES = ("code", "note", "project")

#: Query-language field name -> :class:`Filter` field.
FILTER_FIELDS = {
    "status": "status",
    "tag": "tag",
    "tags": "tag",
    "year": "year",
    "date": "date",
    "votes": "votes",
    "has": "has",
    "digest": "digest",
    "arxiv": "arxiv",
    # A team library's (issue 17): what another member read, the members' comments.
    "read-by": "read-by",
    "comment": "comment",
}

#: Filters that only a team library answers.
TEAM_FIELDS = frozenset({"read-by", "comment"})

#: An arXiv id's version suffix ("v3"): ids are matched without it.
ARXIV_VERSION_RE = re.compile(r"v\d+$")

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INT_RE = re.compile(r"\d+", re.ASCII)
_ORDERED = frozenset({"year", "date", "votes", "digest"})


@dataclass
class Filter:
    """A condition the library evaluates in SQL (fast, always current)."""

    field: str  # "status" "tag" "year" "date" "votes" "has" "digest" "arxiv" "read-by" "comment"
    op: str  # "=", ">", ">=", "<", "<=", "range"
    value: object  # str | int | date | (lo, hi) inclusive for "range"
    negate: bool = False


@dataclass
class FilterGroup:
    """Filters joined by OR (or AND, inside an OR): ``arxiv:A OR arxiv:B``, ``-(tag:x OR
    status:read)``. Evaluated in SQL like a single filter, with the same meaning."""

    op: str  # "or" | "and"
    children: list[FilterExpr]
    negate: bool = False


#: What the library evaluates in SQL: one filter or filters joined by OR and AND.
FilterExpr = Filter | FilterGroup


def parse_filter(field_name: str, query_name: str, raw: str, pos: int) -> Filter:
    """Validate ``query_name:raw`` and turn it into a :class:`Filter` (raises QueryError)."""
    shown = f"{query_name}:{raw}"
    op, rest = "=", raw.strip()
    for candidate in (">=", "<=", ">", "<", "="):
        if rest.startswith(candidate):
            op, rest = candidate, rest[len(candidate) :].strip()
            break
    lo_raw = hi_raw = None
    if op == "=" and ".." in rest:
        lo_raw, _, hi_raw = rest.partition("..")
        lo_raw, hi_raw = lo_raw.strip(), hi_raw.strip()
        if not lo_raw and not hi_raw:
            raise QueryError(f"{shown}: a range needs at least one end (e.g. 2023..2025).", pos)
    if not rest:
        raise QueryError(f"{shown}: needs a value after the operator.", pos)
    if field_name not in _ORDERED and (op != "=" or lo_raw is not None):
        raise QueryError(f"{shown}: {query_name}: only matches exact values (no <, > or ..).", pos)

    if field_name == "status":
        value = rest.lower()
        if value not in STATUSES:
            raise QueryError(f"{shown}: not a status (use {', '.join(STATUSES)}).", pos)
        return Filter("status", "=", value)
    if field_name == "has":
        value = rest.lower()
        if value not in HAS_VALUES:
            raise QueryError(f"{shown}: unknown (use has:code, has:note or has:project).", pos)
        return Filter("has", "=", value)
    if field_name == "tag":
        value = rest.lower().replace(",", " ").strip()
        if not value:
            raise QueryError(f"{shown}: needs a tag name.", pos)
        return Filter("tag", "=", value)
    if field_name in TEAM_FIELDS:
        value = rest.strip()
        if field_name == "comment":
            value = " ".join(value.split())
        return Filter(field_name, "=", value)
    if field_name == "arxiv":
        value = ARXIV_VERSION_RE.sub("", rest.lower().removeprefix("arxiv:"))
        return Filter("arxiv", "=", value)

    def convert(text: str) -> int | date:
        if field_name in ("date", "digest"):
            if _DATE_RE.fullmatch(text):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    pass
            raise QueryError(f"{shown}: not a date (use YYYY-MM-DD).", pos)
        if _INT_RE.fullmatch(text):
            number = int(text)
            if field_name == "year" and 1 <= number <= 9999:
                return number
            if field_name == "votes" and number < 2**31:
                return number
        if field_name == "year":
            raise QueryError(f"{shown}: not a year (use e.g. year:2024 or year:2023..2025).", pos)
        raise QueryError(f"{shown}: not a number of votes (use e.g. votes:>10).", pos)

    if lo_raw is not None and hi_raw is not None:
        if not lo_raw:
            return Filter(field_name, "<=", convert(hi_raw))
        if not hi_raw:
            return Filter(field_name, ">=", convert(lo_raw))
        lo, hi = convert(lo_raw), convert(hi_raw)
        if lo > hi:  # type: ignore[operator]
            raise QueryError(f"{shown}: the range is backwards (put the smaller end first).", pos)
        return Filter(field_name, "range", (lo, hi))
    return Filter(field_name, op, convert(rest))


def bounds(flt: Filter) -> tuple[object, object, bool, bool]:
    """(low, high, low excluded, high excluded) of a filter's condition; None: unbounded."""
    v = flt.value
    if flt.op == "range":
        assert isinstance(v, tuple) and len(v) == 2
        return v[0], v[1], False, False
    return {
        "=": (v, v, False, False),
        ">": (v, None, True, False),
        ">=": (v, None, False, False),
        "<": (None, v, False, True),
        "<=": (None, v, False, False),
    }[flt.op]
