"""Reading sessions: work through a list one entry at a time, stored so they survive a restart.

A session is a fixed, ordered list of entries (the current list or the queue when it started)
and a cursor. For each entry the reader records an outcome; ``read``, ``skipped`` and ``queued``
change the entry's status through :meth:`Library.set_status` (so the status history, undo and the
search index stay right), ``passed`` moves on without changing anything. Tags and notes written
during the session go through the library too and are counted in the summary.

Time: the clock runs while a session is ``active``. ``elapsed_seconds`` holds the time up to
``running_since``; each stretch is capped at :data:`IDLE_LIMIT` so a reader who walked away (or
an app that crashed with a session open) does not count hours. Each item keeps the seconds spent
on it. At most one session is open (active or paused) at a time; after a restart
:meth:`Sessions.current` finds it and :meth:`Sessions.resume` continues it.

This module decides what a step means, keeps the clock and reads sessions back; it writes
nothing itself. The session rows are written by the library's session edits
(:class:`~digestdesk.core.library.session_edits.SessionEdits`, ``library.session_edits``) and
entries change through the library's edits, so every step is a library write: Qt-free, and on
the app's writer thread like every other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.library import Library, as_utc, utcnow
from digestdesk.core.library.session_edits import open_session_id
from digestdesk.core.records import Changes
from digestdesk.errors import DigestDeskError

log = logging.getLogger(__name__)

S = schema.reading_sessions
I = schema.session_items  # noqa: E741 - the items table, next to S for sessions
E = schema.entries

STATES = ("active", "paused", "finished")
#: Outcomes and the status each one sets (``passed`` moves on and leaves the status alone).
OUTCOME_STATUS: dict[str, str | None] = {
    "read": "read",
    "skipped": "skipped",
    "queued": "queued",
    "passed": None,
}
OUTCOMES = tuple(OUTCOME_STATUS)

#: Reading speed for the time-left estimate (words of abstract per minute), plus a constant per
#: entry for the title, the figures and the decision.
#: What a session reads when no query says otherwise (the window's whole list, the command
#: line's ``session start``): the entries not read or decided yet.
DEFAULT_QUERY = "status:unread"

WORDS_PER_MINUTE = 230
SECONDS_PER_ENTRY = 20
#: Abstract length is measured in SQL as characters; English prose averages about six per word
#: including the space.
CHARS_PER_WORD = 6.0
#: Decided entries needed before the time left follows the reader's own pace.
PACE_AFTER = 3
#: The longest stretch of time one step counts (a reader who walked away, an app that crashed).
IDLE_LIMIT = 10 * 60

Clock = Callable[[], datetime]


def reading_seconds(abstract_chars: int) -> float:
    """The estimated time to triage one entry whose abstract has this many characters."""
    words = abstract_chars / CHARS_PER_WORD
    return SECONDS_PER_ENTRY + words / WORDS_PER_MINUTE * 60.0


@dataclass(frozen=True)
class SessionItem:
    position: int
    entry_id: int
    outcome: str | None
    tagged: bool
    noted: bool
    seconds: float
    estimate_seconds: float


@dataclass(frozen=True)
class ReadingSession:
    """A snapshot of one session, for the session view (re-read it after every step)."""

    id: int
    label: str
    source_query: str | None
    state: str
    started_at: datetime
    ended_at: datetime | None
    paused_at: datetime | None
    running_since: datetime | None
    elapsed_seconds: float  # up to ``running_since``; use :meth:`elapsed_at` for a live clock
    position: int
    items: tuple[SessionItem, ...] = field(repr=False)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_done(self) -> bool:
        """Every entry has been stepped past (the view shows the summary prompt)."""
        return self.position >= len(self.items)

    @property
    def current_entry_id(self) -> int | None:
        return None if self.is_done else self.items[self.position].entry_id

    @property
    def progress_text(self) -> str:
        """ "3 / 20": the entry being read and how many there are."""
        return f"{min(self.position + 1, self.total)} / {self.total}"

    @property
    def remaining_seconds(self) -> float:
        """Estimated time left: the current entry and every later one not yet decided, at the
        reader's own pace once :data:`PACE_AFTER` entries are decided (the median of time
        spent over time estimated, so a long abstract still counts longer), else at the
        estimate's."""
        left = sum(
            item.estimate_seconds for item in self.items[self.position :] if item.outcome is None
        )
        return left * self.pace

    @property
    def pace(self) -> float:
        """The reader's median seconds spent per estimated second (1.0 until
        :data:`PACE_AFTER` entries are decided)."""
        ratios = sorted(
            item.seconds / item.estimate_seconds
            for item in self.items
            if item.outcome is not None and item.seconds > 0 and item.estimate_seconds > 0
        )
        if len(ratios) < PACE_AFTER:
            return 1.0
        middle = len(ratios) // 2
        median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
        return min(max(median, 0.1), 10.0)

    def elapsed_at(self, now: datetime) -> float:
        """Time spent so far, counting the running stretch (capped like a recorded one)."""
        if self.running_since is None:
            return self.elapsed_seconds
        return self.elapsed_seconds + _stretch(self.running_since, now)


