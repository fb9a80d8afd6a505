"""Fast evaluation of search-index queries: BM25F scores read a posting block at a time.

Whoosh scores one posting at a time through a stack of matcher, scorer and column objects,
about 10 µs a posting in pure Python: a common word at 100k entries touches over 100,000
postings (title, abstract, keywords and authors), which is most of a second. This module
evaluates the queries :mod:`digestdesk.core.index.compiler` builds on the same index and with
the same statistics and formula as Whoosh's default ``BM25F`` (B=0.75, K1=1.2, Whoosh's idf and
its byte-encoded field lengths), but reads each term's postings a block (up to 128) at a time
and scores a block in one comprehension, with the field lengths preloaded per segment. The
scores equal Whoosh's (a test compares them), so the ranking is Whoosh's ranking, 5-10x faster.

Terms, phrases, And, Or, AndNot, Not and :class:`~digestdesk.core.index.compiler.TopPrefix` are
evaluated here; anything else (fuzzy terms, numeric and date ranges) is handed to Whoosh's own
matcher for that part of the tree, so every query still works.

The per-segment columns (entry ids, field lengths, sort keys) never change once a segment is
written, so :class:`SegmentCache` keeps them across searches, keyed by segment id.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from math import log
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.formats import Positions
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

import digestdesk.core.index.postings_file as postings_file
from digestdesk.core.index.postings_file import PostingsFile, blocks, decode_positions

#: Whoosh's default BM25F parameters (``whoosh.scoring.BM25F()``), which the index was searched
#: with before this module existed.
B = 0.75
K1 = 1.2

Scores = dict[int, float]  # global docnum -> score

_LENGTHS = [byte_to_length(b) for b in range(256)]


# --------------------------------------------------------------------------------------------
# Per-segment columns


@dataclass
class SegmentColumns:
    """What ranking reads of one segment, loaded once (segments are immutable)."""

    doc_count_all: int
    ids: array[int] | None = None  # entry id per docnum (an array: nothing for the GC to walk)
    lengths: dict[str, bytes] = field(default_factory=dict)  # field -> length byte per docnum
    numbers: dict[str, array[int]] = field(default_factory=dict)  # sortable column values
    postings_file: PostingsFile | None = None
    postings_file_checked: bool = False  # looked for (a missing file is not looked for again)


def _raw_column(leaf: Any, fieldname: str, column: Any) -> bytes | None:
    """The raw bytes of a fixed-width column, read in one call, or None when absent."""
    perdoc = leaf._perdoc  # the whoosh3 per-document reader; pinned whoosh3 version
    reader = perdoc._cached_reader(fieldname, column)
    if reader is None:
        return None
    return bytes(reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen))


def load_numeric_column(leaf: Any, fieldname: str) -> array[int] | None:
    """A sortable NUMERIC column of ``leaf`` as an array of its stored (sortable) values, or
    None when the segment has no such column. Documents past the written part get the
    column default, as Whoosh's reader gives them."""
    if not leaf.has_column(fieldname):
        return None
    column = leaf.schema[fieldname].column_type
    raw = _raw_column(leaf, fieldname, column)
    if raw is None:
        return None
    values: array[int] = array(column._typecode)
    values.frombytes(raw)
    if values.itemsize > 1 and array("H", [1]).tobytes()[0] == 1:
        values.byteswap()  # columns are big-endian ("!" struct order); this machine is not
    missing = leaf.doc_count_all() - len(values)
    if missing > 0:
        values.extend([column._default] * missing)
    return values


#: The key under which a segment's derived date order is kept beside its columns.
DATE_ORDER = "published+votes"

#: Decoded postings kept for terms searched again (typing a query repeats its first words;
#: related papers of one topic share key terms): about 8 bytes each, so ~16 MB.
POSTINGS_CACHE = 2_000_000


