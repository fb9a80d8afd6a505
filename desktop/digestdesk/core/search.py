"""Full-text search: the Whoosh schema, the query language and the index as a rebuildable cache.

The database is the source of truth. The index under one directory is derived from it and
can be thrown away at any time: :meth:`SearchIndex.state` reports ``None`` whenever the index
is missing, damaged or built by another :data:`INDEX_VERSION`, and the library then rebuilds it
in the background with :meth:`SearchIndex.rebuild`.

The query language (what the user types in the search bar) is parsed here by a small
tokenizer and recursive-descent parser into a :class:`QueryPlan`:

* ``words`` (stemmed; title matches weigh double), ``"phrases"``, ``prefix*`` (at least four
  characters before the star), ``fuzzy~`` (``~2`` for two edits);
* ``AND``, ``OR``, ``NOT`` (upper case), ``-word``, parentheses;
* fields ``title:`` ``abstract:`` ``author:`` ``keyword:`` ``summary:`` ``note:`` for text and
  ``status:`` ``tag:`` ``year:`` ``date:`` ``votes:`` ``has:`` ``digest:`` ``arxiv:`` for
  filters, which take ``=`` (default), ``>``, ``>=``, ``<``, ``<=`` or ``lo..hi`` ranges where
  ordering makes sense; ``sort:relevance|date|votes``.

Filters at the top level of the query (ANDed with the rest, possibly negated) are handed to the
library as :class:`Filter` objects to evaluate in SQL, which is fast and always current; the
same fields nested inside ``OR`` or parentheses are evaluated by Whoosh from the index.

Whoosh rules followed here (measured on the target machine): every writer uses
``compound=False``; each call opens its own searcher and closes it; one writer at a time; bulk
builds commit every :data:`REBUILD_BATCH` documents with ``merge=False``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import html
import itertools
import json
import logging
import os
import pickle
import re
import secrets
import threading
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemmingAnalyzer,
    tokenizers,
)
from whoosh.analysis.filters import STOP_WORDS
from whoosh.analysis.morph import StemFilter
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map
from whoosh.util.numeric import to_sortable

from digestdesk.core import postings_file
from digestdesk.core.ranking import (
    Evaluator,
    SegmentCache,
    load_numeric_column,
    top_by_key,
    top_by_score,
)
from digestdesk.errors import QueryError, SearchIndexUnavailableError

log = logging.getLogger(__name__)

#: Bump when the schema or the analysis changes: a different version forces a rebuild.
INDEX_VERSION = 1

#: Whoosh's posting pool per bulk writer, in MB (its default, 128, held ~700 MB of Python
#: objects at the end of a 100k import; a smaller pool spills to disk sooner).
BULK_LIMIT_MB = int(os.environ.get("DIGESTDESK_INDEX_LIMIT_MB", "64"))

#: Documents per commit during a bulk rebuild (bounded memory, visible progress).
# 10,000 rather than 5,000: the same time and peak memory (the posting pool is bounded by
# limitmb), half the segments, and every search opens each segment's term tables.
REBUILD_BATCH = 10_000
PROGRESS_EVERY = 250  # documents between progress reports of a (re)build (~1 s of work)

#: How many of the most frequent terms a ``prefix*`` expands to, per field.
PREFIX_EXPANSION = 30
#: Related papers read at most about this many postings (their cost), but use at least
#: MLT_MIN_TERMS key terms.
MLT_POSTINGS = 40_000
MLT_MIN_TERMS = 4
#: Segments smaller than this are merged together when idle (an edit commits one segment).
SMALL_SEGMENT_DOCS = 1000
SMALL_SEGMENTS_TO_MERGE = 6

#: Characters required before the ``*`` of a prefix search.
PREFIX_MIN_CHARS = 4

STATUSES = ("unread", "queued", "reading", "read", "skipped")
HAS_VALUES = ("code", "note", "project")
SORTS = ("relevance", "date", "votes")

_STATE_FILE = "digestdesk-index.json"
_INDEX_NAME_RE = re.compile(r"ix[0-9a-f]{8}")

# --------------------------------------------------------------------------------------------
# Schema


_TEXT_ANALYZER = StemmingAnalyzer()
# Names are not stemmed ("Jones" is not "Jone") but accents fold so "Muller" finds "Müller".
_NAME_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


def make_schema() -> Schema:
    """The Whoosh schema of :data:`INDEX_VERSION`."""
    return Schema(
        # Numbers are indexed as few terms as their queries need (Whoosh's default shift_step=4
        # writes 16 terms per 64-bit value): id is only looked up exactly, year has few values.
        id=NUMERIC(numtype=int, bits=64, stored=True, unique=True, sortable=True, shift_step=0),
        title=TEXT(analyzer=_TEXT_ANALYZER, stored=True),
        abstract=TEXT(analyzer=_TEXT_ANALYZER, stored=True),
        keywords=TEXT(analyzer=_TEXT_ANALYZER, stored=True),
        ai_summary=TEXT(analyzer=_TEXT_ANALYZER, stored=True),
        authors=TEXT(analyzer=_NAME_ANALYZER),
        note=TEXT(analyzer=_TEXT_ANALYZER, stored=True),
        # keywords + ai_summary + note again, so a plain word is looked up in four posting
        # lists (title, abstract, extra, authors) instead of six: twice as fast at 10k+
        extra=TEXT(analyzer=_TEXT_ANALYZER),
        status=ID,
        tags=KEYWORD(commas=True, lowercase=True),
        year=NUMERIC(numtype=int, bits=32, shift_step=0),
        # yyyymmdd; the column default (no date) sorts last when sorting newest first
        published=NUMERIC(numtype=int, bits=32, sortable=True, default=0, shift_step=8),
        votes=NUMERIC(numtype=int, bits=32, sortable=True, shift_step=8),
        has=KEYWORD(lowercase=True),
        digests=KEYWORD,  # ISO dates, so TermRange orders them correctly
        arxiv=ID,
    )


SCHEMA = make_schema()

#: Fields searched by a word without a field, with their boosts.
DEFAULT_FIELDS: tuple[tuple[str, float], ...] = (
    ("title", 2.0),
    ("abstract", 1.0),
    ("extra", 1.0),  # keywords, ai_summary and note
    ("authors", 1.0),
)
#: Index fields whose matches are highlighted under another field's name.
_HIGHLIGHT_AS = {"extra": ("keywords", "ai_summary", "note")}

#: Query-language field name -> index field, for text fields.
_TEXT_FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "author": "authors",
    "authors": "authors",
    "keyword": "keywords",
    "keywords": "keywords",
    "summary": "ai_summary",
    "note": "note",
}
#: Query-language field name -> :class:`Filter` field.
_FILTER_FIELDS = {
    "status": "status",
    "tag": "tag",
    "tags": "tag",
    "year": "year",
    "date": "date",
    "votes": "votes",
    "has": "has",
    "digest": "digest",
    "arxiv": "arxiv",
}
_FIELD_LIST = (
    "title, abstract, author, keyword, summary, note, status, tag, year, date, votes, has, "
    "digest, arxiv, sort"
)
_STEMMED_FIELDS = frozenset({"title", "abstract", "keywords", "ai_summary", "note", "extra"})


# --------------------------------------------------------------------------------------------
# Contract types


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
class Filter:
    """A condition the library evaluates in SQL (fast, always current)."""

    field: str  # "status" | "tag" | "year" | "date" | "votes" | "has" | "digest" | "arxiv"
    op: str  # "=", ">", ">=", "<", "<=", "range"
    value: object  # str | int | date | (lo, hi) inclusive for "range"
    negate: bool = False


@dataclass
class QueryPlan:
    """A parsed query: Whoosh text part, SQL filters, highlight terms and sort order.

    ``terms`` holds ``(index field, analysed word)`` pairs; a word ending in ``*`` is a prefix
    and one ending in ``~N`` a fuzzy word with at most N edits.
    """

    text: wq.Query | None
    filters: list[Filter]
    terms: list[tuple[str, str]]
    sort: str
    raw: str


@dataclass
class Hit:
    id: int
    score: float


@dataclass
class IndexState:
    version: int
    library_uuid: str
    last_seq: int
    doc_count: int


# --------------------------------------------------------------------------------------------
# Query language: tokens


@dataclass
class _Token:
    kind: str  # "(" ")" AND OR NOT MINUS FIELD WORD PHRASE END
    text: str
    pos: int


_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token(c, c, i))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f'Unbalanced quote: the " at position {i + 1} is never closed.', i)
            tokens.append(_Token("PHRASE", text[i + 1 : end], i))
            i = end + 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace():
            if c == "-":
                tokens.append(_Token("MINUS", c, i))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            chunk = text[i:j]
            m = _FIELD_RE.fullmatch(chunk)
            if chunk in _OPERATORS:
                tokens.append(_Token(chunk, chunk, i))
            elif m:
                name, rest = m.group(1), m.group(2)
                tokens.append(_Token("FIELD", name, i))
                if rest:
                    tokens.append(_Token("WORD", rest, i + len(name) + 1))
                elif j >= n or text[j] not in '("':
                    raise QueryError(
                        f"{name}: needs a value right after the colon (e.g. {name}:something).",
                        i,
                    )
            else:
                tokens.append(_Token("WORD", chunk, i))
            i = j
    tokens.append(_Token("END", "", n))
    return tokens


# --------------------------------------------------------------------------------------------
# Query language: syntax tree


@dataclass
class _Text:
    field: str | None  # index field, None for the default fields
    kind: str  # word | phrase | prefix | fuzzy
    value: str
    pos: int
    maxdist: int = 1


@dataclass
class _FilterNode:
    filter: Filter
    pos: int


@dataclass
class _Sort:
    value: str
    pos: int


@dataclass
class _Not:
    child: _Node
    pos: int


@dataclass
class _And:
    children: list[_Node]


@dataclass
class _Or:
    children: list[_Node]


_Node = _Text | _FilterNode | _Sort | _Not | _And | _Or


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := (NOT | -) unary | primary; primary := ( or ) | FIELD value | WORD | PHRASE."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> _Node | None:
        if self.peek().kind == "END":
            return None
        node = self.parse_or(None, None)
        tok = self.peek()
        if tok.kind == ")":
            raise QueryError(
                f"Unbalanced parentheses: the ) at position {tok.pos + 1} has no matching (.",
                tok.pos,
            )
        return node

    def parse_or(self, ctx: str | None, after: _Token | None) -> _Node:
        items = [self.parse_and(ctx, after)]
        while self.peek().kind == "OR":
            op = self.take()
            items.append(self.parse_and(ctx, op))
        return items[0] if len(items) == 1 else _Or(items)

    def parse_and(self, ctx: str | None, after: _Token | None) -> _Node:
        items = [self.parse_unary(ctx, after)]
        while True:
            tok = self.peek()
            if tok.kind in ("OR", ")", "END"):
                break
            if tok.kind == "AND":
                self.take()
                items.append(self.parse_unary(ctx, tok))
            else:
                items.append(self.parse_unary(ctx, None))
        return items[0] if len(items) == 1 else _And(items)

    def parse_unary(self, ctx: str | None, after: _Token | None) -> _Node:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            return _Not(self.parse_unary(ctx, tok), tok.pos)
        if tok.kind == "MINUS":
            self.take()
            return _Not(self.parse_unary(ctx, tok), tok.pos)
        return self.parse_primary(ctx, after)

    def _missing(self, tok: _Token, after: _Token | None) -> QueryError:
        if after is not None and after.kind in ("AND", "OR", "NOT", "MINUS", "FIELD"):
            what = {"MINUS": "-", "FIELD": after.text + ":"}.get(after.kind, after.kind)
            return QueryError(
                f"{what} at position {after.pos + 1} needs something after it.", after.pos
            )
        if tok.kind in ("AND", "OR"):
            return QueryError(
                f"{tok.kind} at position {tok.pos + 1} needs something before it.", tok.pos
            )
        if tok.kind == ")":
            return QueryError(
                f"Unbalanced parentheses: the ) at position {tok.pos + 1} has no matching (.",
                tok.pos,
            )
        return QueryError("The query ends too early.", tok.pos)

    def parse_primary(self, ctx: str | None, after: _Token | None) -> _Node:
        tok = self.peek()
        if tok.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise QueryError(f"Empty parentheses at position {tok.pos + 1}.", tok.pos)
            if self.peek().kind == "END":
                raise self._unclosed(tok)
            node = self.parse_or(ctx, None)
            if self.peek().kind != ")":
                raise self._unclosed(tok)
            self.take()
            return node
        if tok.kind == "FIELD":
            self.take()
            name = tok.text.lower()
            if name == "sort":
                value = self.peek()
                if value.kind not in ("WORD", "PHRASE"):
                    raise self._missing(value, tok)
                self.take()
                choice = value.text.lower()
                if choice not in SORTS:
                    raise QueryError(
                        f"sort:{value.text}: unknown order (use sort:relevance, sort:date or "
                        "sort:votes).",
                        tok.pos,
                    )
                return _Sort(choice, tok.pos)
            if name not in _TEXT_FIELDS and name not in _FILTER_FIELDS:
                raise QueryError(f"Unknown field {tok.text}: (fields are {_FIELD_LIST}).", tok.pos)
            nxt = self.peek()
            if nxt.kind == "(":
                return self.parse_primary(name, tok)
            if nxt.kind in ("WORD", "PHRASE"):
                self.take()
                return _leaf(name, nxt, tok.pos)
            raise self._missing(nxt, tok)
        if tok.kind in ("WORD", "PHRASE"):
            self.take()
            return _leaf(ctx, tok, tok.pos)
        raise self._missing(tok, after)

    @staticmethod
    def _unclosed(tok: _Token) -> QueryError:
        return QueryError(
            f"Unbalanced parentheses: the ( at position {tok.pos + 1} is never closed.", tok.pos
        )


_FUZZY_RE = re.compile(r"(.+?)~(\d*)")


def _leaf(name: str | None, tok: _Token, field_pos: int) -> _Node:
    """A word or phrase, in the query field ``name`` (None: the default fields)."""
    if name is not None and name in _FILTER_FIELDS:
        flt = _parse_filter(_FILTER_FIELDS[name], name, tok.text, field_pos)
        return _FilterNode(flt, field_pos)
    index_field = _TEXT_FIELDS[name] if name is not None else None
    if tok.kind == "PHRASE":
        return _Text(index_field, "phrase", tok.text, tok.pos)
    word = tok.text
    fuzzy = _FUZZY_RE.fullmatch(word)
    if fuzzy:
        digits = fuzzy.group(2)
        if digits and (not digits.isascii() or int(digits) not in (1, 2)):
            raise QueryError(
                f"{word}: fuzzy search allows 1 or 2 edits ({fuzzy.group(1)}~ or "
                f"{fuzzy.group(1)}~2).",
                tok.pos,
            )
        base = fuzzy.group(1)
        if "*" in base or "~" in base:
            raise QueryError(f"{word}: a word cannot be both fuzzy and a prefix.", tok.pos)
        return _Text(index_field, "fuzzy", base, tok.pos, int(digits) if digits else 1)
    if "*" in word or "?" in word:
        stem = word[:-1]
        if not word.endswith("*") or "*" in stem or "?" in stem:
            raise QueryError(
                f"{word}: a wildcard is only allowed at the end of a word (e.g. transf*).",
                tok.pos,
            )
        if len(stem) < PREFIX_MIN_CHARS:
            raise QueryError(
                f"{word}: type at least {PREFIX_MIN_CHARS} characters before * "
                "(shorter prefixes match too many words).",
                tok.pos,
            )
        return _Text(index_field, "prefix", stem, tok.pos)
    return _Text(index_field, "word", word, tok.pos)


# --------------------------------------------------------------------------------------------
# Filters


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INT_RE = re.compile(r"\d+", re.ASCII)
_ORDERED = frozenset({"year", "date", "votes", "digest"})
_ARXIV_VERSION_RE = re.compile(r"v\d+$")


def _parse_filter(field_name: str, query_name: str, raw: str, pos: int) -> Filter:
    """Validate ``query_name:raw`` and turn it into a :class:`Filter` (raises QueryError)."""
    shown = f"{query_name}:{raw}"
    op, rest = "=", raw.strip()
    for candidate in (">=", "<=", ">", "<", "="):
        if rest.startswith(candidate):
            op, rest = candidate, rest[len(candidate) :].strip()
            break
    lo_raw = hi_raw = None
    if op == "=" and ".." in rest:
        lo_raw, _, hi_raw = rest.partition("..")
        lo_raw, hi_raw = lo_raw.strip(), hi_raw.strip()
        if not lo_raw and not hi_raw:
            raise QueryError(f"{shown}: a range needs at least one end (e.g. 2023..2025).", pos)
    if not rest:
        raise QueryError(f"{shown}: needs a value after the operator.", pos)
    if field_name not in _ORDERED and (op != "=" or lo_raw is not None):
        raise QueryError(f"{shown}: {query_name}: only matches exact values (no <, > or ..).", pos)

    if field_name == "status":
        value = rest.lower()
        if value not in STATUSES:
            raise QueryError(f"{shown}: not a status (use {', '.join(STATUSES)}).", pos)
        return Filter("status", "=", value)
    if field_name == "has":
        value = rest.lower()
        if value not in HAS_VALUES:
            raise QueryError(f"{shown}: unknown (use has:code, has:note or has:project).", pos)
        return Filter("has", "=", value)
    if field_name == "tag":
        value = rest.lower().replace(",", " ").strip()
        if not value:
            raise QueryError(f"{shown}: needs a tag name.", pos)
        return Filter("tag", "=", value)
    if field_name == "arxiv":
        value = _ARXIV_VERSION_RE.sub("", rest.lower().removeprefix("arxiv:"))
        return Filter("arxiv", "=", value)

    def convert(text: str) -> int | date:
        if field_name in ("date", "digest"):
            if _DATE_RE.fullmatch(text):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    pass
            raise QueryError(f"{shown}: not a date (use YYYY-MM-DD).", pos)
        if _INT_RE.fullmatch(text):
            number = int(text)
            if field_name == "year" and 1 <= number <= 9999:
                return number
            if field_name == "votes" and number < 2**31:
                return number
        if field_name == "year":
            raise QueryError(f"{shown}: not a year (use e.g. year:2024 or year:2023..2025).", pos)
        raise QueryError(f"{shown}: not a number of votes (use e.g. votes:>10).", pos)

    if lo_raw is not None and hi_raw is not None:
        if not lo_raw:
            return Filter(field_name, "<=", convert(hi_raw))
        if not hi_raw:
            return Filter(field_name, ">=", convert(lo_raw))
        lo, hi = convert(lo_raw), convert(hi_raw)
        if lo > hi:  # type: ignore[operator]
            raise QueryError(f"{shown}: the range is backwards (put the smaller end first).", pos)
        return Filter(field_name, "range", (lo, hi))
    return Filter(field_name, op, convert(rest))


def _yyyymmdd(value: date) -> int:
    return value.year * 10000 + value.month * 100 + value.day


def filter_query(flt: Filter) -> wq.Query:
    """The Whoosh query equivalent to ``flt`` (used when a filter is nested in OR)."""
    if flt.field in ("status", "tag", "has", "arxiv"):
        fieldname = {"tag": "tags"}.get(flt.field, flt.field)
        q: wq.Query = wq.Term(fieldname, str(flt.value))
    elif flt.field == "digest":

        def iso(v: object) -> str:
            assert isinstance(v, date)
            return v.isoformat()

        if flt.op == "=":
            q = wq.Term("digests", iso(flt.value))
        else:
            lo, hi, lo_ex, hi_ex = _bounds(flt)
            q = wq.TermRange(
                "digests",
                None if lo is None else iso(lo),
                None if hi is None else iso(hi),
                startexcl=lo_ex,
                endexcl=hi_ex,
            )
    else:
        fieldname = {"date": "published"}.get(flt.field, flt.field)
        lo, hi, lo_ex, hi_ex = _bounds(flt)

        def num(v: object) -> int | None:
            if v is None:
                return None
            return _yyyymmdd(v) if isinstance(v, date) else int(v)  # type: ignore[call-overload]

        q = wq.NumericRange(fieldname, num(lo), num(hi), startexcl=lo_ex, endexcl=hi_ex)
    return wq.Not(q) if flt.negate else q


def _bounds(flt: Filter) -> tuple[object, object, bool, bool]:
    v = flt.value
    if flt.op == "range":
        assert isinstance(v, tuple) and len(v) == 2
        return v[0], v[1], False, False
    return {
        "=": (v, v, False, False),
        ">": (v, None, True, False),
        ">=": (v, None, False, False),
        "<": (None, v, False, True),
        "<=": (None, v, False, False),
    }[flt.op]


# --------------------------------------------------------------------------------------------
# Syntax tree -> Whoosh


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
    if fieldname in _STEMMED_FIELDS and prefixes:
        for candidate in _stem_candidates(prefixes[0]):
            btext = candidate.encode("utf-8")
            if btext not in seen and (fieldname, btext) in reader:
                seen[btext] = reader.doc_frequency(fieldname, btext)
    return sorted(seen, key=lambda t: (-seen[t], t))[:limit]


def _analyzer(schema: Schema, fieldname: str) -> Callable[..., Iterable[Any]]:
    analyzer = schema[fieldname].analyzer
    assert analyzer is not None
    return analyzer  # type: ignore[no-any-return]


def _analyse(schema: Schema, fieldname: str, text: str) -> list[str]:
    return [t.text for t in _analyzer(schema, fieldname)(text)]


def _prefix_forms(fieldname: str, prefix: str) -> list[str]:
    """The prefixes to expand: the typed one and, in stemmed fields, its stem."""
    low = prefix.lower()
    if fieldname == "authors":
        return [low.translate(_ACCENTS)]
    forms = [low]
    stemmed = _STEM(low)
    if stemmed and stemmed != low and len(stemmed) >= PREFIX_MIN_CHARS:
        forms.append(stemmed)
    return forms


def _stem_candidates(prefix: str) -> list[str]:
    """Whole terms the typed prefix may have been stemmed down to ("learni" -> "learn")."""
    low = prefix.lower()
    return [low[:k] for k in range(max(PREFIX_MIN_CHARS, len(low) - 3), len(low))]


_ACCENTS = str.maketrans(accent_map)
_STEM = StemFilter().stemfn


class _Builder:
    """Turns the syntax tree into Whoosh queries and collects highlight terms."""

    def __init__(self, schema: Schema, reader: Any | None) -> None:
        self.schema = schema
        self.reader = reader
        self.terms: list[tuple[str, str]] = []

    def _record(self, pairs: Iterable[tuple[str, str]]) -> None:
        for fieldname, word in pairs:
            for name in _HIGHLIGHT_AS.get(fieldname, (fieldname,)):
                self.terms.append((name, word))

    def build(self, node: _Node, positive: bool = True) -> wq.Query | None:
        if isinstance(node, _Text):
            return self.text(node, positive)
        if isinstance(node, _FilterNode):
            return filter_query(node.filter)
        if isinstance(node, _Not):
            child = self.build(node.child, not positive)
            return None if child is None else wq.Not(child)
        if isinstance(node, _Or):
            subs = [q for q in (self.build(c, positive) for c in node.children) if q is not None]
            if not subs:
                return None
            return subs[0] if len(subs) == 1 else ArrayOr(subs)
        if isinstance(node, _And):
            pos: list[wq.Query] = []
            neg: list[wq.Query] = []
            for part in node.children:
                if isinstance(part, _Not):
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
        raise AssertionError(f"unexpected node {node!r}")  # _Sort nodes are removed earlier

    def text(self, node: _Text, positive: bool) -> wq.Query | None:
        fields = [(node.field, 1.0)] if node.field else list(DEFAULT_FIELDS)
        # A stop word ("for", "a") is not indexed in text fields; searching it in the
        # unstemmed author names alone would make "learning for graphs" require an
        # author called "For".
        if (
            node.field is None
            and node.kind != "prefix"
            and not _analyse(self.schema, "title", node.value)
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
        self, node: _Text, fieldname: str, boost: float, positive: bool
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
        words = _analyse(self.schema, fieldname, node.value)
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
            self._record((fieldname, w) for w in words)
        if len(words) == 1:
            return wq.Term(fieldname, words[0], boost=boost)
        return wq.Phrase(fieldname, words, boost=boost)


def _strip_sorts(node: _Node, sorts: list[_Sort], negated: bool = False) -> _Node | None:
    if isinstance(node, _Sort):
        if negated:
            raise QueryError(f"sort:{node.value} cannot be negated.", node.pos)
        sorts.append(node)
        return None
    if isinstance(node, _Not):
        child = _strip_sorts(node.child, sorts, not negated)
        return None if child is None else _Not(child, node.pos)
    if isinstance(node, _And | _Or):
        kept = [k for k in (_strip_sorts(c, sorts, negated) for c in node.children) if k]
        if not kept:
            return None
        if len(kept) == 1:
            return kept[0]
        return type(node)(kept)
    return node


def _as_filter(node: _Node) -> Filter | None:
    if isinstance(node, _FilterNode):
        return node.filter
    if isinstance(node, _Not) and isinstance(node.child, _FilterNode):
        inner = node.child.filter
        return Filter(inner.field, inner.op, inner.value, negate=not inner.negate)
    return None


def parse_query(
    text: str,
    *,
    schema: Schema = SCHEMA,
    default_sort: str = "relevance",
    reader: Any | None = None,
) -> QueryPlan:
    """Parse the search bar's text into a :class:`QueryPlan`.

    With a ``reader`` (an open Whoosh reader), ``prefix*`` words are expanded now and their
    expansions reported in ``terms``; without one they expand when searched.
    Raises :class:`QueryError` (and nothing else) for malformed queries; its ``position`` is
    the 0-based index in ``text`` of the part at fault (messages count from 1).
    """
    if default_sort not in SORTS:
        raise ValueError(f"default_sort must be one of {SORTS}, not {default_sort!r}")
    try:
        tree = _Parser(_tokenize(text)).parse()
    except RecursionError:
        raise QueryError("The query nests too deeply.", None) from None
    sorts: list[_Sort] = []
    if tree is not None:
        tree = _strip_sorts(tree, sorts)
    sort = sorts[-1].value if sorts else default_sort

    filters: list[Filter] = []
    rest: list[_Node] = []
    if tree is not None:
        for child in tree.children if isinstance(tree, _And) else [tree]:
            flt = _as_filter(child)
            if flt is not None:
                filters.append(flt)
            else:
                rest.append(child)

    builder = _Builder(schema, reader)
    whoosh_query: wq.Query | None = None
    if rest:
        remaining = rest[0] if len(rest) == 1 else _And(rest)
        whoosh_query = builder.build(remaining)
        if whoosh_query is None:
            # Only stop words ("the", "of"): they are not indexed, so nothing matches. Returning
            # None would instead mean "no text condition" and list the whole library.
            whoosh_query = wq.NullQuery
    return QueryPlan(whoosh_query, filters, builder.terms, sort, text)


# --------------------------------------------------------------------------------------------
# Highlighting


_LEVENSHTEIN_LIMIT = 3


def _within(a: str, b: str, maxdist: int) -> bool:
    if abs(len(a) - len(b)) > maxdist:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > maxdist:
            return False
        prev = cur
    return prev[-1] <= maxdist


class _Matcher:
    """Decides whether an analysed token is one the user searched for."""

    def __init__(self, words: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        self.fuzzy: list[tuple[str, int]] = []
        for w in words:
            if w.endswith("*"):
                self.prefixes.append(w[:-1])
            elif (m := re.fullmatch(r"(.+)~(\d)", w)) is not None:
                self.fuzzy.append((m.group(1), min(int(m.group(2)), _LEVENSHTEIN_LIMIT)))
            else:
                self.exact.add(w)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.fuzzy)

    @property
    def exact_only(self) -> bool:
        return not self.prefixes and not self.fuzzy

    def __call__(self, token: str) -> bool:
        if token in self.exact:
            return True
        if self.exact_only:
            return False
        if any(token.startswith(p) for p in self.prefixes):
            return True
        # the stem a prefix was matched through ("tokeniz*" finds the stem "token")
        if any(p.startswith(token) and token in _stem_candidates(p) for p in self.prefixes):
            return True
        return any(token[:1] == w[:1] and _within(token, w, d) for w, d in self.fuzzy)


_TOKEN_RE = re.compile(tokenizers.default_pattern)
_STOP_WORDS = frozenset(STOP_WORDS)
_stem_cached = functools.lru_cache(maxsize=50_000)(_STEM)


def matching_spans(fieldname: str, text: str, matcher: _Matcher) -> list[tuple[int, int]]:
    """(start, end) of the words of ``text`` that ``matcher`` accepts once analysed as
    ``fieldname`` analyses them. For the stemmed fields this is the text analyzer's own
    pipeline (tokenize, lowercase, drop stop words and one-letter words, stem) written as one
    loop, five times faster than running the analyzer's generators (a test keeps them equal)."""
    if fieldname not in _STEMMED_FIELDS:
        return [
            (t.startchar, t.endchar)
            for t in _analyzer(SCHEMA, fieldname)(text, chars=True, mode="index")
            if matcher(t.text)
        ]
    spans = []
    stem, stop, exact = _stem_cached, _STOP_WORDS, matcher.exact
    accepts = exact.__contains__ if matcher.exact_only else matcher
    for m in _TOKEN_RE.finditer(text):
        word = m.group().lower()
        if len(word) < 2 or word in stop:
            continue
        if accepts(stem(word)):
            spans.append(m.span())
    return spans


