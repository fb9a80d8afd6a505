"""A large file imported in a child process, so that the app's threads never wait for it.

Parsing and planning an import are pure Python: on a thread of the app they hold the
interpreter lock most of the time (and leave millions of objects for the window's garbage
collections), so an edit made meanwhile waited for the lock at every step of its own
transaction: during a 50,000-paper import a status key took 107-283 ms (p95) to reach the
database, up to 1.6 s. A child process has its own interpreter lock and heap.

The child is the index worker's (:mod:`.index_worker`, job :data:`~.index_worker.IMPORT`):
the app lends it its writing (it holds the one-writer lock; the child opens the library with
``lent=True``), and the child runs the same :meth:`~.importing.Importer.import_bytes` a thread
would, with the index left to the app (its index lane catches up from the change sequence).
SQLite's own write lock makes the child's one transaction and the app's edits take turns.

Cancelling (SIGTERM, or the app gone: its standard input closes) stops the import at its next
check, before or inside its transaction, which is rolled back; once committed, the child
finishes and says what it did. Killed outright, SQLite rolls back whatever was not committed.
The report comes back as JSON lines: the items in parts (no one decode holds the app's
interpreter lock long), then the rest of the report.
"""

from __future__ import annotations

import base64
import gc
import logging
import pickle
import signal
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import digestdesk.core.library.index_worker as index_worker
from digestdesk.core.library.common import Cancelled, LibraryTuning, Progress
from digestdesk.core.library.import_plan import ImportCancelled
from digestdesk.core.records import ImportedItem, ImportReport
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths

log = logging.getLogger(__name__)

#: Items of the report per message.
ITEMS_PER_MESSAGE = 2000
#: Seconds a cancelled child has to stop (its next check comes within a chunk of 500 drafts;
#: parsing is not interrupted, and nothing is written until the plan is made) before it is
#: killed, which is as safe: SQLite rolls back what was not committed.
GRACE_S = 3.0


def import_in_child(
    paths: LibraryPaths,
    tuning: LibraryTuning,
    path: Path,
    *,
    as_of: date | None,
    as_of_source: str | None,
    format: str = "auto",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportReport:
    """Import ``path`` in a child process and wait for it (see the module). Raises
    :class:`ImportCancelled` when ``cancelled()`` turned true before the import committed,
    :class:`DigestDeskError` with the child's message for an expected problem (not a digest, a
    full disk), and :class:`~.index_worker.WorkerFailed` when the child could not run (the
    caller imports on its own thread instead), unless the import was already committed."""
    items: list[ImportedItem] = []
    report: list[ImportReport] = []
    committed = threading.Event()

    def heard(message: dict[str, Any]) -> None:
        if "items" in message:
            items.extend(ImportedItem(*item) for item in message["items"])
        elif "report" in message:
            report.append(pickle.loads(base64.b64decode(message["report"])))  # noqa: S301
        elif message.get("committed"):
            committed.set()

    orders = {
        "path": str(path),
        "as_of": None if as_of is None else as_of.isoformat(),
        "as_of_source": as_of_source,
        "format": format,
    }
    try:
        result = index_worker.run_in_child(
            index_worker.IMPORT,
            paths,
            tuning,
            progress=progress,
            cancelled=cancelled,
            grace_s=GRACE_S,
            extra={"import": orders},
            on_message=heard,
        )
    except index_worker.WorkerFailed as exc:
        if not committed.is_set():
            raise
        result, lost = "failed", str(exc)
    else:
        lost = "when it was cancelled"  # killed between its commit and its report
    if report:
        done = report[0]
        done.items = items
        return done
    if committed.is_set():
        raise DigestDeskError(
            f"{path.name} was imported, but the import's summary was lost ({lost}); the "
            "library holds its entries."
        )
    if result == "cancelled":
        raise ImportCancelled()
    raise index_worker.WorkerFailed(f"the import worker ended without a report ({result})")


# ------------------------------------------------------------------------------- the child


def run_import(
    library_open: Callable[[], Any],
    orders: dict[str, Any],
    progress: Progress,
    say: Callable[[dict[str, Any]], None],
) -> str:
    """The child's side: import the file the orders name into the library ``library_open()``
    opens (a lent writer), and say what happened. SIGTERM cancels (see the module)."""
    # A short-lived process of acyclic data (drafts, rows): reference counting frees it, and
    # the collector's full passes over millions of young objects (0.7 s inside a 50,000-paper
    # transaction, which the app's edits wait for) would only lengthen the transaction.
    gc.disable()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    spec = orders["import"]
    as_of = None if spec.get("as_of") is None else date.fromisoformat(spec["as_of"])
    with library_open() as library:
        try:
            report = library.import_file(
                Path(spec["path"]),
                as_of=as_of,
                as_of_source=spec.get("as_of_source"),
                format=spec.get("format") or "auto",
                progress=progress,
                cancelled=stop.is_set,
                index=False,
                on_commit=lambda: say({"committed": True}),
            )
        except ImportCancelled:
            return "cancelled"
    items = report.items
    for start in range(0, len(items), ITEMS_PER_MESSAGE):
        part = items[start : start + ITEMS_PER_MESSAGE]
        say({"items": [[i.where, i.title, i.outcome, i.entry_id] for i in part]})
    report.items = []
    say({"report": base64.b64encode(pickle.dumps(report)).decode("ascii")})
    return "imported"
