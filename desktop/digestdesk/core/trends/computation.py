"""Trends for the sidebar and ``digestdesk trends``: the :class:`Trends` service of one library.

Rising topics compare a window (the last 7, 30, 90 or 365 days up to ``as_of``, by published or
by digest date) with the preceding period of the same length (see
:mod:`~digestdesk.core.trends.scoring`). Most voted entries come from the window's entries,
late risers and repositories gaining stars from the vote and star snapshots
(:mod:`~digestdesk.core.trends.popularity`); your reading from
:mod:`~digestdesk.core.trends.reading`.

Speed: a :class:`Trends` keeps an in-memory :class:`~digestdesk.core.trends.term_index.TermIndex`
of every entry. The first report (or :meth:`Trends.warm`) reads the whole library once; every
later one first reads only what changed and then counts the window's entries in Python. Reports
are also cached per (window, by, as_of, ids, limit) and keyed to the library's ``change_seq``
and the sessions table, so asking again without a change costs two small queries.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.trends.popularity import late_risers, rising_repositories
from digestdesk.core.trends.reading import (
    last_digest,
    reading_per_week,
    status_counts,
    tag_counts,
)
from digestdesk.core.trends.report import RisingTerm, TrendReport, VotedEntry
from digestdesk.core.trends.scoring import (
    CANDIDATES_PER_TOPIC,
    MIN_COUNT,
    MIN_WINDOW_ENTRIES,
    confirm_rising,
    learned_generic,
    rank_rising,
)
from digestdesk.core.trends.term_index import (
    FROM_KEYWORDS,
    KEYS,
    PUBLISHED,
    VOTES,
    TermIndex,
    as_date,
)
from digestdesk.core.trends.terms import Vocabulary
from digestdesk.core.trends.topics import IndexTopicCounter, TopicCounter
from digestdesk.core.validation import without_controls
from digestdesk.errors import DigestDeskError

E = schema.entries

WINDOWS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
BY = ("published", "digest")
#: Sparkline buckets across the previous period and the window (half each).
SPARK_BUCKETS = {7: 14, 30: 12, 90: 12, 365: 12}
DEFAULT_LIMIT = 20
#: Most voted entries, late risers and repositories shown.
TOP_ENTRIES = 10
CACHE_SIZE = 16
#: A report analyses up to this many papers not analysed yet; with more, and the search index
#: in step, it searches the index for each candidate topic instead (10k entries: a 30-day
#: window 73 ms analysed, 90 ms searched; 365 days 630 ms analysed, 250 ms searched).
ANALYSE_AT_MOST = 2_000
#: ... or this share of the library, when more: a search costs more in a larger one (100k
#: entries: a 30-day window, 5,400 papers, 1.0 s analysed, 1.6 s searched; 365 days, 66,000
#: papers, 9.8 s analysed, 4.3 s searched).
ANALYSE_SHARE = 0.1


def parse_window(text: str | int) -> int:
    """ "30d", "30" or 30 -> 30 days; only the sidebar's windows are accepted."""
    if isinstance(text, int):
        days = text
    else:
        cleaned = text.strip().lower()
        days_text = cleaned[:-1] if cleaned.endswith("d") else cleaned
        if not days_text.isdigit():
            raise DigestDeskError(f"{text!r} is not a window: use one of {', '.join(WINDOWS)}.")
        days = int(days_text)
    if days not in WINDOWS.values():
        raise DigestDeskError(f"{days} days is not a window: use one of {', '.join(WINDOWS)}.")
    return days


