"""Running a query: filters in SQL, words in the search index, then highlights.

A query in the query language becomes a plan (the index's ``plan``, which compiles its words);
its filters run as SQL (:mod:`~digestdesk.core.library.filters`), its words in the index, which
scores every match (so totals are exact) but hands back at most ``cap`` ids. A query without
words is answered by SQL alone. Reads only: any thread may search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from digestdesk.core.index.base import SearchIndex
from digestdesk.core.library.filters import allowed_or_excluded, ids_where
from digestdesk.core.library.sql import Reads
from digestdesk.core.query import Filter, QueryPlan
from digestdesk.core.records import SearchResult


def plan_query(index: SearchIndex, query: str, *, sort: str | None = None) -> QueryPlan:
    """The query parsed: its words, filters, terms and sort (``sort`` when it names none)."""
    return index.plan(query, default_sort=sort or "relevance")


def search(
    reads: Reads,
    index: SearchIndex,
    query: str,
    *,
    sort: str | None = None,
    limit: int | None = None,
    status: str | None = None,
    tag: str | None = None,
    cap: int,
    for_you: Callable[[list[int]], list[int] | None] | None = None,
) -> SearchResult:
    """Run a query in the query language; filters run in SQL, words in the index.

    ``status`` and ``tag`` narrow it as if the query said them; a word query returns at most
    ``limit`` ids, or ``cap`` without a limit. ``sort:foryou`` orders the matches by
    ``for_you`` (the reader's taste; by date while it has too little triage to learn from:
    ``for_you_fell_back`` says so)."""
    if (sort or plan_query(index, query).sort) == "foryou":
        found = search(reads, index, query, sort="date", status=status, tag=tag, cap=cap)
        ranked = for_you(found.ids) if for_you is not None else None
        ids = ranked if ranked is not None else found.ids
        return SearchResult(
            ids=ids[:limit] if limit else ids,
            total=found.total,
            query=query,
            sort="foryou" if ranked is not None else "date",
            terms=found.terms,
            capped=found.capped,
            for_you_fell_back=ranked is None,
        )
    plan = plan_query(index, query, sort=sort)
    filters = list(plan.filters)
    if status:
        filters.append(Filter("status", "=", status))
    if tag:
        filters.append(Filter("tag", "=", tag))
    chosen_sort = sort or plan.sort
    if plan.text is None:
        sql_sort = "date" if chosen_sort == "relevance" else chosen_sort
        ids = ids_where(reads, filters, sql_sort, None)
        total = len(ids)
        return SearchResult(
            ids=ids[:limit] if limit else ids,
            total=total,
            query=query,
            sort=sql_sort,
            terms=plan.terms,
        )
    allowed: set[int] | None = None
    excluded: set[int] | None = None
    if filters:
        allowed, excluded = allowed_or_excluded(reads, filters)
    # The best (or newest) ``cap`` are what anyone reads; every match is scored,
    # so the total is exact (the CLI's "N of M shown", the window's count).
    hits, total = index.search_with_total(
        plan, allowed=allowed, excluded=excluded, limit=limit or cap, sort=chosen_sort
    )
    ids = [h.id for h in hits]
    return SearchResult(
        ids=ids,
        total=total,
        query=query,
        sort=chosen_sort,
        terms=plan.terms,
        capped=total > len(ids),
    )


def highlights(index: SearchIndex, ids: Sequence[int], query: str) -> dict[int, str]:
    """A snippet of each entry's abstract with the query's words marked (none without words)."""
    plan = plan_query(index, query)
    if plan.text is None:
        return {}
    return index.highlights(ids, plan)
