"""Checking a library (the database against its search index) and its statistics.

What ``digestdesk check`` and ``digestdesk stats`` print; reads only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select

from digestdesk.core import schema
from digestdesk.core.library.common import E
from digestdesk.core.library.database import Database, read_meta
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.library.reads import all_tags, counts


def check(database: Database, sync: IndexSync, library_uuid: str) -> list[str]:
    """Differences between the database and the index (empty when they agree)."""
    problems: list[str] = []
    with database.engine.connect() as conn:
        if database.paths.is_sqlite:
            result = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
            if result != "ok":
                problems.append(f"database integrity check: {result}")
        db_ids = set(conn.execute(select(E.c.id)).scalars())
        seq = int(read_meta(conn, "change_seq"))
        orphans = conn.execute(
            select(func.count())
            .select_from(schema.entry_tags)
            .where(~exists().where(E.c.id == schema.entry_tags.c.entry_id))
        ).scalar_one()
        if orphans:
            problems.append(f"{orphans} tag links point at missing entries")
    state = sync.index.state()
    if state is None:
        problems.append("the search index is missing or unreadable")
        return problems
    if state.library_uuid != library_uuid:
        problems.append("the search index belongs to another library")
    if state.last_seq < seq:
        problems.append(
            f"the search index is behind the database (change {state.last_seq} of {seq})"
        )
    index_ids = sync.index.ids()
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


def stats(database: Database, sync: IndexSync) -> dict[str, Any]:
    """What ``digestdesk stats`` shows: sizes, dates and where the library and its index are."""
    with database.engine.connect() as conn:
        total_digests = conn.execute(select(func.count()).select_from(schema.digests)).scalar()
        with_code = conn.execute(
            select(func.count()).select_from(E).where(E.c.has_code.is_(True))
        ).scalar()
        with_notes = conn.execute(select(func.count()).select_from(schema.notes)).scalar()
        first, last = conn.execute(select(func.min(E.c.published), func.max(E.c.published))).one()
        last_digest = conn.execute(select(func.max(schema.digests.c.digest_date))).scalar()
    state = sync.index.state()
    return {
        "library": database.paths.describe(),
        "index": str(database.paths.index_dir),
        "entries": counts(database.engine),
        "digests": total_digests,
        "last_digest": last_digest.isoformat() if last_digest else None,
        "with_code": with_code,
        "with_notes": with_notes,
        "tags": len(all_tags(database.engine)),
        "published_from": first.isoformat() if first else None,
        "published_to": last.isoformat() if last else None,
        "index_documents": state.doc_count if state else None,
    }
