"""The full-text index: a rebuildable cache of the library, searched with the query language.

The library needs only :class:`SearchIndex` (the interface, :mod:`.base`) and the types that
cross it; :class:`WhooshIndex` is the implementation. Everything that knows Whoosh lives in
this package, written for the Whoosh version pinned in ``pyproject.toml``:

* :mod:`.schema`: fields, analysers, an entry's document (and the analysis for highlighting);
* :mod:`.compiler`: parsed queries -> Whoosh queries (:func:`parse_query`);
* :mod:`.directory`: the state file, opening the current index, switching to a rebuilt one;
* :mod:`.writing`: rebuilds, edits, bulk imports, merging, postings-file upkeep;
* :mod:`.readers`: each thread's searcher and the docnum <-> entry id maps;
* :mod:`.searching`: searches, counts, snippets, related papers;
* :mod:`.ranking`: BM25F scores a block of postings at a time;
* :mod:`.postings_file`: frequent posting lists stored again as plain arrays.
"""

from __future__ import annotations

from digestdesk.core.index.base import Hit, IndexDoc, IndexState, SearchIndex
from digestdesk.core.index.compiler import parse_query
from digestdesk.core.index.schema import INDEX_VERSION, text_analysis
from digestdesk.core.index.whoosh_index import WhooshIndex
from digestdesk.core.index.writing import SMALL_SEGMENTS_TO_MERGE

__all__ = [
    "INDEX_VERSION",
    "SMALL_SEGMENTS_TO_MERGE",
    "Hit",
    "IndexDoc",
    "IndexState",
    "SearchIndex",
    "WhooshIndex",
    "parse_query",
    "text_analysis",
]