class SegmentCache:
    """Column data per segment id, shared by every search of a :class:`WhooshIndex`, and the
    decoded postings of recently searched terms (segments never change once written)."""

    def __init__(self, max_postings: int = POSTINGS_CACHE, directory: Path | None = None) -> None:
        self.directory = directory  # where the segments' postings files are (None: not used)
        self._lock = threading.Lock()
        self._segments: dict[Any, SegmentColumns] = {}
        self._postings: OrderedDict[tuple[Any, str, bytes], tuple[array[int], array[float]]]
        self._postings = OrderedDict()
        self._cached_postings = 0
        self._max_postings = max_postings

    def postings(
        self, leaf: Any, fieldname: str, btext: bytes
    ) -> tuple[Sequence[int], Sequence[float]]:
        """(docnums, weights) of a term in one segment, decoded once and then cached."""
        segment = leaf.segment() if hasattr(leaf, "segment") else None
        key = (segment.segment_id(), fieldname, btext) if segment is not None else None
        if key is not None:
            with self._lock:
                hit = self._postings.get(key)
                if hit is not None:
                    self._postings.move_to_end(key)
                    return hit
        stored = self.postings_file(leaf)
        if stored is not None:
            got = stored.postings(fieldname, btext)
            if got is not None:
                return got  # a memory copy: not worth a place in the cache
        ids: array[int] = array("I")
        weights: array[float] = array("f")
        for block_ids, block_weights, _ in blocks(leaf.postings(fieldname, btext)):
            ids.extend(block_ids)
            weights.extend(block_weights)
        if key is not None and len(ids) <= self._max_postings // 4:
            with self._lock:
                if key not in self._postings:
                    self._postings[key] = (ids, weights)
                    self._cached_postings += len(ids)
                while self._cached_postings > self._max_postings:
                    _, (old, _) = self._postings.popitem(last=False)
                    self._cached_postings -= len(old)
        return ids, weights

    def postings_file(self, leaf: Any) -> PostingsFile | None:
        """The segment's postings file, opened on first use; None when it has none."""
        if self.directory is None or getattr(leaf, "segment", lambda: None)() is None:
            return None
        cols = self.columns(leaf)
        if not cols.postings_file_checked:
            segment_id = leaf.segment().segment_id()
            path = postings_file.path_for(self.directory, segment_id)
            opened = PostingsFile.open(path, segment_id, leaf.doc_count_all())
            with self._lock:
                if not cols.postings_file_checked:
                    cols.postings_file, cols.postings_file_checked = opened, True
        return cols.postings_file

    def postings_file_written(self, segment_id: Any) -> None:
        """Look for the segment's postings file again at its next use (one was written)."""
        with self._lock:
            cols = self._segments.get(segment_id)
            if cols is not None:
                cols.postings_file_checked = False

    def columns(self, leaf: Any) -> SegmentColumns:
        segment = leaf.segment() if hasattr(leaf, "segment") else None
        key = segment.segment_id() if segment is not None else None
        with self._lock:
            cols = self._segments.get(key) if key is not None else None
            if cols is None:
                cols = SegmentColumns(leaf.doc_count_all())
                if key is not None:
                    self._segments[key] = cols
        return cols

    def remember_ids(self, segment_id: Any, ids: Sequence[int]) -> None:
        """Record the entry ids of a segment just written (one per document, in order)."""
        with self._lock:
            cols = self._segments.get(segment_id)
            if cols is None:
                cols = self._segments[segment_id] = SegmentColumns(len(ids))
            if cols.ids is None:
                cols.ids = array("q", ids)

    def ids_of(self, segment_id: Any) -> array[int] | None:
        """The entry ids of a segment read before, by its id (None when never read)."""
        with self._lock:
            cols = self._segments.get(segment_id)
        return cols.ids if cols is not None else None

    def keep_only(self, segment_ids: Iterable[Any]) -> None:
        """Forget segments no longer in the index (merged away)."""
        keep = set(segment_ids)
        with self._lock:
            for key in [k for k in self._segments if k not in keep]:
                del self._segments[key]
            for pkey in [k for k in self._postings if k[0] not in keep]:
                self._cached_postings -= len(self._postings.pop(pkey)[0])

    def clear(self) -> None:
        with self._lock:
            self._segments.clear()
        self.clear_postings()

    def clear_postings(self) -> None:
        """Forget the decoded postings (benchmarks measure a first search of a word so)."""
        with self._lock:
            self._postings.clear()
            self._cached_postings = 0

    def lengths(self, leaf: Any, cols: SegmentColumns, fieldname: str) -> bytes:
        got = cols.lengths.get(fieldname)
        if got is None:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

            raw = _raw_column(leaf, _lenfield(fieldname), LENGTHS_COLUMN) or b""
            got = raw + bytes(max(0, cols.doc_count_all - len(raw)))
            cols.lengths[fieldname] = got
        return got

    def numbers(self, leaf: Any, cols: SegmentColumns, fieldname: str) -> array[int] | None:
        got = cols.numbers.get(fieldname)
        if got is None:
            got = load_numeric_column(leaf, fieldname)
            if got is None:
                return None
            cols.numbers[fieldname] = got
        return got

    def sort_values(self, leaf: Any, cols: SegmentColumns, order: str) -> array[int] | None:
        """What a sort order ranks a segment's documents by, larger first: the ``votes``
        column, or for "date" the day and then the votes in one number (most voted first
        within a day, as on the Hugging Face page). Derived once per segment (segments never
        change): a new generation after an edit derives only its new, small segment."""
        if order != "date":
            return self.numbers(leaf, cols, order)
        got = cols.numbers.get(DATE_ORDER)
        if got is None:
            days = self.numbers(leaf, cols, "published")
            if days is None:
                return None
            votes = self.numbers(leaf, cols, "votes")
            # Both hold unsigned sortable forms of 32 bits: the day in the high half.
            if votes is None:
                got = array("Q", [day << 32 for day in days])
            else:
                got = array("Q", [(d << 32) | v for d, v in zip(days, votes, strict=True)])
            cols.numbers[DATE_ORDER] = got
        return got