def highlight_text(
    text: str, spans: list[tuple[int, int]], *, top: int = 2, context: int = 80
) -> str:
    """HTML for the ``top`` best fragments of ``text`` with ``<b>`` around ``spans``.

    Everything outside the tags is escaped, so the result is safe to render as rich text.
    """
    if not spans:
        return ""
    if len(text) <= 2 * context + 80:
        windows = [(0, len(text), spans)]
    else:
        windows = []
        for start, end in spans:
            lo, hi = max(0, start - context), min(len(text), end + context)
            if windows and lo <= windows[-1][1]:
                w_lo, _, w_spans = windows[-1]
                windows[-1] = (w_lo, max(hi, windows[-1][1]), [*w_spans, (start, end)])
            else:
                windows.append((lo, hi, [(start, end)]))
        best = sorted(
            windows,
            key=lambda w: (-len({text[s:e].lower() for s, e in w[2]}), -len(w[2]), w[0]),
        )
        windows = sorted(best[:top])
    parts: list[str] = []
    for lo, hi, w_spans in windows:
        lo, hi = _word_bounds(text, lo, hi)
        out = ["…" if lo > 0 else ""]
        cursor = lo
        for start, end in w_spans:
            start, end = max(start, cursor), min(end, hi)
            if start >= end:
                continue
            out.append(html.escape(text[cursor:start]))
            out.append("<b>" + html.escape(text[start:end]) + "</b>")
            cursor = end
        out.append(html.escape(text[cursor:hi]))
        out.append("…" if hi < len(text) else "")
        parts.append("".join(out).strip())
    return " ".join(parts)


