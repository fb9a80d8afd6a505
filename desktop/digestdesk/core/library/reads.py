"""Reading the library: list rows, full entries, tags, counts, digest days, drafts for export.

Plain functions over an engine (or, for the lookups the other modules share, a connection);
they may run on any thread, each in its own connection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from digestdesk.core import schema
from digestdesk.core.drafts import (
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    StatusChange,
    UserState,
)
from digestdesk.core.library.common import E, as_utc, chunks, links_from_json
from digestdesk.core.records import EntryDetail, EntryRow, StatusEvent
from digestdesk.core.validation import without_controls
from digestdesk.errors import EntryNotFoundError


def _repaired(text: Any) -> Any:
    """Stored text as imports repair it now (None and "" as they are)."""
    return without_controls(text) if text else text


def _as_stored(text: Any) -> Any:
    return text


def statuses(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    """The status of each of these ids that names an entry (the others are left out)."""
    found: dict[int, str] = {}
    for chunk in chunks(list(ids)):
        found.update(conn.execute(select(E.c.id, E.c.status).where(E.c.id.in_(chunk))).all())
    return found


#: ids asked about by id before reading every entry with the status (first_with_status)
NEAR = 100


def first_with_status(engine: Engine, ids: Sequence[int], status: str) -> int | None:
    """The first of ``ids`` (in their order) whose entry has ``status``, or None. The first
    :data:`NEAR` are asked about by id (the next unread entry is usually a few rows away);
    past them, the entries with that status come from the status index in one query and the
    ids are walked in Python: a 100k-long list with none left costs one indexed read, not 200
    queries of 500 ids."""
    ids = list(ids)
    head = ids[:NEAR]
    with engine.connect() as conn:
        found = set(
            conn.execute(select(E.c.id).where(E.c.id.in_(head), E.c.status == status)).scalars()
        )
        if found:
            return next(i for i in head if i in found)
        if len(ids) <= NEAR:
            return None
        having = set(conn.execute(select(E.c.id).where(E.c.status == status)).scalars())
    return next((i for i in ids[NEAR:] if i in having), None)


def require(ids: Sequence[int], found: dict[int, Any]) -> None:
    """Refuse ids that are not among ``found`` (as :func:`statuses` returned them)."""
    missing = [i for i in ids if i not in found]
    if missing:
        raise EntryNotFoundError(
            f"No entry with id {', '.join(map(str, missing[:5]))}"
            + (" ..." if len(missing) > 5 else "")
            + ". `digestdesk list` shows the ids."
        )


def tags_for(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each entry's tags by name (entries without tags are left out)."""
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(list(ids)):
        for entry_id, name in conn.execute(
            select(schema.entry_tags.c.entry_id, schema.tags.c.name)
            .join(schema.tags, schema.tags.c.id == schema.entry_tags.c.tag_id)
            .where(schema.entry_tags.c.entry_id.in_(chunk))
            .order_by(schema.tags.c.name)
        ):
            found[entry_id].append(name)
    return found


def digest_dates_for(conn: Connection, ids: Sequence[int]) -> dict[int, list[date]]:
    """The days of the digests each entry appeared in, oldest first, each day once."""
    found: dict[int, list[date]] = defaultdict(list)
    for chunk in chunks(list(ids)):
        for entry_id, day in conn.execute(
            select(schema.digest_entries.c.entry_id, schema.digests.c.digest_date)
            .join(schema.digests, schema.digests.c.id == schema.digest_entries.c.digest_id)
            .where(schema.digest_entries.c.entry_id.in_(chunk))
            .order_by(schema.digests.c.digest_date)
        ):
            if day is not None and day not in found[entry_id]:
                found[entry_id].append(day)
    return found


def rows(engine: Engine, ids: Sequence[int]) -> dict[int, EntryRow]:
    """List rows for the given ids (the visible ones), keyed by id."""
    with engine.connect() as conn:
        tags = tags_for(conn, ids)
        result: dict[int, EntryRow] = {}
        for chunk in chunks(list(ids)):
            noted = set(
                conn.execute(
                    select(schema.notes.c.entry_id).where(schema.notes.c.entry_id.in_(chunk))
                ).scalars()
            )
            for row in conn.execute(
                select(E.c.id, E.c.title, E.c.published, E.c.votes, E.c.status, E.c.has_code).where(
                    E.c.id.in_(chunk)
                )
            ):
                result[row.id] = EntryRow(
                    id=row.id,
                    title=without_controls(row.title),
                    published=row.published,
                    votes=row.votes,
                    status=row.status,
                    has_code=bool(row.has_code),
                    has_note=row.id in noted,
                    tags=tuple(tags.get(row.id, [])),
                )
    return result


def entry(engine: Engine, entry_id: int) -> EntryDetail:
    details = entries(engine, [entry_id])
    if not details:
        raise EntryNotFoundError(f"No entry with id {entry_id}. `digestdesk list` shows the ids.")
    return details[0]


