"""Honest topic counts: how many papers a search for a topic finds, counted without searching.

A rising topic's count is shown beside a click that searches for it, so the two must agree:
the count of a term in a period is the number of that period's papers a search for the term's
query (``term.query``: a word, or a quoted phrase) finds. :class:`TopicCounter` counts it the
way the index matches: each searched field analysed as the index analyses it
(:func:`digestdesk.core.index.text_analysis`: lower-cased, stop words and one-letter words
dropped, stemmed; names folded), a word matching a token, a phrase matching consecutive tokens.
``tests/core/test_trends_topics.py`` checks the counts against real searches.

Analysed papers are kept in a bounded cache that the term index's sync clears for changed
entries (:meth:`TopicCounter.forget`), so the sidebar's next report analyses only those.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.index import text_analysis
from digestdesk.core.library import CHUNK
from digestdesk.core.query.analysis import TextAnalysis
from digestdesk.core.trends.report import topic_query

E = schema.entries

#: The fields a word without a field searches (the index's default fields), in this order.
SEARCHED_FIELDS = ("title", "abstract", "extra", "authors")
#: Analysed papers kept between reports.
CACHE_ENTRIES = 30_000  # about 2.5 KB each

_Tokens = tuple[str, ...]


@functools.lru_cache(maxsize=8)
def _whole_matches(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` with its groups made non-capturing, so ``findall`` gives whole matches."""
    return re.compile(re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern.pattern), pattern.flags)


def analyse(text: str, analysis: TextAnalysis) -> _Tokens:
    """The tokens the index makes of ``text`` (see :func:`~digestdesk.core.query.highlight.
    matching_spans`, which walks the same pipeline; a test keeps this equal to the index's
    analyser)."""
    words = _whole_matches(analysis.word_pattern).findall(text)
    min_length, stop = analysis.min_length, analysis.stop_words
    if analysis.stem is None:
        fold = analysis.fold or {}
        folded = [w.lower().translate(fold) for w in words]
        return tuple(t for t in folded if len(t) >= min_length and t not in stop)
    stems = _stem_cache(analysis)
    known = stems.get
    lowered = [w.lower() for w in words]
    return tuple(
        [known(w) or stems.found(w) for w in lowered if len(w) >= min_length and w not in stop]
    )


class _Stems(dict[str, str]):
    """A word -> stem table (a plain dict lookup is several times cheaper than a call)."""

    def __init__(self, stem: Callable[[str], str]) -> None:
        super().__init__()
        self.stem = stem

    def found(self, word: str) -> str:
        token = self[word] = self.stem(word)
        if len(self) > 200_000:
            self.clear()
        return token


_STEMS: dict[int, _Stems] = {}


def _stem_cache(analysis: TextAnalysis) -> _Stems:
    table = _STEMS.get(id(analysis))
    if table is None:
        assert analysis.stem is not None
        table = _STEMS[id(analysis)] = _Stems(analysis.stem)
    return table


def contains(tokens: _Tokens, phrase: _Tokens) -> bool:
    """Whether ``phrase`` occurs in ``tokens`` as consecutive tokens."""
    if not phrase:
        return False
    if len(phrase) == 1:
        return phrase[0] in tokens
    first, size = phrase[0], len(phrase)
    start = 0
    while True:
        try:
            at = tokens.index(first, start)
        except ValueError:
            return False
        if tokens[at : at + size] == phrase:
            return True
        start = at + 1


