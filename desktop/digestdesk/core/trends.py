"""Trends for the sidebar and ``digestdesk trends``: what is rising, what is popular, your reading.

Rising topics compare a window (the last 7, 30, 90 or 365 days up to ``as_of``, by published or
by digest date) with the preceding period of the same length. An entry's terms are its Hugging
Face AI keywords where it has them, otherwise short phrases from its title (single words and
pairs of adjacent words, without stop words and generic research words). Each term counts once
per entry.

Scoring. Keywords and title phrases are compared within their own kind, as rates per entry, so
a period with more imports, or with keywords where the one before had none, does not make
everything rise. For a term seen ``c`` times among ``N`` entries in the window and ``p`` times
among ``M`` before, the expected count is the earlier rate, shrunk toward the term's rate over
both periods by a prior of ``k`` pseudo-entries::

    E = (p + k * (c + p) / (N + M)) / (M + k) * N        score = (c - E) / sqrt(E + 1)

A term ranks when it has at least ``min_count`` entries, at least 1.5 times what was expected,
and a score of 2 or more. A word spread evenly over time has ``c`` close to ``E`` and never
ranks, however common it is; with no earlier entries of its kind (``M = 0``) nothing can be
said to rise and ``E = c``.

Speed: a :class:`Trends` keeps an in-memory term index of every entry (publication day,
first digest day, terms, votes, stars, status). The first report (or :meth:`Trends.warm`) reads
the whole library once; every later one first reads only what changed (entries whose ``seq``
moved, digests added since) and then counts the window's entries in Python, so its cost grows
with the entries in the two periods, not with the library. Reports are also cached per
(window, by, as_of, ids, limit) and keyed to the library's ``change_seq`` and the sessions
table, so asking again without a change costs two small queries.

SQL here is SQLAlchemy Core only (no SQLite functions), so it runs on PostgreSQL as well.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.drafts import STATUSES
from digestdesk.core.library import CHUNK, Library, as_utc
from digestdesk.errors import DigestDeskError

E = schema.entries

WINDOWS: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
BY = ("published", "digest")
#: Sparkline buckets across the previous period and the window (half each).
SPARK_BUCKETS = {7: 14, 30: 12, 90: 12, 365: 12}
DEFAULT_LIMIT = 20
MIN_COUNT = 3
MIN_LIFT = 1.5
MIN_SCORE = 2.0
#: Pseudo-entries of prior per entry in the periods (k = 1 + PRIOR_SHARE * (N + M) / 2).
PRIOR_SHARE = 0.1
TOP_ENTRIES = 10
READING_WEEKS = 12
CACHE_SIZE = 16


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and the words of title templates ("Towards ...", "... Is All You Need").
STOP_WORDS = _word_set(
    """
    a about above across after again against all almost along also although am among an and
    another any are around as at be because been before being below beyond both but by can
    could did do does doing done down during each either else even ever every few for from
    further get gets give given go going had has have having he her here hers how however i if
    in into is it its itself just least less let like made make makes many may me might more
    most much must my near need needs neither new no nor not now of off often on once one only
    onto or other our ours out over own per rather same see she should since so some still such
    than that the their theirs them themselves then there these they this those though through
    thus to too toward towards two under until up upon us use used uses using very via was we
    well were what when where whether which while who whom whose why will with within without
    would yet you your vs versus revisited rethinking revisiting beyond really truly first
    second third
    """
)

# Words every research title and abstract uses: they say nothing about the topic alone.
GENERIC_WORDS = _word_set(
    """
    model models modeling modelling method methods approach approaches result results paper
    papers propose proposed proposes proposing performance framework frameworks novel task
    tasks data study studies analysis analyses system systems technique techniques improve
    improved improving improves improvement improvements efficient effective effectively
    better best towards toward simple scalable general generalized unified learning learn
    learned learns network networks neural deep based problem problems application
    applications solution solutions evaluation evaluating evaluate benchmark benchmarks
    dataset datasets experiments experiment empirical investigation case large small high low
    via new work works state art sota state-of-the-art strong robust fast faster accurate
    towards aware guided driven enhanced enhancing enhance leveraging leverage exploring explore
    understanding beyond toward survey review overview introduction technical report tool
    tools way ways challenge challenges process use across role power scale scaling
    """
)

_SEGMENT_SPLIT = re.compile(r"[:;,.!?()\[\]{}\"“”‘’'`/|–—]+|\s-\s")
_TOKEN_STRIP = "-+*_#@&%$~^=<>"
_SPACES = re.compile(r"\s+")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


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


def normalize_keyword(text: str) -> str:
    """Casefold, drop a spelled-out acronym and collapse white space.

    "Large Language Models (LLMs) " -> "large language models".
    """
    text = _PARENTHESES.sub(" ", text.casefold()) if "(" in text else text.casefold()
    return _SPACES.sub(" ", text).strip(" .,;:-")


def term_key(term: str) -> str:
    """The grouping key of a term: its last word without a plural "s" ("diffusion model")."""
    head, _, last = term.rpartition(" ")
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ics")):
        last = last[:-1]
    return f"{head} {last}" if head else last


_SKIP, _PLAIN, _CONTENT = 0, 1, 2


class _Vocabulary:
    """Memoised term extraction: each distinct token and keyword is classified once, and each
    entry's terms are kept (checked against its ``seq``) so later reports only count."""

    def __init__(self) -> None:
        self.words: dict[str, tuple[str, int, str]] = {}
        self.keywords: dict[str, tuple[str, str] | None] = {}
        # grouping key -> how often each spelling was seen (one per entry)
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)
        self._strings: dict[str, str] = {}

    def entry_terms(self, raw_keywords: Any, title: str) -> tuple[bool, tuple[str, ...]]:
        """(from keywords, grouping keys) of one entry."""
        spelled: dict[str, str] = {}
        values = _loads_or_empty(raw_keywords) if isinstance(raw_keywords, str) else raw_keywords
        for value in values if isinstance(values, list) else ():
            pair = self.keyword(value)
            if pair is not None:
                spelled.setdefault(pair[0], pair[1])
        from_keywords = bool(spelled)
        if not from_keywords:
            self.title(title, spelled)
        intern = self._strings.setdefault
        keys = tuple(intern(key, key) for key in spelled)
        for key, spelling in spelled.items():
            self.spellings[key][spelling] += 1
        return from_keywords, keys

    def spelling(self, key: str) -> str:
        """The most used spelling of a grouped term ("diffusion models" over "... model")."""
        found = self.spellings.get(key)
        return found.most_common(1)[0][0] if found else key

    def word(self, token: str) -> tuple[str, int, str]:
        """(cleaned word, kind, its singular) for a casefolded title token."""
        found = self.words.get(token)
        if found is None:
            word = token.strip(_TOKEN_STRIP)
            if not word or len(word) < 2 or word in STOP_WORDS:
                kind = _SKIP
            elif (
                len(word) < 3
                or word in GENERIC_WORDS
                or word.replace("-", "").replace(".", "").isdigit()
            ):
                kind = _PLAIN  # may start or end a phrase, never stands alone
            else:
                kind = _CONTENT
            found = (word, kind, term_key(word))
            if len(self.words) < 500_000:
                self.words[token] = found
        return found

    def keyword(self, value: object) -> tuple[str, str] | None:
        """(grouping key, normalised spelling) of one AI keyword, or None to leave it out."""
        if not isinstance(value, str):
            return None
        if value in self.keywords:
            return self.keywords[value]
        term = normalize_keyword(value)
        found = (
            None
            if not term or term in STOP_WORDS or term in GENERIC_WORDS
            else (term_key(term), term)
        )
        if len(self.keywords) < 500_000:
            self.keywords[value] = found
        return found

    def title(self, title: str, spelled: dict[str, str]) -> None:
        """Add a title's content words and adjacent word pairs (not both generic)."""
        word_of = self.word
        for segment in _SEGMENT_SPLIT.split(title.casefold()):
            previous = ""
            previous_kind = _SKIP
            for token in segment.split():
                word, kind, singular = word_of(token)
                if kind == _SKIP:
                    previous_kind = _SKIP
                    continue
                if kind == _CONTENT:
                    spelled.setdefault(singular, word)
                if previous_kind != _SKIP and (previous_kind == _CONTENT or kind == _CONTENT):
                    spelled.setdefault(f"{previous} {singular}", f"{previous} {word}")
                previous, previous_kind = word, kind


