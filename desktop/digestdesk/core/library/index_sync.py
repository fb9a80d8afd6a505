"""Keeping the search index in step with the database: status, catch-up, rebuild, after a write.

The database is the source of truth; the Whoosh index is a cache derived from it. Every write
stamps the rows it changes with the next ``change_seq``; the index remembers the last one it has
seen, so :meth:`IndexSync.ensure` can catch up on exactly the rows written since (or rebuild from
scratch when the index is missing, stale or belongs to another library). Index writes hold the
database's write lock, so they never run beside a write transaction (a rebuild holds off every
write until it is done).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.index import IndexDoc, SearchIndex, WhooshIndex
from digestdesk.core.library.common import Cancelled, E, LibraryTuning, Progress, chunks
from digestdesk.core.library.database import Database
from digestdesk.core.library.reads import digest_dates_for, tags_for

log = logging.getLogger(__name__)


class IndexSync:
    """The search index of one library and how it follows the library's database."""

    def __init__(self, database: Database, library_uuid: str, tuning: LibraryTuning) -> None:
        self._database = database
        self._engine = database.engine
        self._write_lock = database.write_lock
        self._uuid = library_uuid
        self._tuning = tuning
        self.index: SearchIndex = WhooshIndex(database.paths.index_dir)

    def status(self) -> str:
        """ "ok", "behind" (incremental catch-up) or "rebuild" (missing, stale, unreadable)."""
        state = self.index.state()
        if state is None or state.library_uuid != self._uuid:
            return "rebuild"
        return "ok" if state.last_seq >= self._database.change_seq() else "behind"

    def ensure(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        """Repair the index if needed; returns what was done ("ok", "caught up", "rebuilt")."""
        status = self.status()
        if status == "ok":
            return "ok"
        if status == "behind":
            state = self.index.state()
            assert state is not None
            with self._engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).where(E.c.seq > state.last_seq)).scalars())
            with self._engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            # Replacing most of the index costs more than building it afresh.
            if len(ids) <= max(self._tuning.index_bulk, total // 2):
                self.update(ids, self._database.change_seq(), progress=progress)
                log.info("index caught up with %d changed entries", len(ids))
                return "caught up"
        self.rebuild(progress=progress, cancelled=cancelled)
        return "rebuilt"

    def rebuild(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        """Build the index afresh from the database (in batches, with progress)."""
        with self._write_lock:
            seq = self._database.change_seq()
            with self._engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            self.index.rebuild(
                self.iter_docs(),
                library_uuid=self._uuid,
                last_seq=seq,
                total=total,
                progress=progress,
                cancelled=cancelled,
            )

    def iter_docs(self, ids: Sequence[int] | None = None) -> Iterator[IndexDoc]:
        """Index documents of these entries (default: all), read in batches."""
        if ids is None:
            with self._engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
        for chunk in chunks(ids, self._tuning.index_batch):
            with self._engine.connect() as conn:
                yield from index_docs(conn, chunk)

    def update(
        self,
        ids: Sequence[int],
        seq: int,
        deleted: Sequence[int] = (),
        progress: Progress | None = None,
    ) -> None:
        """Re-index these entries (and drop ``deleted``); the index has then seen ``seq``."""
        if len(ids) > self._tuning.index_bulk and not deleted:
            with self._write_lock:
                self.index.update_many(
                    self.iter_docs(ids), last_seq=seq, total=len(ids), progress=progress
                )
            return
        with self._write_lock:
            docs: list[IndexDoc] = []
            with self._engine.connect() as conn:
                for chunk in chunks(list(ids), self._tuning.index_batch):
                    docs.extend(index_docs(conn, chunk))
            self.index.update(docs, deleted=deleted, last_seq=seq)

    def after_write(self, ids: Iterable[int], seq: int) -> None:
        """Index what a committed write touched. A failure here is repaired at next open."""
        try:
            self.update(sorted(set(ids)), seq)
        except Exception:
            log.exception("the search index could not be updated; it will be repaired")


def index_docs(conn: Connection, ids: Sequence[int]) -> list[IndexDoc]:
    """The index documents of these entries, built from the database."""
    if not ids:
        return []
    rows = conn.execute(
        select(
            E.c.id,
            E.c.title,
            E.c.abstract,
            E.c.authors,
            E.c.ai_keywords,
            E.c.ai_summary,
            E.c.status,
            E.c.published,
            E.c.votes,
            E.c.has_code,
            E.c.project_page,
        ).where(E.c.id.in_(ids))
    ).all()
    tags = tags_for(conn, ids)
    notes = dict(
        conn.execute(
            select(schema.notes.c.entry_id, schema.notes.c.text).where(
                schema.notes.c.entry_id.in_(ids)
            )
        ).all()
    )
    digest_dates = digest_dates_for(conn, ids)
    docs = []
    for row in rows:
        note = notes.get(row.id) or ""
        has = [
            name
            for name, flag in (
                ("code", row.has_code),
                ("note", bool(note.strip())),
                ("project", bool(row.project_page)),
            )
            if flag
        ]
        docs.append(
            IndexDoc(
                id=row.id,
                title=row.title,
                abstract=row.abstract,
                authors=list(row.authors or []),
                keywords=list(row.ai_keywords or []),
                ai_summary=row.ai_summary or "",
                tags=tags.get(row.id, []),
                note=note,
                status=row.status,
                published=row.published,
                votes=row.votes or 0,
                has=has,
                digests=digest_dates.get(row.id, []),
            )
        )
    return docs