@dataclass(frozen=True)
class SessionSummary:
    """What a session did: shown when it ends, listed by ``digestdesk sessions``."""

    id: int
    label: str
    source_query: str | None
    state: str
    started_at: datetime
    ended_at: datetime | None
    total: int
    read: int
    skipped: int
    queued: int
    passed: int
    tagged: int
    noted: int
    seconds: float

    @property
    def undecided(self) -> int:
        return self.total - self.read - self.skipped - self.queued - self.passed

    def text(self) -> str:
        """ "12 read, 3 skipped, 2 queued, 1 tagged, 2 notes in 24 min" """
        parts = [f"{self.read} read", f"{self.skipped} skipped", f"{self.queued} queued"]
        if self.passed:
            parts.append(f"{self.passed} passed")
        parts += [f"{self.tagged} tagged", f"{self.noted} {'note' if self.noted == 1 else 'notes'}"]
        return ", ".join(parts) + f" in {format_duration(self.seconds)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "source_query": self.source_query,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "total": self.total,
            "read": self.read,
            "skipped": self.skipped,
            "queued": self.queued,
            "passed": self.passed,
            "undecided": self.undecided,
            "tagged": self.tagged,
            "notes": self.noted,
            "seconds": round(self.seconds, 1),
        }


@dataclass(frozen=True)
class SessionUpdate:
    """The session after a step, and what the step changed in the library (for the views)."""

    session: ReadingSession
    changes: Changes


def format_duration(seconds: float) -> str:
    """ "45 s", "12 min", "1 h 05 min" """
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(round(seconds))} s"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _stretch(since: datetime, now: datetime) -> float:
    return min(max(0.0, (now - since).total_seconds()), float(IDLE_LIMIT))


def _banked(session: ReadingSession, now: datetime) -> float | None:
    """The running stretch a step adds to the session's time; None while the clock is stopped."""
    return None if session.running_since is None else _stretch(session.running_since, now)


class NoOpenSessionError(DigestDeskError):
    def __init__(self) -> None:
        super().__init__("No reading session is open. Start one over the list or the queue.")


