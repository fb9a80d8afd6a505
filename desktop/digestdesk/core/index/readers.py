"""Reading the index: one searcher per thread, kept between searches, and the map between
Whoosh's document numbers and entry ids.

Opening a searcher opens every segment's term tables (about 7 ms at 100k entries in 20
segments), so each thread keeps its own and opens a new one only when a commit, a rebuild or a
repair changed the index; after a commit the segments that did not change keep their open
readers (:func:`reader_reusing`). A searcher is never shared between threads (Whoosh's readers
are not thread-safe), and one that failed is dropped.

This is where every read leaves the index: what a damaged file makes Whoosh or the ranking
raise (a corrupt block, a short read, an index out of range...) is turned into
:class:`~digestdesk.errors.SearchIndexDamagedError` here, and the damage recorded so that the
index is rebuilt.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import threading
from array import array
from collections.abc import Iterator
from typing import Any

from whoosh.searching import Searcher
from whoosh.util.numeric import to_sortable

from digestdesk.core.index.directory import DAMAGE_ERRORS, IndexDirectory, damage_from
from digestdesk.core.index.ranking import SegmentCache, load_numeric_column
from digestdesk.errors import SearchIndexDamagedError, SearchIndexUnavailableError

log = logging.getLogger(__name__)


def reader_reusing(ix: Any, previous: Any) -> Any:
    """A reader of ``ix``'s current generation that takes over ``previous``'s segment readers
    for the segments still there (closing the rest; ``previous`` must not be used or closed
    afterwards). Opening a segment reader reads its term table's header (about 1 ms each, so
    15-25 ms at 100k for the first search after every edit); an edit changes one or two.

    Not Whoosh's ``ix.reader(reuse=...)``: it adds the old reader's segments to the new list
    (segments merged away come back) and leaves a reused reader with its old deletions."""
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader

    toc = ix._read_toc()  # pinned whoosh3: what FileIndex.reader() reads
    old: dict[str, Any] = {}
    for leaf, _ in previous.leaf_readers():
        segment = leaf.segment() if isinstance(leaf, SegmentReader) else None
        if segment is not None and not leaf.is_closed:
            old[segment.segment_id()] = leaf
    readers: list[Any] = []
    try:
        for segment in toc.segments:
            prev = old.pop(segment.segment_id(), None)
            if prev is None:
                readers.append(SegmentReader(ix.storage, toc.schema, segment, toc.generation))
                continue
            reader = copy.copy(prev)  # shares the open term table and column files
            reader.__dict__.pop("deleted_docs_set", None)  # a cached property
            reader._segment = segment
            reader._gen = toc.generation
            if segment.deleted_count() != prev.segment().deleted_count():
                # New deletions (deletions only ever grow): a per-document reader that
                # knows them; the old one's column files are closed with it.
                prev._perdoc.close()
                reader._perdoc = reader._codec.per_document_reader(reader._storage, segment)
            readers.append(reader)
    except BaseException:
        for reader in readers:
            reader.close()
        raise
    finally:
        for leftover in old.values():  # segments merged away
            leftover.close()
    if not readers:
        return EmptyReader(toc.schema)
    if len(readers) == 1:
        return readers[0]
    return MultiReader(readers, generation=toc.generation)


class ThreadSearchers:
    """Each thread's searcher of the current generation of ``files``' index."""

    def __init__(self, files: IndexDirectory) -> None:
        self._files = files
        self._local = threading.local()
        self._searchers: set[Searcher] = set()
        self._searchers_lock = threading.Lock()

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:  # a Searcher (its reader methods are added at run time)
        """This thread's searcher of the current index generation (see the module docstring)."""
        local = self._local
        try:
            ix = self._files.whoosh_index()
            key = (self._files.epoch, ix.indexname, ix.latest_generation())
            if getattr(local, "key", None) != key or getattr(local, "searcher", None) is None:
                previous, previous_key = (
                    getattr(local, "searcher", None),
                    getattr(local, "key", None),
                )
                if (
                    previous is not None
                    and previous_key is not None
                    and previous_key[:2] == key[:2]
                ):
                    # The same index, a later generation (an edit's commit): the segments
                    # that did not change keep their open readers.
                    with self._searchers_lock:
                        self._searchers.discard(previous)
                    local.searcher = None
                    opened = Searcher(reader_reusing(ix, previous.reader()), fromindex=ix)
                else:
                    self._drop_thread_searcher()
                    opened = ix.searcher()
                with self._searchers_lock:
                    self._searchers.add(opened)
                local.searcher, local.key = opened, key
            searcher = local.searcher
        except SearchIndexUnavailableError:
            raise
        except DAMAGE_ERRORS as exc:
            raise self._damaged(exc) from exc
        try:
            yield searcher
        except SearchIndexDamagedError as exc:  # a postings file's checksum
            self._drop_thread_searcher()
            self._files.mark_damaged(exc)
            raise
        except DAMAGE_ERRORS as exc:
            self._drop_thread_searcher()
            raise self._damaged(exc) from exc
        except BaseException:
            self._drop_thread_searcher()
            raise

    def _damaged(self, exc: BaseException) -> BaseException:
        """Record the damage a read ran into; the error to raise instead."""
        # With the traceback, in the log file (a bug would look like this too); the user is
        # told by whoever catches the error.
        log.info("Search index at %s cannot be read", self._files.directory, exc_info=exc)
        damage = damage_from(exc)
        self._files.mark_damaged(damage)
        return damage

    def _drop_thread_searcher(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        self._local.searcher = None
        if searcher is not None:
            with self._searchers_lock:
                self._searchers.discard(searcher)
            searcher.close()

    def close_all(self) -> None:
        """Close every thread's searcher (when the index is closed: no search runs then)."""
        with self._searchers_lock:
            searchers, self._searchers = self._searchers, set()
        for searcher in searchers:
            searcher.close()


_ID_SHIFT = to_sortable(int, 64, True, 0)

# The top byte of each 8-byte number in this machine's order, and that byte with its top bit
# flipped (adding 2**63 modulo 2**64 is flipping the top bit).
_TOP_BYTE = 7 if sys.byteorder == "little" else 0
_FLIP_TOP_BIT = bytes(b ^ 0x80 for b in range(256))


def _id_column(leaf: Any) -> array[int]:
    """Entry ids by docnum of one segment, read from the id column in one go. The column holds
    Whoosh's sortable form of a signed number, the value plus 2**63: the same bits with the top
    one flipped, so the ids are its bytes with each number's top bit flipped back, read as
    signed (C-level: 1 ms where subtracting per id took 12 at 100k ids). An array, not a
    list: a long-lived list of 100k ints is 100k references for every full garbage collection
    to walk, on whichever thread it runs (the GUI thread, in the app)."""
    raw = load_numeric_column(leaf, "id")
    if raw is None:
        return array("q", leaf.column_reader("id", translate=True))
    data = bytearray(raw.tobytes())
    data[_TOP_BYTE::8] = data[_TOP_BYTE::8].translate(_FLIP_TOP_BIT)
    ids = array("q")
    ids.frombytes(data)
    return ids


class IdMap:
    """Entry id by global docnum (-1 for deleted documents) for one index generation, and
    the reverse map, built on first use (a word search without filters never needs it)."""

    def __init__(self, key: tuple[Any, ...], id_of: array[int], deleted: frozenset[int]) -> None:
        self.key = key
        self.id_of = id_of
        self.deleted = deleted  # global docnums of deleted documents
        self._docnum_of: dict[int, int] | None = None
        self.orders: dict[str, array[int]] = {}  # column -> docnums by it, descending
        self.keys: dict[str, array[int]] = {}  # sort order -> its key by docnum (derived)

    @property
    def docnum_of(self) -> dict[int, int]:
        if self._docnum_of is None:  # two threads may both build it: same result
            self._docnum_of = {e: d for d, e in enumerate(self.id_of) if e >= 0}
        return self._docnum_of


class IdMaps:
    """The :class:`IdMap` of the latest generation searched, shared by every thread."""

    def __init__(self, columns: SegmentCache) -> None:
        self._columns = columns
        self._map_lock = threading.Lock()
        self._id_map: IdMap | None = None

    def forget(self) -> None:
        with self._map_lock:
            self._id_map = None

    def of(self, searcher: Searcher) -> IdMap:
        """Entry ids by docnum for the searcher's generation, read once from the id column."""
        reader = searcher.reader()
        leaves = reader.leaf_readers()
        key = tuple(
            (segment.segment_id(), segment.deleted_count(), offset)
            if (segment := leaf.segment()) is not None
            else (id(leaf), 0, offset)
            for leaf, offset in leaves
        )
        with self._map_lock:
            cached = self._id_map
        if cached is not None and cached.key == key:
            return cached
        id_of = array("q", [-1]) * reader.doc_count_all()  # arrays: see _id_column
        dead: set[int] = set()  # docnums without a live entry (deleted, or no id stored)
        # Segments never change, so their ids are kept with their other columns (an update
        # then only reads its new small segment, not the whole index again).
        for leaf, offset in leaves:
            if leaf.doc_count_all() == 0:
                continue
            cols = self._columns.columns(leaf)
            if cols.ids is None:
                cols.ids = _id_column(leaf)
            values = cols.ids
            if leaf.has_deletions():
                live = array("q", values)
                segment_reader: Any = leaf  # a SegmentReader: its deletions as a frozenset
                for docnum in segment_reader.deleted_docs_set:
                    live[docnum] = -1
                    dead.add(offset + docnum)
                id_of[offset : offset + len(live)] = live
            else:
                id_of[offset : offset + len(values)] = values
            if min(values, default=0) < 0:  # rare: found without a Python loop otherwise
                dead.update(offset + d for d, e in enumerate(values) if e < 0)
        # Only deletions were ever looked for here (a scan of every docnum: 18 ms at 100k on
        # each edit's new generation).
        deleted = frozenset(dead) if any(k[1] for k in key) else frozenset()
        built = IdMap(key, id_of, deleted)
        with self._map_lock:
            self._id_map = built
        self._columns.keep_only(k[0] for k in key)
        return built

    def docnums(self, searcher: Searcher, allowed: set[int]) -> set[int]:
        """The docnums of the ``allowed`` entry ids in the searcher's generation."""
        docnum_of = self.of(searcher).docnum_of
        if len(allowed) > len(docnum_of):
            return {d for i, d in docnum_of.items() if i in allowed}
        return {docnum_of[i] for i in allowed if i in docnum_of}
