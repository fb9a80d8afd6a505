"""The Whoosh schema of the index: its fields, their analysers and an entry's document.

This module is the one place that says how text becomes terms: the schema's analysers, the
stemming that prefix searches expand with, and the same analysis as plain data for
highlighting (:func:`text_analysis`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

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
from whoosh.support.charset import accent_map

from digestdesk.core.index.base import ExpectedDoc, IndexDoc
from digestdesk.core.query.analysis import TextAnalysis
from digestdesk.core.query.filters import ARXIV_VERSION_RE

#: Bump when the schema or the analysis changes: a different version forces a rebuild.
INDEX_VERSION = 2  # 2: documents carry their arXiv id (``model OR arxiv:ID``)

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
HIGHLIGHT_AS = {"extra": ("keywords", "ai_summary", "note")}
STEMMED_FIELDS = frozenset({"title", "abstract", "keywords", "ai_summary", "note", "extra"})

#: The text analyser's stemmer (a word -> its stem) and the names' accent folding.
stem = StemFilter().stemfn
ACCENTS = str.maketrans(accent_map)

_TEXT_ANALYSIS = TextAnalysis(
    word_pattern=re.compile(tokenizers.default_pattern),
    stem=functools.lru_cache(maxsize=50_000)(stem),
    stop_words=frozenset(STOP_WORDS),
    min_length=2,  # StemmingAnalyzer's minsize: one-letter words are not indexed
)
_NAME_ANALYSIS = TextAnalysis(word_pattern=re.compile(tokenizers.default_pattern), fold=ACCENTS)


def text_analysis(fieldname: str) -> TextAnalysis:
    """How the text field ``fieldname`` is analysed, as plain data for highlighting (raises
    KeyError for fields that are not text)."""
    if fieldname in STEMMED_FIELDS:
        return _TEXT_ANALYSIS
    if fieldname == "authors":
        return _NAME_ANALYSIS
    raise KeyError(fieldname)


def analyzer(schema: Schema, fieldname: str) -> Callable[..., Iterable[Any]]:
    """The Whoosh analyser of a text field of ``schema``."""
    found = schema[fieldname].analyzer
    assert found is not None
    return found  # type: ignore[no-any-return]


def analyse(schema: Schema, fieldname: str, text: str) -> list[str]:
    """The terms ``text`` becomes in ``fieldname``."""
    return [t.text for t in analyzer(schema, fieldname)(text)]


def yyyymmdd(value: date) -> int:
    """A date as the index stores it (``published``)."""
    return value.year * 10000 + value.month * 100 + value.day


def doc_fields(doc: IndexDoc) -> dict[str, Any]:
    """The Whoosh document of an entry."""
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
        fields["published"] = yyyymmdd(doc.published)
    if doc.has:
        fields["has"] = " ".join(doc.has)
    if doc.digests:
        fields["digests"] = " ".join(d.isoformat() for d in doc.digests)
    if doc.arxiv_id:
        fields["arxiv"] = ARXIV_VERSION_RE.sub("", doc.arxiv_id.lower())
    return fields


def expected_doc(doc: IndexDoc) -> ExpectedDoc:
    """What the index holds for ``doc`` when it is as written: the stored text fields (empty
    ones left out) and each text field's terms at their positions, as indexing analyses them."""
    fields = doc_fields(doc)
    stored: dict[str, str] = {}
    terms: dict[str, list[tuple[int, str]]] = {}
    for name, value in fields.items():
        field = SCHEMA[name]
        if not isinstance(value, str) or not isinstance(field, TEXT):
            continue
        if field.stored and value:
            stored[name] = value
        tokens = analyzer(SCHEMA, name)(value, positions=True, mode="index")
        terms[name] = [(t.pos, t.text) for t in tokens]
    return ExpectedDoc(stored, terms)