def entries(engine: Engine, ids: Sequence[int], *, shown: bool = True) -> list[EntryDetail]:
    """Full records, in the order of ``ids`` (unknown ids are left out). ``shown``: the text
    shown (title, abstract, authors, summary...) is repaired as imports repair it since they
    drop terminal controls and bidi overrides (text stored before is read back without them);
    the raw text fields stay as stored."""
    shown_text = _repaired if shown else _as_stored
    with engine.connect() as conn:
        tags = tags_for(conn, ids)
        digest_dates = digest_dates_for(conn, ids)
        notes: dict[int, tuple[str, datetime]] = {}
        history: dict[int, list[StatusEvent]] = defaultdict(list)
        rows: dict[int, Any] = {}
        for chunk in chunks(list(ids)):
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
                title=shown_text(row["title"]),
                title_raw=row["title_raw"],
                abstract=shown_text(row["abstract"]),
                abstract_raw=row["abstract_raw"],
                authors=[shown_text(a) for a in row["authors"] or []],
                authors_count=row["authors_count"],
                published=row["published"],
                published_year_inferred=bool(row["published_year_inferred"]),
                votes=row["votes"],
                links=links_from_json(row["links"]),
                categories=list(row["categories"] or []),
                ai_summary=shown_text(row["ai_summary"]),
                ai_keywords=[shown_text(k) for k in row["ai_keywords"] or []],
                github_repo=row["github_repo"],
                github_stars=row["github_stars"],
                project_page=row["project_page"],
                organization=shown_text(row["organization"]),
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


def ids_for_arxiv(engine: Engine, arxiv_ids: Sequence[str]) -> dict[str, int]:
    """The entry of each of these versionless arXiv ids that the library holds (the others are
    left out)."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for chunk in chunks(list(arxiv_ids)):
            found.update(
                conn.execute(select(E.c.arxiv_id, E.c.id).where(E.c.arxiv_id.in_(chunk))).all()
            )
    return found


def all_tags(engine: Engine) -> list[tuple[str, int]]:
    """Every tag with how many entries carry it, most used first."""
    with engine.connect() as conn:
        return [
            (name, count)
            for name, count in conn.execute(
                select(schema.tags.c.name, func.count(schema.entry_tags.c.entry_id))
                .join(schema.entry_tags, schema.entry_tags.c.tag_id == schema.tags.c.id)
                .group_by(schema.tags.c.name)
                .order_by(func.count(schema.entry_tags.c.entry_id).desc(), schema.tags.c.name)
            )
        ]


def counts(engine: Engine) -> dict[str, int]:
    """Entries in all and per status."""
    with engine.connect() as conn:
        per_status: dict[str, int] = {
            status: count
            for status, count in conn.execute(select(E.c.status, func.count()).group_by(E.c.status))
        }
    result = {status: int(per_status.get(status, 0)) for status in STATUSES}
    result["total"] = sum(result.values())
    return result


def fetched_days(
    engine: Engine,
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
    with engine.connect() as conn:
        for day, imported_at in conn.execute(
            select(d.c.digest_date, d.c.imported_at).where(*conditions)
        ):
            if settled_after_days is not None:
                fetched = as_utc(imported_at)
                if fetched is None or (fetched.date() - day).days < settled_after_days:
                    continue
            days.add(day)
    return days


def digest_dates(engine: Engine) -> list[date]:
    with engine.connect() as conn:
        return [
            d
            for d in conn.execute(
                select(schema.digests.c.digest_date)
                .distinct()
                .where(schema.digests.c.digest_date.is_not(None))
                .order_by(schema.digests.c.digest_date)
            ).scalars()
        ]


def key_drafts(engine: Engine) -> list[EntryDraft]:
    """Every entry as a draft of only its title, authors, date and arXiv id: what BibTeX keys
    are made of (a query's export tells its keys apart from the whole library's)."""
    stmt = select(E.c.title_raw, E.c.authors, E.c.published, E.c.arxiv_id).order_by(E.c.id)
    with engine.connect() as conn:
        return [
            EntryDraft(title=title, authors=list(authors or []), published=day, arxiv_id=arxiv)
            for title, authors, day, arxiv in conn.execute(stmt)
        ]


def export_drafts(
    engine: Engine, ids: Sequence[int] | None = None
) -> tuple[list[EntryDraft], list[DigestDraft]]:
    """Entries as drafts with user state, and the digests they appeared in (for export)."""
    with engine.connect() as conn:
        if ids is None:
            ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
        digest_rows = (
            conn.execute(select(schema.digests).order_by(schema.digests.c.id)).mappings().all()
        )
        appearances: dict[int, list[Appearance]] = defaultdict(list)
        for chunk in chunks(list(ids)):
            for row in conn.execute(
                select(schema.digest_entries)
                .where(schema.digest_entries.c.entry_id.in_(chunk))
                .order_by(schema.digest_entries.c.digest_id)
            ).mappings():
                appearances[row["entry_id"]].append(
                    Appearance(f"d{row['digest_id']}", row["votes"], row["stars"], row["comments"])
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
    for detail in entries(engine, ids, shown=False):  # the raw text, as stored
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
