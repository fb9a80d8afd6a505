"""Reading the library through SQLAlchemy: statuses, digest days, drafts for export, and the
lookups the writing modules share inside their transactions.

Plain functions over an engine (or a connection); they may run on any thread, each in its own
connection. List rows, full entries, tags and counts are in :mod:`.entry_reads` (plain SQL,
which the command line also runs without SQLAlchemy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

import digestdesk.core.library.entry_reads as entry_reads
from digestdesk.core import schema
from digestdesk.core.drafts import (
    Appearance,
    DigestDraft,
    EntryDraft,
    StatusChange,
    UserState,
)
from digestdesk.core.library.common import as_utc, chunks
from digestdesk.core.library.database import ConnectionReading, EngineReads
from digestdesk.errors import EntryNotFoundError

E = schema.entries


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
    return entry_reads.tags_for(ConnectionReading(conn), ids)


def digest_dates_for(conn: Connection, ids: Sequence[int]) -> dict[int, list[date]]:
    """The days of the digests each entry appeared in, oldest first, each day once."""
    return entry_reads.digest_dates_for(ConnectionReading(conn), ids)


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
    for detail in entry_reads.entries(EngineReads(engine), ids, shown=False):  # as stored
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
