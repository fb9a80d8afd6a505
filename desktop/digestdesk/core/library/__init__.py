"""The library: the only write API over the database, and the read API the views and CLI use.

:class:`Library` (in :mod:`.facade`, which describes the design) is what callers open; the
modules beside it each do one job behind it. The names below are imported when first used, so
that importing a light module of the package (:mod:`.sqlite_reads`, the command line's reads)
does not pull in SQLAlchemy and Whoosh through the facade.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digestdesk.core.drafts import ParseProblem
    from digestdesk.core.library.common import CHUNK, LibraryTuning, as_utc, utcnow
    from digestdesk.core.library.facade import Library
    from digestdesk.core.library.import_plan import ImportCancelled
    from digestdesk.core.library.importing import modified_day
    from digestdesk.core.records import (
        Changes,
        EntryDetail,
        EntryRow,
        ImportReport,
        SearchResult,
    )

_WHERE = {
    "Library": "digestdesk.core.library.facade",
    "LibraryTuning": "digestdesk.core.library.common",
    "ImportCancelled": "digestdesk.core.library.import_plan",
    "modified_day": "digestdesk.core.library.importing",
    "Changes": "digestdesk.core.records",
    "ImportReport": "digestdesk.core.records",
    "EntryDetail": "digestdesk.core.records",
    "EntryRow": "digestdesk.core.records",
    "SearchResult": "digestdesk.core.records",
    "ParseProblem": "digestdesk.core.drafts",
    "CHUNK": "digestdesk.core.library.common",
    "as_utc": "digestdesk.core.library.common",
    "utcnow": "digestdesk.core.library.common",
}

__all__ = [
    "Library",
    "LibraryTuning",
    "ImportCancelled",
    "modified_day",
    "Changes",
    "ImportReport",
    "EntryDetail",
    "EntryRow",
    "SearchResult",
    "ParseProblem",
    "CHUNK",
    "as_utc",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
