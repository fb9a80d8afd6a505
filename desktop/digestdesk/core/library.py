"""The library: the only write API over the database, and the read API the views and CLI use.

Every write is one database transaction, then an incremental index update, and returns
:class:`~digestdesk.core.records.Changes`. Writes must come from one thread (the app's writer
thread, or the CLI's main thread); reads may come from any thread.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    not_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from digestdesk.core import schema
from digestdesk.core.drafts import (
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    Link,
    ParseProblem,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.index import IndexDoc, SearchIndex, WhooshIndex
from digestdesk.core.links import collect_links
from digestdesk.core.query import Filter, QueryPlan
from digestdesk.core.records import (
    Changes,
    EntryDetail,
    EntryRow,
    ImportedItem,
    ImportReport,
    SearchResult,
    StatusEvent,
)
from digestdesk.core.store import WriterLock, open_engine
from digestdesk.core.text import clean_text, normalize_title
from digestdesk.errors import DigestDeskError, EntryNotFoundError, LibraryError
from digestdesk.paths import LibraryPaths

log = logging.getLogger(__name__)

E = schema.entries
CHUNK = 500  # rows per IN (...) lookup: well under SQLite's variable limit
INDEX_BATCH = 2000
TEXT_RESULTS_CAP = 2000  # word queries return at most this many ids (best or newest first)
INDEX_BULK = 5000  # more changed entries than this are indexed in batches (bounded memory)
UNDO_KEEP = 500

Progress = Callable[[int, int | None], None]
Cancelled = Callable[[], bool]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _links_to_json(links: Iterable[Link]) -> list[dict[str, str]]:
    return [{"url": link.url, "kind": link.kind} for link in links]


def _links_from_json(value: Any) -> list[Link]:
    return [Link(url=item["url"], kind=item["kind"]) for item in value or []]


def _merge_links(old: list[Link], new: list[Link]) -> list[Link]:
    seen = {link.url.rstrip("/") for link in old}
    merged = list(old)
    for link in new:
        key = link.url.rstrip("/")
        if key not in seen:
            seen.add(key)
            merged.append(link)
    return merged


@dataclass
class _Prepared:
    """A draft normalised for storage."""

    draft: EntryDraft
    title: str
    title_norm: str
    abstract: str
    links: list[Link]


def _prepare(draft: EntryDraft) -> _Prepared:
    extra = [u for u in (draft.github_repo, draft.project_page) if u]
    links = (
        _merge_links(list(draft.links), collect_links(extra_urls=extra))
        if extra
        else list(draft.links)
    )
    return _Prepared(
        draft=draft,
        title=clean_text(draft.title),
        title_norm=normalize_title(draft.title),
        abstract=clean_text(draft.abstract),
        links=links,
    )


# Fields filled from a draft when the library has nothing yet ("fills fields that were missing").
_FILLABLE = (
    "arxiv_id",
    "authors_count",
    "ai_summary",
    "github_repo",
    "project_page",
    "organization",
)
_LIST_FILLABLE = ("authors", "categories", "ai_keywords")


class Library:
    """An open library. Use :meth:`open` and close it (or use it as a context manager)."""

    def __init__(self, paths: LibraryPaths, engine: Engine, lock: WriterLock | None) -> None:
        self.paths = paths
        self.engine = engine
        self._lock = lock
        self.index: SearchIndex = WhooshIndex(paths.index_dir)
        self._write_lock = threading.RLock()
        with engine.connect() as conn:
            self.uuid = self._meta(conn, "library_uuid")

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        paths: LibraryPaths,
        *,
        writer: bool = True,
        repair_index: bool = True,
        progress: Progress | None = None,
    ) -> Library:
        """Open (creating and migrating as needed). ``writer`` takes the one-writer lock."""
        lock = None
        if writer:
            lock = WriterLock(paths.lock_file)
            lock.acquire()
        try:
            engine = open_engine(paths)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        library = cls(paths, engine, lock)
        if writer and repair_index:
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
        if not self.is_writer:
            return False
        return self.index.maintain(backfill=backfill, should_stop=should_stop)

    def close(self) -> None:
        if self.is_writer:
            try:
                self.maintain_index()
            except Exception:  # the index is a cache: never fail closing the library over it
                log.exception("merging the search index's small segments failed")
        self.index.close()
        self.engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_writer(self) -> bool:
        return self._lock is not None

    # ------------------------------------------------------------------- meta
    @staticmethod
    def _meta(conn: Connection, key: str) -> str:
        value = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()
        if value is None:
            raise LibraryError(f"The library is missing its {key}; run `digestdesk check`.")
        return str(value)

    @staticmethod
    def _next_seq(conn: Connection) -> int:
        seq = int(Library._meta(conn, "change_seq")) + 1
        conn.execute(
            update(schema.meta).where(schema.meta.c.key == "change_seq").values(value=str(seq))
        )
        return seq

    def change_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(self._meta(conn, "change_seq"))

    # ------------------------------------------------------------------ index
    def index_status(self) -> str:
        """ "ok", "behind" (incremental catch-up) or "rebuild" (missing, stale, unreadable)."""
        state = self.index.state()
        if state is None or state.library_uuid != self.uuid:
            return "rebuild"
        return "ok" if state.last_seq >= self.change_seq() else "behind"

    def ensure_index(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> str:
        """Repair the index if needed; returns what was done ("ok", "caught up", "rebuilt")."""
        status = self.index_status()
        if status == "ok":
            return "ok"
        if status == "behind":
            state = self.index.state()
            assert state is not None
            with self.engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).where(E.c.seq > state.last_seq)).scalars())
            with self.engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            # Replacing most of the index costs more than building it afresh.
            if len(ids) <= max(INDEX_BULK, total // 2):
                self._index_ids(ids, self.change_seq(), progress=progress)
                log.info("index caught up with %d changed entries", len(ids))
                return "caught up"
        self.rebuild_index(progress=progress, cancelled=cancelled)
        return "rebuilt"

    def rebuild_index(
        self, *, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        with self._write_lock:
            seq = self.change_seq()
            with self.engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            self.index.rebuild(
                self._iter_index_docs(),
                library_uuid=self.uuid,
                last_seq=seq,
                total=total,
                progress=progress,
                cancelled=cancelled,
            )

    def _iter_index_docs(self, ids: Sequence[int] | None = None) -> Iterator[IndexDoc]:
        if ids is None:
            with self.engine.connect() as conn:
                ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
        for chunk in _chunks(ids, INDEX_BATCH):
            with self.engine.connect() as conn:
                yield from self._index_docs(conn, chunk)

    def _index_ids(
        self,
        ids: Sequence[int],
        seq: int,
        deleted: Sequence[int] = (),
        progress: Progress | None = None,
    ) -> None:
        if len(ids) > INDEX_BULK and not deleted:
            with self._write_lock:
                self.index.update_many(
                    self._iter_index_docs(ids), last_seq=seq, total=len(ids), progress=progress
                )
            return
        with self._write_lock:
            docs: list[IndexDoc] = []
            with self.engine.connect() as conn:
                for chunk in _chunks(list(ids), INDEX_BATCH):
                    docs.extend(self._index_docs(conn, chunk))
            self.index.update(docs, deleted=deleted, last_seq=seq)

    def _index_after_write(self, ids: Iterable[int], seq: int) -> None:
        """Index what a committed write touched. A failure here is repaired at next open."""
        try:
            self._index_ids(sorted(set(ids)), seq)
        except Exception:
            log.exception("the search index could not be updated; it will be repaired")

    def _index_docs(self, conn: Connection, ids: Sequence[int]) -> list[IndexDoc]:
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
        tags = self._tags_for(conn, ids)
        notes = dict(
            conn.execute(
                select(schema.notes.c.entry_id, schema.notes.c.text).where(
                    schema.notes.c.entry_id.in_(ids)
                )
            ).all()
        )
        digest_dates = self._digest_dates_for(conn, ids)
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

    # ---------------------------------------------------------------- imports
    def import_bytes(
        self,
        data: bytes,
        *,
        name: str | None = None,
        format: str = "auto",
        as_of: date | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
    ) -> ImportReport:
        """Parse and import one input as one transaction.

        ``index=False`` leaves the index behind the database (cheaper when importing many files
        in a row); :meth:`ensure_index` then catches it up in one pass.
        """
        today = utcnow().date()
        from digestdesk.core import formats  # parsers load only when importing: faster start

        result = formats.parse(data, name=name, format=format, as_of=as_of or today, today=today)
        return self.import_parsed(
            result, source=name or "<stdin>", progress=progress, cancelled=cancelled, index=index
        )

    def import_file(self, path: str | Path, **kwargs: Any) -> ImportReport:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DigestDeskError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        return self.import_bytes(data, name=path.name, **kwargs)

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
        report = ImportReport(
            source=source,
            format=result.format,
            digest_id=None,
            digest_date=result.digest_date,
            as_of=result.as_of,
            skipped=list(result.problems),
        )
        prepared = [_prepare(d) for d in result.entries]
        now = utcnow()
        touched: set[int] = set()
        added: set[int] = set()
        with self._write_lock, self.engine.begin() as conn:
            seq = self._next_seq(conn)
            digest_ids = self._create_digests(conn, result, source, now, source_kind)
            report.digest_id = digest_ids.get("") if "" in digest_ids else None
            seen_in_file: dict[int, int] = {}
            local_arxiv: dict[str, int] = {}
            local_title: dict[str, int] = {}
            local_title_noid: dict[str, int] = {}
            done = 0
            for chunk in _chunks(prepared):
                if cancelled is not None and cancelled():
                    # Leaving the block by exception rolls the whole file back.
                    raise _ImportCancelled()
                existing = self._find_existing(conn, chunk)
                # A new entry's first status and digest links are inserted for the whole chunk
                # in one statement each (two statements an entry cost ~0.2 ms each); nothing
                # in the chunk reads them back (a paper repeated in the file is merged before).
                new_rows: dict[Any, list[dict[str, Any]]] = {
                    schema.status_history: [],
                    schema.digest_entries: [],
                }
                for item, found in zip(chunk, existing, strict=True):
                    if found is None:
                        # An earlier draft of this same file may be this paper.
                        if item.draft.arxiv_id:
                            found = local_arxiv.get(item.draft.arxiv_id) or local_title_noid.get(
                                item.title_norm
                            )
                        else:
                            found = local_title.get(item.title_norm)
                    if found is None:
                        entry_id = self._insert_entry(
                            conn, item, seq, now, history=new_rows[schema.status_history]
                        )
                        outcome = "new"
                        added.add(entry_id)
                        report.new += 1
                    elif found in seen_in_file:
                        # The same paper twice in one file: merge into the first.
                        entry_id = found
                        self._merge_into(conn, found, item, seq, now)
                        report.items.append(
                            ImportedItem(item.draft.where, item.title, "duplicate", entry_id)
                        )
                        continue
                    else:
                        entry_id = found
                        changed = self._merge_into(conn, found, item, seq, now)
                        outcome = "updated" if changed else "unchanged"
                        if changed:
                            report.updated += 1
                        else:
                            report.unchanged += 1
                    seen_in_file[entry_id] = 1
                    if item.draft.arxiv_id:
                        local_arxiv[item.draft.arxiv_id] = entry_id
                    else:
                        local_title_noid.setdefault(item.title_norm, entry_id)
                    local_title.setdefault(item.title_norm, entry_id)
                    touched.add(entry_id)
                    report.items.append(
                        ImportedItem(item.draft.where, item.title, outcome, entry_id)
                    )
                    self._record_appearances(
                        conn,
                        entry_id,
                        item.draft,
                        digest_ids,
                        is_new=outcome == "new",
                        new_links=new_rows[schema.digest_entries],
                    )
                    if item.draft.user_state is not None:
                        self._restore_user_state(
                            conn,
                            entry_id,
                            item.draft.user_state,
                            is_new=outcome == "new",
                            seq=seq,
                            now=now,
                        )
                for table, rows in new_rows.items():
                    if rows:
                        conn.execute(insert(table), rows)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(prepared))
            counts = {
                "new": report.new,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "skipped": len(report.skipped),
            }
            if "" in digest_ids:
                conn.execute(
                    update(schema.digests)
                    .where(schema.digests.c.id == digest_ids[""])
                    .values(counts=counts)
                )
        report.changes = Changes(
            entry_ids=frozenset(touched),
            added=frozenset(added),
            kinds=frozenset({"entries", "digests"}),
            label=f"Import {source}",
        )
        if index:
            self._index_after_write(touched, seq)
        return report

    def _create_digests(
        self,
        conn: Connection,
        result: ParseResult,
        source: str,
        now: datetime,
        source_kind: str | None = None,
    ) -> dict[str, int]:
        """The digest rows for this input: "" is the import itself; export keys map too."""
        ids: dict[str, int] = {}
        if result.digests:
            for digest in result.digests:
                found = conn.execute(
                    select(schema.digests.c.id).where(
                        schema.digests.c.source_kind == digest.source_kind,
                        schema.digests.c.digest_date == digest.digest_date,
                        schema.digests.c.imported_at == (digest.imported_at or now),
                    )
                ).scalar()
                if found is None:
                    found = conn.execute(
                        insert(schema.digests).returning(schema.digests.c.id),
                        {
                            "source_kind": digest.source_kind,
                            "file_name": digest.file_name,
                            "digest_date": digest.digest_date,
                            "imported_at": digest.imported_at or now,
                            "counts": digest.counts,
                        },
                    ).scalar_one()
                ids[digest.key] = found
            return ids
        ids[""] = conn.execute(
            insert(schema.digests).returning(schema.digests.c.id),
            {
                "source_kind": source_kind or result.format,
                "file_name": Path(source).name if source else None,
                "digest_date": result.digest_date,
                "imported_at": now,
                "counts": {},
            },
        ).scalar_one()
        return ids

    def _find_existing(self, conn: Connection, chunk: Sequence[_Prepared]) -> list[int | None]:
        """Identity: same arXiv id, or (where either lacks one) the same normalised title."""
        arxiv_ids = [p.draft.arxiv_id for p in chunk if p.draft.arxiv_id]
        titles = [p.title_norm for p in chunk]
        by_arxiv: dict[str, int] = {}
        if arxiv_ids:
            by_arxiv = dict(
                conn.execute(select(E.c.arxiv_id, E.c.id).where(E.c.arxiv_id.in_(arxiv_ids))).all()
            )
        title_any: dict[str, int] = {}
        title_without_id: dict[str, int] = {}
        for entry_id, title_norm, arxiv_id in conn.execute(
            select(E.c.id, E.c.title_norm, E.c.arxiv_id)
            .where(E.c.title_norm.in_(titles))
            .order_by(E.c.id)
        ):
            title_any.setdefault(title_norm, entry_id)
            if arxiv_id is None:
                title_without_id.setdefault(title_norm, entry_id)
        found: list[int | None] = []
        for item in chunk:
            arxiv_id = item.draft.arxiv_id
            if arxiv_id:
                match = by_arxiv.get(arxiv_id) or title_without_id.get(item.title_norm)
            else:
                match = title_any.get(item.title_norm)
            found.append(match)
        return found

    def _insert_entry(
        self,
        conn: Connection,
        item: _Prepared,
        seq: int,
        now: datetime,
        history: list[dict[str, Any]] | None = None,
    ) -> int:
        """Insert a new entry; its first status row goes to ``history`` when given (inserted
        later by the caller, with others), else straight in."""
        draft = item.draft
        state = draft.user_state
        added_at = (state.added_at if state and state.added_at else None) or now
        authors_count = draft.authors_count
        if draft.authors and (authors_count is None or authors_count < len(draft.authors)):
            authors_count = len(draft.authors)
        entry_id: int = conn.execute(
            insert(E).returning(E.c.id),
            {
                "arxiv_id": draft.arxiv_id or None,
                "title_norm": item.title_norm,
                "title_raw": draft.title,
                "title": item.title,
                "abstract_raw": draft.abstract,
                "abstract": item.abstract,
                "authors": list(draft.authors),
                "authors_count": authors_count,
                "published": draft.published,
                "published_year_inferred": draft.published_year_inferred,
                "categories": list(draft.categories),
                "links": _links_to_json(item.links),
                "has_code": any(link.kind == "code" for link in item.links),
                "ai_summary": draft.ai_summary,
                "ai_keywords": list(draft.ai_keywords),
                "github_repo": draft.github_repo,
                "github_stars": draft.github_stars,
                "project_page": draft.project_page,
                "organization": draft.organization,
                "num_comments": draft.num_comments,
                "votes": draft.votes,
                "status": state.status if state else "unread",
                "status_changed_at": (
                    state.history[-1].at if state and len(state.history) > 1 else None
                ),
                "added_at": added_at,
                "updated_at": now,
                "seq": seq,
            },
        ).scalar_one()
        if state is None:
            row = {"entry_id": entry_id, "status": "unread", "at": added_at}
            if history is None:
                conn.execute(insert(schema.status_history), row)
            else:
                history.append(row)
        return entry_id

    def _merge_into(
        self, conn: Connection, entry_id: int, item: _Prepared, seq: int, now: datetime
    ) -> bool:
        """Fill what the library lacks and take the newest counts; True when anything changed."""
        row = conn.execute(select(E).where(E.c.id == entry_id)).mappings().one()
        draft = item.draft
        values: dict[str, Any] = {}
        for name in _FILLABLE:
            new = getattr(draft, name)
            if new and not row[name]:
                values[name] = new
        for name in _LIST_FILLABLE:
            new = list(getattr(draft, name))
            if new and not row[name]:
                values[name] = new
        if "authors" in values and (row["authors_count"] or 0) < len(values["authors"]):
            values["authors_count"] = len(values["authors"])
        if draft.published and (
            row["published"] is None
            or (row["published_year_inferred"] and not draft.published_year_inferred)
        ):
            values["published"] = draft.published
            values["published_year_inferred"] = draft.published_year_inferred
        if not row["abstract"] and item.abstract:
            values["abstract"] = item.abstract
            values["abstract_raw"] = draft.abstract
        for name, new in (
            ("votes", draft.votes),
            ("github_stars", draft.github_stars),
            ("num_comments", draft.num_comments),
        ):
            if new is not None and new != row[name]:
                values[name] = new
        old_links = _links_from_json(row["links"])
        merged = _merge_links(old_links, item.links)
        if merged != old_links:
            values["links"] = _links_to_json(merged)
            values["has_code"] = any(link.kind == "code" for link in merged)
        if not values:
            return False
        values["updated_at"] = now
        values["seq"] = seq
        conn.execute(update(E).where(E.c.id == entry_id).values(**values))
        return True

    def _record_appearances(
        self,
        conn: Connection,
        entry_id: int,
        draft: EntryDraft,
        digest_ids: dict[str, int],
        *,
        is_new: bool,
        new_links: list[dict[str, Any]] | None = None,
    ) -> None:
        """Link the entry to the digests it appeared in with their vote snapshots; a new
        entry's links go to ``new_links`` when given (inserted later by the caller)."""
        appearances = draft.appearances or [
            Appearance(
                digest_key="",
                votes=draft.votes,
                stars=draft.github_stars,
                comments=draft.num_comments,
            )
        ]
        wanted = {digest_ids[a.digest_key]: a for a in appearances if a.digest_key in digest_ids}
        if wanted and not is_new:  # a new entry cannot be in any digest yet
            for (digest_id,) in conn.execute(
                select(schema.digest_entries.c.digest_id).where(
                    schema.digest_entries.c.entry_id == entry_id,
                    schema.digest_entries.c.digest_id.in_(list(wanted)),
                )
            ):
                wanted.pop(digest_id, None)
        if wanted:
            rows = [
                {
                    "digest_id": digest_id,
                    "entry_id": entry_id,
                    "votes": a.votes,
                    "stars": a.stars,
                    "comments": a.comments,
                }
                for digest_id, a in wanted.items()
            ]
            if is_new and new_links is not None:
                new_links.extend(rows)
            else:
                conn.execute(insert(schema.digest_entries), rows)

    def _restore_user_state(
        self,
        conn: Connection,
        entry_id: int,
        state: UserState,
        *,
        is_new: bool,
        seq: int,
        now: datetime,
    ) -> None:
        """State from an export: everything for a new entry; only additions for a known one."""
        if is_new:
            history = state.history or [StatusChange(status=state.status, at=state.added_at or now)]
            # The status itself went into the INSERT (see _insert_entry).
            conn.execute(
                insert(schema.status_history),
                [{"entry_id": entry_id, "status": h.status, "at": h.at} for h in history],
            )
            add_note = state.note is not None
        else:  # a known entry keeps its own note; an exported one fills only a missing note
            add_note = bool(state.note) and (
                conn.execute(
                    select(schema.notes.c.entry_id).where(schema.notes.c.entry_id == entry_id)
                ).first()
                is None
            )
        if add_note:
            conn.execute(
                insert(schema.notes),
                {
                    "entry_id": entry_id,
                    "text": state.note,
                    "edited_at": state.note_edited_at or now,
                },
            )
        if state.tags:
            self._add_tags(conn, [entry_id], state.tags)
        if not is_new:  # a new entry was inserted with this seq already
            conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq))

    # ------------------------------------------------------------ user state
    def set_status(self, ids: Sequence[int], status: str, *, record_undo: bool = True) -> Changes:
        if status not in STATUSES:
            raise DigestDeskError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
        ids = list(dict.fromkeys(ids))
        now = utcnow()
        with self._write_lock, self.engine.begin() as conn:
            before = self._statuses(conn, ids)
            self._require(ids, before)
            changed = [i for i in ids if before[i] != status]
            if not changed:
                return Changes(label=f"Mark {status}")
            seq = self._next_seq(conn)
            self._apply_status(conn, {i: status for i in changed}, now, seq)
            if record_undo:
                self._push_undo(
                    conn,
                    f"Mark {len(changed)} as {status}" if len(changed) > 1 else f"Mark {status}",
                    {
                        "kind": "status",
                        "before": {str(i): before[i] for i in changed},
                        "after": {str(i): status for i in changed},
                    },
                    now,
                )
        self._index_after_write(changed, seq)
        return Changes(
            entry_ids=frozenset(changed), kinds=frozenset({"status"}), label=f"Mark {status}"
        )

    def _apply_status(
        self, conn: Connection, target: dict[int, str], now: datetime, seq: int
    ) -> None:
        by_status: dict[str, list[int]] = defaultdict(list)
        for entry_id, status in target.items():
            by_status[status].append(entry_id)
        for status, group in by_status.items():
            for chunk in _chunks(group):
                conn.execute(
                    update(E)
                    .where(E.c.id.in_(chunk))
                    .values(status=status, status_changed_at=now, seq=seq)
                )
        conn.execute(
            insert(schema.status_history),
            [{"entry_id": i, "status": s, "at": now} for i, s in target.items()],
        )

    @staticmethod
    def _statuses(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in _chunks(list(ids)):
            found.update(conn.execute(select(E.c.id, E.c.status).where(E.c.id.in_(chunk))).all())
        return found

    @staticmethod
    def _require(ids: Sequence[int], found: dict[int, Any]) -> None:
        missing = [i for i in ids if i not in found]
        if missing:
            raise EntryNotFoundError(
                f"No entry with id {', '.join(map(str, missing[:5]))}"
                + (" ..." if len(missing) > 5 else "")
                + ". `digestdesk list` shows the ids."
            )

    def change_tags(
        self,
        ids: Sequence[int],
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        record_undo: bool = True,
    ) -> Changes:
        add_names = [t for t in (self.normalize_tag(t) for t in add) if t]
        remove_names = [t for t in (self.normalize_tag(t) for t in remove) if t]
        ids = list(dict.fromkeys(ids))
        now = utcnow()
        with self._write_lock, self.engine.begin() as conn:
            self._require(ids, self._statuses(conn, ids))
            before = self._tags_for(conn, ids)
            added_pairs = self._add_tags(conn, ids, add_names, before)
            removed_pairs = self._remove_tags(conn, ids, remove_names, before)
            touched = sorted({i for i, _ in added_pairs} | {i for i, _ in removed_pairs})
            if not touched:
                return Changes(label="Tags")
            seq = self._next_seq(conn)
            for chunk in _chunks(touched):
                conn.execute(update(E).where(E.c.id.in_(chunk)).values(seq=seq, updated_at=now))
            if record_undo:
                label = " ".join([f"+{t}" for t in add_names] + [f"-{t}" for t in remove_names])
                self._push_undo(
                    conn,
                    f"Tag {label}",
                    {"kind": "tags", "added": added_pairs, "removed": removed_pairs},
                    now,
                )
        self._index_after_write(touched, seq)
        return Changes(entry_ids=frozenset(touched), kinds=frozenset({"tags"}), label="Tags")

    @staticmethod
    def normalize_tag(name: str) -> str:
        """Tags are lower-case words joined by hyphens; spaces and commas are not allowed."""
        cleaned = "-".join(name.strip().lower().replace(",", " ").split())
        return cleaned.lstrip("+-#")[:200]

    def _tag_ids(self, conn: Connection, names: Iterable[str], create: bool) -> dict[str, int]:
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        found = dict(
            conn.execute(
                select(schema.tags.c.name, schema.tags.c.id).where(schema.tags.c.name.in_(names))
            ).all()
        )
        if create:
            for name in names:
                if name not in found:
                    found[name] = conn.execute(
                        insert(schema.tags).returning(schema.tags.c.id), {"name": name}
                    ).scalar_one()
        return found

    def _add_tags(
        self,
        conn: Connection,
        ids: Sequence[int],
        names: Sequence[str],
        before: dict[int, list[str]] | None = None,
    ) -> list[list[Any]]:
        if not names:
            return []
        if before is None:
            before = self._tags_for(conn, ids)
        tag_ids = self._tag_ids(conn, names, create=True)
        pairs: list[tuple[int, str]] = [
            (i, n) for i in ids for n in names if n not in before.get(i, [])
        ]
        if pairs:
            conn.execute(
                insert(schema.entry_tags),
                [{"entry_id": i, "tag_id": tag_ids[n]} for i, n in pairs],
            )
        return [list(pair) for pair in pairs]

    def _remove_tags(
        self,
        conn: Connection,
        ids: Sequence[int],
        names: Sequence[str],
        before: dict[int, list[str]],
    ) -> list[list[Any]]:
        if not names:
            return []
        tag_ids = self._tag_ids(conn, names, create=False)
        pairs: list[tuple[int, str]] = [
            (i, n) for i in ids for n in names if n in before.get(i, []) and n in tag_ids
        ]
        for entry_id, name in pairs:
            conn.execute(
                delete(schema.entry_tags).where(
                    schema.entry_tags.c.entry_id == entry_id,
                    schema.entry_tags.c.tag_id == tag_ids[name],
                )
            )
        return [list(pair) for pair in pairs]

    def set_note(self, entry_id: int, text: str) -> Changes:
        """Save the note of one entry; an empty text removes it."""
        now = utcnow()
        with self._write_lock, self.engine.begin() as conn:
            self._require([entry_id], self._statuses(conn, [entry_id]))
            current = conn.execute(
                select(schema.notes.c.text).where(schema.notes.c.entry_id == entry_id)
            ).scalar()
            if (current or "") == text:
                return Changes(label="Note")
            seq = self._next_seq(conn)
            if not text:
                conn.execute(delete(schema.notes).where(schema.notes.c.entry_id == entry_id))
            elif current is None:
                conn.execute(
                    insert(schema.notes), {"entry_id": entry_id, "text": text, "edited_at": now}
                )
            else:
                conn.execute(
                    update(schema.notes)
                    .where(schema.notes.c.entry_id == entry_id)
                    .values(text=text, edited_at=now)
                )
            conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq, updated_at=now))
        self._index_after_write([entry_id], seq)
        return Changes(entry_ids=frozenset({entry_id}), kinds=frozenset({"note"}), label="Note")

    # ---------------------------------------------------------------- undo
    def _push_undo(
        self, conn: Connection, label: str, payload: dict[str, Any], now: datetime
    ) -> None:
        conn.execute(delete(schema.undo_log).where(schema.undo_log.c.undone.is_(True)))
        conn.execute(
            insert(schema.undo_log),
            {"created_at": now, "label": label, "payload": payload, "undone": False},
        )
        oldest_kept = conn.execute(
            select(schema.undo_log.c.id)
            .order_by(schema.undo_log.c.id.desc())
            .offset(UNDO_KEEP)
            .limit(1)
        ).scalar()
        if oldest_kept is not None:
            conn.execute(delete(schema.undo_log).where(schema.undo_log.c.id <= oldest_kept))

    def undo_label(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.undo_log.c.label)
                .where(schema.undo_log.c.undone.is_(False))
                .order_by(schema.undo_log.c.id.desc())
                .limit(1)
            ).scalar()

    def redo_label(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.undo_log.c.label)
                .where(schema.undo_log.c.undone.is_(True))
                .order_by(schema.undo_log.c.id)
                .limit(1)
            ).scalar()

    def undo(self) -> Changes:
        return self._undo_redo(undo=True)

    def redo(self) -> Changes:
        return self._undo_redo(undo=False)

    def _undo_redo(self, *, undo: bool) -> Changes:
        now = utcnow()
        log_t = schema.undo_log
        with self._write_lock, self.engine.begin() as conn:
            order = log_t.c.id.desc() if undo else log_t.c.id
            row = (
                conn.execute(
                    select(log_t).where(log_t.c.undone.is_(not undo)).order_by(order).limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                return Changes()
            payload = row["payload"]
            seq = self._next_seq(conn)
            touched: set[int] = set()
            if payload["kind"] == "status":
                target = payload["before"] if undo else payload["after"]
                present = self._statuses(conn, [int(k) for k in target])
                wanted = {int(k): v for k, v in target.items() if int(k) in present}
                self._apply_status(conn, wanted, now, seq)
                touched.update(wanted)
                kind = "status"
            else:
                to_add = payload["removed"] if undo else payload["added"]
                to_remove = payload["added"] if undo else payload["removed"]
                for entry_id, name in to_add:
                    if self._statuses(conn, [entry_id]):
                        self._add_tags(conn, [entry_id], [name])
                        touched.add(entry_id)
                for entry_id, name in to_remove:
                    before = self._tags_for(conn, [entry_id])
                    self._remove_tags(conn, [entry_id], [name], before)
                    touched.add(entry_id)
                for chunk in _chunks(sorted(touched)):
                    conn.execute(update(E).where(E.c.id.in_(chunk)).values(seq=seq))
                kind = "tags"
            conn.execute(update(log_t).where(log_t.c.id == row["id"]).values(undone=undo))
        self._index_after_write(touched, seq)
        verb = "Undo" if undo else "Redo"
        return Changes(
            entry_ids=frozenset(touched), kinds=frozenset({kind}), label=f"{verb} {row['label']}"
        )

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _tags_for(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        for chunk in _chunks(list(ids)):
            for entry_id, name in conn.execute(
                select(schema.entry_tags.c.entry_id, schema.tags.c.name)
                .join(schema.tags, schema.tags.c.id == schema.entry_tags.c.tag_id)
                .where(schema.entry_tags.c.entry_id.in_(chunk))
                .order_by(schema.tags.c.name)
            ):
                found[entry_id].append(name)
        return found

    @staticmethod
    def _digest_dates_for(conn: Connection, ids: Sequence[int]) -> dict[int, list[date]]:
        found: dict[int, list[date]] = defaultdict(list)
        for chunk in _chunks(list(ids)):
            for entry_id, day in conn.execute(
                select(schema.digest_entries.c.entry_id, schema.digests.c.digest_date)
                .join(schema.digests, schema.digests.c.id == schema.digest_entries.c.digest_id)
                .where(schema.digest_entries.c.entry_id.in_(chunk))
                .order_by(schema.digests.c.digest_date)
            ):
                if day is not None and day not in found[entry_id]:
                    found[entry_id].append(day)
        return found

    def rows(self, ids: Sequence[int]) -> dict[int, EntryRow]:
        """List rows for the given ids (the visible ones), keyed by id."""
        with self.engine.connect() as conn:
            tags = self._tags_for(conn, ids)
            result: dict[int, EntryRow] = {}
            for chunk in _chunks(list(ids)):
                noted = set(
                    conn.execute(
                        select(schema.notes.c.entry_id).where(schema.notes.c.entry_id.in_(chunk))
                    ).scalars()
                )
                for row in conn.execute(
                    select(
                        E.c.id, E.c.title, E.c.published, E.c.votes, E.c.status, E.c.has_code
                    ).where(E.c.id.in_(chunk))
                ):
                    result[row.id] = EntryRow(
                        id=row.id,
                        title=row.title,
                        published=row.published,
                        votes=row.votes,
                        status=row.status,
                        has_code=bool(row.has_code),
                        has_note=row.id in noted,
                        tags=tuple(tags.get(row.id, [])),
                    )
        return result

    def entry(self, entry_id: int) -> EntryDetail:
        details = self.entries([entry_id])
        if not details:
            raise EntryNotFoundError(
                f"No entry with id {entry_id}. `digestdesk list` shows the ids."
            )
        return details[0]

    def entries(self, ids: Sequence[int]) -> list[EntryDetail]:
        """Full records, in the order of ``ids`` (unknown ids are left out)."""
        with self.engine.connect() as conn:
            tags = self._tags_for(conn, ids)
            digest_dates = self._digest_dates_for(conn, ids)
            notes: dict[int, tuple[str, datetime]] = {}
            history: dict[int, list[StatusEvent]] = defaultdict(list)
            rows: dict[int, Any] = {}
            for chunk in _chunks(list(ids)):
                for entry_id, text, edited in conn.execute(
                    select(
                        schema.notes.c.entry_id, schema.notes.c.text, schema.notes.c.edited_at
                    ).where(schema.notes.c.entry_id.in_(chunk))
                ):
                    notes[entry_id] = (text, edited)
                for entry_id, status, at in conn.execute(
                    select(
                        schema.status_history.c.entry_id,
                        schema.status_history.c.status,
                        schema.status_history.c.at,
                    )
                    .where(schema.status_history.c.entry_id.in_(chunk))
                    .order_by(schema.status_history.c.at, schema.status_history.c.id)
                ):
                    history[entry_id].append(StatusEvent(status, as_utc(at) or at))
                for mapping in conn.execute(select(E).where(E.c.id.in_(chunk))).mappings():
                    rows[mapping["id"]] = mapping
        out = []
        for entry_id in ids:
            row = rows.get(entry_id)
            if row is None:
                continue
            note = notes.get(entry_id)
            out.append(
                EntryDetail(
                    id=row["id"],
                    arxiv_id=row["arxiv_id"],
                    title=row["title"],
                    title_raw=row["title_raw"],
                    abstract=row["abstract"],
                    abstract_raw=row["abstract_raw"],
                    authors=list(row["authors"] or []),
                    authors_count=row["authors_count"],
                    published=row["published"],
                    published_year_inferred=bool(row["published_year_inferred"]),
                    votes=row["votes"],
                    links=_links_from_json(row["links"]),
                    categories=list(row["categories"] or []),
                    ai_summary=row["ai_summary"],
                    ai_keywords=list(row["ai_keywords"] or []),
                    github_repo=row["github_repo"],
                    github_stars=row["github_stars"],
                    project_page=row["project_page"],
                    organization=row["organization"],
                    num_comments=row["num_comments"],
                    status=row["status"],
                    status_changed_at=as_utc(row["status_changed_at"]),
                    added_at=as_utc(row["added_at"]) or row["added_at"],
                    tags=tags.get(entry_id, []),
                    note=note[0] if note else None,
                    note_edited_at=as_utc(note[1]) if note else None,
                    digests=digest_dates.get(entry_id, []),
                    history=history.get(entry_id, []),
                )
            )
        return out

    def all_tags(self) -> list[tuple[str, int]]:
        """Every tag with how many entries carry it, most used first."""
        with self.engine.connect() as conn:
            return [
                (name, count)
                for name, count in conn.execute(
                    select(schema.tags.c.name, func.count(schema.entry_tags.c.entry_id))
                    .join(schema.entry_tags, schema.entry_tags.c.tag_id == schema.tags.c.id)
                    .group_by(schema.tags.c.name)
                    .order_by(func.count(schema.entry_tags.c.entry_id).desc(), schema.tags.c.name)
                )
            ]

    def counts(self) -> dict[str, int]:
        """Entries in all and per status."""
        with self.engine.connect() as conn:
            per_status: dict[str, int] = {
                status: count
                for status, count in conn.execute(
                    select(E.c.status, func.count()).group_by(E.c.status)
                )
            }
        result = {status: int(per_status.get(status, 0)) for status in STATUSES}
        result["total"] = sum(result.values())
        return result

    # ----------------------------------------------------------------- queries
    def _order(self, sort: str) -> list[Any]:
        if sort == "votes":
            return [E.c.votes.desc().nulls_last(), E.c.published.desc().nulls_last(), E.c.id.desc()]
        if sort == "title":
            return [E.c.title_norm, E.c.id]
        if sort == "added":
            return [E.c.id.desc()]
        return [E.c.published.desc().nulls_last(), E.c.id.desc()]

    def list_ids(
        self,
        *,
        status: str | None = None,
        tag: str | None = None,
        sort: str = "date",
        limit: int | None = None,
    ) -> list[int]:
        conditions: list[ColumnElement[bool]] = []
        if status:
            conditions.append(self._filter_condition(Filter("status", "=", status)))
        if tag:
            conditions.append(self._filter_condition(Filter("tag", "=", tag)))
        return self._sql_ids(conditions, sort, limit)

    def _filter_ids(
        self, conditions: Sequence[ColumnElement[bool]]
    ) -> tuple[set[int] | None, set[int] | None]:
        """(allowed, None) or, when most entries pass the filter, (None, excluded): fetching
        80k ids of "status:unread" costs more than the search itself at 100k, the 20 others
        almost nothing. A count on the indexed columns decides."""
        passing = and_(*conditions)
        with self.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(E).where(passing)).scalar_one()
            total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            if count * 2 <= total:
                return set(conn.execute(select(E.c.id).where(passing)).scalars()), None
            # NOT of a NULL comparison is NULL, not true: coalesce so those are excluded too.
            failing = not_(func.coalesce(passing, false()))
            return None, set(conn.execute(select(E.c.id).where(failing)).scalars())

    def _sql_ids(
        self, conditions: Sequence[ColumnElement[bool]], sort: str, limit: int | None
    ) -> list[int]:
        stmt = select(E.c.id).where(*conditions).order_by(*self._order(sort))
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def _filter_condition(self, flt: Filter) -> ColumnElement[bool]:
        cond = self._positive_condition(flt)
        return not_(cond) if flt.negate else cond

    def _positive_condition(self, flt: Filter) -> ColumnElement[bool]:
        field, op, value = flt.field, flt.op, flt.value
        if field == "status":
            return E.c.status == str(value)
        if field == "tag":
            return exists().where(
                schema.entry_tags.c.entry_id == E.c.id,
                schema.entry_tags.c.tag_id == schema.tags.c.id,
                schema.tags.c.name == self.normalize_tag(str(value)),
            )
        if field == "arxiv":
            return E.c.arxiv_id == str(value)
        if field == "has":
            if value == "code":
                return E.c.has_code.is_(True)
            if value == "project":
                return E.c.project_page.is_not(None)
            if value == "note":
                return exists().where(schema.notes.c.entry_id == E.c.id)
            raise DigestDeskError(f"has:{value} is not known (use has:code, has:note, has:project)")
        if field == "digest":
            return exists().where(
                schema.digest_entries.c.entry_id == E.c.id,
                schema.digest_entries.c.digest_id == schema.digests.c.id,
                self._compare(schema.digests.c.digest_date, op, value),
            )
        if field == "year":
            if op == "range":
                bounds: tuple[Any, Any] = value  # type: ignore[assignment]
                lo_year, hi_year = int(bounds[0]), int(bounds[1])
                return and_(
                    E.c.published >= date(lo_year, 1, 1), E.c.published <= date(hi_year, 12, 31)
                )
            year = int(value)  # type: ignore[call-overload]
            first, last = date(year, 1, 1), date(year, 12, 31)
            return {
                "=": and_(E.c.published >= first, E.c.published <= last),
                ">": E.c.published > last,
                ">=": E.c.published >= first,
                "<": E.c.published < first,
                "<=": E.c.published <= last,
            }[op]
        if field == "date":
            return self._compare(E.c.published, op, value)
        if field == "votes":
            return self._compare(E.c.votes, op, value)
        raise DigestDeskError(f"Cannot filter on {field}.")

    @staticmethod
    def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
        if op == "range":
            lo, hi = value
            return and_(column >= lo, column <= hi)
        return {
            "=": column == value,
            ">": column > value,
            ">=": column >= value,
            "<": column < value,
            "<=": column <= value,
        }[op]

    def plan(self, query: str, *, sort: str | None = None) -> QueryPlan:
        return self.index.plan(query, default_sort=sort or "relevance")

    def search(
        self,
        query: str,
        *,
        sort: str | None = None,
        limit: int | None = None,
        status: str | None = None,
        tag: str | None = None,
        count_all: bool = True,  # kept for callers: the total is now always exact
    ) -> SearchResult:
        """Run a query in the query language; filters run in SQL, words in the index."""
        plan = self.plan(query, sort=sort)
        filters = list(plan.filters)
        if status:
            filters.append(Filter("status", "=", status))
        if tag:
            filters.append(Filter("tag", "=", tag))
        conditions = [self._filter_condition(f) for f in filters]
        chosen_sort = sort or plan.sort
        if plan.text is None:
            sql_sort = "date" if chosen_sort == "relevance" else chosen_sort
            ids = self._sql_ids(conditions, sql_sort, None)
            total = len(ids)
            return SearchResult(
                ids=ids[:limit] if limit else ids,
                total=total,
                query=query,
                sort=sql_sort,
                terms=plan.terms,
            )
        allowed: set[int] | None = None
        excluded: set[int] | None = None
        if conditions:
            allowed, excluded = self._filter_ids(conditions)
        # The best (or newest) TEXT_RESULTS_CAP are what anyone reads; every match is scored,
        # so the total is exact (the CLI's "N of M shown", the window's count).
        cap = limit or TEXT_RESULTS_CAP
        hits, total = self.index.search_with_total(
            plan, allowed=allowed, excluded=excluded, limit=cap, sort=chosen_sort
        )
        ids = [h.id for h in hits]
        return SearchResult(
            ids=ids,
            total=total,
            query=query,
            sort=chosen_sort,
            terms=plan.terms,
            capped=total > len(ids),
        )

    def highlights(self, ids: Sequence[int], query: str) -> dict[int, str]:
        plan = self.plan(query)
        if plan.text is None:
            return {}
        return self.index.highlights(ids, plan)

    def related(self, entry_id: int, *, limit: int = 10) -> list[int]:
        return [h.id for h in self.index.more_like_this(entry_id, limit=limit)]

    # ----------------------------------------------------------------- export
    def export_drafts(
        self, ids: Sequence[int] | None = None
    ) -> tuple[list[EntryDraft], list[DigestDraft]]:
        """Entries as drafts with user state, and the digests they appeared in (for export)."""
        with self.engine.connect() as conn:
            if ids is None:
                ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
            digest_rows = (
                conn.execute(select(schema.digests).order_by(schema.digests.c.id)).mappings().all()
            )
            appearances: dict[int, list[Appearance]] = defaultdict(list)
            for chunk in _chunks(list(ids)):
                for row in conn.execute(
                    select(schema.digest_entries)
                    .where(schema.digest_entries.c.entry_id.in_(chunk))
                    .order_by(schema.digest_entries.c.digest_id)
                ).mappings():
                    appearances[row["entry_id"]].append(
                        Appearance(
                            f"d{row['digest_id']}", row["votes"], row["stars"], row["comments"]
                        )
                    )
        used = {a.digest_key for items in appearances.values() for a in items}
        digests = [
            DigestDraft(
                key=f"d{row['id']}",
                source_kind=row["source_kind"],
                file_name=row["file_name"],
                digest_date=row["digest_date"],
                imported_at=as_utc(row["imported_at"]),
                counts=dict(row["counts"] or {}),
            )
            for row in digest_rows
            if f"d{row['id']}" in used
        ]
        drafts = []
        for detail in self.entries(ids):
            drafts.append(
                EntryDraft(
                    title=detail.title_raw,
                    abstract=detail.abstract_raw,
                    arxiv_id=detail.arxiv_id,
                    authors=detail.authors,
                    authors_count=detail.authors_count,
                    published=detail.published,
                    published_year_inferred=detail.published_year_inferred,
                    votes=detail.votes,
                    links=detail.links,
                    categories=detail.categories,
                    ai_summary=detail.ai_summary,
                    ai_keywords=detail.ai_keywords,
                    github_repo=detail.github_repo,
                    github_stars=detail.github_stars,
                    project_page=detail.project_page,
                    organization=detail.organization,
                    num_comments=detail.num_comments,
                    user_state=UserState(
                        status=detail.status,
                        history=[StatusChange(h.status, h.at) for h in detail.history],
                        tags=list(detail.tags),
                        note=detail.note,
                        note_edited_at=detail.note_edited_at,
                        added_at=detail.added_at,
                    ),
                    appearances=appearances.get(detail.id, []),
                )
            )
        return drafts, digests

    # ------------------------------------------------------------ check/stats
    def check(self) -> list[str]:
        """Differences between the database and the index (empty when they agree)."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if self.paths.is_sqlite:
                result = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
                if result != "ok":
                    problems.append(f"database integrity check: {result}")
            db_ids = set(conn.execute(select(E.c.id)).scalars())
            seq = int(self._meta(conn, "change_seq"))
            orphans = conn.execute(
                select(func.count())
                .select_from(schema.entry_tags)
                .where(~exists().where(E.c.id == schema.entry_tags.c.entry_id))
            ).scalar_one()
            if orphans:
                problems.append(f"{orphans} tag links point at missing entries")
        state = self.index.state()
        if state is None:
            problems.append("the search index is missing or unreadable")
            return problems
        if state.library_uuid != self.uuid:
            problems.append("the search index belongs to another library")
        if state.last_seq < seq:
            problems.append(
                f"the search index is behind the database (change {state.last_seq} of {seq})"
            )
        index_ids = self.index.ids()
        missing = sorted(db_ids - index_ids)
        extra = sorted(index_ids - db_ids)
        if missing:
            problems.append(
                f"{len(missing)} entries are not in the index (ids "
                f"{', '.join(map(str, missing[:10]))}{' ...' if len(missing) > 10 else ''})"
            )
        if extra:
            problems.append(
                f"{len(extra)} index documents have no entry (ids "
                f"{', '.join(map(str, extra[:10]))}{' ...' if len(extra) > 10 else ''})"
            )
        return problems

    def stats(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            total_digests = conn.execute(select(func.count()).select_from(schema.digests)).scalar()
            with_code = conn.execute(
                select(func.count()).select_from(E).where(E.c.has_code.is_(True))
            ).scalar()
            with_notes = conn.execute(select(func.count()).select_from(schema.notes)).scalar()
            first, last = conn.execute(
                select(func.min(E.c.published), func.max(E.c.published))
            ).one()
            last_digest = conn.execute(select(func.max(schema.digests.c.digest_date))).scalar()
        state = self.index.state()
        return {
            "library": self.paths.describe(),
            "index": str(self.paths.index_dir),
            "entries": self.counts(),
            "digests": total_digests,
            "last_digest": last_digest.isoformat() if last_digest else None,
            "with_code": with_code,
            "with_notes": with_notes,
            "tags": len(self.all_tags()),
            "published_from": first.isoformat() if first else None,
            "published_to": last.isoformat() if last else None,
            "index_documents": state.doc_count if state else None,
        }

    def fetched_days(
        self,
        source_kind: str,
        *,
        file_name: str | None = None,
        settled_after_days: int | None = None,
    ) -> set[date]:
        """The digest days recorded with ``source_kind`` (and ``file_name``, when given).

        With ``settled_after_days=N`` only days fetched at least N days after they began (UTC)
        count: a day fetched while the source was still listing papers for it is not done.
        """
        d = schema.digests
        conditions: list[ColumnElement[bool]] = [
            d.c.source_kind == source_kind,
            d.c.digest_date.is_not(None),
        ]
        if file_name is not None:
            conditions.append(d.c.file_name == file_name)
        days: set[date] = set()
        with self.engine.connect() as conn:
            for day, imported_at in conn.execute(
                select(d.c.digest_date, d.c.imported_at).where(*conditions)
            ):
                if settled_after_days is not None:
                    fetched = as_utc(imported_at)
                    if fetched is None or (fetched.date() - day).days < settled_after_days:
                        continue
                days.add(day)
        return days

    def digest_dates(self) -> list[date]:
        with self.engine.connect() as conn:
            return [
                d
                for d in conn.execute(
                    select(schema.digests.c.digest_date)
                    .distinct()
                    .where(schema.digests.c.digest_date.is_not(None))
                    .order_by(schema.digests.c.digest_date)
                ).scalars()
            ]


class _ImportCancelled(DigestDeskError):
    def __init__(self) -> None:
        super().__init__("The import was cancelled; nothing was changed.")


ImportCancelled = _ImportCancelled

__all__ = [
    "Library",
    "ImportCancelled",
    "Changes",
    "ImportReport",
    "EntryDetail",
    "EntryRow",
    "SearchResult",
    "ParseProblem",
]