def title_terms(title: str) -> set[str]:
    """Key phrases of a title as spelled: content words and adjacent pairs (not both generic)."""
    spelled: dict[str, str] = {}
    _Vocabulary().title(title, spelled)
    return set(spelled.values())


# --------------------------------------------------------------------- results
@dataclass(frozen=True)
class RisingTerm:
    term: str
    count: int  # entries in the window
    previous: int  # entries in the preceding period
    expected: float
    score: float
    sparkline: tuple[int, ...]  # entries per bucket, oldest first, across both periods
    explanation: str
    source: str  # "keywords", "titles" or "both"

    @property
    def query(self) -> str:
        """What the search bar shows when the user picks this term."""
        if re.fullmatch(r"[a-z0-9]+", self.term):
            return self.term
        return '"' + self.term.replace('"', "") + '"'

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "count": self.count,
            "previous": self.previous,
            "score": round(self.score, 2),
            "expected": round(self.expected, 2),
            "explanation": self.explanation,
            "sparkline": list(self.sparkline),
            "source": self.source,
            "query": self.query,
        }


@dataclass(frozen=True)
class VotedEntry:
    id: int
    title: str
    votes: int
    day: date

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "votes": self.votes,
            "date": self.day.isoformat(),
        }


@dataclass(frozen=True)
class Repository:
    repo: str
    stars: int
    entry_id: int
    title: str

    @property
    def url(self) -> str:
        return self.repo if "://" in self.repo else f"https://github.com/{self.repo}"

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "url": self.url,
            "stars": self.stars,
            "id": self.entry_id,
            "title": self.title,
        }


