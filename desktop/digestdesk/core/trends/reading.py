"""Your reading: statuses, tags, the last digest's unread entries and reads per week.

The user's side of a trend report, within the current search's matches (``allowed``) when
given. SQL here is SQLAlchemy Core only (no SQLite functions), so it runs on PostgreSQL as well.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.drafts import STATUSES
from digestdesk.core.library import CHUNK, as_utc
from digestdesk.core.sessions import sessions_per_week
from digestdesk.core.trends.report import LastDigest, WeekReading
from digestdesk.core.trends.term_index import STATUS

E = schema.entries

#: Weeks of "entries read per week", the last one holding ``as_of``.
READING_WEEKS = 12


def _rows_in(
    conn: Connection, stmt: Any, id_column: Any, allowed: frozenset[int] | None
) -> Iterable[Any]:
    """Rows of ``stmt`` for the allowed ids: IN lists when few, else filtered here."""
    if allowed is None:
        yield from conn.execute(stmt)
    elif len(allowed) <= 4 * CHUNK:
        ordered = sorted(allowed)
        for start in range(0, len(ordered), CHUNK):
            yield from conn.execute(stmt.where(id_column.in_(ordered[start : start + CHUNK])))
    else:
        for row in conn.execute(stmt):
            if row[0] in allowed:
                yield row


def tag_counts(conn: Connection, allowed: frozenset[int] | None) -> tuple[tuple[str, int], ...]:
    """Entries per tag, most used first."""
    et, tg = schema.entry_tags, schema.tags
    if allowed is None:
        rows = conn.execute(
            select(tg.c.name, func.count(et.c.entry_id))
            .join(et, et.c.tag_id == tg.c.id)
            .group_by(tg.c.name)
        ).all()
        counts = Counter({name: int(n) for name, n in rows})
    else:
        counts = Counter(
            name
            for _entry_id, name in _rows_in(
                conn,
                select(et.c.entry_id, tg.c.name).join(tg, tg.c.id == et.c.tag_id),
                et.c.entry_id,
                allowed,
            )
        )
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def status_counts(
    conn: Connection, allowed: frozenset[int] | None, entries: Mapping[int, tuple[Any, ...]]
) -> dict[str, int]:
    """Entries per status and their total; with ``allowed``, counted from the term index's
    ``entries`` (synced by the caller)."""
    if allowed is None:
        found = Counter(
            {
                s: int(n)
                for s, n in conn.execute(select(E.c.status, func.count()).group_by(E.c.status))
            }
        )
    else:
        found = Counter(entries[i][STATUS] for i in allowed if i in entries)
    result = {status: int(found.get(status, 0)) for status in STATUSES}
    result["total"] = sum(result.values())
    return result


def last_digest(conn: Connection, as_of: date, allowed: frozenset[int] | None) -> LastDigest | None:
    """The latest digest day up to ``as_of`` (or, without dates, the latest import) and how
    many of its entries are still unread."""
    dg, de = schema.digests, schema.digest_entries
    day = conn.execute(select(func.max(dg.c.digest_date)).where(dg.c.digest_date <= as_of)).scalar()
    if day is not None:
        digest_ids = list(conn.execute(select(dg.c.id).where(dg.c.digest_date == day)).scalars())
    else:
        if conn.execute(select(dg.c.id).where(dg.c.digest_date.is_not(None)).limit(1)).first():
            return None  # every dated digest is after as_of
        latest = conn.execute(select(func.max(dg.c.id))).scalar()
        if latest is None:
            return None
        digest_ids = [latest]
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    statuses: dict[int, str] = {}
    for entry_id, status in conn.execute(
        select(E.c.id, E.c.status)
        .join(de, de.c.entry_id == E.c.id)
        .where(de.c.digest_id.in_(digest_ids))
    ):
        if allowed is None or entry_id in allowed:
            statuses[entry_id] = status
    return LastDigest(
        day=day,
        entries=len(statuses),
        unread=sum(1 for s in statuses.values() if s == "unread"),
    )


def reading_per_week(
    conn: Connection, as_of: date, allowed: frozenset[int] | None
) -> tuple[WeekReading, ...]:
    """Entries read per ISO week (and the sessions of that week), oldest first.

    One rule, what the entry ended with: an entry counts in the week it was last marked read,
    if read is still its status at the end of the period. Read and then re-triaged as skipped,
    it counts nowhere; read, unread, then read again, it counts once, in the later week."""
    last_monday = as_of - timedelta(days=as_of.weekday())
    first_monday = last_monday - timedelta(weeks=READING_WEEKS - 1)
    start = datetime(first_monday.year, first_monday.month, first_monday.day, tzinfo=UTC)
    end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
    sh = schema.status_history
    read_in_period = (
        select(sh.c.entry_id).where(sh.c.status == "read", sh.c.at >= start, sh.c.at < end)
    ).scalar_subquery()
    last: dict[int, tuple[datetime, int, str]] = {}
    for entry_id, row_id, status, at in conn.execute(
        select(sh.c.entry_id, sh.c.id, sh.c.status, sh.c.at).where(
            sh.c.at < end, sh.c.entry_id.in_(read_in_period)
        )
    ):
        if allowed is not None and entry_id not in allowed:
            continue
        moment = as_utc(at)
        assert moment is not None
        known = last.get(entry_id)
        if known is None or (moment, row_id) > known[:2]:
            last[entry_id] = (moment, row_id, status)
    read_in_week: dict[tuple[int, int], set[int]] = defaultdict(set)
    for entry_id, (moment, _row_id, status) in last.items():
        if status == "read" and moment >= start:
            iso = moment.isocalendar()
            read_in_week[(iso[0], iso[1])].add(entry_id)
    sessions = sessions_per_week(conn, first_monday)
    weeks = []
    for n in range(READING_WEEKS):
        monday = first_monday + timedelta(weeks=n)
        iso = monday.isocalendar()
        key = (iso[0], iso[1])
        count, seconds = sessions.get(key, (0, 0.0))
        weeks.append(
            WeekReading(
                week=f"{iso[0]}-W{iso[1]:02d}",
                start=monday,
                read=len(read_in_week.get(key, ())),
                sessions=count,
                session_seconds=seconds,
            )
        )
    return tuple(weeks)
