"""The reads every open library answers, over plain SQL reads and a search index: the one reading
interface of :class:`~digestdesk.core.library.Library` (SQLAlchemy, every database) and of
:class:`~digestdesk.core.library.sqlite_reads.SqliteLibrary` (the sqlite3 module, the command
line's reading commands on a SQLite library). No SQLAlchemy import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import digestdesk.core.library.entry_reads as entry_reads
import digestdesk.core.library.searching as searching
from digestdesk.core.library.common import LibraryTuning
from digestdesk.core.library.filters import list_ids
from digestdesk.core.library.sql import Reads
from digestdesk.core.records import EntryDetail, EntryRow, SearchResult

if TYPE_CHECKING:
    from digestdesk.core.index.base import IndexState, SearchIndex
    from digestdesk.core.query import QueryPlan
    from digestdesk.paths import LibraryPaths


def index_status(state: IndexState | None, library_uuid: str, change_seq: int) -> str:
    """ "ok", "behind" (incremental catch-up) or "rebuild" (missing, stale, unreadable)."""
    if state is None or state.library_uuid != library_uuid:
        return "rebuild"
    return "ok" if state.last_seq >= change_seq else "behind"


class LibraryReader:
    """Reads of an open library. A subclass sets :attr:`paths`, :attr:`reads`, :attr:`tuning`
    and provides :attr:`index` and :meth:`rank_for_you`."""

    paths: LibraryPaths
    reads: Reads
    tuning: LibraryTuning

    @property
    def index(self) -> SearchIndex:
        raise NotImplementedError

    def rank_for_you(self, ids: list[int]) -> list[int] | None:
        """``ids`` in the order of the reader's taste (None: too little triage to learn from)."""
        raise NotImplementedError

    def rows(self, ids: Sequence[int]) -> dict[int, EntryRow]:
        """List rows for the given ids (the visible ones), keyed by id."""
        return entry_reads.rows(self.reads, ids)

    def entry(self, entry_id: int) -> EntryDetail:
        return entry_reads.entry(self.reads, entry_id)

    def entries(self, ids: Sequence[int]) -> list[EntryDetail]:
        """Full records, in the order of ``ids`` (unknown ids are left out)."""
        return entry_reads.entries(self.reads, ids)

    def ids_for_arxiv(self, arxiv_ids: Sequence[str]) -> dict[str, int]:
        """The entry id of each versionless arXiv id the library holds (others left out)."""
        return entry_reads.ids_for_arxiv(self.reads, arxiv_ids)

    def all_tags(self) -> list[tuple[str, int]]:
        """Every tag with how many entries carry it, most used first."""
        return entry_reads.all_tags(self.reads)

    def counts(self) -> dict[str, int]:
        """Entries in all and per status."""
        return entry_reads.counts(self.reads)

    def list_ids(
        self,
        *,
        status: str | None = None,
        tag: str | None = None,
        sort: str = "date",
        limit: int | None = None,
    ) -> list[int]:
        return list_ids(self.reads, status=status, tag=tag, sort=sort, limit=limit)

    def plan(self, query: str, *, sort: str | None = None) -> QueryPlan:
        return searching.plan_query(self.index, query, sort=sort)

    def search(
        self,
        query: str,
        *,
        sort: str | None = None,
        limit: int | None = None,
        status: str | None = None,
        tag: str | None = None,
    ) -> SearchResult:
        """Run a query in the query language; filters run in SQL, words in the index."""
        return searching.search(
            self.reads,
            self.index,
            query,
            sort=sort,
            limit=limit,
            status=status,
            tag=tag,
            cap=self.tuning.text_results_cap,
            for_you=self.rank_for_you,
        )

    def highlights(self, ids: Sequence[int], query: str) -> dict[int, str]:
        return searching.highlights(self.index, ids, query)

    def stats(self) -> dict[str, Any]:
        """What ``digestdesk stats`` shows: sizes, dates, where the library and its index are."""
        return entry_reads.stats(self.reads, self.paths, self.index.state())