class Sessions:
    """Reading sessions of one library. Writes must come from the library's writer thread."""

    def __init__(self, library: Library, *, clock: Clock = utcnow) -> None:
        self.library = library
        self._clock = clock

    # ------------------------------------------------------------- starting
    def start(
        self,
        ids: Sequence[int],
        *,
        label: str = "",
        source_query: str | None = None,
        replace: bool = False,
    ) -> ReadingSession:
        """Start a session over ``ids`` in this order (duplicates dropped).

        An open session is refused unless ``replace``, which finishes it first.
        """
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise DigestDeskError("There is nothing to read: the list is empty.")
        session_id = self.library.session_edits.start(
            ids, label=label, source_query=source_query, replace=replace, now=self._clock()
        )
        session = self._read(session_id)
        log.info("started reading session %d over %d entries", session_id, session.total)
        return session

    def start_unread(
        self,
        order: Sequence[int] | None = None,
        *,
        label: str = DEFAULT_QUERY,
        replace: bool = False,
    ) -> ReadingSession:
        """Start a session over the unread entries (:data:`DEFAULT_QUERY`): in ``order``'s
        order (the window's list, as sorted there), else as the search lists them (newest
        first)."""
        unread = self.library.search(DEFAULT_QUERY).ids
        if order is not None:
            wanted = set(unread)
            unread = [i for i in order if i in wanted]
        ids = unread
        if not ids:
            raise DigestDeskError(
                "Nothing is unread: every entry is read or decided. Search for the entries to "
                "read (status:queued, a topic) and start the session over them."
            )
        return self.start(ids, label=label, source_query=DEFAULT_QUERY, replace=replace)

    def start_queue(self, *, replace: bool = False) -> ReadingSession:
        """Start a session over the queue (status ``queued``), oldest published first."""
        ids = self.library.list_ids(status="queued", sort="date")
        ids.reverse()
        if not ids:
            raise DigestDeskError("The queue is empty: mark entries as queued first.")
        return self.start(ids, label="Queue", source_query="status:queued", replace=replace)

    # --------------------------------------------------------------- reading
    def current(self) -> ReadingSession | None:
        """The open (active or paused) session, if any: after a restart, the one to resume."""
        with self.library.engine.connect() as conn:
            session_id = open_session_id(conn)
            return None if session_id is None else self._load(conn, session_id)

    def get(self, session_id: int) -> ReadingSession:
        with self.library.engine.connect() as conn:
            if conn.execute(select(S.c.id).where(S.c.id == session_id)).first() is None:
                raise DigestDeskError(f"There is no reading session {session_id}.")
            return self._load(conn, session_id)

    def record(self, outcome: str) -> SessionUpdate:
        """Decide the current entry (``read``, ``skipped``, ``queued``, ``passed``); move on."""
        if outcome not in OUTCOME_STATUS:
            raise DigestDeskError(f"Unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}.")
        session = self._require_open()
        entry_id = session.current_entry_id
        if entry_id is None:
            raise DigestDeskError("The session is at its end: stop it to see the summary.")
        status = OUTCOME_STATUS[outcome]
        changes = Changes()
        if status is not None:
            # First the library (status, history, undo, index), then our bookkeeping: if the
            # second fails, the entry is simply shown again on resume.
            changes = self.library.set_status([entry_id], status)
        now = self._clock()
        self.library.session_edits.record_outcome(
            session, outcome, banked=_banked(session, now), now=now
        )
        return SessionUpdate(self._read(session.id), _with_session(changes))

    def back(self) -> ReadingSession:
        """Go back one entry (its outcome can be recorded again)."""
        session = self._require_open()
        now = self._clock()
        self.library.session_edits.step_back(session, banked=_banked(session, now), now=now)
        return self._read(session.id)

    def tag_current(self, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> SessionUpdate:
        """Change the current entry's tags through the library and count it as tagged."""
        session = self._require_open()
        entry_id = session.current_entry_id
        if entry_id is None:
            raise DigestDeskError("The session is at its end: there is no entry to tag.")
        changes = self.library.change_tags([entry_id], add=add, remove=remove)
        return self.mark_current(tagged=True if not changes.is_empty else None, changes=changes)

    def note_current(self, text: str) -> SessionUpdate:
        """Save the current entry's note through the library and count it as a note written."""
        session = self._require_open()
        entry_id = session.current_entry_id
        if entry_id is None:
            raise DigestDeskError("The session is at its end: there is no entry to annotate.")
        changes = self.library.set_note(entry_id, text)
        # Touched; whether it counts is what the entry ends with (see _summaries).
        return self.mark_current(noted=True if not changes.is_empty else None, changes=changes)

    def mark_current(
        self,
        *,
        tagged: bool | None = None,
        noted: bool | None = None,
        changes: Changes | None = None,
    ) -> SessionUpdate:
        """Count a tag or note the caller wrote through the library itself on the current entry."""
        session = self._require_open()
        self.library.session_edits.mark_current(
            session, tagged=tagged, noted=noted, now=self._clock()
        )
        return SessionUpdate(self._read(session.id), _with_session(changes or Changes()))

    # ------------------------------------------------------- pause / resume
    def pause(self) -> ReadingSession:
        """Stop the clock (the app also pauses an open session when it closes)."""
        session = self._require_open()
        if session.state == "paused":
            return session
        now = self._clock()
        self.library.session_edits.pause(session, banked=_banked(session, now), now=now)
        return self._read(session.id)

    def resume(self) -> ReadingSession:
        """Continue the open session (paused, or left active by an app that did not close)."""
        session = self._require_open()
        now = self._clock()
        # Still running (or left running by a crash): bank the stretch, capped.
        banked = _banked(session, now) if session.state == "active" else None
        self.library.session_edits.resume(session, banked=banked, now=now)
        return self._read(session.id)

    def stop(self) -> SessionSummary:
        """Finish the open session and return its summary."""
        session = self._require_open()
        now = self._clock()
        banked = _banked(session, now) if session.state == "active" else None
        self.library.session_edits.finish(session, banked=banked, now=now)
        log.info("finished reading session %d", session.id)
        return self.summary(session.id)

    # -------------------------------------------------------------- reading
    def summary(self, session_id: int) -> SessionSummary:
        with self.library.engine.connect() as conn:
            found = self._summaries(conn, [session_id])
        if not found:
            raise DigestDeskError(f"There is no reading session {session_id}.")
        return found[0]

    def list_sessions(self, *, limit: int | None = None) -> list[SessionSummary]:
        """Sessions, newest first, with their summaries."""
        stmt = select(S.c.id).order_by(S.c.started_at.desc(), S.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.library.engine.connect() as conn:
            ids = list(conn.execute(stmt).scalars())
            return self._summaries(conn, ids)

    def estimate_seconds(self, ids: Sequence[int]) -> float:
        """Estimated reading time for these entries (before starting a session over them)."""
        total = 0.0
        with self.library.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                for (chars,) in conn.execute(
                    select(func.length(E.c.abstract)).where(E.c.id.in_(chunk))
                ):
                    total += reading_seconds(int(chars or 0))
        return total

    def _require_open(self) -> ReadingSession:
        session = self.current()
        if session is None:
            raise NoOpenSessionError()
        return session

    def _read(self, session_id: int) -> ReadingSession:
        with self.library.engine.connect() as conn:
            return self._load(conn, session_id)

    @staticmethod
    def _load(conn: Connection, session_id: int) -> ReadingSession:
        row = conn.execute(select(S).where(S.c.id == session_id)).mappings().one()
        items = tuple(
            SessionItem(
                position=r.position,
                entry_id=r.entry_id,
                outcome=r.outcome,
                tagged=bool(r.tagged),
                noted=bool(r.noted),
                seconds=float(r.seconds or 0.0),
                estimate_seconds=reading_seconds(int(r.chars or 0)),
            )
            for r in conn.execute(
                select(
                    I.c.position,
                    I.c.entry_id,
                    I.c.outcome,
                    I.c.tagged,
                    I.c.noted,
                    I.c.seconds,
                    func.length(E.c.abstract).label("chars"),
                )
                .join(E, E.c.id == I.c.entry_id)
                .where(I.c.session_id == session_id)
                .order_by(I.c.position)
            )
        )
        started = as_utc(row["started_at"])
        assert started is not None
        return ReadingSession(
            id=row["id"],
            label=row["label"] or "",
            source_query=row["source_query"],
            state=row["state"],
            started_at=started,
            ended_at=as_utc(row["ended_at"]),
            paused_at=as_utc(row["paused_at"]),
            running_since=as_utc(row["running_since"]),
            elapsed_seconds=float(row["elapsed_seconds"] or 0.0),
            position=int(row["position"]),
            items=items,
        )

    @staticmethod
    def _summaries(conn: Connection, ids: Sequence[int]) -> list[SessionSummary]:
        if not ids:
            return []

        def count_outcome(name: str) -> Any:
            return func.sum(case((I.c.outcome == name, 1), else_=0))

        et, notes = schema.entry_tags, schema.notes
        has_tag = exists().where(et.c.entry_id == I.c.entry_id)
        has_note = exists().where(notes.c.entry_id == I.c.entry_id, notes.c.text != "")

        aggregates: dict[int, Any] = {
            r.session_id: r
            for r in conn.execute(
                select(
                    I.c.session_id,
                    func.count().label("total"),
                    count_outcome("read").label("read"),
                    count_outcome("skipped").label("skipped"),
                    count_outcome("queued").label("queued"),
                    count_outcome("passed").label("passed"),
                    # One rule for tags and notes, what the entry ended with: a step touched
                    # it and it still has a tag (a note). A tag added then removed, or a note
                    # written then cleared, does not count.
                    func.sum(case((and_(I.c.tagged.is_(True), has_tag), 1), else_=0)).label(
                        "tagged"
                    ),
                    func.sum(case((and_(I.c.noted.is_(True), has_note), 1), else_=0)).label(
                        "noted"
                    ),
                )
                .where(I.c.session_id.in_(list(ids)))
                .group_by(I.c.session_id)
            )
        }
        rows = {r["id"]: r for r in conn.execute(select(S).where(S.c.id.in_(list(ids)))).mappings()}
        out = []
        for session_id in ids:
            row = rows.get(session_id)
            if row is None:
                continue
            agg = aggregates.get(session_id)
            started = as_utc(row["started_at"])
            assert started is not None

            def n(name: str, agg: Any = agg) -> int:
                return int(getattr(agg, name) or 0) if agg is not None else 0

            out.append(
                SessionSummary(
                    id=session_id,
                    label=row["label"] or "",
                    source_query=row["source_query"],
                    state=row["state"],
                    started_at=started,
                    ended_at=as_utc(row["ended_at"]),
                    total=n("total"),
                    read=n("read"),
                    skipped=n("skipped"),
                    queued=n("queued"),
                    passed=n("passed"),
                    tagged=n("tagged"),
                    noted=n("noted"),
                    seconds=float(row["elapsed_seconds"] or 0.0),
                )
            )
        return out


def sessions_per_week(
    conn: Connection, first_day: date
) -> dict[tuple[int, int], tuple[int, float]]:
    """(ISO year, ISO week) -> (sessions started, seconds spent) since ``first_day``."""
    found: dict[tuple[int, int], tuple[int, float]] = {}
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    for started_at, seconds in conn.execute(
        select(S.c.started_at, S.c.elapsed_seconds).where(S.c.started_at >= start)
    ):
        at = as_utc(started_at)
        assert at is not None
        iso = at.isocalendar()
        key = (iso[0], iso[1])
        count, total = found.get(key, (0, 0.0))
        found[key] = (count + 1, total + float(seconds or 0.0))
    return found


def _with_session(changes: Changes) -> Changes:
    return Changes(
        entry_ids=changes.entry_ids,
        added=changes.added,
        kinds=changes.kinds | {"session"},
        label=changes.label or "Reading session",
    )


__all__ = [
    "OUTCOMES",
    "ReadingSession",
    "SessionItem",
    "SessionSummary",
    "SessionUpdate",
    "Sessions",
    "NoOpenSessionError",
    "format_duration",
    "reading_seconds",
]
