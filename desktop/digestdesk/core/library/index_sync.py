"""Keeping the search index in step with the database: status, catch-up, rebuild, after a write.

The database is the source of truth; the Whoosh index is a cache that follows it. Every write
stamps the rows it changes with the next ``change_seq``; the index remembers the last one it has
seen, so :meth:`IndexSync.catch_up` indexes exactly the rows written since, and
:meth:`IndexSync.ensure` catches up or rebuilds from scratch (the index missing, stale or of
another library). Index work never holds the database's write lock: it reads the database like
any reader, so an edit commits at once even while the index is rebuilt (the rebuild then catches
up on what was written meanwhile). Index writes take turns behind a lock of their own.

Who catches up after a write: by default the writing thread, at once (the command line; its
write is committed before, but the thread waits while another indexes). The app hands that to
a thread of its own (:meth:`IndexSync.follow_in_background`): a write then only tells it that
the index is behind, and returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

import digestdesk.core.library.index_worker as index_worker
from digestdesk.core import schema
from digestdesk.core.index import IndexDoc, SearchIndex, WhooshIndex
from digestdesk.core.library.common import Cancelled, LibraryTuning, Progress, chunks
from digestdesk.core.library.database import Database
from digestdesk.core.library.reader import index_status
from digestdesk.core.library.reads import digest_dates_for, tags_for
from digestdesk.core.storage_problems import STORAGE_ERRNOS
from digestdesk.errors import SearchIndexUnavailableError

E = schema.entries

log = logging.getLogger(__name__)


class IndexSync:
    """The search index of one library and how it follows the library's database."""

    def __init__(self, database: Database, library_uuid: str, tuning: LibraryTuning) -> None:
        self._database = database
        self._engine = database.engine
        #: Index writes (catch-up, rebuild) take turns here; never the database's write lock.
        self._index_lock = threading.RLock()
        self._uuid = library_uuid
        self._tuning = tuning
        self._notify: Callable[[], None] | None = None
        #: :meth:`ensure` hands work on this many entries or more to a child process.
        self.in_child_from: int | None = None
        self.index: SearchIndex = WhooshIndex(database.paths.index_dir)

    def follow_in_background(self, notify: Callable[[], None] | None) -> None:
        """After a write, only call ``notify()`` (the index is behind): whoever it wakes calls
        :meth:`catch_up` (or :meth:`ensure`) on a thread of its own. ``None``: the writing
        thread catches up itself again."""
        self._notify = notify

    def status(self) -> str:
        """ "ok", "behind" (incremental catch-up) or "rebuild" (missing, stale, unreadable)."""
        return index_status(self.index.state(), self._uuid, self._database.change_seq())

    def lag(self) -> int | None:
        """How many entries changed since the index was last updated (None: the index is
        missing, unreadable or another library's)."""
        state = self.index.state()
        if state is None or state.library_uuid != self._uuid:
            return None
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(E).where(E.c.seq > state.last_seq)
                ).scalar_one()
            )

    def ensure(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        """Repair the index if needed; returns what was done ("ok", "caught up", "rebuilt";
        "cancelled" when ``cancelled()`` ended a child's work). With :attr:`in_child_from`
        set, work on that many entries or more runs in a child process (:mod:`.index_worker`;
        the calling thread only waits), so it never takes the interpreter lock from this
        process's other threads."""
        with self._index_lock:
            status = self.status()
            if status == "ok":
                return "ok"
            in_child_from = self.in_child_from
            if in_child_from is not None and self._work(status) >= in_child_from:
                result = self._ensure_in_child(progress, cancelled)
                if result is not None:
                    return result
            if status == "behind":
                caught_up = self.catch_up(progress=progress, most=self._most_to_catch_up())
                if caught_up is not None:
                    log.info("index caught up with %d changed entries", caught_up)
                    return "caught up"
            self.rebuild(progress=progress, cancelled=cancelled)
            if cancelled is None or not cancelled():
                self.catch_up()  # what was written during the rebuild
            return "rebuilt"

    def _work(self, status: str) -> int:
        """How many entries ensuring the index would index (about)."""
        lag = self.lag() if status == "behind" else None
        if lag is not None:
            return lag
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(E)).scalar_one())

    def _ensure_in_child(
        self, progress: Progress | None, cancelled: Cancelled | None
    ) -> str | None:
        """:meth:`ensure` in a child process; None when it could not run there (this thread
        does the work then)."""
        index = self.index
        if not isinstance(index, WhooshIndex):
            return None  # another engine (tests): in this process
        try:
            return index_worker.run_in_child(
                index_worker.INDEX,
                self._database.paths,
                self._tuning,
                index.write_settings,
                progress=progress,
                cancelled=cancelled,
                after_kill=index.remove_unfinished,
            )
        except index_worker.WorkerFailed as exc:
            log.warning("%s; building the search index here instead", exc)
            return None

    def _most_to_catch_up(self) -> int:
        # Replacing most of the index costs more than building it afresh.
        with self._engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(E)).scalar_one()
        return max(self._tuning.index_bulk, total // 2)

    def catch_up(self, *, progress: Progress | None = None, most: int | None = None) -> int | None:
        """Index the entries written since the last change the index has seen; returns how
        many, or None when it cannot (the index needs a rebuild, or more than ``most``
        entries changed)."""
        ids = self.catch_up_entries(progress=progress, most=most)
        return None if ids is None else len(ids)

    def catch_up_entries(
        self, *, progress: Progress | None = None, most: int | None = None
    ) -> list[int] | None:
        """:meth:`catch_up`, returning the ids of the entries it indexed."""
        with self._index_lock:
            state = self.index.state()
            if state is None or state.library_uuid != self._uuid:
                return None
            # The change number first: every row stamped with it or less is committed by then
            # (numbers are taken in commit order, see .database), so the rows read next
            # include them all (and perhaps newer ones, indexed again later: harmless).
            seq = self._database.change_seq()
            if state.last_seq >= seq:
                return []
            with self._engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).where(E.c.seq > state.last_seq)).scalars())
            if most is not None and len(ids) > most:
                return None
            self.update(ids, seq, progress=progress)
            return ids

    def rebuild(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        """Build the index afresh from the database (in batches, with progress). Writes go on
        meanwhile; the index has then seen the change number read at the start, and a
        :meth:`catch_up` indexes what was written since."""
        with self._index_lock:
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
        """Index documents of these entries (default: all), read in batches (a short read
        transaction each)."""
        if ids is None:
            with self._engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
        for chunk in chunks(ids, self._tuning.index_batch):
            with self._engine.connect() as conn:
                docs = index_docs(conn, chunk)
            yield from docs

    def update(
        self,
        ids: Sequence[int],
        seq: int,
        deleted: Sequence[int] = (),
        progress: Progress | None = None,
    ) -> None:
        """Re-index these entries (and drop ``deleted``); the index has then seen ``seq``."""
        with self._index_lock:
            if len(ids) > self._tuning.index_bulk and not deleted:
                self.index.update_many(
                    self.iter_docs(ids), last_seq=seq, total=len(ids), progress=progress
                )
                return
            docs: list[IndexDoc] = []
            with self._engine.connect() as conn:
                for chunk in chunks(list(ids), self._tuning.index_batch):
                    docs.extend(index_docs(conn, chunk))
            self.index.update(docs, deleted=deleted, last_seq=seq)

    def after_write(self, ids: Iterable[int], seq: int, *, index: bool = True) -> None:
        """A write committed: bring the index up to date, or tell the thread that does (also
        when ``index`` is false: the writer leaves the index behind, a bulk import). A failure
        here is repaired at the next catch-up or open."""
        notify = self._notify
        if notify is not None:
            notify()
            return
        if not index or not self._database.keeps_index:
            return  # (the process keeping the index hears of the change from the server)
        try:
            self.catch_up()
        except SearchIndexUnavailableError as exc:  # damaged (recorded) or missing
            log.info("the search index could not be updated (%s); it will be rebuilt", exc)
        except OSError as exc:
            if exc.errno not in STORAGE_ERRNOS:
                log.exception("the search index could not be updated; it will be repaired")
                return
            # A full disk or a read-only index folder: the change is stored all the same.
            log.warning(
                "the search index could not be updated (%s); it catches up when the library "
                "can be written again",
                exc.strerror or exc,
            )
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
            E.c.arxiv_id,
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
                arxiv_id=row.arxiv_id,
            )
        )
    return docs
