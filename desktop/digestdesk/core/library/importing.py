"""Importing: parsed drafts into the library as one transaction, merged with what it holds.

Identity is the arXiv id, or (where either side lacks one) the normalised title; a known paper
gets what it was missing and the newest counts (:func:`_merge_into`), a paper twice in one file
is merged into its first. Each entry is linked to the digests it appeared in; an export's user
state (status history, tags, note) is restored. The import runs in chunks of
:data:`~digestdesk.core.library.common.CHUNK` drafts with one lookup and one insert statement per
chunk and table (the hot path; tuned). Cancelling raises :class:`ImportCancelled` inside the
transaction, which rolls the whole file back.

Dates: page text has no years, so its dates are read against an as-of day (given, or for a
file its modification date: what a browser's "Save page" leaves) and stored as *inferred*. A
known date (API JSON, arXiv, an export) replaces an inferred one. The same bytes imported again
(their SHA-256 is kept on the digest) correct that import instead of adding a second digest:
its digest date and the inferred dates of its entries are read again with the new as-of day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.drafts import (
    Appearance,
    EntryDraft,
    Link,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.library.common import (
    Cancelled,
    E,
    Progress,
    chunks,
    links_from_json,
    links_to_json,
    utcnow,
)
from digestdesk.core.library.database import Database, next_seq
from digestdesk.core.library.edits import add_tags
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.links import collect_links
from digestdesk.core.records import Changes, ImportedItem, ImportReport
from digestdesk.core.text import clean_text, normalize_title
from digestdesk.core.validation import clean_str, validate
from digestdesk.errors import DigestDeskError


class ImportCancelled(DigestDeskError):
    """Raised inside the import's transaction when ``cancelled()`` turns true: all is undone."""

    def __init__(self) -> None:
        super().__init__("The import was cancelled; nothing was changed.")


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


def modified_day(path: Path) -> date | None:
    """The local day ``path`` was last modified (not after today), or None if unknown."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return min(datetime.fromtimestamp(stamp).date(), date.today())


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Importer:
    """Imports into one library; runs on the writer thread like every write."""

    def __init__(self, database: Database, sync: IndexSync) -> None:
        self._database = database
        self._sync = sync

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
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DigestDeskError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if as_of is None:
            as_of = modified_day(path)
            kwargs.setdefault("as_of_source", "file" if as_of is not None else None)
        return self.import_bytes(data, name=path.name, as_of=as_of, **kwargs)

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
        prepared = [_prepare(d) for d in result.entries]
        now = utcnow()
        touched: set[int] = set()
        added: set[int] = set()
        with self._database.writing() as conn:
            seq = next_seq(conn)
            earlier = _earlier_import(conn, result, content)
            redate: set[int] = set()
            if earlier is not None:
                # The same content again: this import replaces that one (its digest date, the
                # inferred dates of its entries) instead of adding a second digest.
                digest_ids = {"": earlier}
                _update_digest(conn, earlier, result, source, now)
                redate = _entries_of_digest(conn, earlier)
                report.reimported = True
            else:
                digest_ids = _create_digests(conn, result, source, now, source_kind, content)
            report.digest_id = digest_ids.get("") if "" in digest_ids else None
            seen_in_file: dict[int, int] = {}
            local_arxiv: dict[str, int] = {}
            local_title: dict[str, int] = {}
            local_title_noid: dict[str, int] = {}
            done = 0
            for chunk in chunks(prepared):
                if cancelled is not None and cancelled():
                    # Leaving the block by exception rolls the whole file back.
                    raise ImportCancelled()
                existing = _find_existing(conn, chunk)
                # A new entry's first status and digest links are inserted for the whole chunk
                # in one statement each (two statements an entry cost ~0.2 ms each); nothing
                # in the chunk reads them back (a paper repeated in the file is merged before).
                new_rows: dict[Any, list[dict[str, Any]]] = {
                    schema.status_history: [],
                    schema.digest_entries: [],
                }
                # Pass 1: what each draft is. The new papers of the chunk get placeholders
                # (negative) and are inserted together below: one INSERT with RETURNING for the
                # chunk instead of one an entry (two thirds of a large import's transaction).
                plan: list[tuple[_Prepared, str, int]] = []
                news: list[_Prepared] = []
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
                        news.append(item)
                        plan.append((item, "new", -len(news)))
                        ref = -len(news)
                    elif found in seen_in_file:
                        plan.append((item, "duplicate", found))
                        continue
                    else:
                        plan.append((item, "known", found))
                        ref = found
                    seen_in_file[ref] = 1
                    if item.draft.arxiv_id:
                        local_arxiv[item.draft.arxiv_id] = ref
                    else:
                        local_title_noid.setdefault(item.title_norm, ref)
                    local_title.setdefault(item.title_norm, ref)
                new_ids = _insert_entries(conn, news, seq, now, new_rows[schema.status_history])
                real = {-(k + 1): entry_id for k, entry_id in enumerate(new_ids)}
                if real:
                    _resolve_placeholders(real, seen_in_file, local_arxiv, local_title)
                    _resolve_placeholders(real, local_title_noid)
                # Pass 2, in the file's order: merges, the report, appearances, user state.
                for item, kind, ref in plan:
                    entry_id = real.get(ref, ref)
                    if kind == "duplicate":
                        # The same paper twice in one file: merge into the first.
                        _merge_into(conn, entry_id, item, seq, now, redate=entry_id in redate)
                        report.items.append(
                            ImportedItem(item.draft.where, item.title, "duplicate", entry_id)
                        )
                        continue
                    if kind == "new":
                        outcome = "new"
                        added.add(entry_id)
                        report.new += 1
                    else:
                        changed, redated = _merge_into(
                            conn, entry_id, item, seq, now, redate=entry_id in redate
                        )
                        report.dates_corrected += redated
                        outcome = "updated" if changed else "unchanged"
                        if changed:
                            report.updated += 1
                        else:
                            report.unchanged += 1
                    touched.add(entry_id)
                    report.items.append(
                        ImportedItem(item.draft.where, item.title, outcome, entry_id)
                    )
                    _record_appearances(
                        conn,
                        entry_id,
                        item.draft,
                        digest_ids,
                        is_new=outcome == "new",
                        new_links=new_rows[schema.digest_entries],
                    )
                    if item.draft.user_state is not None:
                        _restore_user_state(
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
        self._sync.after_write(touched, seq, index=index)
        return report


def _earlier_import(conn: Connection, result: ParseResult, content: str | None) -> int | None:
    """The digest of an earlier import of the same content (the newest), if any. An export
    names its own digests, so it is never one."""
    if content is None or result.digests:
        return None
    found: int | None = conn.execute(
        select(schema.digests.c.id)
        .where(schema.digests.c.content_hash == content)
        .order_by(schema.digests.c.id.desc())
        .limit(1)
    ).scalar()
    return found


def _update_digest(
    conn: Connection, digest_id: int, result: ParseResult, source: str, now: datetime
) -> None:
    conn.execute(
        update(schema.digests)
        .where(schema.digests.c.id == digest_id)
        .values(
            digest_date=result.digest_date,
            file_name=Path(source).name if source else None,
            imported_at=now,
        )
    )


def _entries_of_digest(conn: Connection, digest_id: int) -> set[int]:
    return set(
        conn.execute(
            select(schema.digest_entries.c.entry_id).where(
                schema.digest_entries.c.digest_id == digest_id
            )
        ).scalars()
    )


def _create_digests(
    conn: Connection,
    result: ParseResult,
    source: str,
    now: datetime,
    source_kind: str | None = None,
    content: str | None = None,
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
            "content_hash": content,
        },
    ).scalar_one()
    return ids


def _find_existing(conn: Connection, chunk: Sequence[_Prepared]) -> list[int | None]:
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


def _resolve_placeholders(real: dict[int, int], *maps: dict[Any, int]) -> None:
    """Replace the chunk's placeholders (keys or values of ``maps``) by the inserted ids."""
    for mapping in maps:
        for key in [k for k in mapping if isinstance(k, int) and k < 0]:
            mapping[real[key]] = mapping.pop(key)
        for key, value in mapping.items():
            if value < 0:
                mapping[key] = real[value]


