"""The full-text index: a rebuildable cache of the library, searched with the query language.

The library needs only :class:`SearchIndex` (the interface, :mod:`.base`) and the types that
cross it; :class:`WhooshIndex` is the implementation. Everything that knows Whoosh lives in
this package, written for the Whoosh version pinned in ``pyproject.toml``:

* :mod:`.schema`: fields, analysers, an entry's document (and the analysis for highlighting);
* :mod:`.compiler`: parsed queries -> Whoosh queries (:func:`parse_query`);
* :mod:`.directory`: the state file, opening the current index, switching to a rebuilt one;
* :mod:`.writing`: rebuilds, edits, bulk imports, merging, postings-file upkeep;
* :mod:`.bulk_writer`: the segment writer of bulk writes, its postings sorted in memory;
* :mod:`.readers`: each thread's searcher and the docnum <-> entry id maps;
* :mod:`.searching`: searches, counts, snippets, related papers;
* :mod:`.ranking`: BM25F scores a block of postings at a time;
* :mod:`.postings_file`: frequent posting lists stored again as plain arrays.

The names below are imported when first used: the command line's ``list`` and ``show`` import
:mod:`.base` (the interface) without loading Whoosh.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digestdesk.core.index.base import Hit, IndexDoc, IndexState, SearchIndex
    from digestdesk.core.index.compiler import parse_query
    from digestdesk.core.index.schema import INDEX_VERSION, text_analysis
    from digestdesk.core.index.tuning import SMALL_SEGMENTS_TO_MERGE
    from digestdesk.core.index.whoosh_index import WhooshIndex

_WHERE = {
    "INDEX_VERSION": "digestdesk.core.index.schema",
    "SMALL_SEGMENTS_TO_MERGE": "digestdesk.core.index.tuning",
    "Hit": "digestdesk.core.index.base",
    "IndexDoc": "digestdesk.core.index.base",
    "IndexState": "digestdesk.core.index.base",
    "SearchIndex": "digestdesk.core.index.base",
    "WhooshIndex": "digestdesk.core.index.whoosh_index",
    "parse_query": "digestdesk.core.index.compiler",
    "text_analysis": "digestdesk.core.index.schema",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
