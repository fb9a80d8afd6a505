"""The similarity model: every paper's vector and an inverted index over them for top-k cosine.

Built once from the whole library (:func:`build`), then kept in step by small changes: a paper
added or changed since goes to an overlay (its vector weighed with the library's statistics of
the build), a paper gone is masked. The owner rebuilds when the overlay grows large.

A query reads the postings of its strongest terms only (the candidate cut: a term whose
postings would take the total past :data:`MAX_POSTINGS` is skipped once :data:`MIN_TERMS` were
read), then scores the best candidates exactly. Not thread-safe: the owner holds a lock.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from digestdesk.core.similarity.terms import IN_TEXT, IN_TITLE, Terms
from digestdesk.core.similarity.vectors import (
    DEQUANTISED,
    SparseVector,
    Stats,
    cosine,
    quantise,
    weigh,
)

#: The query's strongest terms that are looked up.
QUERY_TERMS = 48
#: A paper is found by its strongest terms only (its vector keeps more, for exact scores).
POSTED_TERMS = 48
#: Postings read per query at most, once MIN_TERMS terms were read.
MAX_POSTINGS = 60_000
MIN_TERMS = 8
#: Candidates (per result asked) scored exactly after the cut.
RESCORE_FACTOR = 20


if TYPE_CHECKING:
    import mmap

#: Numbers by position: an array when built, a read-only view of the file when loaded.
Numbers = array | memoryview


def term_key(term: str) -> bytes:
    """How :class:`TermTable` stores and orders a term."""
    return term.encode() + b"\n"


class TermTable:
    """The model's terms by id: one run of UTF-8 bytes, each term followed by a newline, with
    their offsets, in the order of :func:`term_key` (the ids are given in that order). A list
    of strings and a dict back to their ids held 90 MB at 100k papers (686,000 terms, word
    pairs mostly); here an id is found by bisection."""

    def __init__(self, text: bytes, offsets: Numbers) -> None:
        self.text = text
        self.offsets = offsets  # term id -> start in text (len terms + 1)

    @classmethod
    def of(cls, terms: Iterable[str]) -> TermTable:
        """The table of ``terms``, given in :func:`term_key` order."""
        keys = [term_key(term) for term in terms]
        offsets = array("q", [0])
        offsets.extend(itertools.accumulate(map(len, keys)))
        return cls(b"".join(keys), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, term_id: int) -> str:
        if not 0 <= term_id < len(self.offsets) - 1:
            raise IndexError(term_id)
        return self._key_at(term_id)[:-1].decode()

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermTable) and self.text == other.text

    __hash__ = None  # type: ignore[assignment]

    def id_of(self, term: str) -> int | None:
        """The term's id, or None when the model does not hold it."""
        key = term_key(term)
        found = bisect.bisect_left(range(len(self)), key, key=self._key_at)
        return found if found < len(self) and self._key_at(found) == key else None

    def _key_at(self, term_id: int) -> bytes:
        return self.text[self.offsets[term_id] : self.offsets[term_id + 1]]


@dataclass(frozen=True)
class Match:
    """A similar paper: its id, the cosine, and the terms both share, strongest first."""

    entry_id: int
    score: float
    shared: tuple[str, ...]


