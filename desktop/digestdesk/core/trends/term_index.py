"""The term index: what trends need of every entry, in memory, kept in step with the database.

:class:`TermIndex` holds each entry's publication day, first digest day, terms, votes, stars
and status. The first sync reads the whole library once; every later one reads only what
changed (entries whose ``seq`` moved, digests added since), so a report's cost grows with the
entries in its two periods, not with the library. :class:`TermCounts` is what a report counts
from it: entries per sparkline bucket for each term of one kind.

SQL here is SQLAlchemy Core only (no SQLite functions), so it runs on PostgreSQL as well.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.trends.terms import Vocabulary

E = schema.entries


class TermCounts:
    """Entries per sparkline bucket for each term of one kind (keywords or title phrases)."""

    def __init__(self, buckets: int) -> None:
        self.buckets = buckets
        # One Counter per bucket: Counter.update runs in C, the per-entry cost that matters.
        self.per_bucket: list[Counter[str]] = [Counter() for _ in range(buckets)]
        self.docs = [0] * buckets

    def totals(self, half: int) -> tuple[Counter[str], Counter[str]]:
        """Counts in the window and in the period before."""
        window: Counter[str] = Counter()
        before: Counter[str] = Counter()
        for counter in self.per_bucket[half:]:
            window.update(counter)
        for counter in self.per_bucket[:half]:
            before.update(counter)
        return window, before

    def spark(self, key: str) -> list[int]:
        return [counter.get(key, 0) for counter in self.per_bucket]


# Fields of a term-index record.
PUBLISHED, FROM_KEYWORDS, KEYS, VOTES, STARS, STATUS = range(6)


class TermIndex:
    """What trends need of every entry, in memory, kept in step with the database.

    The first sync reads every entry once (dates, terms, votes, stars, status); later syncs
    read only entries whose ``seq`` moved past the last one seen and digests added since, so a
    report after an import or an edit costs a small query plus counting. Entries are never
    deleted by the library; should the count disagree anyway, the index is rebuilt.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.entries: dict[int, tuple[Any, ...]] = {}
        self.by_published: dict[int, set[int]] = defaultdict(set)
        self.first_digest: dict[int, int] = {}
        self.by_digest: dict[int, set[int]] = defaultdict(set)
        self.seq: int | None = None
        self.digest_id = 0
        #: Entries the last sync read again (None: all of them, after a reset).
        self.changed: set[int] | None = None

    def sync(self, conn: Connection) -> None:
        seq = int(
            conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "change_seq")
            ).scalar()
            or 0
        )
        if seq == self.seq:
            return
        last_digest = conn.execute(select(func.max(schema.digests.c.id))).scalar() or 0
        stmt = select(
            E.c.id,
            type_coerce(E.c.published, Text),  # no per-row date parsing; see day_ordinal
            type_coerce(E.c.ai_keywords, Text),  # decoded here, only for these rows
            E.c.title,
            E.c.votes,
            E.c.github_stars,
            E.c.status,
        )
        if self.seq is not None:
            stmt = stmt.where(E.c.seq > self.seq)
            self.changed = set()
        else:
            self.changed = None
        terms_of = self.vocabulary.entry_terms
        ordinals: dict[Any, int | None] = {}
        for entry_id, published, keywords, title, votes, stars, status in conn.execute(stmt):
            old = self.entries.get(entry_id)
            if published in ordinals:
                ordinal = ordinals[published]
            else:
                ordinal = ordinals[published] = day_ordinal(published)
            from_keywords, keys = terms_of(keywords, title)
            if old is not None and old[PUBLISHED] is not None and old[PUBLISHED] != ordinal:
                self.by_published[old[PUBLISHED]].discard(entry_id)
            if ordinal is not None:
                self.by_published[ordinal].add(entry_id)
            self.entries[entry_id] = (ordinal, from_keywords, keys, votes, stars, status)
            if self.changed is not None:
                self.changed.add(entry_id)
        de, dg = schema.digest_entries, schema.digests
        for entry_id, day in conn.execute(
            select(de.c.entry_id, type_coerce(dg.c.digest_date, Text))
            .join(dg, dg.c.id == de.c.digest_id)
            .where(dg.c.id > self.digest_id, dg.c.id <= last_digest, dg.c.digest_date.is_not(None))
        ):
            ordinal = day_ordinal(day)
            old_first = self.first_digest.get(entry_id)
            if ordinal is None or (old_first is not None and old_first <= ordinal):
                continue
            if old_first is not None:
                self.by_digest[old_first].discard(entry_id)
            self.first_digest[entry_id] = ordinal
            self.by_digest[ordinal].add(entry_id)
        self.digest_id = last_digest
        self.seq = seq
        total = conn.execute(select(func.count()).select_from(E)).scalar_one()
        if total != len(self.entries):
            self.reset()
            self.sync(conn)

    def count(
        self, by: str, first: int, last: int, buckets: int, allowed: frozenset[int] | None
    ) -> tuple[TermCounts, TermCounts, list[tuple[int, int]], list[tuple[int, int]]]:
        """Terms per bucket of the days ``first``..``last`` (ordinals, by published or digest
        date; the later half of the buckets is the window), keywords and title phrases apart,
        and the (entry id, day ordinal) of the window's entries and of the period before's.
        Call :meth:`sync` first."""
        span = last - first + 1
        half = buckets // 2
        keywords = TermCounts(buckets)
        titles = TermCounts(buckets)
        entries = self.entries
        by_day = self.by_published if by == "published" else self.by_digest
        # Keys are gathered per bucket and counted once per bucket (in C).
        gathered: dict[int, tuple[list[str], list[str]]] = {b: ([], []) for b in range(buckets)}
        window: list[tuple[int, int]] = []  # (entry id, day ordinal)
        before: list[tuple[int, int]] = []
        for ordinal in range(first, last + 1):
            ids = by_day.get(ordinal)
            if not ids:
                continue
            bucket = buckets - 1 - (last - ordinal) * buckets // span
            from_keywords, from_titles = gathered[bucket]
            for entry_id in ids:
                if allowed is not None and entry_id not in allowed:
                    continue
                record = entries[entry_id]
                if record[FROM_KEYWORDS]:
                    keywords.docs[bucket] += 1
                    from_keywords.extend(record[KEYS])
                else:
                    titles.docs[bucket] += 1
                    from_titles.extend(record[KEYS])
                (window if bucket >= half else before).append((entry_id, ordinal))
        for bucket, (from_keywords, from_titles) in gathered.items():
            keywords.per_bucket[bucket] = Counter(from_keywords)
            titles.per_bucket[bucket] = Counter(from_titles)
        return keywords, titles, window, before

    def reset(self) -> None:
        self.entries.clear()
        self.by_published.clear()
        self.first_digest.clear()
        self.by_digest.clear()
        self.seq = None
        self.digest_id = 0


def day_ordinal(value: Any) -> int | None:
    if value is None:
        return None
    return as_date(value).toordinal()


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