def _insert_entries(
    conn: Connection,
    items: Sequence[_Prepared],
    seq: int,
    now: datetime,
    history: list[dict[str, Any]],
) -> list[int]:
    """Insert new entries in one statement; their ids in order. Each one's first status row
    (a draft without user state) goes to ``history``, inserted later by the caller."""
    if not items:
        return []
    rows = [_entry_values(item, seq, now) for item in items]
    ids: list[int] = list(
        conn.execute(insert(E).returning(E.c.id, sort_by_parameter_order=True), rows).scalars()
    )
    for item, row, entry_id in zip(items, rows, ids, strict=True):
        if item.draft.user_state is None:
            history.append({"entry_id": entry_id, "status": "unread", "at": row["added_at"]})
    return ids


def _entry_values(item: _Prepared, seq: int, now: datetime) -> dict[str, Any]:
    """The ``entries`` row of a new entry."""
    draft = item.draft
    state = draft.user_state
    added_at = (state.added_at if state and state.added_at else None) or now
    authors_count = draft.authors_count
    if draft.authors and (authors_count is None or authors_count < len(draft.authors)):
        authors_count = len(draft.authors)
    return {
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
        "links": links_to_json(item.links),
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
        "status_changed_at": (state.history[-1].at if state and len(state.history) > 1 else None),
        "added_at": added_at,
        "updated_at": now,
        "seq": seq,
    }


def _merge_into(
    conn: Connection,
    entry_id: int,
    item: _Prepared,
    seq: int,
    now: datetime,
    *,
    redate: bool = False,
) -> tuple[bool, int]:
    """Fill what the library lacks and take the newest counts. A known date replaces an
    inferred one; with ``redate`` (the same content imported again with another as-of day)
    an inferred date is read again too. Returns whether anything changed, and 1 when the
    published date was corrected (else 0)."""
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
    corrected = 0
    if draft.published and (
        row["published"] is None
        or (row["published_year_inferred"] and not draft.published_year_inferred)
        or (row["published_year_inferred"] and redate and draft.published != row["published"])
    ):
        corrected = int(row["published"] is not None and row["published"] != draft.published)
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
    old_links = links_from_json(row["links"])
    merged = _merge_links(old_links, item.links)
    if merged != old_links:
        values["links"] = links_to_json(merged)
        values["has_code"] = any(link.kind == "code" for link in merged)
    if not values:
        return False, 0
    values["updated_at"] = now
    values["seq"] = seq
    conn.execute(update(E).where(E.c.id == entry_id).values(**values))
    return True, corrected


def _record_appearances(
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
        # The status itself went into the INSERT (see _entry_values).
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
        add_tags(conn, [entry_id], state.tags)
    if not is_new:  # a new entry was inserted with this seq already
        conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq))
