"""The library: one object the CLI, the app and the other features use to read and change it.

:class:`Library` is a thin facade; each method hands over to the module that does that one job:

- :mod:`.database`: opening (migrations, the one-writer lock file), write transactions, ``meta``;
- :mod:`.index_sync`: the search index as a cache that follows the database;
- :mod:`.importing`: parsed drafts merged into the library (planned in :mod:`.import_plan`,
  written by :mod:`.import_apply`);
- :mod:`.edits` and :mod:`.session_edits`: status, tags, notes, undo; reading sessions' rows;
- :mod:`.reads`, :mod:`.filters`, :mod:`.searching`, :mod:`.checks`: everything that only reads.

Who writes: only the modules of this package, and only through
:meth:`Database.writing <digestdesk.core.library.database.Database.writing>` (one transaction
under one re-entrant write lock). Features outside it (sessions, fetch, the app) call an
import, an edit or a session edit here; none opens a write transaction of its own, and
``Library.engine`` is public for reading only (trends and sessions query with it). One process
writes a library at a time: ``Library.open(writer=True)`` takes a lock file; read-only
libraries (``writer=False``, the CLI's read commands) may be open beside it.

Threads: writes may come from more than one thread (the app's edit and job lanes, or the CLI's
main thread); the write lock serialises their transactions, each short. Index work never takes
it: the index follows the database's change sequence (:mod:`.index_sync`), at once on the
writing thread by default, or on a thread of its own after
:meth:`Library.follow_index_in_background` (the app), so an edit commits at once even while
the index is rebuilt. Reads may come from any thread, each in a connection of its own.

Changes: every write commits to the database first, then the search index follows (a failure
there is logged and repaired at the next catch-up), and the write returns
:class:`~digestdesk.core.records.Changes`: the entries it touched and the kinds of change, for
the views to re-query only that. A write that changes nothing returns empty ``Changes``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import digestdesk.core.library.checks as checks
import digestdesk.core.library.index_worker as index_worker
import digestdesk.core.library.reads as reads
from digestdesk.core.drafts import DigestDraft, EntryDraft, ParseResult
from digestdesk.core.index import SearchIndex
from digestdesk.core.library.change_listener import ChangeListener
from digestdesk.core.library.common import Cancelled, LibraryTuning, Progress
from digestdesk.core.library.database import Database
from digestdesk.core.library.edits import Edits
from digestdesk.core.library.importing import Importer
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.library.moving_in import MovingIn, PushReport
from digestdesk.core.library.reader import LibraryReader
from digestdesk.core.library.session_edits import SessionEdits
from digestdesk.core.library.team import TeamMembers
from digestdesk.core.records import Changes, ImportReport
from digestdesk.core.similarity import Match, NotEnoughTriage, Recommendation, SimilarityStore
from digestdesk.core.storage_problems import STORAGE_ERRNOS
from digestdesk.core.text import normalize_tag
from digestdesk.errors import LibraryLockedError, SearchIndexDamagedError
from digestdesk.paths import LibraryPaths

log = logging.getLogger(__name__)


class Library(LibraryReader):
    """An open library. Use :meth:`open` and close it (or use it as a context manager); its
    reads are :class:`~digestdesk.core.library.reader.LibraryReader`'s."""

    def __init__(self, database: Database, *, tuning: LibraryTuning | None = None) -> None:
        self._database = database
        self.paths = database.paths
        self.engine = database.engine
        #: Plain SQL reads (:mod:`.entry_reads`, :mod:`.filters`).
        self.reads = database.reads
        self.tuning = tuning or LibraryTuning()
        self.uuid = database.meta("library_uuid")
        self._sync = IndexSync(database, self.uuid, self.tuning)
        self._importer = Importer(database, self._sync, self.tuning)
        self._edits = Edits(database, self._sync, self.tuning)
        self._moving_in = MovingIn(database, self._sync, self._importer)
        #: The writes of reading sessions (:mod:`digestdesk.core.sessions` steps through them).
        self.session_edits = SessionEdits(database)

    @functools.cached_property
    def similarity(self) -> SimilarityStore:
        """Similar papers and what recommendations are learned over: a cache beside the index,
        made when first used (most commands and the window's first paint never use it)."""
        return SimilarityStore(
            self.engine, self.paths.similarity_file, self.uuid, self._database.change_seq
        )

    @functools.cached_property
    def team(self) -> TeamMembers:
        """The members of a team library (PostgreSQL); on a library of one user it says so."""
        return TeamMembers(self._database, self._sync)

    def rank_for_you(self, ids: list[int]) -> list[int] | None:
        return self.similarity.rank_for_you(ids)

    @property  # type: ignore[override]
    def index(self) -> SearchIndex:
        """The search index: a cache of the database that :mod:`.index_sync` keeps in step."""
        return self._sync.index

    @index.setter
    def index(self, index: SearchIndex) -> None:
        # One index for every part of the library; tests swap in one built with other sizes.
        self._sync.index = index

    # ---------------------------------------------------------- open and close
    @classmethod
    def open(
        cls,
        paths: LibraryPaths,
        *,
        writer: bool = True,
        repair_index: bool = True,
        progress: Progress | None = None,
        tuning: LibraryTuning | None = None,
        keep_index: bool = True,
        lent: bool = False,
    ) -> Library:
        """Open (creating and migrating as needed). ``writer`` takes the one-writer lock;
        ``repair_index`` then brings the search index up to date (or rebuilds it) before
        returning. ``tuning`` changes sizes (tests use small ones). On a server,
        ``keep_index=False`` writes the database while another process of this machine keeps
        the index (no lock file decides who may write a server's library). ``lent``: a writer
        without the lock, for the app's import child (see :meth:`Database.open`)."""
        database = Database.open(paths, writer=writer, keep_index=keep_index, lent=lent)
        library = cls(database, tuning=tuning)
        if library.keeps_index and repair_index:
            library.ensure_index(progress=progress)
        return library

    def maintain_index(
        self, *, backfill: bool = False, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Merge the small index segments that edits leave behind (each edit commits one; a
        search looks in every segment). With ``backfill``, also write one missing postings
        file (an index from before they existed; seconds for a large segment, abandoned when
        ``should_stop()`` turns true). For idle moments and closing; a no-op when there is
        little to do or the index is being rebuilt. Returns whether it did anything."""
        if not self.keeps_index:
            return False
        return self.index.maintain(backfill=backfill, should_stop=should_stop)

    def close(self) -> None:
        if self.keeps_index:
            try:
                self.maintain_index()
            except OSError as exc:
                if exc.errno not in STORAGE_ERRNOS:
                    log.exception("merging the search index's small segments failed")
                else:  # a full disk or a read-only folder: the merge waits for the next time
                    log.warning("the search index's small segments were not merged: %s", exc)
            except Exception:  # the index is a cache: never fail closing the library over it
                log.exception("merging the search index's small segments failed")
        self.index.close()
        self._database.close()

    def close_for_exit(self) -> None:
        """Close the database as :meth:`close` does (a clean close noted when no write is
        under way) for a process that ends at once after it (``os._exit``) while a thread it
        gave up waiting for still works: the index is left as it is (a cache, caught up at
        the next start) and the locks stay held until the process has ended."""
        self._database.close(exiting=True)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_writer(self) -> bool:
        return self._database.is_writer

    @property
    def _index_kept_elsewhere(self) -> bool:
        # A writer without the lock file (a server's library kept open by another Digest
        # Desk on this machine): that one writes the index. (A reader may write it: the
        # child process that builds an index for the app opens the library read-only.)
        return self.is_writer and not self.keeps_index

    @property
    def keeps_index(self) -> bool:
        """Whether this process writes the search index (see ``Database.keeps_index``)."""
        return self._database.keeps_index

    def change_seq(self) -> int:
        return self._database.change_seq()

    # ------------------------------------------------------- index (index_sync)
    def index_status(self) -> str:
        """ "ok", "behind" (incremental catch-up) or "rebuild" (missing, stale, unreadable)."""
        return self._sync.status()

    def index_lag(self) -> int | None:
        """Entries changed since the index was last updated (None: missing or unreadable)."""
        return self._sync.lag()

    def ensure_index(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        """Repair the index if needed; returns what was done ("ok", "caught up", "rebuilt";
        "ok" too for a writer that leaves the index to the process keeping it)."""
        if self._index_kept_elsewhere:
            return "ok"
        return self._sync.ensure(progress=progress, cancelled=cancelled)

    def rebuild_index(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        if self._index_kept_elsewhere:
            raise LibraryLockedError(
                "Another Digest Desk on this machine keeps this library's search index: "
                "rebuild it there, or close it first."
            )
        self._sync.rebuild(progress=progress, cancelled=cancelled)

    def follow_index_in_background(self, notify: Callable[[], None] | None) -> None:
        """Writes stop updating the index themselves and call ``notify()`` instead; the
        caller's own thread then brings the index up to date (:meth:`catch_up_index`,
        :meth:`ensure_index`). ``None`` goes back to indexing on the writing thread."""
        self._sync.follow_in_background(notify)

    def build_caches_in_child(self, from_entries: int | None) -> None:
        """From now on, rebuilding or catching up the search index on ``from_entries``
        entries or more, and building the similarity model of a library that large (and
        learning the reader's taste to recommend from it), run in a
        child process (:mod:`.index_worker`) while the calling thread waits: pure Python work
        on a thread of the app would starve its other threads (the window, the edit lane) of
        the interpreter lock. ``None``: in the calling thread again."""
        self._sync.in_child_from = from_entries
        if from_entries is None:
            self.similarity.build_elsewhere = None
            self.similarity.recommend_elsewhere = None
            return

        def build_similarity(
            papers: int, progress: Progress | None, abandoned: Callable[[], bool]
        ) -> bool:
            if papers < from_entries:
                return False
            try:
                result = index_worker.run_in_child(
                    index_worker.SIMILARITY,
                    self.paths,
                    self.tuning,
                    progress=progress,
                    cancelled=abandoned,
                )
            except index_worker.WorkerFailed as exc:
                log.warning("%s; building the similarity model here instead", exc)
                return False
            return result in ("built", "cancelled")

        self.similarity.build_elsewhere = build_similarity

        def recommend_in_child(
            candidates: Sequence[int], tag: str | None, limit: int, abandoned: Callable[[], bool]
        ) -> list[Recommendation] | NotEnoughTriage | None:
            if self.counts()["total"] < from_entries:
                return None
            answer: list[list[Recommendation] | NotEnoughTriage] = []

            def heard(message: dict[str, Any]) -> None:
                if "recommended" in message:
                    answer.append(
                        [
                            Recommendation(int(e), float(s), tuple(because), tuple(like))
                            for e, s, because, like in message["recommended"]
                        ]
                    )
                elif "not_enough" in message:
                    triaged, positives, for_tag = message["not_enough"]
                    answer.append(NotEnoughTriage(int(triaged), int(positives), for_tag))

            try:
                index_worker.run_in_child(
                    index_worker.RECOMMEND,
                    self.paths,
                    self.tuning,
                    cancelled=abandoned,
                    extra={"ids": list(candidates), "tag": tag, "limit": limit},
                    on_message=heard,
                )
            except index_worker.WorkerFailed as exc:
                log.warning("%s; recommending here instead", exc)
                return None
            return answer[0] if answer else None

        self.similarity.recommend_elsewhere = recommend_in_child

    def import_large_files_in_child(self, from_bytes: int | None) -> None:
        """From now on, :meth:`import_file` of a file of ``from_bytes`` or more runs in a child
        process (:mod:`.import_worker`) while the calling thread waits: its parse and plan on a
        thread of the app would starve the window and the edit lane of the interpreter lock.
        ``None``: in the calling thread again."""
        self._importer.in_child_from = from_bytes

    def catch_up_index(
        self, *, progress: Progress | None = None, most: int | None = None
    ) -> int | None:
        """Index what was written since the index's last seen change; how many entries, or
        None when the index must be rebuilt, or more than ``most`` changed
        (:meth:`ensure_index` then)."""
        if self._index_kept_elsewhere:
            return 0
        return self._sync.catch_up(progress=progress, most=most)

    def catch_up_index_entries(self, *, most: int | None = None) -> list[int] | None:
        """:meth:`catch_up_index`, returning the ids of the entries it indexed (the ones
        changed since, by this process or, on a server, by anyone)."""
        if self._index_kept_elsewhere:
            return []
        return self._sync.catch_up_entries(most=most)

    def listen_for_changes(
        self, on_change: Callable[[], None], *, fallback_s: float = 30.0
    ) -> ChangeListener | None:
        """On a server, a started listener calling ``on_change()`` (on its own thread) when a
        change commits, whoever made it, and every ``fallback_s`` in any case; ``stop()`` it
        when done. None for a SQLite library (only this process writes it)."""
        if self.paths.is_sqlite:
            return None
        listener = ChangeListener(self.engine.url, on_change, fallback_s=fallback_s)
        listener.start()
        return listener

    # ------------------------------------------------------ imports (importing)
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
    ) -> ImportReport:
        """Parse and import one input as one transaction.

        ``as_of`` reads page text's year-less dates (default: today; ``as_of_source`` names
        where it came from for the report: "given", "file", "today"). The same content
        imported again corrects that import instead of adding a second digest.
        ``index=False`` leaves the index behind the database (cheaper when importing many files
        in a row); :meth:`ensure_index` then catches it up in one pass.
        """
        return self._importer.import_bytes(
            data,
            name=name,
            format=format,
            as_of=as_of,
            as_of_source=as_of_source,
            progress=progress,
            cancelled=cancelled,
            index=index,
        )

    def import_file(self, path: str | Path, **kwargs: Any) -> ImportReport:
        """Read a file and import it (:meth:`import_bytes` takes the keyword arguments);
        without ``as_of``, page text is read as of the file's modification day."""
        return self._importer.import_file(path, **kwargs)

    def import_parsed(
        self,
        result: ParseResult,
        *,
        source: str,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
        source_kind: str | None = None,
    ) -> ImportReport:
        """Import parsed drafts as one transaction.

        ``source_kind`` overrides the digest's kind (default: the parser's format name); the
        fetchers record ``"hf-api"`` and ``"arxiv-api"`` so :meth:`fetched_days` can find them.
        """
        return self._importer.import_parsed(
            result,
            source=source,
            progress=progress,
            cancelled=cancelled,
            index=index,
            source_kind=source_kind,
        )

    def push_from(self, folder: str | Path) -> PushReport:
        """Copy a member's own (SQLite) library in ``folder`` into this team library: papers
        merged by identity as imports are, the member's status history, tags, notes and
        reading sessions attributed to them; pushing again adds nothing twice
        (:mod:`.moving_in`)."""
        return self._moving_in.push_folder(folder)

    # ---------------------------------------------------------- edits (edits)
    def set_status(self, ids: Sequence[int], status: str, *, record_undo: bool = True) -> Changes:
        return self._edits.set_status(ids, status, record_undo=record_undo)

    def change_tags(
        self,
        ids: Sequence[int],
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        record_undo: bool = True,
    ) -> Changes:
        return self._edits.change_tags(ids, add=add, remove=remove, record_undo=record_undo)

    def normalize_tag(self, name: str) -> str:
        """A tag's name as this library stores it (a team library keeps a leading ``#``)."""
        return normalize_tag(name, team=self._database.team is not None)

    def set_note(self, entry_id: int, text: str) -> Changes:
        """Save the note of one entry; an empty text removes it."""
        return self._edits.set_note(entry_id, text)

    def undo_label(self) -> str | None:
        return self._edits.undo_label()

    def redo_label(self) -> str | None:
        return self._edits.redo_label()

    def undo(self) -> Changes:
        return self._edits.undo()

    def redo(self) -> Changes:
        return self._edits.redo()

    # ----------------------------------------------------------- reads (reads)
    def first_with_status(self, ids: Sequence[int], status: str) -> int | None:
        """The first of ``ids``, in their order, whose entry has ``status`` (None: none has)."""
        return reads.first_with_status(self.engine, ids, status)

    def export_drafts(
        self, ids: Sequence[int] | None = None
    ) -> tuple[list[EntryDraft], list[DigestDraft]]:
        """Entries as drafts with user state, and the digests they appeared in (for export)."""
        return reads.export_drafts(self.engine, ids)

    def key_drafts(self) -> list[EntryDraft]:
        """Every entry's title, authors, date and arXiv id only (what BibTeX keys use)."""
        return reads.key_drafts(self.engine)

    def fetched_days(
        self,
        source_kind: str,
        *,
        file_name: str | None = None,
        settled_after_days: int | None = None,
    ) -> set[date]:
        """The digest days recorded with ``source_kind`` (and ``file_name``, when given); see
        :func:`~digestdesk.core.library.reads.fetched_days` for ``settled_after_days``."""
        return reads.fetched_days(
            self.engine,
            source_kind,
            file_name=file_name,
            settled_after_days=settled_after_days,
        )

    def digest_dates(self) -> list[date]:
        return reads.digest_dates(self.engine)

    # ---------------------------------------------- queries (filters, searching)
    def related(self, entry_id: int, *, limit: int = 10) -> list[Match]:
        """The papers most like this one (cosine of BM25-weighted terms of title, abstract and
        keywords), best first, each with the phrases both share; none for an unknown id."""
        return self.similarity.related(entry_id, limit=limit)

    def recommend(
        self,
        *,
        tag: str | None = None,
        query: str | None = None,
        ids: Sequence[int] | None = None,
        limit: int = 20,
    ) -> list[Recommendation] | NotEnoughTriage:
        """Unread papers the reader's triage says they want (or that ``tag`` fits), best first,
        each with why; among ``ids`` or a ``query``'s matches when given. Says so, rather than
        guessing, while there is too little triage to learn from."""
        if ids is None:
            ids = self.search(query or "", status="unread").ids
        else:
            with self.engine.connect() as conn:
                status = reads.statuses(conn, ids)
            ids = [i for i in ids if status.get(i) == "unread"]
        if tag is not None:
            tagged = set(self.list_ids(tag=tag))
            ids = [i for i in ids if i not in tagged]
        return self.similarity.recommend(ids, tag=tag, limit=limit)

    # ----------------------------------------------------------- check, stats
    def check(self, *, deep: bool = False) -> list[str]:
        """Differences between the database and the index (empty when they agree); ``deep``
        compares every entry and term instead of a sample."""
        return checks.check(self._database, self._sync, self.uuid, deep=deep)

    def index_damage(self) -> SearchIndexDamagedError | None:
        """The damage found in the search index (it is rebuilt by :meth:`ensure_index`)."""
        return self.index.damage()