@dataclass(frozen=True)
class LastDigest:
    day: date | None
    entries: int
    unread: int

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat() if self.day else None,
            "entries": self.entries,
            "unread": self.unread,
        }


@dataclass(frozen=True)
class WeekReading:
    week: str  # ISO week, "2025-W44"
    start: date  # its Monday
    read: int  # entries marked read that week
    sessions: int  # reading sessions started that week
    session_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "start": self.start.isoformat(),
            "read": self.read,
            "sessions": self.sessions,
            "session_minutes": round(self.session_seconds / 60, 1),
        }


@dataclass(frozen=True)
class TrendReport:
    window_days: int
    by: str
    as_of: date
    window_start: date  # first day of the window (inclusive); it ends at as_of
    previous_start: date  # first day of the preceding period
    bucket_days: float  # days per sparkline bucket
    entries: int  # entries dated in the window (within the ids, if given)
    previous_entries: int
    rising: tuple[RisingTerm, ...]
    most_voted: tuple[VotedEntry, ...]
    top_repositories: tuple[Repository, ...]
    tags: tuple[tuple[str, int], ...]
    statuses: dict[str, int]
    last_digest: LastDigest | None
    reading_per_week: tuple[WeekReading, ...]
    change_seq: int = field(default=0, compare=False)
    seconds: float = field(default=0.0, compare=False)  # time it took to compute

    def to_json(self) -> dict[str, Any]:
        return {
            "window": f"{self.window_days}d",
            "by": self.by,
            "as_of": self.as_of.isoformat(),
            "window_start": self.window_start.isoformat(),
            "previous_start": self.previous_start.isoformat(),
            "entries": {"window": self.entries, "previous": self.previous_entries},
            "rising": [t.to_json() for t in self.rising],
            "most_voted": [e.to_json() for e in self.most_voted],
            "top_repositories": [r.to_json() for r in self.top_repositories],
            "tags": [{"tag": name, "count": count} for name, count in self.tags],
            "statuses": dict(self.statuses),
            "last_digest": self.last_digest.to_json() if self.last_digest else None,
            "reading_per_week": [w.to_json() for w in self.reading_per_week],
        }


# ---------------------------------------------------------------------- engine
class _Counts:
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
_PUBLISHED, _FROM_KEYWORDS, _KEYS, _VOTES, _STARS, _STATUS = range(6)


