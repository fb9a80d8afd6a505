"""The library: the only write API over the database, and the read API the views and CLI use.

:class:`Library` (in :mod:`.facade`, which describes the design) is what callers open; the
modules beside it each do one job behind it.
"""

from digestdesk.core.drafts import ParseProblem
from digestdesk.core.library.common import CHUNK, LibraryTuning, as_utc, utcnow
from digestdesk.core.library.facade import Library
from digestdesk.core.library.importing import ImportCancelled, modified_day
from digestdesk.core.records import Changes, EntryDetail, EntryRow, ImportReport, SearchResult

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