def _word_bounds(text: str, lo: int, hi: int) -> tuple[int, int]:
    if lo > 0:
        space = text.find(" ", lo)
        if 0 <= space < lo + 20:
            lo = space + 1
    if hi < len(text):
        space = text.rfind(" ", hi - 20, hi)
        if space > lo:
            hi = space
    return lo, hi


# --------------------------------------------------------------------------------------------
# The index


def _doc_fields(doc: IndexDoc) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": int(doc.id),
        "title": doc.title or "",
        "abstract": doc.abstract or "",
        "status": doc.status or "unread",
        "votes": int(doc.votes or 0),
    }
    if doc.keywords:
        fields["keywords"] = "\n".join(doc.keywords)
    if doc.ai_summary:
        fields["ai_summary"] = doc.ai_summary
    if doc.authors:
        fields["authors"] = "\n".join(doc.authors)
    if doc.note:
        fields["note"] = doc.note
    extra = "\n".join(t for t in (fields.get("keywords"), doc.ai_summary, doc.note) if t)
    if extra:
        fields["extra"] = extra
    tags = [t.replace(",", " ").strip().lower() for t in doc.tags]
    if any(tags):
        fields["tags"] = ",".join(t for t in tags if t)
    if doc.published is not None:
        fields["year"] = doc.published.year
        fields["published"] = _yyyymmdd(doc.published)
    if doc.has:
        fields["has"] = " ".join(doc.has)
    if doc.digests:
        fields["digests"] = " ".join(d.isoformat() for d in doc.digests)
    if doc.arxiv_id:
        fields["arxiv"] = _ARXIV_VERSION_RE.sub("", doc.arxiv_id.lower())
    return fields