class Trends:
    """Computes :class:`TrendReport` for one library, with a small cache. Thread-safe reads."""

    def __init__(
        self,
        library: Library,
        *,
        cache_size: int = CACHE_SIZE,
        analyse_at_most: int = ANALYSE_AT_MOST,
        analyse_share: float = ANALYSE_SHARE,
    ) -> None:
        """``analyse_at_most`` and ``analyse_share``: when a report's papers not analysed yet
        exceed both (the share of the library), it searches the index instead (see
        :data:`ANALYSE_AT_MOST`)."""
        self.library = library
        self._cache: OrderedDict[tuple[Any, ...], TrendReport] = OrderedDict()
        self._cache_size = cache_size
        self._analyse_at_most = analyse_at_most
        self._analyse_share = analyse_share
        self._lock = threading.Lock()
        self._vocabulary = Vocabulary()
        self._index = TermIndex(self._vocabulary)
        self._topics = TopicCounter()
        self._generic: tuple[int, frozenset[str]] = (-1, frozenset())
        self._repos_seen: tuple[int, dict[str, date]] = (-1, {})
        self._compute_lock = threading.Lock()

    def warm(self) -> None:
        """Read the library into the term index now (the app calls this off the GUI thread
        after opening a library, so the first report only counts)."""
        with self._compute_lock, self.library.engine.connect() as conn:
            self._index.sync(conn)

    def newest_day(self, by: str = "published") -> date:
        """Today, or the newest day the library holds when that is earlier."""
        with self.library.engine.connect() as conn:
            return self.default_as_of(conn, by)

    @staticmethod
    def default_as_of(conn: Connection, by: str) -> date:
        """Today, or the newest day the library holds when that is earlier: an archive that
        stopped growing still shows its last window instead of an empty one."""
        today = datetime.now(UTC).date()
        if by == "digest":
            newest = conn.execute(
                select(func.max(schema.digests.c.digest_date)).where(
                    schema.digests.c.digest_date <= today
                )
            ).scalar()
        else:
            newest = conn.execute(
                select(func.max(schema.entries.c.published)).where(
                    schema.entries.c.published <= today
                )
            ).scalar()
        return min(today, as_date(newest)) if newest is not None else today

    def report(
        self,
        *,
        window: str | int = "30d",
        by: str = "published",
        as_of: date | None = None,
        ids: Collection[int] | None = None,
        limit: int = DEFAULT_LIMIT,
        min_count: int = MIN_COUNT,
    ) -> TrendReport:
        """Trends over the whole library, or over ``ids`` (the current search's matches)."""
        days = parse_window(window)
        if by not in BY:
            raise DigestDeskError(f"{by!r}: trends go by {' or '.join(BY)} date.")
        allowed = frozenset(ids) if ids is not None else None
        with self.library.engine.connect() as conn:
            stamp = self._stamp(conn)
            if as_of is None:
                as_of = self.default_as_of(conn, by)
        ids_key = None if allowed is None else (len(allowed), hash(allowed))
        key = (days, by, as_of, ids_key, limit, min_count, stamp)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        with self._compute_lock:
            report = self._compute(days, by, as_of, allowed, limit, min_count, stamp)
        with self._lock:
            self._cache[key] = report
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return report

    @staticmethod
    def _stamp(conn: Connection) -> tuple[Any, ...]:
        """What changes when anything the report shows changes."""
        seq = conn.execute(
            select(schema.meta.c.value).where(schema.meta.c.key == "change_seq")
        ).scalar()
        sessions = conn.execute(
            select(func.count(), func.max(schema.reading_sessions.c.updated_at))
        ).one()
        return (int(seq or 0), int(sessions[0]), str(sessions[1]))

    # ------------------------------------------------------------ compute
    def _compute(
        self,
        days: int,
        by: str,
        as_of: date,
        allowed: frozenset[int] | None,
        limit: int,
        min_count: int,
        stamp: tuple[Any, ...],
    ) -> TrendReport:
        started = time.perf_counter()
        buckets = SPARK_BUCKETS[days]
        span = 2 * days
        first_day = as_of - timedelta(days=span - 1)
        window_start = as_of - timedelta(days=days - 1)
        half = buckets // 2
        index = self._index
        with self.library.engine.connect() as conn:
            index.sync(conn)
            self._topics.forget(index.changed)
            index.changed = set()
            keywords, titles, window, previous = index.count(
                by, first_day.toordinal(), as_of.toordinal(), buckets, allowed
            )
            candidates = rank_rising(
                keywords,
                titles,
                days,
                min_count,
                CANDIDATES_PER_TOPIC * limit,
                self._vocabulary.spelling,
                merge=False,
            )
            rising: tuple[RisingTerm, ...] = ()
            enough = len(window) >= MIN_WINDOW_ENTRIES
            if candidates and enough:
                both = [i for i, _day in window] + [i for i, _day in previous]
                last = as_of.toordinal()

                def confirmed(counter: TopicCounter | IndexTopicCounter) -> tuple[RisingTerm, ...]:
                    return confirm_rising(
                        candidates,
                        counter=counter,
                        window=window,
                        before=previous,
                        votes=lambda i: index.entries[i][VOTES],
                        has_keywords=lambda i: bool(index.entries[i][FROM_KEYWORDS]),
                        generic=self._generic_words(),
                        spark=lambda day: buckets - 1 - (last - day) * buckets // span,
                        buckets=buckets,
                        days=days,
                        min_count=min_count,
                        limit=limit,
                    )

                found = None
                # Analysing a few papers (or those already analysed) is quicker than ~80
                # searches; many (a long window, a large library) are much slower.
                at_most = max(self._analyse_at_most, self._analyse_share * len(index.entries))
                many = self._topics.missing(both) > at_most
                if many and self._index_in_step():  # the index is the database: search it
                    try:
                        found = confirmed(IndexTopicCounter(self.library.index, self._topics, both))
                    except DigestDeskError:  # damaged meanwhile: analyse the papers instead
                        found = None
                if found is None:  # analyse the papers as the index will (it is catching up)
                    self._topics.load(conn, both)
                    found = confirmed(self._topics)
                rising = found
            most_voted = self._most_voted(conn, window)
            if self._repos_seen[0] != len(index.entries):  # an import: look them up again
                self._repos_seen = (len(index.entries), {})
            repositories = rising_repositories(
                conn, window, as_of, TOP_ENTRIES, first_seen=self._repos_seen[1]
            )
            risers = late_risers(conn, window, {e.id: e.title for e in most_voted}, TOP_ENTRIES)
            tags = tag_counts(conn, allowed)
            statuses = status_counts(conn, allowed, index.entries)
            latest_digest = last_digest(conn, as_of, allowed)
            reading = reading_per_week(conn, as_of, allowed)
        in_window = sum(keywords.docs[half:]) + sum(titles.docs[half:])
        before = sum(keywords.docs[:half]) + sum(titles.docs[:half])
        return TrendReport(
            window_days=days,
            by=by,
            as_of=as_of,
            window_start=window_start,
            previous_start=first_day,
            bucket_days=span / buckets,
            entries=in_window,
            previous_entries=before,
            rising=rising,
            most_voted=most_voted,
            top_repositories=repositories,
            tags=tags,
            statuses=statuses,
            last_digest=latest_digest,
            reading_per_week=reading,
            change_seq=int(stamp[0]),
            seconds=time.perf_counter() - started,
            late_risers=risers,
            notice=""
            if enough
            else f"Not enough papers in this window to tell what is rising ({len(window)}; "
            f"{MIN_WINDOW_ENTRIES} needed): try a longer window or another date.",
        )

    def _index_in_step(self) -> bool:
        """Whether the search index holds every change of the database (then a topic's count
        is read from it; else the papers are analysed as it will index them)."""
        try:
            return self.library.index_lag() == 0
        except DigestDeskError:
            return False

    def _generic_words(self) -> frozenset[str]:
        """Words the archive uses evenly over time (see :func:`.scoring.learned_generic`),
        learned again when the library has grown by a tenth."""
        entries = self._index.entries
        size, words = self._generic
        if size >= 0 and len(entries) <= size * 1.1:
            return words
        weeks: dict[int, Counter[str]] = defaultdict(Counter)
        docs: Counter[int] = Counter()
        stem = self._topics.term_tokens
        stems: dict[str, str] = {}
        for record in entries.values():
            day = record[PUBLISHED]
            if day is None:
                continue
            week = day // 7
            docs[week] += 1
            for key in record[KEYS]:
                if " " not in key:
                    if key not in stems:
                        tokens = stem(key)[0]
                        stems[key] = tokens[0] if len(tokens) == 1 else ""
                    if stems[key]:
                        weeks[week][stems[key]] += 1
        words = learned_generic(weeks, docs)
        self._generic = (len(entries), words)
        return words

    def _most_voted(
        self, conn: Connection, window: list[tuple[int, int]]
    ) -> tuple[VotedEntry, ...]:
        """The window's most voted entries."""
        entries = self._index.entries
        voted = heapq.nlargest(
            TOP_ENTRIES,
            (w for w in window if entries[w[0]][VOTES] is not None),
            key=lambda w: (entries[w[0]][VOTES], w[1], w[0]),
        )
        titles: dict[int, str] = {}
        if voted:
            titles = {
                entry_id: without_controls(title)  # as the library reads titles
                for entry_id, title in conn.execute(
                    select(E.c.id, E.c.title).where(E.c.id.in_([i for i, _day in voted]))
                )
            }
        return tuple(
            VotedEntry(i, titles[i], entries[i][VOTES], date.fromordinal(day))
            for i, day in voted
            if i in titles
        )