# --------------------------------------------------------------------------------------------
# Evaluation


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether each list has a position at most ``slop`` after one of the previous list's
    chosen position, from some position of the first list on (Whoosh's sloppy phrase)."""
    first, rest = positions[0], [set(p) for p in positions[1:]]
    for p in first:
        at = p
        for following in rest:
            nxt = next((at + n for n in range(1, slop + 1) if at + n in following), None)
            if nxt is None:
                break
            at = nxt
        else:
            return True
    return False


#: A phrase's numbers are looked up one at a time (bisect) in a word's sorted numbers when
#: there are this many times fewer of them, else the word's numbers are walked once.
_BISECT_RATIO = 12


def _phrase_docs(words: list[bytes], parts: dict[bytes, Any], bits: int) -> set[int]:
    """The documents of a segment where ``words`` stand next to each other, from their
    postings files' arrays of document-position numbers ``(docnum << bits) | position``,
    sorted. Word ``i``'s numbers shifted back by ``i`` meet where the phrase starts: the
    starts are the rarest word's numbers, kept while the next rarest holds each shifted
    forward, found by C-level set intersections or bisects over the arrays (no Python step
    per document or position: one document at a time took 1-2 µs a document)."""
    order = sorted(range(len(words)), key=lambda i: len(parts[words[i]][3]))
    starts: set[int] | None = None
    for i in order:
        keys = parts[words[i]][3]
        if starts is None:
            starts = set(map(operator.sub, keys, itertools.repeat(i)) if i else keys)
            continue
        if len(starts) * _BISECT_RATIO < len(keys):
            wanted = sorted(map(operator.add, starts, itertools.repeat(i)) if i else starts)
            last = len(keys) - 1
            at = map(
                min, map(bisect.bisect_left, itertools.repeat(keys), wanted), itertools.repeat(last)
            )
            held: Iterable[int] = itertools.compress(
                wanted, map(operator.eq, map(keys.__getitem__, at), wanted)
            )
        else:
            held = set(map(operator.add, starts, itertools.repeat(i))).intersection(keys)
        starts = set(map(operator.sub, held, itertools.repeat(i)) if i else held)
        if not starts:
            return set()
    return set(map(operator.rshift, starts or (), itertools.repeat(bits)))


class Evaluator:
    """Evaluates queries on one searcher: ``scores(q)`` maps matching global docnums to their
    BM25F score. Create one per search (it caches term statistics for that searcher)."""

    def __init__(self, searcher: Any, cache: SegmentCache) -> None:
        self.searcher = searcher
        self.cache = cache
        self.reader = searcher.reader()
        self.leaves: list[tuple[Any, int]] = list(self.reader.leaf_readers())
        self.doc_count_all = self.reader.doc_count_all()
        self._holding: dict[tuple[str, bytes], tuple[int, list[tuple[Any, int]]]] = {}
        self._norms: dict[str, list[float]] = {}

    def holding(self, fieldname: str, btext: bytes) -> tuple[int, list[tuple[Any, int]]]:
        """(document frequency, the (leaf, offset) pairs holding the term): one term-table
        lookup per segment, where asking the reader, then each leaf, then the idf took three
        (about 20 µs each: 0.5 ms a word at 20 segments)."""
        key = (fieldname, btext)
        got = self._holding.get(key)
        if got is None:
            df, leaves = 0, []
            for leaf, offset in self.leaves:
                n = leaf.doc_frequency(fieldname, btext)
                if n:
                    df += n
                    leaves.append((leaf, offset))
            got = self._holding[key] = (df, leaves)
        return got

    def idf(self, fieldname: str, btext: bytes) -> float:
        """Whoosh's idf (``WeightingModel.idf``): log(documents / (df + 1)) + 1."""
        return log(self.doc_count_all / (self.holding(fieldname, btext)[0] + 1)) + 1

    # -- entry point ---------------------------------------------------------------------------

    def scores(self, q: wq.Query) -> Scores:
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Phrase):
            return self.phrase(q)
        if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0) and not q.scale:
            if all(type(sub) is wq.Term for sub in q.subqueries):  # a word in every field,
                acc: Scores = {}  # or related papers' key terms: summed in one pass
                for sub in q.subqueries:
                    term: Any = sub
                    self.term(term.fieldname, term.text, term.boost, into=acc)
                return acc if q.boost == 1.0 else {d: v * q.boost for d, v in acc.items()}
            return self._or([self.scores(sub) for sub in q.subqueries], q.boost)
        if isinstance(q, wq.And):
            return self._and([self.scores(sub) for sub in q.subqueries], q.boost)
        if isinstance(q, wq.AndNot):
            pos = self.scores(q.a)
            if not pos:
                return pos
            neg = self.scores(q.b)
            return {d: s for d, s in pos.items() if d not in neg}
        if isinstance(q, wq.Not):
            neg = self.scores(q.query)
            return {d: 0.0 for d in range(self.doc_count_all) if d not in neg}
        if isinstance(q, wq.Every) and not q.fieldname:
            return dict.fromkeys(range(self.doc_count_all), 0.0)
        expanded = self._prefix_terms(q)
        if expanded is not None:  # a scored Or of the prefix's most frequent terms
            acc = {}
            for term in expanded:
                self.term(term.fieldname, term.text, term.boost, into=acc)
            return acc
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return {}
        return self.whoosh(q)

    def _prefix_terms(self, q: wq.Query) -> list[Any] | None:
        """The terms a :class:`~digestdesk.core.index.compiler.TopPrefix` stands for (duck-typed:
        this module does not import the compiler), or None for any other query."""
        prefix: Any = q
        if not (hasattr(prefix, "_btexts") and hasattr(prefix, "prefixes")):
            return None
        return [
            wq.Term(prefix.fieldname, b, boost=prefix.boost) for b in prefix._btexts(self.reader)
        ]

    def docs(self, q: wq.Query) -> set[int]:
        """The docnums matching ``q``, without scores: set operations on the postings' ids,
        for orders that do not need relevance (newest or most voted first) and counts."""
        if isinstance(q, wq.Term):
            return self.term_docs(q.fieldname, q.text)
        if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
            out: set[int] = set()
            for sub in q.subqueries:
                out |= self.docs(sub)
            return out
        if isinstance(q, wq.And):
            parts = [self.docs(sub) for sub in q.subqueries]
            return set.intersection(*parts) if parts else set()
        if isinstance(q, wq.AndNot):
            pos = self.docs(q.a)
            return pos - self.docs(q.b) if pos else pos
        if isinstance(q, wq.Not):
            return set(range(self.doc_count_all)) - self.docs(q.query)
        if isinstance(q, wq.Every) and not q.fieldname:
            return set(range(self.doc_count_all))
        expanded = self._prefix_terms(q)
        if expanded is not None:
            out = set()
            for term in expanded:
                out |= self.term_docs(term.fieldname, term.text)
            return out
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return set()
        return set(self.scores(q))  # phrases (positions) and what Whoosh evaluates

    def term_docs(self, fieldname: str, text: str | bytes) -> set[int]:
        btext = self._to_bytes(fieldname, text)
        if btext is None or fieldname not in self.reader.schema:
            return set()
        if not self.reader.schema[fieldname].scorable:
            return set(self.whoosh(wq.Term(fieldname, btext)))
        out: set[int] = set()
        for leaf, offset in self.holding(fieldname, btext)[1]:
            try:
                ids, _ = self.cache.postings(leaf, fieldname, btext)
            except TermNotFound:
                continue
            out.update(ids if offset == 0 else [offset + d for d in ids])
        return out

    # -- leaves of the tree --------------------------------------------------------------------

    def whoosh(self, q: wq.Query) -> Scores:
        """Whoosh's own evaluation of ``q`` (queries this module does not know)."""
        m = q.matcher(self.searcher, self.searcher.context())
        out: Scores = {}
        while m.is_active():
            out[m.id()] = m.score()
            m.next()
        return out

    def _to_bytes(self, fieldname: str, text: str | bytes) -> bytes | None:
        if isinstance(text, bytes):
            return text
        try:
            return self.reader.schema[fieldname].to_bytes(text)  # type: ignore[no-any-return]
        except ValueError:
            return None

    def _norm_table(self, fieldname: str) -> list[float]:
        """K1 * ((1 - B) + B * fl / avgfl) for each encoded length byte (once per field)."""
        table = self._norms.get(fieldname)
        if table is None:
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            table = self._norms[fieldname] = [K1 * ((1 - B) + B * fl / avgfl) for fl in _LENGTHS]
        return table

    def term(
        self,
        fieldname: str,
        text: str | bytes,
        boost: float = 1.0,
        into: Scores | None = None,
    ) -> Scores:
        """BM25F scores of the documents holding a term. With ``into``, the scores are added to
        that dict (an Or of terms) and it is returned."""
        btext = self._to_bytes(fieldname, text)
        out: Scores = {}
        if btext is None or fieldname not in self.reader.schema:
            return out if into is None else into
        if not self.reader.schema[fieldname].scorable:
            out = self.whoosh(wq.Term(fieldname, btext, boost=boost))
            if into is None:
                return out
            get = into.get
            for d, v in out.items():
                into[d] = get(d, 0.0) + v
            return into
        df, holding = self.holding(fieldname, btext)
        if not df:
            return out if into is None else into
        c = self.idf(fieldname, btext) * (K1 + 1) * boost
        norm = self._norm_table(fieldname)
        for leaf, offset in holding:
            cols = self.cache.columns(leaf)
            lens = self.cache.lengths(leaf, cols, fieldname)
            try:
                ids, weights = self.cache.postings(leaf, fieldname, btext)
            except TermNotFound:
                continue
            if into is not None:
                # One loop adding to the sum: a third faster than a dict per term merged
                # afterwards; same additions in the same order, so the same floats.
                get = into.get
                for d, w in zip(ids, weights, strict=True):
                    into[offset + d] = get(offset + d, 0.0) + c * w / (w + norm[lens[d]])
                continue
            out.update(
                {offset + d: c * w / (w + norm[lens[d]]) for d, w in zip(ids, weights, strict=True)}
            )
        return out if into is None else into

    def phrase(self, q: wq.Phrase) -> Scores:
        """Documents holding the words in order (``slop`` positions apart at most), scored as
        Whoosh scores a phrase: the sum of its terms' scores, times the boost."""
        fieldname = q.fieldname
        schema = self.reader.schema
        if fieldname not in schema or not schema[fieldname].format.supports("positions"):
            return self.whoosh(q)
        btexts = [self._to_bytes(fieldname, w) for w in q.words]
        if not btexts or any(b is None or not self.holding(fieldname, b)[0] for b in btexts):
            return {}
        words = [b for b in btexts if b is not None]
        if len(words) == 1:
            return {d: s * q.boost for d, s in self.term(fieldname, words[0]).items()}
        unique = list(dict.fromkeys(words))
        fmt = schema[fieldname].format
        decode_value = decode_positions if type(fmt) is Positions else fmt.decoder("positions")
        # Each word's BM25F factor and length norms, as term() computes them: a document's
        # phrase score is the sum of its words' term scores (in query order, as Whoosh's And
        # sums them), computed here only for the documents that hold the phrase.
        factor = {b: self.idf(fieldname, b) * (K1 + 1) for b in unique}  # boost 1
        norm = self._norm_table(fieldname)
        # Rarest words first, so most documents are ruled out after two position lists.
        df = {b: self.holding(fieldname, b)[0] for b in unique}
        order = sorted(range(len(words)), key=lambda i: df[words[i]])
        slop, boost = q.slop, q.boost
        out: Scores = {}
        in_all = set.intersection(
            *({id(leaf) for leaf, _ in self.holding(fieldname, b)[1]} for b in unique)
        )
        for leaf, offset in self.leaves:
            if id(leaf) not in in_all:
                continue
            parts = {b: self._leaf_positions(leaf, fieldname, b) for b in unique}
            lens = self.cache.lengths(leaf, self.cache.columns(leaf), fieldname)
            bits = next(iter(parts.values()))[5]
            in_files = all(p[4] is None for p in parts.values())  # every word's arrays
            if slop == 1 and in_files and len(words) < 1 << (bits - 1):
                # Every word's positions are arrays of a postings file: checked in bulk.
                found_docs: Iterable[int] = _phrase_docs(words, parts, bits)
            else:
                found_docs = self._phrase_docs_one_by_one(words, order, parts, slop, decode_value)
            found = sorted(found_docs)
            if not found:
                continue
            # The words' term scores summed in query order, a word at a time over the found
            # documents (their weights looked up by C-level bisects).
            norms = list(map(norm.__getitem__, map(lens.__getitem__, found)))
            totals: list[float] = []
            for n, b in enumerate(words):
                ids, weights = parts[b][0], parts[b][1]
                held = map(weights.__getitem__, map(bisect.bisect_left, repeat(ids), found))
                f = factor[b]
                scores = [f * w / (w + m) for w, m in zip(held, norms, strict=True)]
                totals = scores if n == 0 else list(map(operator.add, totals, scores))
            out.update(
                zip(
                    map(offset.__add__, found),
                    map(operator.mul, totals, repeat(boost)),
                    strict=True,
                )
            )
        return out

    @staticmethod
    def _phrase_docs_one_by_one(
        words: list[bytes],
        order: list[int],
        parts: dict[bytes, Any],
        slop: int,
        decode_value: Callable[[Any], Iterable[int]],
    ) -> list[int]:
        """The segment's documents holding the phrase, found by checking the positions of
        each document that holds every word (Whoosh's encoded positions, or sloppy phrases)."""
        first, *others = (parts[b][0] for b in dict.fromkeys(words))
        where = {}  # word -> (bounds of each document's numbers, mask of their position bits)
        for b, (_, _, counts, _, encoded, bits) in parts.items():
            if encoded is None:
                where[b] = ([0, *itertools.accumulate(counts)], (1 << bits) - 1)

        def positions(b: bytes, local: int) -> list[int]:
            """Word ``b``'s positions in document ``local``."""
            ids, _, _, keys, encoded, _ = parts[b]
            j = bisect.bisect_left(ids, local)
            if encoded is None:
                bounds, mask = where[b]
                return [k & mask for k in keys[bounds[j] : bounds[j + 1]]]
            return list(decode_value(encoded[j]))

        out = []
        for local in set(first).intersection(*others):
            if slop == 1:  # adjacent: the phrase starts at p where word i is at p + i
                starts: set[int] | None = None
                for i in order:
                    found = positions(words[i], local)
                    shifted = {p - i for p in found} if i else set(found)
                    starts = shifted if starts is None else starts & shifted
                    if not starts:
                        break
                if starts:
                    out.append(local)
            elif _in_order([positions(b, local) for b in words], slop):
                out.append(local)
        return out

    def _leaf_positions(self, leaf: Any, fieldname: str, btext: bytes) -> Any:
        """A term's (docnums, weights, position counts, document-position numbers, None,
        position bits) in a segment from its postings file (see
        :meth:`PostingsFile.positions`), else (docnums, weights, None, None, Whoosh's encoded
        positions per posting, 0)."""
        stored = self.cache.postings_file(leaf)
        got = stored.positions(fieldname, btext) if stored is not None else None
        if got is not None and stored is not None:
            ids, weights, counts, keys = got
            return ids, weights, counts, keys, None, stored.position_bits
        all_ids: list[int] = []
        all_weights: list[float] = []
        encoded: list[Any] = []
        for block_ids, block_weights, values in blocks(leaf.postings(fieldname, btext), True):
            all_ids.extend(block_ids)
            all_weights.extend(block_weights)
            encoded.extend(values)
        return all_ids, all_weights, None, None, encoded, 0

    # -- combining -----------------------------------------------------------------------------

    # Scores are summed in query order, as Whoosh sums them, so that equal-looking scores are
    # bit-identical and ties fall the same way.

    @staticmethod
    def _or(parts: list[Scores], boost: float) -> Scores:
        parts = [p for p in parts if p]
        if not parts:
            return {}
        acc = dict(parts[0])
        get = acc.get
        for part in parts[1:]:
            for d, s in part.items():
                acc[d] = get(d, 0.0) + s
        if boost != 1.0:
            acc = {d: s * boost for d, s in acc.items()}
        return acc

    @staticmethod
    def _and(parts: list[Scores], boost: float) -> Scores:
        if not parts or any(not p for p in parts):
            return {}
        smallest = min(parts, key=len)
        common: Any = smallest.keys()
        for part in parts:
            if part is not smallest:
                common = common & part.keys()  # C-level set intersections
        # Each document's parts summed in query order, a part at a time over all the
        # documents by C-level maps (a Python loop per document took twice as long).
        docs = list(common)
        totals: Iterable[float] = map(parts[0].__getitem__, docs)
        for part in parts[1:]:
            totals = map(operator.add, totals, map(part.__getitem__, docs))
        if boost != 1.0:
            totals = map(operator.mul, totals, repeat(boost))
        return dict(zip(docs, totals, strict=True))