_ID_SHIFT = to_sortable(int, 64, True, 0)


def _id_column(leaf: Any) -> array[int]:
    """Entry ids by docnum of one segment, read from the id column in one go (the column
    holds Whoosh's sortable form: the value plus a fixed shift for signed numbers). An array,
    not a list: a long-lived list of 100k ints is 100k references for every full garbage
    collection to walk, on whichever thread it runs (the GUI thread, in the app)."""
    raw = load_numeric_column(leaf, "id")
    if raw is None:
        return array("q", leaf.column_reader("id", translate=True))
    return array("q", [v - _ID_SHIFT for v in raw])


_OPEN_ERRORS: tuple[type[BaseException], ...] = (
    whoosh_index.IndexError,  # includes EmptyIndexError, IndexVersionError
    OSError,
    EOFError,
    pickle.UnpicklingError,
    ValueError,
    KeyError,
    AttributeError,
    ImportError,
    IndexError,
    TypeError,
    UnicodeDecodeError,
)


class _IdMap:
    """Entry id by global docnum (-1 for deleted documents) for one index generation, and
    the reverse map, built on first use (a word search without filters never needs it)."""

    def __init__(self, key: tuple[Any, ...], id_of: array[int], deleted: frozenset[int]) -> None:
        self.key = key
        self.id_of = id_of
        self.deleted = deleted  # global docnums of deleted documents
        self._docnum_of: dict[int, int] | None = None
        self.orders: dict[str, array[int]] = {}  # column -> docnums by it, descending

    @property
    def docnum_of(self) -> dict[int, int]:
        if self._docnum_of is None:  # two threads may both build it: same result
            self._docnum_of = {e: d for d, e in enumerate(self.id_of) if e >= 0}
        return self._docnum_of