class _TermIndex:
    """What trends need of every entry, in memory, kept in step with the database.

    The first sync reads every entry once (dates, terms, votes, stars, status); later syncs
    read only entries whose ``seq`` moved past the last one seen and digests added since, so a
    report after an import or an edit costs a small query plus counting. Entries are never
    deleted by the library; should the count disagree anyway, the index is rebuilt.
    """

    def __init__(self, vocabulary: _Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.entries: dict[int, tuple[Any, ...]] = {}
        self.by_published: dict[int, set[int]] = defaultdict(set)
        self.first_digest: dict[int, int] = {}
        self.by_digest: dict[int, set[int]] = defaultdict(set)
        self.seq: int | None = None
        self.digest_id = 0

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
            type_coerce(E.c.published, Text),  # no per-row date parsing; see _ordinal
            type_coerce(E.c.ai_keywords, Text),  # decoded here, only for these rows
            E.c.title,
            E.c.votes,
            E.c.github_stars,
            E.c.status,
        )
        if self.seq is not None:
            stmt = stmt.where(E.c.seq > self.seq)
        terms_of = self.vocabulary.entry_terms
        ordinals: dict[Any, int | None] = {}
        for entry_id, published, keywords, title, votes, stars, status in conn.execute(stmt):
            old = self.entries.get(entry_id)
            if published in ordinals:
                ordinal = ordinals[published]
            else:
                ordinal = ordinals[published] = _ordinal(published)
            from_keywords, keys = terms_of(keywords, title)
            if old is not None and old[_PUBLISHED] is not None and old[_PUBLISHED] != ordinal:
                self.by_published[old[_PUBLISHED]].discard(entry_id)
            if ordinal is not None:
                self.by_published[ordinal].add(entry_id)
            self.entries[entry_id] = (ordinal, from_keywords, keys, votes, stars, status)
        de, dg = schema.digest_entries, schema.digests
        for entry_id, day in conn.execute(
            select(de.c.entry_id, type_coerce(dg.c.digest_date, Text))
            .join(dg, dg.c.id == de.c.digest_id)
            .where(dg.c.id > self.digest_id, dg.c.id <= last_digest, dg.c.digest_date.is_not(None))
        ):
            ordinal = _ordinal(day)
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

    def reset(self) -> None:
        self.entries.clear()
        self.by_published.clear()
        self.first_digest.clear()
        self.by_digest.clear()
        self.seq = None
        self.digest_id = 0


def _ordinal(value: Any) -> int | None:
    if value is None:
        return None
    return _as_date(value).toordinal()


