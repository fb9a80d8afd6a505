"""Importing: parsed drafts into the library as one transaction, merged with what it holds.

An input is parsed (:mod:`digestdesk.core.formats`), validated, planned from reads outside the
write transaction (:mod:`.import_plan`: identity, matching, merges) and written in one short
transaction that checks the plan still holds (:mod:`.import_apply`). Cancelling raises
:class:`~digestdesk.core.library.import_plan.ImportCancelled` inside the transaction, which
rolls the whole input back.

Dates: page text has no years, so its dates are read against an as-of day (given, or for a
file its modification date: what a browser's "Save page" leaves) and stored as *inferred*. A
known date (API JSON, arXiv, an export) replaces an inferred one. The same bytes imported again
(their SHA-256 is kept on the digest) correct that import instead of adding a second digest:
its digest date and the inferred dates of its entries are read again with the new as-of day.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from digestdesk.core.drafts import ParseResult
from digestdesk.core.library.common import Cancelled, LibraryTuning, Progress, utcnow
from digestdesk.core.library.database import (
    Database,
    next_seq,
    retried_on_conflict,
    take_import_turn,
)
from digestdesk.core.library.import_apply import apply_plan, report_outcomes
from digestdesk.core.library.import_plan import (
    ImportCancelled,
    plan_holds,
    plan_import,
    prepare,
)
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.records import Changes, ImportReport
from digestdesk.core.validation import clean_str, validate
from digestdesk.errors import DigestDeskError

__all__ = ["ImportCancelled", "Importer", "content_hash", "modified_day"]

log = logging.getLogger(__name__)


def modified_day(path: Path) -> date | None:
    """The local day ``path`` was last modified (not after today), or None if unknown."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return min(datetime.fromtimestamp(stamp).date(), date.today())


