"""Compiling a parsed query into Whoosh queries, and the query classes that make them fast.

:func:`parse_query` is :func:`digestdesk.core.query.parse` followed by :func:`compile_query`:
words are analysed as their fields analyse them (stemmed; names accent-folded), a word without
a field is searched in :data:`~digestdesk.core.index.schema.DEFAULT_FIELDS`, ``prefix*`` words
become :class:`TopPrefix` queries (their most frequent expansions only), and filters nested
inside ``OR`` become the equivalent Whoosh term and range queries. The terms found are
reported for highlighting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema

from digestdesk.core.index.schema import (
    ACCENTS,
    DEFAULT_FIELDS,
    HIGHLIGHT_AS,
    SCHEMA,
    STEMMED_FIELDS,
    analyse,
    stem,
    yyyymmdd,
)
from digestdesk.core.query.filters import TEAM_FIELDS, Filter, bounds
from digestdesk.core.query.plan import ParsedQuery, QueryPlan, parse
from digestdesk.core.query.syntax import (
    PREFIX_MIN_CHARS,
    AndNode,
    FilterNode,
    Node,
    NotNode,
    OrNode,
    TextNode,
)
from digestdesk.core.text import tag_forms
from digestdesk.errors import QueryError

#: How many of the most frequent terms a ``prefix*`` expands to, per field.
PREFIX_EXPANSION = 30


def parse_query(
    text: str,
    *,
    schema: Schema = SCHEMA,
    default_sort: str = "relevance",
    reader: Any | None = None,
) -> QueryPlan[wq.Query]:
    """Parse the search bar's text into a :class:`QueryPlan` whose text part is a Whoosh query.

    With a ``reader`` (an open Whoosh reader), ``prefix*`` words are expanded now and their
    expansions reported in ``terms``; without one they expand when searched.
    Raises :class:`QueryError` (and nothing else) for malformed queries; its ``position`` is
    the 0-based index in ``text`` of the part at fault (messages count from 1).
    """
    return compile_query(parse(text, default_sort=default_sort), schema=schema, reader=reader)


def compile_query(
    parsed: ParsedQuery, *, schema: Schema = SCHEMA, reader: Any | None = None
) -> QueryPlan[wq.Query]:
    """The Whoosh form of a parsed query (see :func:`parse_query`)."""
    builder = _Builder(schema, reader)
    whoosh_query: wq.Query | None = None
    if parsed.text is not None:
        whoosh_query = builder.build(parsed.text)
        if whoosh_query is None:
            # Only stop words ("the", "of"): they are not indexed, so nothing matches. Returning
            # None would instead mean "no text condition" and list the whole library.
            whoosh_query = wq.NullQuery
    return QueryPlan(whoosh_query, parsed.filters, builder.terms, parsed.sort, parsed.raw)


# --------------------------------------------------------------------------------------------
# Filters


def filter_query(flt: Filter) -> wq.Query:
    """The Whoosh query equivalent to ``flt`` (used when a filter is nested in OR)."""
    if flt.field in TEAM_FIELDS:
        raise QueryError(
            f"{flt.field}: is answered by the team's database, not the search index: use it "
            "beside words (AND), not joined to them by OR."
        )
    if flt.field in ("status", "tag", "has", "arxiv"):
        fieldname = {"tag": "tags"}.get(flt.field, flt.field)
        # The value as SQL compares it (a tag as the library writes tags).
        if flt.field == "tag":
            forms = tag_forms(str(flt.value))
            q: wq.Query = (
                wq.Term(fieldname, forms[0])
                if len(forms) == 1
                else ArrayOr([wq.Term(fieldname, form) for form in forms])
            )
        else:
            q = wq.Term(fieldname, str(flt.value))
    elif flt.field == "digest":

        def iso(v: object) -> str:
            assert isinstance(v, date)
            return v.isoformat()

        if flt.op == "=":
            q = wq.Term("digests", iso(flt.value))
        else:
            lo, hi, lo_ex, hi_ex = bounds(flt)
            q = wq.TermRange(
                "digests",
                None if lo is None else iso(lo),
                None if hi is None else iso(hi),
                startexcl=lo_ex,
                endexcl=hi_ex,
            )
    else:
        fieldname = {"date": "published"}.get(flt.field, flt.field)
        lo, hi, lo_ex, hi_ex = bounds(flt)

        def num(v: object) -> int | None:
            if v is None:
                return None
            return yyyymmdd(v) if isinstance(v, date) else int(v)  # type: ignore[call-overload]

        q = wq.NumericRange(fieldname, num(lo), num(hi), startexcl=lo_ex, endexcl=hi_ex)
    return wq.Not(q) if flt.negate else q


# --------------------------------------------------------------------------------------------
# Query classes


class ArrayOr(wq.Or):
    """An Or that preloads its matches into arrays (Whoosh's "array" matcher), used for every
    Or this module builds.

    Whoosh picks a binary tree of union matchers for segments over 5,000 documents, which is
    1.3-7x slower for our queries (measured at 10k, one segment: ``phor*`` 366 vs 56 ms, two
    words 101 vs 61 ms, a phrase 218 vs 152 ms; a single word about the same).
    """

    def _matcher(self, subs: Any, searcher: Any, context: Any) -> Any:
        if context is not None and context.needs_current:
            return super()._matcher(subs, searcher, context)
        return wq.compound.PreloadedOr(subs, boost=self.boost).matcher(searcher, context)


class TopPrefix(wq.Prefix):
    """A prefix query expanded to the most frequent matching terms only (scored Or).

    Whoosh's own Prefix ORs every matching term (2-30 s on common stems at 100k entries); the
    long tail adds almost nothing to a ranked list. ``text`` may name several prefixes (the
    typed one and its stem, because the index holds stems: "learni*" must find "learn").
    """

    def __init__(
        self, fieldname: str, prefixes: Sequence[str], boost: float = 1.0, limit: int = 30
    ) -> None:
        super().__init__(fieldname, prefixes[0], boost=boost, constantscore=False)
        self.prefixes = tuple(dict.fromkeys(prefixes))
        self.limit = limit

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TopPrefix)
            and self.fieldname == other.fieldname
            and self.prefixes == other.prefixes
            and self.boost == other.boost
            and self.limit == other.limit
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.prefixes, self.boost, self.limit))

    def _btexts(self, ixreader: Any) -> list[bytes]:
        return top_prefix_terms(ixreader, self.fieldname, self.prefixes, self.limit)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        terms = [
            wq.Term(self.fieldname, btext, boost=self.boost)
            for btext in self._btexts(searcher.reader())
        ]
        if not terms:
            return wq.NullQuery.matcher(searcher, context)
        if len(terms) == 1:
            return terms[0].matcher(searcher, context)
        return ArrayOr(terms).matcher(searcher, context)


def top_prefix_terms(
    reader: Any, fieldname: str, prefixes: Sequence[str], limit: int = PREFIX_EXPANSION
) -> list[bytes]:
    """The ``limit`` terms of ``fieldname`` starting with any of ``prefixes`` found in the
    most documents (in stemmed fields also a stem the first prefix is a few letters past)."""
    seen: dict[bytes, int] = {}
    for prefix in prefixes:
        for btext, info in reader.iter_prefix(fieldname, prefix):
            seen[btext] = info.doc_frequency()
    if fieldname in STEMMED_FIELDS and prefixes:
        for candidate in _stem_candidates(prefixes[0]):
            btext = candidate.encode("utf-8")
            if btext not in seen and (fieldname, btext) in reader:
                seen[btext] = reader.doc_frequency(fieldname, btext)
    return sorted(seen, key=lambda t: (-seen[t], t))[:limit]


def _prefix_forms(fieldname: str, prefix: str) -> list[str]:
    """The prefixes to expand: the typed one and, in stemmed fields, its stem."""
    low = prefix.lower()
    if fieldname == "authors":
        return [low.translate(ACCENTS)]
    forms = [low]
    stemmed = stem(low)
    if stemmed and stemmed != low and len(stemmed) >= PREFIX_MIN_CHARS:
        forms.append(stemmed)
    return forms


def _stem_candidates(prefix: str) -> list[str]:
    """Whole terms the typed prefix may have been stemmed down to ("learni" -> "learn")."""
    low = prefix.lower()
    return [low[:k] for k in range(max(PREFIX_MIN_CHARS, len(low) - 3), len(low))]


# --------------------------------------------------------------------------------------------
# Syntax tree -> Whoosh


class _Builder:
    """Turns the syntax tree into Whoosh queries and collects highlight terms."""

    def __init__(self, schema: Schema, reader: Any | None) -> None:
        self.schema = schema
        self.reader = reader
        self.terms: list[tuple[str, str]] = []

    def _record(self, pairs: Iterable[tuple[str, str]]) -> None:
        for fieldname, word in pairs:
            for name in HIGHLIGHT_AS.get(fieldname, (fieldname,)):
                self.terms.append((name, word))

    def build(self, node: Node, positive: bool = True) -> wq.Query | None:
        if isinstance(node, TextNode):
            return self.text(node, positive)
        if isinstance(node, FilterNode):
            return filter_query(node.filter)
        if isinstance(node, NotNode):
            child = self.build(node.child, not positive)
            return None if child is None else wq.Not(child)
        if isinstance(node, OrNode):
            subs = [q for q in (self.build(c, positive) for c in node.children) if q is not None]
            if not subs:
                return None
            return subs[0] if len(subs) == 1 else ArrayOr(subs)
        if isinstance(node, AndNode):
            pos: list[wq.Query] = []
            neg: list[wq.Query] = []
            for part in node.children:
                if isinstance(part, NotNode):
                    sub = self.build(part.child, not positive)
                    if sub is not None:
                        neg.append(sub)
                else:
                    sub = self.build(part, positive)
                    if sub is not None:
                        pos.append(sub)
            if not pos and not neg:
                return None
            neg_q = (neg[0] if len(neg) == 1 else wq.Or(neg)) if neg else None
            if not pos:
                return wq.Not(neg_q) if neg_q is not None else None
            pos_q = pos[0] if len(pos) == 1 else wq.And(pos)
            return wq.AndNot(pos_q, neg_q) if neg_q is not None else pos_q
        raise AssertionError(f"unexpected node {node!r}")  # SortNodes are removed by parse()

    def text(self, node: TextNode, positive: bool) -> wq.Query | None:
        fields = [(node.field, 1.0)] if node.field else list(DEFAULT_FIELDS)
        # A stop word ("for", "a") is not indexed in text fields; searching it in the
        # unstemmed author names alone would make "learning for graphs" require an
        # author called "For".
        if (
            node.field is None
            and node.kind != "prefix"
            and not analyse(self.schema, "title", node.value)
        ):
            return None
        subs: list[wq.Query] = []
        for fieldname, boost in fields:
            q = self.text_in_field(node, fieldname, boost, positive)
            if q is not None:
                subs.append(q)
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else ArrayOr(subs)

    def text_in_field(
        self, node: TextNode, fieldname: str, boost: float, positive: bool
    ) -> wq.Query | None:
        if node.kind == "prefix":
            forms = _prefix_forms(fieldname, node.value)
            if self.reader is not None:
                btexts = top_prefix_terms(self.reader, fieldname, forms)
                words = [self.schema[fieldname].from_bytes(b) for b in btexts]
                if positive:
                    self._record((fieldname, w) for w in words)
                if not words:
                    return None
                terms = [wq.Term(fieldname, w, boost=boost) for w in words]
                return terms[0] if len(terms) == 1 else ArrayOr(terms)
            if positive:
                self._record((fieldname, f + "*") for f in forms)
            return TopPrefix(fieldname, forms, boost=boost, limit=PREFIX_EXPANSION)
        words = analyse(self.schema, fieldname, node.value)
        if not words:
            return None
        if node.kind == "fuzzy":
            if positive:
                self._record((fieldname, f"{w}~{node.maxdist}") for w in words)
            fuzzies = [
                wq.FuzzyTerm(
                    fieldname,
                    w,
                    boost=boost,
                    maxdist=node.maxdist,
                    prefixlength=1,
                    constantscore=False,
                )
                for w in words
            ]
            return fuzzies[0] if len(fuzzies) == 1 else wq.And(fuzzies)
        if positive:
            # A phrase is marked where its words stand together: one term, words spaced.
            self._record([(fieldname, " ".join(words))])
        if len(words) == 1:
            return wq.Term(fieldname, words[0], boost=boost)
        return wq.Phrase(fieldname, words, boost=boost)
