"""Answering searches on the current index generation: relevance or date/votes order, counts,
highlighted snippets and related papers.

Scores come from :class:`~digestdesk.core.index.ranking.Evaluator` (Whoosh's BM25F, a block of
postings at a time); documents are mapped to entry ids through the generation's
:class:`~digestdesk.core.index.readers.IdMap`.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Collection, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from digestdesk.core.index.base import Hit
from digestdesk.core.index.compiler import ArrayOr
from digestdesk.core.index.ranking import Evaluator, SegmentCache, top_by_key, top_by_score
from digestdesk.core.index.readers import IdMap, IdMaps, ThreadSearchers
from digestdesk.core.index.schema import SCHEMA, text_analysis
from digestdesk.core.query.highlight import TermMatcher, matching_spans, snippet_html
from digestdesk.core.query.plan import QueryPlan
from digestdesk.core.query.syntax import INDEX_TEXT_FIELDS, SORTS

#: Related papers read at most about this many postings (their cost), but use at least
#: MLT_MIN_TERMS key terms.
MLT_POSTINGS = 40_000
MLT_MIN_TERMS = 4


class IndexSearch:
    """Searches through each thread's searcher (``searchers``), with the shared id maps and
    segment columns."""

    def __init__(self, searchers: ThreadSearchers, id_maps: IdMaps, columns: SegmentCache) -> None:
        self._searchers = searchers
        self._id_maps = id_maps
        self._columns = columns

    def search_with_total(
        self,
        plan: QueryPlan[wq.Query],
        *,
        allowed: set[int] | None = None,
        excluded: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> tuple[list[Hit], int]:
        """Ids matching ``plan.text`` (and in ``allowed`` when given), best or newest first,
        and how many entries match in all (every match is scored anyway, so the total costs
        nothing more). ``excluded`` ids are left out: the cheap form of a filter that most
        entries pass."""
        order = sort or plan.sort
        if order not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {order!r}")
        if plan.text is None:
            return self._list(allowed=allowed, limit=limit, order=order)
        with self._searchers.searcher() as s:
            ids = self._id_maps.of(s)
            if order == "relevance":
                scores = self._scores(s, ids, plan.text, allowed)
                self._drop(ids, scores, excluded)
                ranked = top_by_score(scores, limit)
                return [Hit(ids.id_of[d], float(score)) for score, d in ranked], len(scores)
            # Newest (or most voted) first needs no scores: the matching set, then its top
            # by the sort column.
            matches = self._matches(s, ids, plan.text, allowed)
            self._drop(ids, matches, excluded)
            column = order
            if limit is not None and len(matches) > 4 * limit:
                # Many matches: walk the index in sort order (sorted once per generation)
                # and stop at the limit, instead of ordering every match.
                walk = (d for d in self._sort_order(s, ids, column) if d in matches)
                chosen = list(itertools.islice(walk, limit))
            else:
                chosen = top_by_key(matches, self._sort_key(s, ids, column).__getitem__, limit)
            return [Hit(ids.id_of[d], 0.0) for d in chosen], len(matches)

    def _sort_order(self, s: Searcher, ids: IdMap, column: str) -> array[int]:
        """Every docnum by ``column`` descending (ties by docnum), kept with the id map."""
        order = ids.orders.get(column)
        if order is None:
            key = self._sort_key(s, ids, column)
            order = array("q", sorted(range(len(key)), key=lambda d: -key[d]))
            ids.orders[column] = order
        return order

    @staticmethod
    def _drop(ids: IdMap, found: dict[int, float] | set[int], excluded: set[int] | None) -> None:
        """Remove the ``excluded`` entries' documents from ``found`` (in place)."""
        if not excluded:
            return
        docnum_of = ids.docnum_of
        for entry_id in excluded:
            docnum = docnum_of.get(entry_id)
            if docnum is not None:
                if isinstance(found, dict):
                    found.pop(docnum, None)
                else:
                    found.discard(docnum)

    def _matches(self, s: Searcher, ids: IdMap, q: wq.Query, allowed: set[int] | None) -> set[int]:
        """Every live document matching ``q`` (and in ``allowed``), without scores."""
        found = Evaluator(s, self._columns).docs(q)
        if allowed is not None:
            found &= self._id_maps.docnums(s, allowed)
        return found - ids.deleted if ids.deleted else found

    def _scores(
        self, s: Searcher, ids: IdMap, q: wq.Query, allowed: set[int] | None
    ) -> dict[int, float]:
        """Score of every live document matching ``q`` (and in ``allowed``), by docnum."""
        scores = Evaluator(s, self._columns).scores(q)
        if allowed is not None:
            keep = self._id_maps.docnums(s, allowed)
            if len(keep) < len(scores):
                return {d: scores[d] for d in keep if d in scores}
            return {d: v for d, v in scores.items() if d in keep}
        for docnum in ids.deleted:  # usually a few (edits since the last merge)
            scores.pop(docnum, None)
        return scores

    def _sort_key(self, s: Searcher, ids: IdMap, order: str) -> Sequence[int]:
        """The key of a sort order ("date" or "votes") by global docnum, larger first (see
        :meth:`SegmentCache.sort_values`); kept with the generation's id map."""
        key = ids.keys.get(order)
        if key is None:
            key = array("Q")
            for leaf, offset in s.reader().leaf_readers():
                cols = self._columns.columns(leaf)
                values = self._columns.sort_values(leaf, cols, order)
                if len(key) < offset:
                    key.extend([0] * (offset - len(key)))
                if values is None:
                    key.extend([0] * leaf.doc_count_all())
                else:  # an array extends another only of its own type
                    key.extend(values if values.typecode == "Q" else values.tolist())
            ids.keys[order] = key
        return key

    def _list(
        self, *, allowed: set[int] | None, limit: int | None, order: str
    ) -> tuple[list[Hit], int]:
        """Entries without words: in index order, or newest / most voted first."""
        with self._searchers.searcher() as s:
            ids = self._id_maps.of(s)
            if allowed is not None:
                docnums: Collection[int] = self._id_maps.docnums(s, allowed)
            else:
                docnums = ids.docnum_of.values()
            if order == "relevance":
                chosen = sorted(docnums)[:limit] if limit is not None else sorted(docnums)
            else:
                key = self._sort_key(s, ids, order)
                chosen = top_by_key(docnums, key.__getitem__, limit)
            return [Hit(ids.id_of[d], 0.0) for d in chosen], len(docnums)

    def count(self, plan: QueryPlan[wq.Query], allowed: set[int] | None = None) -> int:
        """How many entries match (no ranking, no limit)."""
        with self._searchers.searcher() as s:
            ids = self._id_maps.of(s)
            if plan.text is None:
                if allowed is None:
                    return s.doc_count()
                return len(self._id_maps.docnums(s, allowed))
            return len(self._matches(s, ids, plan.text, allowed))

    def highlights(
        self,
        ids: Sequence[int],
        plan: QueryPlan[wq.Query],
        *,
        field: str = "abstract",
        top: int = 2,
    ) -> dict[int, str]:
        """Snippets of ``field`` for the given ids (only those with a match), as safe HTML."""
        fieldname = INDEX_TEXT_FIELDS.get(field, field)
        matcher = TermMatcher(plan.terms, fields=(fieldname,))
        if not matcher or fieldname not in SCHEMA or not SCHEMA[fieldname].stored:
            return {}
        analysis = text_analysis(fieldname)
        out: dict[int, str] = {}
        with self._searchers.searcher() as s:
            docnum_of = self._id_maps.of(s).docnum_of
            for entry_id in ids:
                docnum = docnum_of.get(entry_id)
                if docnum is None:
                    continue
                text = s.stored_fields(docnum).get(fieldname) or ""
                spans = matching_spans(text, matcher, analysis)
                if spans:
                    out[entry_id] = snippet_html(text, spans, top=top)
        return out

    def more_like_this(self, id: int, *, limit: int = 10) -> list[Hit]:
        """Entries similar to ``id`` by the key terms of its title, abstract and keywords."""
        with self._searchers.searcher() as s:
            ids = self._id_maps.of(s)
            docnum = ids.docnum_of.get(id)
            if docnum is None:
                return []
            stored = s.stored_fields(docnum)
            candidates: list[tuple[float, str, str, int]] = []
            # 16 key terms: 24 took twice as long at 10k for 8-9 of the same top 10.
            for fieldname, numterms, boost in (
                ("title", 4, 2.0),
                ("abstract", 8, 1.0),
                ("keywords", 4, 1.0),
            ):
                if not stored.get(fieldname):
                    continue
                for word, weight in s.key_terms([docnum], fieldname, numterms=numterms):
                    df = s.doc_frequency(fieldname, word)
                    candidates.append((boost * weight, fieldname, word, df))
            # Reading postings is the cost: the best terms first, and a term that would take
            # the total past MLT_POSTINGS (a word in a large share of a big library, which says
            # little about likeness) is left out. At 10k entries nothing is left out.
            candidates.sort(key=lambda c: -c[0])
            subs: list[wq.Query] = []
            budget = MLT_POSTINGS
            for weight, fieldname, word, df in candidates:
                if df > budget and len(subs) >= MLT_MIN_TERMS:
                    continue
                budget -= df
                subs.append(wq.Term(fieldname, word, boost=weight))
            if not subs:
                return []
            scores = self._scores(s, ids, ArrayOr(subs), None)
            scores.pop(docnum, None)
            return [Hit(ids.id_of[d], float(score)) for score, d in top_by_score(scores, limit)]

    def documents(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """The stored text fields (empty ones left out) of these entries."""
        out: dict[int, dict[str, str]] = {}
        with self._searchers.searcher() as s:
            docnum_of = self._id_maps.of(s).docnum_of
            for entry_id in ids:
                docnum = docnum_of.get(entry_id)
                if docnum is not None:
                    stored = s.stored_fields(docnum)
                    out[entry_id] = {k: v for k, v in stored.items() if isinstance(v, str) and v}
        return out

    def probe(
        self, queries: Sequence[tuple[str, Sequence[str]]], allowed: set[int] | None
    ) -> list[set[int]]:
        """For each (field, analysed terms), the ids whose field holds the terms in a row,
        found the way a search finds them (the same scoring code, postings files included),
        all on one searcher."""
        out: list[set[int]] = []
        with self._searchers.searcher() as s:
            ids = self._id_maps.of(s)
            evaluator = Evaluator(s, self._columns)
            keep = self._id_maps.docnums(s, allowed) if allowed is not None else None
            for field, terms in queries:
                query: wq.Query = (
                    wq.Term(field, terms[0]) if len(terms) == 1 else wq.Phrase(field, list(terms))
                )
                found = evaluator.scores(query).keys()
                docnums = found & keep if keep is not None else found - ids.deleted
                out.append({ids.id_of[d] for d in docnums} - {-1})
        return out

    def ids(self) -> set[int]:
        """Every entry id in the index."""
        with self._searchers.searcher() as s:
            return set(self._id_maps.of(s).docnum_of)

    def whoosh_ranking(self, plan: QueryPlan[wq.Query]) -> list[Hit]:
        """Every live match of ``plan.text`` scored and ordered by Whoosh's own searcher (its
        BM25F, score then docnum): slow, for tests that check the fast ranking against it."""
        if plan.text is None:
            return []
        with self._searchers.searcher() as s:
            id_of = self._id_maps.of(s).id_of
            every: Any = s.search(plan.text, limit=None, optimize=False).top_n
            ranked = sorted((-score, d) for score, d in every if id_of[d] >= 0)
            return [Hit(id_of[d], -negated) for negated, d in ranked]
