"""What a trend report holds, and its JSON form (``digestdesk trends --json``, a public interface).

Plain frozen dataclasses: :class:`TrendReport` and its parts (rising terms, most voted entries,
most starred repositories, the last digest, reading per week). Each has ``to_json``; its fields
are only ever extended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any


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
    votes: int = 0  # upvotes of the window's papers with this term

    @property
    def query(self) -> str:
        """What the search bar shows when the user picks this term."""
        return topic_query(self.term)

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
            "votes": self.votes,
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
    stars: int  # the latest snapshot's (or the entry's) stars
    entry_id: int
    title: str
    star_growth: int | None = None  # stars gained between the first and last snapshot
    stars_per_day: float = 0.0  # what ranks it: growth per day, or stars per day of age
    basis: str = "age"  # "growth" (two snapshots or more) or "age" (one)

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
            "star_growth": self.star_growth,
            "stars_per_day": round(self.stars_per_day, 2),
            "basis": self.basis,
        }


@dataclass(frozen=True)
class LateRiser:
    """A paper whose votes grew between its first and its last snapshot."""

    id: int
    title: str
    first_votes: int
    votes: int
    gain: int
    days: int  # between the two snapshots

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "first_votes": self.first_votes,
            "votes": self.votes,
            "gain": self.gain,
            "days": self.days,
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
    notice: str = ""  # why nothing can be said to rise (too few papers in the window)
    late_risers: tuple[LateRiser, ...] = ()

    def window_query(self, term: RisingTerm) -> str:
        """The search that finds the papers ``term.count`` counts: the term within the window
        (by published date; by digest date, the digests of the window)."""
        field = "date" if self.by == "published" else "digest"
        return f"{term.query} {field}:{self.window_start.isoformat()}..{self.as_of.isoformat()}"

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
            "notice": self.notice or None,
            "late_risers": [r.to_json() for r in self.late_risers],
        }


def topic_query(term: str) -> str:
    """The query that finds a topic's papers: a word, or a quoted phrase."""
    if re.fullmatch(r"[a-z0-9]+", term):
        return term
    return '"' + term.replace('"', "") + '"'