@dataclass
class SimilarityModel:
    """Vectors of a library's papers (see the module's docstring)."""

    terms: TermTable  # term id -> term
    df: Numbers  # term id -> papers holding it (at the build)
    display: dict[str, str]  # how a term is shown where that is not the term itself
    stats: Stats
    entry_ids: Numbers  # row -> entry id
    doc_offsets: Numbers  # row -> start in doc_terms (len rows + 1)
    doc_terms: Numbers
    doc_weights: Numbers  # one byte each (vectors.quantise)
    term_offsets: Numbers  # term id -> start in post_rows (len terms + 1)
    post_rows: Numbers
    post_weights: Numbers  # one byte each (vectors.quantise)
    #: term id -> how the library's papers use it (terms.IN_TEXT, IN_TITLE or IN_KEYWORDS):
    #: reasons show the terms that name topics first. Empty: all IN_TEXT.
    named: Numbers = field(default_factory=lambda: array("b"))
    library_uuid: str = ""
    last_seq: int = 0
    #: The file the arrays are views of (:func:`~digestdesk.core.similarity.storage.load`);
    #: None when they are arrays (built here, or read whole).
    mapped_file: mmap.mmap | None = field(default=None, repr=False, compare=False)
    row_of: dict[int, int] = field(init=False)
    masked: set[int] = field(default_factory=set)  # rows replaced or gone
    overlay: dict[int, SparseVector] = field(default_factory=dict)
    overlay_postings: dict[int, dict[int, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.row_of = {entry_id: row for row, entry_id in enumerate(self.entry_ids)}

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.entry_ids) - len(self.masked) + len(self.overlay)

    def __contains__(self, entry_id: int) -> bool:
        return entry_id in self.overlay or (
            entry_id in self.row_of and self.row_of[entry_id] not in self.masked
        )

    def entry_id_set(self) -> set[int]:
        ids = {e for row, e in enumerate(self.entry_ids) if row not in self.masked}
        return ids | set(self.overlay)

    def vector(self, entry_id: int) -> SparseVector | None:
        """The vector of a paper in the model (None when it is not)."""
        if entry_id in self.overlay:
            return self.overlay[entry_id]
        row = self.row_of.get(entry_id)
        if row is None or row in self.masked:
            return None
        return self._row_vector(row)

    def check_vector(self, entry_id: int) -> None:
        """Raise ValueError when a paper's stored vector cannot be one the model wrote. The
        file is read in place without a checksum; a row's terms are written heaviest first,
        so a row whose bounds were damaged (a byte flipped in ``doc_offsets``: a
        neighbour's terms read as this paper's) shows here, for the cost of one row."""
        row = self.row_of.get(entry_id)
        if row is None or entry_id in self.overlay:
            return
        a, b = self.doc_offsets[row], self.doc_offsets[row + 1]
        weights = bytes(self.doc_weights[a:b])
        if not 0 <= a <= b or len(weights) != b - a or weights != bytes(sorted(weights)[::-1]):
            raise ValueError(f"the stored vector of paper {entry_id} is out of order")

    def _row_vector(self, row: int) -> SparseVector:
        a, b = self.doc_offsets[row], self.doc_offsets[row + 1]
        weight = DEQUANTISED
        return {
            t: weight[q] for t, q in zip(self.doc_terms[a:b], self.doc_weights[a:b], strict=True)
        }

    def vectorize(self, terms: Terms) -> SparseVector:
        """A paper's vector in this model's terms (terms it does not know are left out)."""
        counts: dict[int, int] = {}
        id_of = self.terms.id_of
        for term, count in terms.counts.items():
            i = id_of(term)
            if i is not None:
                counts[i] = count
        return weigh(counts, terms.length, self.df, self.stats)

    def show(self, term_id: int) -> str:
        term = self.terms[term_id]
        return self.display.get(term, term)

    def shared_terms(self, a: SparseVector, b: SparseVector, count: int = 3) -> tuple[str, ...]:
        """The terms two vectors share that name a topic best: first those the library's papers
        use as keywords, then in titles, then the rest; each lot by its part in the cosine. A
        phrase hides its own words."""
        both = sorted((self.tier(t), a[t] * w, t) for t, w in b.items() if t in a)
        return readable_terms([self.terms[t] for *_, t in reversed(both)], self.display, count)

    def tier(self, term_id: int) -> int:
        """How well a term names a topic: its use (see ``named``), where a single word counts
        as named only as a keyword ("near", "nature" begin titles; "retrieval" is a keyword)."""
        level = self.named[term_id] if term_id < len(self.named) else IN_TEXT
        if level == IN_TITLE and " " not in self.terms[term_id]:
            return IN_TEXT
        return level

    def similar(
        self,
        vector: SparseVector,
        *,
        limit: int = 10,
        exclude: Iterable[int] = (),
        within: Callable[[int], bool] | None = None,
    ) -> list[Match]:
        """The papers most like ``vector`` (cosine), best first, with their shared terms."""
        if not vector or limit <= 0:
            return []
        skip = set(exclude)
        query = heapq.nlargest(QUERY_TERMS, vector.items(), key=lambda item: item[1])
        row_scores: dict[int, float] = {}
        overlay_scores: dict[int, float] = {}
        budget = MAX_POSTINGS
        for used, (term, weight) in enumerate(query):
            a, b = self.term_offsets[term], self.term_offsets[term + 1]
            if b - a > budget and used >= MIN_TERMS:
                continue
            budget -= b - a
            get = row_scores.get
            scaled = [weight * w for w in DEQUANTISED]  # byte -> its part in the score
            for row, q in zip(self.post_rows[a:b], self.post_weights[a:b], strict=True):
                row_scores[row] = get(row, 0.0) + scaled[q]
            for entry_id, w in self.overlay_postings.get(term, {}).items():
                overlay_scores[entry_id] = overlay_scores.get(entry_id, 0.0) + weight * w
        candidates: list[tuple[float, int]] = []
        wanted = limit * RESCORE_FACTOR
        entry_ids = self.entry_ids
        for score, row in heapq.nlargest(
            wanted + len(self.masked) + len(skip), ((s, r) for r, s in row_scores.items())
        ):
            if row in self.masked:
                continue
            candidates.append((score, entry_ids[row]))
        candidates.extend((s, e) for e, s in overlay_scores.items())
        matches: list[Match] = []
        for _, entry_id in heapq.nlargest(wanted + len(skip), candidates):
            if entry_id in skip or (within is not None and not within(entry_id)):
                continue
            other = self.vector(entry_id)
            if other is None:
                continue
            matches.append(Match(entry_id, cosine(vector, other), ()))
        matches.sort(key=lambda m: (-m.score, m.entry_id))
        shown = [m for m in matches[:limit] if m.score > 0.0]
        for m in shown:  # a damaged row ranks its paper wrong: the answer's rows are checked
            self.check_vector(m.entry_id)
        return [
            Match(m.entry_id, m.score, self.shared_terms(vector, self.vector(m.entry_id) or {}))
            for m in shown
        ]

    # ----------------------------------------------------------------- changing
    def put(self, entry_id: int, vector: SparseVector) -> bool:
        """Add or replace a paper; returns whether anything changed. Its weights are rounded as
        the file stores them, so a paper reads the same before and after a rebuild."""
        vector = {t: DEQUANTISED[quantise(w)] for t, w in vector.items()}
        row = self.row_of.get(entry_id)
        unchanged = (
            entry_id not in self.overlay
            and row is not None
            and row not in self.masked
            and self._row_vector(row) == vector
        )
        if unchanged:
            return False
        self.remove(entry_id)
        if row is not None:
            self.masked.add(row)
        self.overlay[entry_id] = vector
        for term, w in vector.items():
            self.overlay_postings.setdefault(term, {})[entry_id] = w
        return True

    def remove(self, entry_id: int) -> None:
        old = self.overlay.pop(entry_id, None)
        if old is not None:
            for term in old:
                self.overlay_postings.get(term, {}).pop(entry_id, None)
        row = self.row_of.get(entry_id)
        if row is not None:
            self.masked.add(row)

    @property
    def changed_share(self) -> float:
        """How much of the model differs from its build (0 just after one)."""
        return (len(self.masked) + len(self.overlay)) / max(1, len(self.entry_ids))


def readable_terms(terms: Iterable[str], display: dict[str, str], count: int) -> tuple[str, ...]:
    """Up to ``count`` terms as shown, a word left out when a phrase shown holds it."""
    chosen: list[str] = []
    for term in terms:
        if any(term in other.split(" ") for other in chosen if " " in other):
            continue
        if " " in term:
            # A phrase hides its own words already chosen.
            chosen = [c for c in chosen if c not in term.split(" ")]
        chosen.append(term)
        if len(chosen) >= count:
            break
    return tuple(display.get(term, term) for term in chosen)


def build(
    papers: Iterable[tuple[int, Terms]],
    *,
    library_uuid: str = "",
    last_seq: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SimilarityModel:
    """The model of these papers (entry id and terms each)."""
    vocab: dict[str, int] = {}
    terms: list[str] = []
    df: list[int] = []
    display: dict[str, str] = {}
    named: dict[int, int] = {}
    docs: list[tuple[int, array, array, int]] = []
    total_length = 0
    for done, (entry_id, paper) in enumerate(papers, 1):
        ids = array("i")
        counts = array("i")
        for term, count in paper.counts.items():
            i = vocab.get(term)
            if i is None:
                i = vocab[term] = len(terms)
                terms.append(term)
                df.append(0)
                shown = paper.spelling.get(term, term)
                if shown != term:
                    display[term] = shown
            df[i] += 1
            level = paper.named.get(term, 0)
            if level > named.get(i, 0):
                named[i] = level
            ids.append(i)
            counts.append(count)
        docs.append((entry_id, ids, counts, paper.length))
        total_length += paper.length
        if progress is not None and done % 200 == 0:
            progress(done)
    stats = Stats(len(docs), total_length / len(docs) if docs else 0.0)
    # Only the terms that can be shared stay: new ids for them, in the term table's order.
    remap = array("i", [-1]) * len(terms)
    kept: list[str] = []
    kept_df = array("i")
    kept_named = array("b")
    shared = sorted((term_key(term), i) for i, term in enumerate(terms) if stats.keeps(df[i]))
    for _, i in shared:
        remap[i] = len(kept)
        kept.append(terms[i])
        kept_df.append(df[i])
        kept_named.append(named.get(i, 0))
    del vocab, terms, df
    entry_ids, doc_offsets = array("q"), array("q", [0])
    doc_terms, doc_weights = array("i"), array("B")
    postings_count = array("q", [0]) * (len(kept) + 1)
    for entry_id, ids, counts, length in docs:
        vector = weigh(
            {remap[i]: c for i, c in zip(ids, counts, strict=True) if remap[i] >= 0},
            length,
            kept_df,
            stats,
        )
        entry_ids.append(entry_id)
        for term_id, w in sorted(vector.items(), key=lambda item: -item[1]):
            doc_terms.append(term_id)
            doc_weights.append(quantise(w))
        start = doc_offsets[-1]
        doc_offsets.append(len(doc_terms))
        for term_id in doc_terms[start : start + POSTED_TERMS]:
            postings_count[term_id + 1] += 1
    del docs
    term_offsets = array("q", [0]) * (len(kept) + 1)
    running = 0
    for t in range(len(kept)):
        running += postings_count[t + 1]
        term_offsets[t + 1] = running
    fill = array("q", term_offsets[:-1])
    post_rows = array("i", [0]) * running
    post_weights = array("B", [0]) * running
    for row in range(len(entry_ids)):
        start = doc_offsets[row]
        for k in range(start, min(doc_offsets[row + 1], start + POSTED_TERMS)):
            term_id = doc_terms[k]
            at = fill[term_id]
            post_rows[at] = row
            post_weights[at] = doc_weights[k]
            fill[term_id] = at + 1
    kept_set = set(kept)
    return SimilarityModel(
        terms=TermTable.of(kept),
        df=kept_df,
        display={t: s for t, s in display.items() if t in kept_set},
        stats=stats,
        entry_ids=entry_ids,
        doc_offsets=doc_offsets,
        doc_terms=doc_terms,
        doc_weights=doc_weights,
        term_offsets=term_offsets,
        post_rows=post_rows,
        post_weights=post_weights,
        named=kept_named,
        library_uuid=library_uuid,
        last_seq=last_seq,
    )