def _write_batches(
    ix: Any,
    docs: Iterable[IndexDoc],
    *,
    replace: bool,
    total: int | None,
    progress: Callable[[int, int | None], None] | None,
    cancelled: Callable[[], bool] | None = None,
) -> int | None:
    """Stream ``docs`` into ``ix``, one writer per :data:`REBUILD_BATCH` documents, each
    committed with ``merge=False`` (bounded memory; no merging on every commit). Returns how
    many were written, or None when ``cancelled()`` turned true (the open batch is dropped)."""
    writer = None
    done = 0
    try:
        for doc in docs:
            if cancelled is not None and done % 256 == 0 and cancelled():
                if writer is not None:
                    writer.cancel()
                    writer = None
                return None
            if writer is None:
                writer = ix.writer(compound=False, limitmb=BULK_LIMIT_MB)
            if replace:
                writer.update_document(**_doc_fields(doc))
            else:
                writer.add_document(**_doc_fields(doc))
            done += 1
            committing = done % REBUILD_BATCH == 0
            if committing:
                writer.commit(merge=False)
                writer = None
            if progress is not None and (committing or done % PROGRESS_EVERY == 0):
                progress(done, total)
        if writer is not None:
            writer.commit(merge=False)
            writer = None
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    return done


def _merge_small_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy: every segment under :data:`SMALL_SEGMENT_DOCS` into one."""
    from whoosh.reading import SegmentReader

    small = [seg for seg in segments if seg.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) < 2:
        return segments
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg.doc_count_all() >= SMALL_SEGMENT_DOCS]


def _reader_reusing(ix: Any, previous: Any) -> Any:
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


class SearchIndex:
    """The Whoosh index in ``directory``, kept in step with the library's change sequence.

    Searching is safe from any thread (each call opens and closes its own searcher); writing
    (create, rebuild, update, optimize) is serialised by a lock and meant for the writer thread.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._write_lock = threading.Lock()
        self._map_lock = threading.Lock()
        self._ix: Any | None = None
        self._ix_lock = threading.Lock()
        self._id_map: _IdMap | None = None
        self._columns = SegmentCache(directory=self.directory)
        self._local = threading.local()
        self._epoch = 0
        self._searchers: set[Searcher] = set()
        self._searchers_lock = threading.Lock()

    # -- state -------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.directory / _STATE_FILE

    def _read_sidecar(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("Search index state file %s unreadable: %s", self._state_path, exc)
            return None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("version"), int)
            or not isinstance(data.get("library_uuid"), str)
            or not isinstance(data.get("last_seq"), int)
            or not isinstance(data.get("indexname"), str)
            or not _INDEX_NAME_RE.fullmatch(data["indexname"])
        ):
            log.warning("Search index state file %s malformed: %r", self._state_path, data)
            return None
        return data

    def _write_sidecar(self, library_uuid: str, last_seq: int, indexname: str) -> None:
        data = {
            "version": INDEX_VERSION,
            "library_uuid": library_uuid,
            "last_seq": last_seq,
            "indexname": indexname,
        }
        tmp = self._state_path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._state_path)

    def state(self) -> IndexState | None:
        """What the index holds, or None when it must be rebuilt (and why is logged)."""
        if not self.directory.is_dir():
            return None
        data = self._read_sidecar()
        if data is None:
            return None
        if data["version"] != INDEX_VERSION:
            log.info("Search index version %s, want %s", data["version"], INDEX_VERSION)
            return None
        try:
            ix = self._index(data["indexname"])
            with ix.reader() as reader:
                count = reader.doc_count()
                if "id" not in reader.schema or (count and not reader.has_column("id")):
                    log.warning("Search index at %s has another schema", self.directory)
                    return None
        except SearchIndexUnavailableError:
            return None
        except _OPEN_ERRORS as exc:
            log.warning("Search index at %s cannot be read: %r", self.directory, exc)
            self._forget()
            return None
        return IndexState(INDEX_VERSION, data["library_uuid"], data["last_seq"], count)

    # -- opening -----------------------------------------------------------------------------

    def _index(self, indexname: str | None = None) -> Any:
        """The Whoosh index the state file names (a rebuild switches to a new name)."""
        if indexname is None:
            data = self._read_sidecar()
            if data is None:
                raise SearchIndexUnavailableError(
                    "The search index is missing or damaged; it is being rebuilt."
                )
            indexname = str(data["indexname"])
        with self._ix_lock:
            if self._ix is None or self._ix.indexname != indexname:
                try:
                    self._ix = whoosh_index.open_dir(
                        str(self.directory), indexname=indexname, schema=SCHEMA
                    )
                except _OPEN_ERRORS as exc:
                    log.warning("Search index at %s cannot be opened: %r", self.directory, exc)
                    raise SearchIndexUnavailableError(
                        "The search index is missing or damaged; it is being rebuilt."
                    ) from exc
            return self._ix

    def _forget(self) -> None:
        with self._ix_lock:
            self._ix = None
            self._epoch += 1  # every thread's searcher is replaced at its next search
        with self._map_lock:
            self._id_map = None

    @contextlib.contextmanager
    def _searcher(self) -> Iterator[Any]:  # a Searcher (its reader methods are added at run time)
        """This thread's searcher of the current index generation.

        Opening a searcher opens every segment's term tables (about 7 ms at 100k entries in
        20 segments), so each thread keeps its own between searches and opens a new one when
        a commit, a rebuild or a repair changed the index. A searcher is never shared between
        threads (Whoosh's readers are not thread-safe), and one that failed is dropped."""
        local = self._local
        try:
            ix = self._index()
            key = (self._epoch, ix.indexname, ix.latest_generation())
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
                    opened = Searcher(_reader_reusing(ix, previous.reader()), fromindex=ix)
                else:
                    self._drop_thread_searcher()
                    opened = ix.searcher()
                with self._searchers_lock:
                    self._searchers.add(opened)
                local.searcher, local.key = opened, key
            searcher = local.searcher
        except SearchIndexUnavailableError:
            raise
        except _OPEN_ERRORS as exc:
            log.warning("Search index at %s cannot be searched: %r", self.directory, exc)
            self._forget()
            raise SearchIndexUnavailableError(
                "The search index is missing or damaged; it is being rebuilt."
            ) from exc
        try:
            yield searcher
        except BaseException:
            self._drop_thread_searcher()
            raise

    def _drop_thread_searcher(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        self._local.searcher = None
        if searcher is not None:
            with self._searchers_lock:
                self._searchers.discard(searcher)
            searcher.close()

    def _close_searchers(self) -> None:
        """Close every thread's searcher (when the index is closed: no search runs then)."""
        with self._searchers_lock:
            searchers, self._searchers = self._searchers, set()
        for searcher in searchers:
            searcher.close()

    # -- writing -----------------------------------------------------------------------------

    # A (re)build writes a new index under a fresh name next to the current one and switches
    # the state file to it at the end. Until then searches keep using the complete old index
    # (not a half-built one), a cancelled or failed build leaves the old index as it was, and
    # files that a searcher still holds open are never deleted under it (Windows refuses).

    def _start_new(self) -> tuple[str, Any]:
        self.directory.mkdir(parents=True, exist_ok=True)
        indexname = "ix" + secrets.token_hex(4)
        return indexname, whoosh_index.create_in(str(self.directory), SCHEMA, indexname=indexname)

    def _switch_to(self, indexname: str, library_uuid: str, last_seq: int) -> None:
        self._write_sidecar(library_uuid, last_seq, indexname)
        self._forget()
        self._remove_files(keep=indexname)

    def _remove_files(self, *, keep: str | None = None, only: str | None = None) -> None:
        """Delete index files other than ``keep``'s (or only ``only``'s). Plain files only: a
        Whoosh index is flat, and this never recurses into anything a wrong path points at."""
        for child in self.directory.iterdir():
            name = child.name
            if name in (_STATE_FILE, _STATE_FILE + ".tmp") or not (
                child.is_file() or child.is_symlink()
            ):
                continue
            owner = name.lstrip("_").split("_", 1)[0]
            if (keep is not None and owner == keep) or (only is not None and owner != only):
                continue
            try:
                child.unlink()
            except OSError as exc:  # still open in a searcher (Windows): removed next time
                log.debug("Could not remove old index file %s: %s", child, exc)

    def create(self, library_uuid: str) -> None:
        """Replace the index with an empty one at :data:`INDEX_VERSION`."""
        with self._write_lock:
            indexname, _ = self._start_new()
            self._switch_to(indexname, library_uuid, 0)

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
        """Build a new index from ``docs`` and switch to it at the end.

        Searches meanwhile use the previous index, if there is a usable one. If ``cancelled()``
        turns true the new index is dropped and the previous one (or none) stays in place."""
        with self._write_lock:
            indexname, ix = self._start_new()
            try:
                done = _write_batches(
                    ix, docs, replace=False, total=total, progress=progress, cancelled=cancelled
                )
            except BaseException:
                self._remove_files(only=indexname)
                raise
            if done is None:
                log.info("Search index rebuild cancelled")
                self._remove_files(only=indexname)
                return
            self._switch_to(indexname, library_uuid, last_seq)
            self._write_postings_files()
            if progress is not None:
                progress(done, total)
            log.info("Search index rebuilt: %d entries, seq %d", done, last_seq)

    def update(
        self, docs: Sequence[IndexDoc], *, deleted: Sequence[int] = (), last_seq: int
    ) -> None:
        """Replace ``docs`` and remove ``deleted`` ids in one commit, then record ``last_seq``."""
        with self._write_lock:
            data = self._read_sidecar()
            if data is None or data["version"] != INDEX_VERSION:
                raise SearchIndexUnavailableError(
                    "The search index is missing or damaged; it is being rebuilt."
                )
            if docs or deleted:
                ix = self._index(data["indexname"])
                # An edit's tiny segment goes in one compound file: thirteen files created per
                # commit (a column per field) were 14 ms of a 30 ms note edit at 100k here. The
                # compound file's copy in memory that made compound=False the rule is a few KB
                # for these; merge_small() rewrites them as one plain segment.
                writer = ix.writer(compound=len(docs) < SMALL_SEGMENT_DOCS)
                try:
                    wanted = {int(doc.id) for doc in docs} | {int(i) for i in deleted}
                    docnum_of = self._writer_docnums(writer, wanted)
                    if docnum_of is None:  # a segment not seen yet: let Whoosh look them up
                        for doc in docs:
                            writer.update_document(**_doc_fields(doc))
                        for entry_id in deleted:
                            writer.delete_by_term("id", int(entry_id))
                    else:
                        # The ids' documents are known: delete them by number instead of
                        # Whoosh opening every segment to find the id term (a third of an
                        # edit's time at 10k).
                        for docnum in docnum_of.values():
                            writer.delete_document(docnum)
                        for doc in docs:
                            writer.add_document(**_doc_fields(doc))
                except BaseException:
                    writer.cancel()
                    raise
                # No merging here: Whoosh's default merges small segments on every few
                # commits (240-360 ms at 10k, the edit's p95); merge_small() does it when idle.
                segment = writer.newsegment
                writer.commit(merge=False)
                if docs:
                    # The new segment's ids are the docs' in order: known without reading
                    # them back, so the next edit finds its documents by number even when no
                    # search read this generation (a status search is answered by the
                    # database): Whoosh's lookup by id term took 30-60 ms at 100k.
                    self._columns.remember_ids(segment.segment_id(), [int(d.id) for d in docs])
            self._write_sidecar(data["library_uuid"], last_seq, data["indexname"])

    def _writer_docnums(self, writer: Any, wanted: set[int]) -> dict[int, int] | None:
        """Docnums of the live documents of the ``wanted`` entry ids in ``writer``'s segments,
        from the id lists cached per segment, or None when a segment's ids were never read."""
        found: dict[int, int] = {}
        base = 0
        for segment in writer.segments:
            values = self._columns.ids_of(segment.segment_id())
            if values is None or len(values) != segment.doc_count_all():
                return None
            deleted = set(segment.deleted_docs()) if segment.has_deletions() else set()
            if len(wanted) <= 64:  # a few edits: C-level scans of the id list
                for entry_id in wanted:
                    start = 0
                    while True:
                        try:
                            docnum = values.index(entry_id, start)
                        except ValueError:
                            break
                        if docnum not in deleted:
                            found[entry_id] = base + docnum
                            break
                        start = docnum + 1
            else:
                for docnum, entry_id in enumerate(values):
                    if entry_id in wanted and docnum not in deleted:
                        found[entry_id] = base + docnum
            base += segment.doc_count_all()
        return found

    def update_many(
        self,
        docs: Iterable[IndexDoc],
        *,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Bulk version of :meth:`update` for large imports: streams ``docs`` through one
        writer at a time, committing every :data:`REBUILD_BATCH` documents with ``merge=False``
        (bounded memory, no merging of the growing index on every commit). ``last_seq`` is
        recorded only at the end, so an interrupted run is caught up again, without duplicates
        since documents are replaced by id."""
        with self._write_lock:
            data = self._read_sidecar()
            if data is None or data["version"] != INDEX_VERSION:
                raise SearchIndexUnavailableError(
                    "The search index is missing or damaged; it is being rebuilt."
                )
            ix = self._index(data["indexname"])
            try:
                done = _write_batches(ix, docs, replace=True, total=total, progress=progress)
            finally:
                self._forget()
            assert done is not None  # not cancellable
            self._write_sidecar(data["library_uuid"], last_seq, data["indexname"])
            self._write_postings_files()
            if progress is not None:
                progress(done, total)
            return done

    def small_segments(self) -> int:
        """How many segments hold fewer than :data:`SMALL_SEGMENT_DOCS` documents."""
        with self._index().reader() as reader:
            return sum(
                1 for leaf, _ in reader.leaf_readers() if leaf.doc_count_all() < SMALL_SEGMENT_DOCS
            )

    def merge_small(self, *, at_least: int = SMALL_SEGMENTS_TO_MERGE) -> bool:
        """Merge the small segments that single edits and small imports leave (one each)
        into one, when there are ``at_least`` of them; large segments are left alone, so
        this costs tens of milliseconds. Returns whether it merged."""
        with self._write_lock:
            if self.small_segments() < max(2, at_least):
                return False
            writer = self._index().writer(compound=False)
            writer.commit(mergetype=_merge_small_segments)
            self._write_postings_files()  # the merged segment's, when it is large enough
            return True

    def optimize(self) -> None:
        """Merge all segments into one (slow; run in the background after a rebuild)."""
        with self._write_lock:
            writer = self._index().writer(compound=False)
            writer.commit(optimize=True)
            self._write_postings_files()

    def write_postings_files(
        self, *, should_stop: Callable[[], bool] | None = None, limit: int | None = None
    ) -> int:
        """Write the postings files (see :mod:`digestdesk.core.postings_file`) that segments of
        :data:`postings_file.MIN_SEGMENT_DOCS` documents or more lack, at most ``limit`` of
        them, and delete those of segments merged away. Bulk writes do this themselves; this
        is for idle moments (an index written before postings files existed). Stops between
        terms when ``should_stop()`` turns true. Returns how many files were written."""
        with self._write_lock:
            return self._write_postings_files(should_stop=should_stop, limit=limit)

    def missing_postings_files(self) -> int:
        """How many segments large enough for a postings file have none (cheap: the files'
        directories are read once per segment)."""
        with self._index().reader() as reader:
            return sum(1 for leaf, _ in reader.leaf_readers() if self._lacks_postings_file(leaf))

    def _lacks_postings_file(self, leaf: Any) -> bool:
        """Whether a segment is large enough for a postings file and has none (yet)."""
        return (
            leaf.doc_count_all() >= postings_file.MIN_SEGMENT_DOCS
            and self._columns.postings_file(leaf) is None
        )

    def _write_postings_files(
        self, *, should_stop: Callable[[], bool] | None = None, limit: int | None = None
    ) -> int:
        try:
            ix = self._index()
        except SearchIndexUnavailableError:
            return 0
        written = 0
        with ix.reader() as reader:
            leaves = [
                leaf
                for leaf, _ in reader.leaf_readers()
                if getattr(leaf, "segment", lambda: None)() is not None  # not an empty index
            ]
            current = {leaf.segment().segment_id() for leaf in leaves}
            self._remove_postings_files(ix.indexname, keep=current)
            for leaf in leaves:
                if not self._lacks_postings_file(leaf):
                    continue
                if limit is not None and written >= limit:
                    break
                segment_id = leaf.segment().segment_id()
                path = postings_file.path_for(self.directory, segment_id)
                started = time.perf_counter()
                try:
                    done = postings_file.write(leaf, path, should_stop=should_stop)
                except OSError as exc:  # a cache: searches just read Whoosh's postings
                    log.warning("Could not write the postings file %s: %s", path, exc)
                    return written
                if not done:
                    return written
                self._columns.postings_file_written(segment_id)
                written += 1
                log.info(
                    "Wrote the postings file of segment %s (%d documents) in %.1f s",
                    segment_id,
                    leaf.doc_count_all(),
                    time.perf_counter() - started,
                )
        return written

    def _remove_postings_files(self, indexname: str, keep: Collection[str]) -> None:
        """Delete the postings files (and unfinished ones) of index ``indexname``'s segments
        not in ``keep``; other index names' files go with their index (_remove_files)."""
        for child in self.directory.glob(f"{indexname}_*{postings_file.SUFFIX}*"):
            name = child.name
            if name.endswith(postings_file.SUFFIX) and name[: -len(postings_file.SUFFIX)] in keep:
                continue
            try:
                child.unlink()
            except OSError as exc:  # still open elsewhere (Windows): removed next time
                log.debug("Could not remove postings file %s: %s", child, exc)

    def close(self) -> None:
        self._forget()
        self._close_searchers()

    # -- id <-> docnum -----------------------------------------------------------------------

    def _ids(self, searcher: Searcher) -> _IdMap:
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
        built = _IdMap(key, id_of, deleted)
        with self._map_lock:
            self._id_map = built
        self._columns.keep_only(k[0] for k in key)
        return built

    def _docnums(self, searcher: Searcher, allowed: set[int]) -> set[int]:
        docnum_of = self._ids(searcher).docnum_of
        if len(allowed) > len(docnum_of):
            return {d for i, d in docnum_of.items() if i in allowed}
        return {docnum_of[i] for i in allowed if i in docnum_of}

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        plan: QueryPlan,
        *,
        allowed: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> list[Hit]:
        """Ids matching ``plan.text`` (and in ``allowed`` when given), best or newest first."""
        return self.search_with_total(plan, allowed=allowed, limit=limit, sort=sort)[0]

    def search_with_total(
        self,
        plan: QueryPlan,
        *,
        allowed: set[int] | None = None,
        excluded: set[int] | None = None,
        limit: int | None = 200,
        sort: str | None = None,
    ) -> tuple[list[Hit], int]:
        """:meth:`search`, and how many entries match in all (every match is scored anyway,
        so the total costs nothing more). ``excluded`` ids are left out: the cheap form of a
        filter that most entries pass."""
        order = sort or plan.sort
        if order not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {order!r}")
        if plan.text is None:
            return self._list(allowed=allowed, limit=limit, order=order)
        with self._searcher() as s:
            ids = self._ids(s)
            if order == "relevance":
                scores = self._scores(s, ids, plan.text, allowed)
                self._drop(ids, scores, excluded)
                ranked = top_by_score(scores, limit)
                return [Hit(ids.id_of[d], float(score)) for score, d in ranked], len(scores)
            # Newest (or most voted) first needs no scores: the matching set, then its top
            # by the sort column.
            matches = self._matches(s, ids, plan.text, allowed)
            self._drop(ids, matches, excluded)
            column = "published" if order == "date" else "votes"
            if limit is not None and len(matches) > 4 * limit:
                # Many matches: walk the index in sort order (sorted once per generation)
                # and stop at the limit, instead of ordering every match.
                walk = (d for d in self._sort_order(s, ids, column) if d in matches)
                chosen = list(itertools.islice(walk, limit))
            else:
                chosen = top_by_key(matches, self._sort_key(s, column).__getitem__, limit)
            return [Hit(ids.id_of[d], 0.0) for d in chosen], len(matches)

    def _sort_order(self, s: Searcher, ids: _IdMap, column: str) -> array[int]:
        """Every docnum by ``column`` descending (ties by docnum), kept with the id map."""
        order = ids.orders.get(column)
        if order is None:
            key = self._sort_key(s, column)
            order = array("q", sorted(range(len(key)), key=lambda d: -key[d]))
            ids.orders[column] = order
        return order

    @staticmethod
    def _drop(ids: _IdMap, found: dict[int, float] | set[int], excluded: set[int] | None) -> None:
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

    def _matches(self, s: Searcher, ids: _IdMap, q: wq.Query, allowed: set[int] | None) -> set[int]:
        """Every live document matching ``q`` (and in ``allowed``), without scores."""
        found = Evaluator(s, self._columns).docs(q)
        if allowed is not None:
            found &= self._docnums(s, allowed)
        return found - ids.deleted if ids.deleted else found

    def _scores(
        self, s: Searcher, ids: _IdMap, q: wq.Query, allowed: set[int] | None
    ) -> dict[int, float]:
        """Score of every live document matching ``q`` (and in ``allowed``), by docnum."""
        scores = Evaluator(s, self._columns).scores(q)
        if allowed is not None:
            keep = self._docnums(s, allowed)
            if len(keep) < len(scores):
                return {d: scores[d] for d in keep if d in scores}
            return {d: v for d, v in scores.items() if d in keep}
        for docnum in ids.deleted:  # usually a few (edits since the last merge)
            scores.pop(docnum, None)
        return scores

    def _sort_key(self, s: Searcher, fieldname: str) -> list[int]:
        """The sortable column ``fieldname`` by global docnum."""
        key: list[int] = []
        for leaf, offset in s.reader().leaf_readers():
            cols = self._columns.columns(leaf)
            values = self._columns.numbers(leaf, cols, fieldname)
            if len(key) < offset:
                key.extend([0] * (offset - len(key)))
            if values is None:
                key.extend([0] * leaf.doc_count_all())
            else:
                key.extend(values)
        return key

    def _list(
        self, *, allowed: set[int] | None, limit: int | None, order: str
    ) -> tuple[list[Hit], int]:
        """Entries without words: in index order, or newest / most voted first."""
        with self._searcher() as s:
            ids = self._ids(s)
            if allowed is not None:
                docnums: Collection[int] = self._docnums(s, allowed)
            else:
                docnums = ids.docnum_of.values()
            if order == "relevance":
                chosen = sorted(docnums)[:limit] if limit is not None else sorted(docnums)
            else:
                key = self._sort_key(s, "published" if order == "date" else "votes")
                chosen = top_by_key(docnums, key.__getitem__, limit)
            return [Hit(ids.id_of[d], 0.0) for d in chosen], len(docnums)

    def count(self, plan: QueryPlan, allowed: set[int] | None = None) -> int:
        """How many entries match (no ranking, no limit)."""
        with self._searcher() as s:
            ids = self._ids(s)
            if plan.text is None:
                if allowed is None:
                    return s.doc_count()
                return len(self._docnums(s, allowed))
            return len(self._matches(s, ids, plan.text, allowed))

    def highlights(
        self, ids: Sequence[int], plan: QueryPlan, *, field: str = "abstract", top: int = 2
    ) -> dict[int, str]:
        """Snippets of ``field`` for the given ids (only those with a match), as safe HTML."""
        fieldname = _TEXT_FIELDS.get(field, field)
        words = [w for f, w in plan.terms if f == fieldname]
        matcher = _Matcher(words)
        if not matcher or fieldname not in SCHEMA or not SCHEMA[fieldname].stored:
            return {}
        out: dict[int, str] = {}
        with self._searcher() as s:
            docnum_of = self._ids(s).docnum_of
            for entry_id in ids:
                docnum = docnum_of.get(entry_id)
                if docnum is None:
                    continue
                text = s.stored_fields(docnum).get(fieldname) or ""
                spans = matching_spans(fieldname, text, matcher)
                if spans:
                    out[entry_id] = highlight_text(text, spans, top=top)
        return out

    def more_like_this(self, id: int, *, limit: int = 10) -> list[Hit]:
        """Entries similar to ``id`` by the key terms of its title, abstract and keywords."""
        with self._searcher() as s:
            ids = self._ids(s)
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

    def ids(self) -> set[int]:
        """Every entry id in the index."""
        with self._searcher() as s:
            return set(self._ids(s).docnum_of)