class TopicCounter:
    """Counts the papers whose searched fields contain a term, as the search would match it."""

    def __init__(self, cache_entries: int = CACHE_ENTRIES) -> None:
        self._analysis = {field: text_analysis(field) for field in SEARCHED_FIELDS}
        # entry id -> its tokens per searched field
        self._cache: OrderedDict[int, tuple[_Tokens, ...]] = OrderedDict()
        self._cache_entries = cache_entries

    def term_tokens(self, term: str) -> tuple[_Tokens, ...]:
        """The term as each searched field's analysis makes it (what the query looks for)."""
        text = term.replace('"', "")
        return tuple(analyse(text, self._analysis[field]) for field in SEARCHED_FIELDS)

    def forget(self, ids: Iterable[int] | None = None) -> None:
        """Drop changed papers (all of them with None) from the cache."""
        if ids is None:
            self._cache.clear()
            return
        for entry_id in ids:
            self._cache.pop(entry_id, None)

    def missing(self, ids: Collection[int]) -> int:
        """How many of ``ids`` :meth:`load` would analyse."""
        cache = self._cache
        return sum(1 for entry_id in ids if entry_id not in cache)

    def load(self, conn: Connection, ids: Collection[int]) -> None:
        """Analyse the papers of ``ids`` that are not in the cache."""
        cache = self._cache
        missing = []
        for entry_id in ids:
            if entry_id in cache:
                cache.move_to_end(entry_id)
            else:
                missing.append(entry_id)
        notes = schema.notes
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            rows = conn.execute(
                select(
                    E.c.id,
                    E.c.title,
                    E.c.abstract,
                    type_coerce(E.c.ai_keywords, Text),
                    E.c.ai_summary,
                    type_coerce(E.c.authors, Text),
                    notes.c.text,
                )
                .outerjoin(notes, notes.c.entry_id == E.c.id)
                .where(E.c.id.in_(chunk))
            )
            for row in rows:
                self._store(row)
        while len(self._cache) > max(self._cache_entries, len(ids)):
            self._cache.popitem(last=False)

    def _store(self, row: Any) -> None:
        import json

        entry_id, title, abstract, keywords, summary, authors, note = row
        keyword_list = _json_list(json, keywords)
        # As the index builds its "extra" field: keywords, the AI summary and the note.
        extra = "\n".join(
            t for t in ("\n".join(keyword_list) if keyword_list else "", summary, note) if t
        )
        names = "\n".join(_json_list(json, authors))
        fields = [
            analyse(text or "", self._analysis[field])  # stems come from one table: shared
            for field, text in zip(SEARCHED_FIELDS, (title, abstract, extra, names), strict=True)
        ]
        self._cache[entry_id] = tuple(fields)
        self._cache.move_to_end(entry_id)

    def matching(
        self, ids: Collection[int], term: str, fields: Collection[str] = SEARCHED_FIELDS
    ) -> set[int]:
        """The papers of ``ids`` (loaded first) a search for ``term`` finds in ``fields``."""
        return self.matching_many(ids, [term], fields)[term]

    def matching_many(
        self, ids: Collection[int], terms: Iterable[str], fields: Collection[str] = SEARCHED_FIELDS
    ) -> dict[str, set[int]]:
        """:meth:`matching` for many terms at once: the papers holding every token of a term
        are found from postings built once over ``ids`` (set operations in C), and only those
        are checked for the term's consecutive tokens."""
        wanted = {term: self.term_tokens(term) for term in terms}
        positions = [SEARCHED_FIELDS.index(f) for f in fields]
        needed = frozenset(
            token for forms in wanted.values() for p in positions for token in forms[p]
        )
        postings: dict[tuple[int, str], set[int]] = defaultdict(set)  # (field, token)
        cache = self._cache
        intersection = needed.intersection
        for entry_id in ids:
            cached = cache.get(entry_id)
            if cached is None:
                continue
            for p in positions:
                for token in intersection(cached[p]):
                    postings[p, token].add(entry_id)
        found: dict[str, set[int]] = {}
        empty: set[int] = set()
        for term, forms in wanted.items():
            hits: set[int] = set()
            for p in positions:
                phrase = forms[p]
                if not phrase:
                    continue
                candidates = set.intersection(*(postings.get((p, t), empty) for t in phrase))
                if len(phrase) == 1:
                    hits |= candidates  # a word's postings in this field: all of them match
                    continue
                for entry_id in candidates - hits:
                    if contains(cache[entry_id][p], phrase):
                        hits.add(entry_id)
            found[term] = hits
        return found


def _json_list(json: Any, text: Any) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


class IndexTopicCounter:
    """:class:`TopicCounter`'s answers read from the search index itself: a term's papers are
    what searching its query finds (one search per term over both periods, then set
    intersections), so no paper's text is analysed. Only for an index in step with the
    database (:meth:`Library.index_lag` 0): the counts then equal a search by construction.
    A 365-day window at 10k entries: 795 -> 282 ms (docs/benchmarks.md, issue 15)."""

    def __init__(self, index: Any, analysed: TopicCounter, universe: Collection[int]) -> None:
        self._index = index
        self._analysed = analysed  # for term_tokens only (the query's words as analysed)
        self._universe = set(universe)
        self._found: dict[str, set[int]] = {}

    def term_tokens(self, term: str) -> tuple[_Tokens, ...]:
        return self._analysed.term_tokens(term)

    def matching_many(
        self, ids: Collection[int], terms: Iterable[str], fields: Collection[str] = SEARCHED_FIELDS
    ) -> dict[str, set[int]]:
        if tuple(fields) != SEARCHED_FIELDS:
            raise ValueError("the index answers for the default fields only")
        wanted = set(ids)
        found: dict[str, set[int]] = {}
        for term in terms:
            papers = self._found.get(term)
            if papers is None:
                plan = self._index.plan(topic_query(term), default_sort="date")
                hits = self._index.search(plan, allowed=self._universe, limit=None, sort="date")
                papers = self._found[term] = {hit.id for hit in hits}
            found[term] = papers & wanted
        return found