# --------------------------------------------------------------------------------------------
# Ordering


def top_by_score(scores: Scores, limit: int | None) -> list[tuple[float, int]]:
    """(score, docnum) best first, ties by docnum as Whoosh orders them."""
    if limit is not None and limit < len(scores):
        if limit <= 0:
            return []
        # The cut-off score (a heap of the scores alone), then only the hits at or above it
        # are picked out (C-level) and ordered: 6x faster than a heap of (score, docnum)
        # tuples for 80k matches, twice as fast as sorting every score.
        cut = heapq.nlargest(limit, scores.values())[-1]
        above = itertools.compress(scores.items(), map(operator.ge, scores.values(), repeat(cut)))
        best = [(s, d) for d, s in above]
    else:
        best = [(s, d) for d, s in scores.items()]
    best.sort(key=lambda t: (-t[0], t[1]))
    return best[:limit] if limit is not None else best


def top_by_key(docnums: Iterable[int], key: Callable[[int], int], limit: int | None) -> list[int]:
    """Docnums by ``key`` descending (ties by docnum), the first ``limit``."""
    decorated = ((-key(d), d) for d in docnums)
    if limit is None:
        return [d for _, d in sorted(decorated)]
    return [d for _, d in heapq.nsmallest(limit, decorated)]


__all__ = [
    "Evaluator",
    "SegmentCache",
    "SegmentColumns",
    "load_numeric_column",
    "top_by_key",
    "top_by_score",
]