class Trends:
    """Computes :class:`TrendReport` for one library, with a small cache. Thread-safe reads."""

    def __init__(self, library: Library, *, cache_size: int = CACHE_SIZE) -> None:
        self.library = library
        self._cache: OrderedDict[tuple[Any, ...], TrendReport] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._vocabulary = _Vocabulary()
        self._index = _TermIndex(self._vocabulary)
        self._compute_lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def warm(self) -> None:
        """Read the library into the term index now (the app calls this off the GUI thread
        after opening a library, so the first report only counts)."""
        with self._compute_lock, self.library.engine.connect() as conn:
            self._index.sync(conn)

    @staticmethod
    def _default_as_of(conn: Connection, by: str) -> date:
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
        return min(today, _as_date(newest)) if newest is not None else today

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
                as_of = self._default_as_of(conn, by)
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
        last = as_of.toordinal()
        half = buckets // 2
        keywords = _Counts(buckets)
        titles = _Counts(buckets)
        index = self._index
        with self.library.engine.connect() as conn:
            index.sync(conn)
            entries = index.entries
            by_day = index.by_published if by == "published" else index.by_digest
            # Keys are gathered per bucket and counted once per bucket (in C).
            gathered: dict[int, tuple[list[str], list[str]]] = {b: ([], []) for b in range(buckets)}
            window: list[tuple[int, int]] = []  # (entry id, day ordinal)
            for ordinal in range(first_day.toordinal(), last + 1):
                ids = by_day.get(ordinal)
                if not ids:
                    continue
                bucket = buckets - 1 - (last - ordinal) * buckets // span
                from_keywords, from_titles = gathered[bucket]
                for entry_id in ids:
                    if allowed is not None and entry_id not in allowed:
                        continue
                    record = entries[entry_id]
                    if record[_FROM_KEYWORDS]:
                        keywords.docs[bucket] += 1
                        from_keywords.extend(record[_KEYS])
                    else:
                        titles.docs[bucket] += 1
                        from_titles.extend(record[_KEYS])
                    if bucket >= half:
                        window.append((entry_id, ordinal))
            for bucket, (from_keywords, from_titles) in gathered.items():
                keywords.per_bucket[bucket] = Counter(from_keywords)
                titles.per_bucket[bucket] = Counter(from_titles)
            most_voted, repositories = self._top_entries(conn, window)
            tags = self._tags(conn, allowed)
            statuses = self._statuses(conn, allowed)
            last_digest = self._last_digest(conn, as_of, allowed)
            reading = self._reading_per_week(conn, as_of, allowed)
        rising = _rank(keywords, titles, days, min_count, limit, self._vocabulary.spelling)
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
            last_digest=last_digest,
            reading_per_week=reading,
            change_seq=int(stamp[0]),
            seconds=time.perf_counter() - started,
        )

    def _top_entries(
        self, conn: Connection, window: list[tuple[int, int]]
    ) -> tuple[tuple[VotedEntry, ...], tuple[Repository, ...]]:
        """Most voted entries and most starred repositories among the window's entries."""
        entries = self._index.entries
        voted = heapq.nlargest(
            TOP_ENTRIES,
            (w for w in window if entries[w[0]][_VOTES] is not None),
            key=lambda w: (entries[w[0]][_VOTES], w[1], w[0]),
        )
        # A few spare candidates: one repository can belong to several entries.
        starred = heapq.nlargest(
            3 * TOP_ENTRIES,
            (w for w in window if entries[w[0]][_STARS] is not None),
            key=lambda w: (entries[w[0]][_STARS], w[0]),
        )
        wanted = sorted({w[0] for w in voted} | {w[0] for w in starred})
        details: dict[int, tuple[str, str | None]] = {}
        if wanted:
            for entry_id, title, repo in conn.execute(
                select(E.c.id, E.c.title, E.c.github_repo).where(E.c.id.in_(wanted))
            ):
                details[entry_id] = (title, repo)
        most_voted = tuple(
            VotedEntry(i, details[i][0], entries[i][_VOTES], date.fromordinal(day))
            for i, day in voted
            if i in details
        )
        repositories: list[Repository] = []
        seen: set[str] = set()
        for entry_id, _day in starred:
            title, repo = details.get(entry_id, ("", None))
            if not repo:
                continue
            normalized = repo.rstrip("/").lower()
            if normalized in seen:
                continue
            seen.add(normalized)
            repositories.append(Repository(repo, entries[entry_id][_STARS], entry_id, title))
            if len(repositories) >= TOP_ENTRIES:
                break
        return most_voted, tuple(repositories)

    @staticmethod
    def _in_allowed(
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

    def _tags(
        self, conn: Connection, allowed: frozenset[int] | None
    ) -> tuple[tuple[str, int], ...]:
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
                for _entry_id, name in self._in_allowed(
                    conn,
                    select(et.c.entry_id, tg.c.name).join(tg, tg.c.id == et.c.tag_id),
                    et.c.entry_id,
                    allowed,
                )
            )
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def _statuses(self, conn: Connection, allowed: frozenset[int] | None) -> dict[str, int]:
        if allowed is None:
            found = Counter(
                {
                    s: int(n)
                    for s, n in conn.execute(select(E.c.status, func.count()).group_by(E.c.status))
                }
            )
        else:
            entries = self._index.entries  # synced by the caller
            found = Counter(entries[i][_STATUS] for i in allowed if i in entries)
        result = {status: int(found.get(status, 0)) for status in STATUSES}
        result["total"] = sum(result.values())
        return result

    def _last_digest(
        self, conn: Connection, as_of: date, allowed: frozenset[int] | None
    ) -> LastDigest | None:
        """The latest digest day up to ``as_of`` (or, without dates, the latest import) and how
        many of its entries are still unread."""
        dg, de = schema.digests, schema.digest_entries
        day = conn.execute(
            select(func.max(dg.c.digest_date)).where(dg.c.digest_date <= as_of)
        ).scalar()
        if day is not None:
            digest_ids = list(
                conn.execute(select(dg.c.id).where(dg.c.digest_date == day)).scalars()
            )
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

    def _reading_per_week(
        self, conn: Connection, as_of: date, allowed: frozenset[int] | None
    ) -> tuple[WeekReading, ...]:
        """Entries marked read per ISO week (and the sessions of that week), oldest first."""
        from digestdesk.core.sessions import sessions_per_week

        last_monday = as_of - timedelta(days=as_of.weekday())
        first_monday = last_monday - timedelta(weeks=READING_WEEKS - 1)
        start = datetime(first_monday.year, first_monday.month, first_monday.day, tzinfo=UTC)
        end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
        sh = schema.status_history
        read_in_week: dict[tuple[int, int], set[int]] = defaultdict(set)
        for entry_id, at in conn.execute(
            select(sh.c.entry_id, sh.c.at).where(
                sh.c.status == "read", sh.c.at >= start, sh.c.at < end
            )
        ):
            if allowed is not None and entry_id not in allowed:
                continue
            moment = as_utc(at)
            assert moment is not None
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


