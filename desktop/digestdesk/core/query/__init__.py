"""The query language of the search bar and the command line, independent of any index.

* ``words`` (stemmed; title matches weigh double), ``"phrases"``, ``prefix*`` (at least four
  characters before the star), ``fuzzy~`` (``~2`` for two edits);
* ``AND``, ``OR``, ``NOT`` (upper case), ``-word``, parentheses;
* fields ``title:`` ``abstract:`` ``author:`` ``keyword:`` ``summary:`` ``note:`` for text and
  ``status:`` ``tag:`` ``year:`` ``date:`` ``votes:`` ``has:`` ``digest:`` ``arxiv:`` for
  filters, which take ``=`` (default), ``>``, ``>=``, ``<``, ``<=`` or ``lo..hi`` ranges where
  ordering makes sense; ``sort:relevance|date|votes``.

Modules: :mod:`.tokens` (text -> tokens), :mod:`.syntax` (tokens -> syntax tree),
:mod:`.filters` (filter values), :mod:`.plan` (tree -> index part, SQL filters, sort),
:mod:`.analysis` and :mod:`.highlight` (marking the found words in shown text). Compiling the
index part for a search engine is the index's job (:mod:`digestdesk.core.index.compiler`).
"""

from __future__ import annotations

from digestdesk.core.query.analysis import TextAnalysis
from digestdesk.core.query.filters import HAS_VALUES, Filter, FilterExpr, FilterGroup
from digestdesk.core.query.highlight import (
    HIGHLIGHT_FIELDS,
    TermMatcher,
    matching_spans,
    snippet_html,
    within_edits,
)
from digestdesk.core.query.plan import ParsedQuery, QueryPlan, parse
from digestdesk.core.query.syntax import PREFIX_MIN_CHARS, SORTS

__all__ = [
    "HAS_VALUES",
    "PREFIX_MIN_CHARS",
    "SORTS",
    "HIGHLIGHT_FIELDS",
    "Filter",
    "FilterExpr",
    "FilterGroup",
    "ParsedQuery",
    "QueryPlan",
    "TermMatcher",
    "TextAnalysis",
    "matching_spans",
    "parse",
    "snippet_html",
    "within_edits",
]
