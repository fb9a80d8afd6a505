"""What a query means: :func:`parse` splits the search bar's text into the part the index
evaluates, the filters the library evaluates in SQL and the sort order; an index compiles the
first into a :class:`QueryPlan` (see :func:`digestdesk.core.index.parse_query`).

Filters at the top level of the query (ANDed with the rest, possibly negated, or joined with
each other by ``OR``: ``arxiv:A OR arxiv:B``) are handed to the library as
:class:`~digestdesk.core.query.filters.Filter` and ``FilterGroup`` objects to evaluate in SQL,
which is fast and always current; a filter joined by ``OR`` with words (``model OR tag:x``)
stays in the tree and the index evaluates it, with the same meaning (its filter fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from digestdesk.core.query.filters import FilterExpr
from digestdesk.core.query.syntax import (
    SORTS,
    AndNode,
    Node,
    Parser,
    SortNode,
    as_filter,
    strip_sorts,
)
from digestdesk.core.query.tokens import iter_tokens
from digestdesk.errors import QueryError

CompiledT = TypeVar("CompiledT")


@dataclass
class ParsedQuery:
    """The search bar's text, parsed: the index's part, the SQL filters and the sort order."""

    text: Node | None  # words (and filters nested in OR) for the index; None: no text part
    filters: list[FilterExpr]
    sort: str
    raw: str


@dataclass
class QueryPlan(Generic[CompiledT]):
    """A parsed query ready to search: the text part compiled by an index, SQL filters,
    highlight terms and sort order.

    ``text`` is the compiling index's own form (None: no text condition, list everything);
    only that index reads it. ``terms`` holds ``(index field, analysed word)`` pairs; a word
    ending in ``*`` is a prefix and one ending in ``~N`` a fuzzy word with at most N edits.
    """

    text: CompiledT | None
    filters: list[FilterExpr]
    terms: list[tuple[str, str]]
    sort: str
    raw: str


def parse(text: str, *, default_sort: str = "relevance") -> ParsedQuery:
    """Parse the search bar's text. Raises :class:`QueryError` (and nothing else) for malformed
    queries; its ``position`` is the 0-based index in ``text`` of the part at fault (messages
    count from 1)."""
    if default_sort not in SORTS:
        raise ValueError(f"default_sort must be one of {SORTS}, not {default_sort!r}")
    try:
        tree = Parser(iter_tokens(text)).parse()
    except RecursionError:
        raise QueryError("The query nests too deeply.", None) from None
    sorts: list[SortNode] = []
    if tree is not None:
        tree = strip_sorts(tree, sorts)
    sort = sorts[-1].value if sorts else default_sort

    filters: list[FilterExpr] = []
    rest: list[Node] = []
    if tree is not None:
        for child in tree.children if isinstance(tree, AndNode) else [tree]:
            flt = as_filter(child)
            if flt is not None:
                filters.append(flt)
            else:
                rest.append(child)
    remaining: Node | None = None
    if rest:
        remaining = rest[0] if len(rest) == 1 else AndNode(rest)
    return ParsedQuery(remaining, filters, sort, text)