def _loads_or_empty(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return []


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _initials(key: str) -> str:
    """The initials of a phrase key ("lrm" for "large reasoning model", "cot" for
    "chain-of-thought"), or "" for one word."""
    words = [w for w in re.split(r"[\s\-]+", key) if w]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words)


def _expected(c: int, p: int, n: int, m: int) -> float:
    if n == 0:
        return 0.0
    if m == 0:
        return float(c)
    k = 1.0 + PRIOR_SHARE * (n + m) / 2.0
    pooled = (c + p) / (n + m)
    return (p + k * pooled) / (m + k) * n


def _rank(
    keywords: _Counts,
    titles: _Counts,
    days: int,
    min_count: int,
    limit: int,
    spelling: Callable[[str], str],
) -> tuple[RisingTerm, ...]:
    half = keywords.buckets // 2
    kinds = []
    for name, kind in (("keywords", keywords), ("titles", titles)):
        window, before = kind.totals(half)
        kinds.append((name, kind, window, before, sum(kind.docs[half:]), sum(kind.docs[:half])))
    candidates: list[tuple[float, str, int, int, float, str]] = []
    for key in set(kinds[0][2]) | set(kinds[1][2]):
        count = previous = 0
        expected = 0.0
        sources = []
        for name, _kind, window, before, n, m in kinds:
            c = window.get(key, 0)
            if not c:
                continue
            p = before.get(key, 0)
            sources.append(name)
            expected += _expected(c, p, n, m)
            count += c
            previous += p
        if count < min_count or count < MIN_LIFT * expected:
            continue
        score = (count - expected) / math.sqrt(expected + 1.0)
        if score < MIN_SCORE:
            continue
        # A term seen in the window by one kind and only before by the other still counts
        # its earlier entries of that other kind.
        for name, _kind, _window, before, _n, _m in kinds:
            if name not in sources:
                previous += before.get(key, 0)
        candidates.append((score, key, count, previous, expected, "+".join(sources)))
    candidates.sort(key=lambda c: (-c[0], -c[2], c[1]))
    # A word that rises only as part of a rising phrase is shown as the phrase.
    in_phrases: dict[str, int] = {}
    for _score, key, count, *_rest in candidates:
        if " " in key:
            for word in key.split():
                in_phrases[word] = max(in_phrases.get(word, 0), count)
    # An acronym rising beside its spelled-out phrase ("lrms" and "large reasoning models")
    # is one topic: the phrase is shown, in the better of the two places.
    spelled_out: dict[str, tuple[float, str, int, int, float, str]] = {}
    for candidate in candidates:
        initials = _initials(candidate[1])
        if initials and initials != candidate[1]:
            spelled_out.setdefault(initials, candidate)
    out: list[RisingTerm] = []
    shown: set[str] = set()
    for candidate in candidates:
        key = candidate[1]
        if key in spelled_out:
            candidate = spelled_out[key]
            key = candidate[1]
        elif " " not in key and in_phrases.get(key, 0) >= 0.7 * candidate[2]:
            continue
        if key in shown:
            continue
        shown.add(key)
        score, key, count, previous, expected, sources_text = candidate
        spark = [a + b for a, b in zip(keywords.spark(key), titles.spark(key), strict=True)]
        out.append(
            RisingTerm(
                term=spelling(key),
                count=count,
                previous=previous,
                expected=expected,
                score=score,
                sparkline=tuple(spark),
                explanation=f"{count} in the last {days} days, {previous} in the {days} before",
                source="both" if "+" in sources_text else sources_text,
            )
        )
        if len(out) >= limit:
            break
    return tuple(out)


__all__ = [
    "BY",
    "WINDOWS",
    "RisingTerm",
    "TrendReport",
    "Trends",
    "parse_window",
    "title_terms",
]
