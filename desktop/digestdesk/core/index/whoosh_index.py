"""The Whoosh implementation of :class:`~digestdesk.core.index.base.SearchIndex`.

:class:`WhooshIndex` composes the pieces, each in its own module: the directory and its state
file (:mod:`.directory`), writing (:mod:`.writing`), each thread's searcher and the id maps
(:mod:`.readers`), searching (:mod:`.searching`, scoring in :mod:`.ranking`), over the schema
of :mod:`.schema` and the queries of :mod:`.compiler`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import query as wq

import digestdesk.core.index.postings_file as postings_file
from digestdesk.core.index.base import ExpectedDoc, Hit, IndexDoc, IndexState, SearchIndex
from digestdesk.core.index.compiler import parse_query
from digestdesk.core.index.directory import DAMAGE_ERRORS, IndexDirectory, damage_from
from digestdesk.core.index.ranking import SegmentCache
from digestdesk.core.index.readers import IdMaps, ThreadSearchers
from digestdesk.core.index.schema import expected_doc
from digestdesk.core.index.searching import IndexSearch
from digestdesk.core.index.tuning import (
    BULK_LIMIT_MB,
    PROGRESS_EVERY,
    REBUILD_BATCH,
    SMALL_SEGMENT_DOCS,
    SMALL_SEGMENTS_TO_MERGE,
    WriteSettings,
)
from digestdesk.core.query.plan import QueryPlan
from digestdesk.errors import SearchIndexDamagedError

if TYPE_CHECKING:
    from digestdesk.core.index.writing import IndexWriter


class WhooshIndex(SearchIndex):
    """The Whoosh index in ``directory``, kept in step with the library's change sequence.

    Searching is safe from any thread (each thread keeps its own searcher, replaced when the
    index changes); writing (create, rebuild, update, maintain) is serialised by a lock and
    meant for the writer thread. The keyword arguments are tunables (tests make them small):
    documents per bulk commit, documents between progress reports, the bulk writer's posting
    pool in MB, the size under which segments count as small and how many of those trigger a
    merge, and the segment size and term document frequency that get postings files.
    """

    def __init__(
        self,
        directory: Path,
        *,
        rebuild_batch: int = REBUILD_BATCH,
        progress_every: int = PROGRESS_EVERY,
        bulk_limit_mb: int = BULK_LIMIT_MB,
        small_segment_docs: int = SMALL_SEGMENT_DOCS,
        small_segments_to_merge: int = SMALL_SEGMENTS_TO_MERGE,
        postings_min_segment_docs: int = postings_file.MIN_SEGMENT_DOCS,
        postings_min_doc_freq: int = postings_file.MIN_DOC_FREQ,
    ) -> None:
        self.directory = Path(directory)
        self._files = IndexDirectory(self.directory)
        self._columns = SegmentCache(directory=self.directory)
        id_maps = IdMaps(self._columns)
        self._files.on_forget(id_maps.forget)
        self._searchers = ThreadSearchers(self._files)
        self._search = IndexSearch(self._searchers, id_maps, self._columns)
        self._settings = WriteSettings(
            rebuild_batch=rebuild_batch,
            progress_every=progress_every,
            bulk_limit_mb=bulk_limit_mb,
            small_segment_docs=small_segment_docs,
            small_segments_to_merge=small_segments_to_merge,
            postings_min_segment_docs=postings_min_segment_docs,
            postings_min_doc_freq=postings_min_doc_freq,
        )
        self._made_writer: IndexWriter | None = None
        self._making_writer = threading.Lock()

    @property
    def _writer(self) -> IndexWriter:
        """The writer, made at the first write: an index opened to search (``digestdesk
        search``) never imports the writing modules, its and Whoosh's."""
        writer = self._made_writer
        if writer is None:
            with self._making_writer:
                if self._made_writer is None:
                    from digestdesk.core.index.writing import IndexWriter

                    self._made_writer = IndexWriter(self._files, self._columns, self._settings)
                writer = self._made_writer
        return writer

    # -- state and queries -------------------------------------------------------------------

    def state(self) -> IndexState | None:
        """What the index holds, or None when it must be rebuilt (and why is logged)."""
        return self._files.state()

    def plan(
        self, text: str, *, default_sort: str = "relevance", expand_prefixes: bool = False
    ) -> QueryPlan[wq.Query]:
        """:func:`~digestdesk.core.index.compiler.parse_query` for this index; with
        ``expand_prefixes``, ``prefix*`` words are expanded now, on this thread's searcher, and
        their expansions reported in the plan's terms."""
        if not expand_prefixes:
            return parse_query(text, default_sort=default_sort)
        with self._searchers.searcher() as s:
            return parse_query(text, default_sort=default_sort, reader=s.reader())

    # -- writing -----------------------------------------------------------------------------

    def create(self, library_uuid: str) -> None:
        """Replace the index with an empty one."""
        self._writer.create(library_uuid)

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
        """See :meth:`IndexWriter.rebuild <digestdesk.core.index.writing.IndexWriter.rebuild>`."""
        self._writer.rebuild(
            docs,
            library_uuid=library_uuid,
            last_seq=last_seq,
            total=total,
            progress=progress,
            cancelled=cancelled,
        )

    def update(
        self, docs: Sequence[IndexDoc], *, deleted: Sequence[int] = (), last_seq: int
    ) -> None:
        """Replace ``docs`` and remove ``deleted`` ids in one commit, then record ``last_seq``."""
        self._writer.update(docs, deleted=deleted, last_seq=last_seq)

    def update_many(
        self,
        docs: Iterable[IndexDoc],
        *,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """See :meth:`IndexWriter.update_many <digestdesk.core.index.writing.IndexWriter.
        update_many>`."""
        return self._writer.update_many(docs, last_seq=last_seq, total=total, progress=progress)

    def maintain(
        self, *, backfill: bool = False, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """See :meth:`IndexWriter.maintain <digestdesk.core.index.writing.IndexWriter.
        maintain>`: merges small segments, with ``backfill`` writes one missing postings file."""
        return self._writer.maintain(backfill=backfill, should_stop=should_stop)

    # The steps of maintain(), for benchmarks and tests that take them one at a time.

    def merge_small(self, *, at_least: int | None = None) -> bool:
        """Merge the small segments into one when there are ``at_least`` of them."""
        return self._writer.merge_small(at_least=at_least)

    def write_postings_files(
        self, *, should_stop: Callable[[], bool] | None = None, limit: int | None = None
    ) -> int:
        """Write the missing postings files (at most ``limit``); returns how many."""
        return self._writer.write_postings_files(should_stop=should_stop, limit=limit)

    def optimize(self) -> None:
        """Merge all segments into one (slow; results stay the same)."""
        self._writer.optimize()

    # -- introspection (tests, benchmarks, diagnostics) --------------------------------------

    def segment_count(self) -> int:
        """How many segments the index has (each edit adds one until they are merged)."""
        return self._writer.segment_count()

    def small_segments(self) -> int:
        """How many segments count as small (what :meth:`merge_small` merges)."""
        return self._writer.small_segments()

    def missing_postings_files(self) -> int:
        """How many segments large enough for a postings file have none (or a broken one)."""
        return self._writer.missing_postings_files()

    def clear_cached_postings(self) -> None:
        """Forget the decoded postings kept for words searched again (benchmarks time a first
        search of a word so)."""
        self._columns.clear_postings()

    def whoosh_ranking(self, plan: QueryPlan[wq.Query]) -> list[Hit]:
        """Every match ranked by Whoosh's own searcher (slow; tests compare the ranking)."""
        return self._search.whoosh_ranking(plan)

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        plan: QueryPlan[wq.Query],
        *,
        allowed: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> list[Hit]:
        """Ids matching ``plan.text`` (and in ``allowed`` when given), best or newest first."""
        return self._search.search_with_total(plan, allowed=allowed, limit=limit, sort=sort)[0]

    def search_with_total(
        self,
        plan: QueryPlan[wq.Query],
        *,
        allowed: set[int] | None = None,
        excluded: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> tuple[list[Hit], int]:
        """:meth:`search`, and how many entries match in all. ``excluded`` ids are left out:
        the cheap form of a filter that most entries pass."""
        return self._search.search_with_total(
            plan, allowed=allowed, excluded=excluded, limit=limit, sort=sort
        )

    def count(self, plan: QueryPlan[wq.Query], allowed: set[int] | None = None) -> int:
        """How many entries match (no ranking, no limit)."""
        return self._search.count(plan, allowed)

    def highlights(
        self,
        ids: Sequence[int],
        plan: QueryPlan[wq.Query],
        *,
        field: str = "abstract",
        top: int = 2,
    ) -> dict[int, str]:
        """Snippets of ``field`` for the given ids (only those with a match), as safe HTML."""
        return self._search.highlights(ids, plan, field=field, top=top)

    def more_like_this(self, id: int, *, limit: int = 10) -> list[Hit]:
        """Entries similar to ``id`` by the key terms of its title, abstract and keywords."""
        return self._search.more_like_this(id, limit=limit)

    def ids(self) -> set[int]:
        """Every entry id in the index."""
        return self._search.ids()

    # -- integrity ---------------------------------------------------------------------------

    def damage(self) -> SearchIndexDamagedError | None:
        """The damage found in the current index (then :meth:`state` is None), or None."""
        return self._files.recorded_damage()

    def mark_damaged(self, damage: SearchIndexDamagedError) -> None:
        """Stop using the current index; it must be rebuilt (this process and the next)."""
        self._files.mark_damaged(damage)

    def verify(self) -> list[str]:
        """Every Whoosh file against its manifest's CRC32 and every postings file's blocks
        against theirs: what is damaged ("file: what"), empty when nothing is. Damage found
        is recorded (:meth:`mark_damaged`)."""
        found: list[tuple[str, str]] = []
        try:
            listed = self._files.verify(crc=True)
            found += [(d.file, d.what) for d in listed or ()]
            if not found:
                with self._searchers.searcher() as s:
                    for leaf, _ in s.reader().leaf_readers():
                        found += self._verify_postings_file(leaf)
        except SearchIndexDamagedError as exc:
            found.append((exc.file, exc.detail))
        except DAMAGE_ERRORS as exc:
            damage = damage_from(exc)
            found.append((damage.file, damage.detail))
        if found:
            self._files.mark_damaged(SearchIndexDamagedError(*found[0]))
        return [f"{file or 'an index file'}: {what}" for file, what in found]

    def _verify_postings_file(self, leaf: Any) -> list[tuple[str, str]]:
        """A segment's postings file: every block against its checksum. One that cannot be
        used at all (searches then read Whoosh's postings) is reported too: damage is damage."""
        segment = getattr(leaf, "segment", lambda: None)()
        if segment is None:
            return []
        stored = self._columns.postings_file(leaf)
        if stored is not None:
            name = stored.path.name if stored.path else "postings file"
            return [(name, what) for what in stored.verify()]
        path = postings_file.path_for(self.directory, segment.segment_id())
        problem = postings_file.PostingsFile.problem(
            path, segment.segment_id(), leaf.doc_count_all()
        )
        return [(path.name, f"unusable ({problem})")] if problem else []

    def documents(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """The stored text fields of these entries, as the index returns them."""
        return self._search.documents(ids)

    def expected(self, doc: IndexDoc) -> ExpectedDoc:
        """What the index should hold for ``doc`` (no index read)."""
        return expected_doc(doc)

    def probe(
        self, queries: Sequence[tuple[str, Sequence[str]]], allowed: set[int] | None
    ) -> list[set[int]]:
        """For each (field, analysed terms), the ids (of ``allowed``, or all) whose field
        holds the terms in a row, as searches find them."""
        return self._search.probe(queries, allowed)

    def remove_unfinished(self) -> None:
        """Delete the files of every index other than the current one: what a build killed
        before it switched over left behind. Only while no other build runs (the library's
        writer, after its index worker was killed)."""
        data = self._files.read_sidecar()
        if self.directory.is_dir():
            self._files.remove_files(keep=None if data is None else str(data["indexname"]))

    @property
    def write_settings(self) -> dict[str, int]:
        """The tunables this index was made with, as keyword arguments for another process's."""
        return dataclasses.asdict(self._settings)

    def close(self) -> None:
        """Drop the open index and close every thread's searcher (no search runs then)."""
        self._files.forget()
        self._searchers.close_all()