def _size(path: Path) -> int:
    """The file's size in bytes (-1 when it cannot be read: the import then says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return -1


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Importer:
    """Imports into one library; runs on the writer thread like every write."""

    def __init__(
        self, database: Database, sync: IndexSync, tuning: LibraryTuning | None = None
    ) -> None:
        self._database = database
        self._engine = database.engine
        self._sync = sync
        self._tuning = tuning or LibraryTuning()
        #: Files of this many bytes or more are imported in a child process
        #: (:mod:`.import_worker`); None: always on the calling thread.
        self.in_child_from: int | None = None

    def import_bytes(
        self,
        data: bytes,
        *,
        name: str | None = None,
        format: str = "auto",
        as_of: date | None = None,
        as_of_source: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
        on_commit: Callable[[], None] | None = None,
    ) -> ImportReport:
        """Parse and import one input as one transaction.

        ``as_of`` reads page text's year-less dates (default: today); ``as_of_source`` says
        where it came from for the report ("given" when one is passed, "file", "today").
        ``index=False`` leaves the index behind the database (cheaper when importing many files
        in a row); ``Library.ensure_index`` then catches it up in one pass.
        """
        today = utcnow().date()
        from digestdesk.core import formats  # parsers load only when importing: faster start

        source_of_date = as_of_source or ("given" if as_of is not None else "today")
        result = formats.parse(data, name=name, format=format, as_of=as_of or today, today=today)
        report = self.import_parsed(
            result,
            source=name or "<stdin>",
            progress=progress,
            cancelled=cancelled,
            index=index,
            content=content_hash(data),
            on_commit=on_commit,
        )
        if result.format == "hf-page":
            report.as_of_source = source_of_date
        return report

    def import_file(
        self, path: str | Path, *, as_of: date | None = None, **kwargs: Any
    ) -> ImportReport:
        """Read a file and import it (:meth:`import_bytes` takes the keyword arguments).
        Without ``as_of``, page text's year-less dates are read as of the day the file was
        last modified (a saved page keeps the day it was saved)."""
        path = Path(path)
        if as_of is None:
            as_of = modified_day(path)
            kwargs.setdefault("as_of_source", "file" if as_of is not None else None)
        if self.in_child_from is not None and _size(path) >= self.in_child_from:
            report = self._import_in_child(path, as_of, kwargs)  # the child reads the file
            if report is not None:
                return report
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DigestDeskError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        return self.import_bytes(data, name=path.name, as_of=as_of, **kwargs)

    def _import_in_child(
        self, path: Path, as_of: date | None, kwargs: dict[str, Any]
    ) -> ImportReport | None:
        """:meth:`import_file` in a child process (:mod:`.import_worker`); None when the child
        could not run (the caller imports here instead)."""
        import digestdesk.core.library.import_worker as import_worker
        import digestdesk.core.library.index_worker as index_worker

        try:
            with self._database.import_lock:
                report = import_worker.import_in_child(
                    self._database.paths,
                    self._tuning,
                    path,
                    as_of=as_of,
                    as_of_source=kwargs.get("as_of_source"),
                    format=kwargs.get("format", "auto"),
                    progress=kwargs.get("progress"),
                    cancelled=kwargs.get("cancelled"),
                )
        except index_worker.WorkerFailed as exc:
            log.warning("%s; importing %s here instead", exc, path.name)
            return None
        self._sync.after_write(
            report.changes.entry_ids, self._database.change_seq(), index=kwargs.get("index", True)
        )
        return report

    @retried_on_conflict
    def import_parsed(
        self,
        result: ParseResult,
        *,
        source: str,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
        source_kind: str | None = None,
        content: str | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> ImportReport:
        """Import parsed drafts as one transaction.

        Every path in (files, stdin, the clipboard, fetched days) comes through here, so the
        drafts are validated here (:func:`~digestdesk.core.validation.validate`): text is
        repaired, and an entry that cannot be stored (a count past the column, an unknown status)
        is skipped into ``report.skipped`` with its place while the rest is imported.
        ``source_kind`` overrides the digest's kind (default: the parser's format name); the
        fetchers record ``"hf-api"`` and ``"arxiv-api"`` so ``Library.fetched_days`` finds them.
        ``content`` is the input's SHA-256: an earlier import of the same content is
        corrected (its digest, its entries' inferred dates) instead of adding a digest.
        ``on_commit()`` is called once the transaction is committed.
        """
        result = validate(result)
        source = clean_str(source)  # a file name may be any bytes; the digest row keeps text
        report = ImportReport(
            source=source,
            format=result.format,
            digest_id=None,
            digest_date=result.digest_date,
            as_of=result.as_of,
            skipped=list(result.problems),
        )
        if report.skipped and not result.entries:
            # Every entry was skipped: nothing is stored, not even a digest (an empty one would
            # become "the last digest"; an earlier import of this content keeps its own).
            return report
        prepared = [prepare(d) for d in result.entries]
        now = utcnow()
        # One import at a time plans and applies: only imports change what identifies a paper,
        # so the plan made outside the write transaction still holds in it (re-checked there).
        # On a server, other members' imports plan meanwhile; the applies take turns (the
        # advisory lock), so the re-check sees every paper another import committed.
        with self._database.import_lock:
            with self._engine.connect() as conn:
                plan = plan_import(conn, result, prepared, content, now, progress, cancelled)
            with self._database.writing() as conn:
                take_import_turn(conn)
                seq = next_seq(conn)
                if not plan_holds(conn, plan, result, content):
                    # Another member's import (a server library) added or changed a paper
                    # this one matches: plan again, here (the old way, all in the transaction).
                    plan = plan_import(conn, result, prepared, content, now, None, cancelled)
                real = apply_plan(
                    conn, plan, result, source, report, seq, now, source_kind, content, cancelled
                )
        if on_commit is not None:
            on_commit()
        touched, added = report_outcomes(plan, real, report)
        if progress is not None:
            progress(len(prepared), len(prepared))
        report.changes = Changes(
            entry_ids=frozenset(touched),
            added=frozenset(added),
            kinds=frozenset({"entries", "digests"}),
            label=f"Import {source}",
        )
        self._sync.after_write(touched, seq, index=index)
        return report
