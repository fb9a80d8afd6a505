"""The search index as the library sees it: the :class:`SearchIndex` interface and the types
that cross it.

The database is the source of truth. An index under one directory is derived from it and can
be thrown away at any time: :meth:`SearchIndex.state` reports ``None`` whenever the index is
missing, damaged or built by another version, and the library then rebuilds it in the
background with :meth:`SearchIndex.rebuild`. :class:`~digestdesk.core.index.whoosh_index.
WhooshIndex` is the implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from digestdesk.core.query.plan import QueryPlan
from digestdesk.errors import SearchIndexDamagedError


@dataclass
class IndexDoc:
    """What the library hands the index for one entry (text already cleaned)."""

    id: int
    title: str
    abstract: str
    authors: list[str]
    keywords: list[str]
    ai_summary: str
    tags: list[str]
    note: str
    status: str
    published: date | None
    votes: int
    has: list[str]
    digests: list[date]
    arxiv_id: str | None = None  # lets ``arxiv:`` work nested inside OR as well


@dataclass
class Hit:
    id: int
    score: float


@dataclass
class ExpectedDoc:
    """What the index should hold for one entry, computed from its :class:`IndexDoc` alone:
    the stored text fields, and each text field's terms with their positions (what ``check``
    compares the index's answers with)."""

    stored: dict[str, str]
    terms: dict[str, list[tuple[int, str]]]


@dataclass
class IndexState:
    version: int
    library_uuid: str
    last_seq: int
    doc_count: int


class SearchIndex(Protocol):
    """A full-text index kept in step with the library's change sequence.

    Searching is safe from any thread; writing (create, rebuild, update, maintain) is meant
    for one writer thread. Methods that need the index raise
    :class:`~digestdesk.errors.SearchIndexUnavailableError` when it is missing or damaged.
    """

    def state(self) -> IndexState | None:
        """What the index holds, or None when it must be rebuilt."""
        ...

    def plan(self, text: str, *, default_sort: str = "relevance") -> QueryPlan[Any]:
        """Parse the search bar's text and compile its words for this index (raises
        :class:`~digestdesk.errors.QueryError`)."""
        ...

    def create(self, library_uuid: str) -> None:
        """Replace the index with an empty one."""
        ...

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        *,
        library_uuid: str,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Build a new index from ``docs`` and switch to it at the end (searches meanwhile
        see the previous one); a cancelled or failed build leaves the previous in place."""
        ...

    def update(
        self, docs: Sequence[IndexDoc], *, deleted: Sequence[int] = (), last_seq: int
    ) -> None:
        """Replace ``docs`` and remove ``deleted`` ids in one commit, then record ``last_seq``."""
        ...

    def update_many(
        self,
        docs: Iterable[IndexDoc],
        *,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """:meth:`update` for large imports, in bounded memory; returns how many were written."""
        ...

    def maintain(
        self, *, backfill: bool = False, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Tidy the index when idle (cheap unless ``backfill``); returns whether it did anything."""
        ...

    def search(
        self,
        plan: QueryPlan[Any],
        *,
        allowed: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> list[Hit]:
        """Ids matching ``plan.text`` (and in ``allowed`` when given), best or newest first."""
        ...

    def search_with_total(
        self,
        plan: QueryPlan[Any],
        *,
        allowed: set[int] | None = None,
        excluded: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> tuple[list[Hit], int]:
        """:meth:`search` without the ``excluded`` ids, and how many entries match in all."""
        ...

    def count(self, plan: QueryPlan[Any], allowed: set[int] | None = None) -> int:
        """How many entries match (no ranking, no limit)."""
        ...

    def highlights(
        self, ids: Sequence[int], plan: QueryPlan[Any], *, field: str = "abstract", top: int = 2
    ) -> dict[int, str]:
        """Snippets of ``field`` for the given ids (only those with a match), as safe HTML."""
        ...

    def more_like_this(self, id: int, *, limit: int = 10) -> list[Hit]:
        """Entries similar to ``id``, most similar first."""
        ...

    def ids(self) -> set[int]:
        """Every entry id in the index."""
        ...

    # -- integrity (``digestdesk check``) --------------------------------------------------

    def damage(self) -> SearchIndexDamagedError | None:
        """The damage found in the current index (then :meth:`state` is None), or None."""
        ...

    def mark_damaged(self, damage: SearchIndexDamagedError) -> None:
        """Record that the current index lies or is damaged: it is no longer used, and
        :meth:`state` says it must be rebuilt (in this process and the next)."""
        ...

    def verify(self) -> list[str]:
        """Every file of the index checked against the checksums written with it: what is
        damaged (empty when nothing is)."""
        ...

    def documents(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """The stored text fields of these entries, as the index returns them."""
        ...

    def expected(self, doc: IndexDoc) -> ExpectedDoc:
        """What the index should hold for ``doc`` (no index read)."""
        ...

    def probe(
        self, queries: Sequence[tuple[str, Sequence[str]]], allowed: set[int] | None
    ) -> list[set[int]]:
        """For each (field, analysed terms), the ids (of ``allowed``, or all) whose field
        holds the terms one after the other, as the index's searches find them."""
        ...

    def close(self) -> None: ...
