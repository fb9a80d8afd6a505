"""Edits of reading sessions' own rows: start, step, mark, pause, resume, finish.

:mod:`digestdesk.core.sessions` decides what a step means and reads sessions back; the rows
are written here, each step one write transaction under the database's write lock like every
other edit. These rows are the session's bookkeeping, not the entries: a step that changes an
entry (its status, tags, note) goes through :class:`~digestdesk.core.library.edits.Edits`,
which returns the ``Changes``; the writes here change no entry and return nothing.

``banked`` is the running stretch of reading time to add to the session (and to the entry it
was spent on), as the session layer measured and capped it; ``None`` when the clock was not
running.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.library.common import chunks
from digestdesk.core.library.database import Database, retried_on_conflict
from digestdesk.errors import DigestDeskError

E = schema.entries

S = schema.reading_sessions
I = schema.session_items  # noqa: E741 - the items table, next to S for sessions

OPEN_STATES = ("active", "paused")


class SessionCursor(Protocol):
    """Where an open session stands (a :class:`~digestdesk.core.sessions.ReadingSession`)."""

    @property
    def id(self) -> int: ...

    @property
    def position(self) -> int: ...

    @property
    def total(self) -> int: ...

    @property
    def is_done(self) -> bool: ...


def open_session_id(conn: Connection) -> int | None:
    """The open (active or paused) session, newest first; at most one is open at a time."""
    return conn.execute(
        select(S.c.id)
        .where(S.c.state.in_(OPEN_STATES))
        .order_by(S.c.started_at.desc(), S.c.id.desc())
        .limit(1)
    ).scalar()


class SessionEdits:
    """The writes of reading sessions in one library; on the writer thread like every write."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @retried_on_conflict
    def start(
        self,
        ids: Sequence[int],
        *,
        label: str,
        source_query: str | None,
        replace: bool,
        now: datetime,
    ) -> int:
        """A new active session over the ``ids`` that are entries (in this order); its id.

        An open session is refused unless ``replace``, which finishes it first.
        """
        with self._database.writing() as conn:
            open_id = open_session_id(conn)
            if open_id is not None:
                if not replace:
                    raise DigestDeskError(
                        "A reading session is already open. Resume it, or stop it first."
                    )
                _finish(conn, open_id, now)
            known = _known_ids(conn, ids)
            ids = [i for i in ids if i in known]
            if not ids:
                raise DigestDeskError("None of these entries is in the library any more.")
            session_id: int = conn.execute(
                insert(S).returning(S.c.id),
                {
                    "label": label,
                    "source_query": source_query,
                    "state": "active",
                    "started_at": now,
                    "running_since": now,
                    "elapsed_seconds": 0.0,
                    "position": 0,
                    "updated_at": now,
                },
            ).scalar_one()
            conn.execute(
                insert(I),
                [
                    {
                        "session_id": session_id,
                        "position": position,
                        "entry_id": entry_id,
                        "outcome": None,
                        "tagged": False,
                        "noted": False,
                        "seconds": 0.0,
                    }
                    for position, entry_id in enumerate(ids)
                ],
            )
        return session_id

    @retried_on_conflict
    def record_outcome(
        self, session: SessionCursor, outcome: str, *, banked: float | None, now: datetime
    ) -> None:
        """Record the current entry's outcome and move on to the next."""
        with self._database.writing() as conn:
            _bank(conn, session, banked, now)
            conn.execute(
                update(I)
                .where(I.c.session_id == session.id, I.c.position == session.position)
                .values(outcome=outcome, decided_at=now)
            )
            conn.execute(
                update(S).where(S.c.id == session.id).values(position=session.position + 1)
            )

    @retried_on_conflict
    def step_back(self, session: SessionCursor, *, banked: float | None, now: datetime) -> None:
        """Go back one entry."""
        with self._database.writing() as conn:
            _bank(conn, session, banked, now)
            conn.execute(
                update(S)
                .where(S.c.id == session.id)
                .values(position=max(0, min(session.position, session.total) - 1))
            )

    @retried_on_conflict
    def mark_current(
        self,
        session: SessionCursor,
        *,
        tagged: bool | None = None,
        noted: bool | None = None,
        now: datetime,
    ) -> None:
        """Count the current entry as tagged or noted (``None`` leaves a mark as it is)."""
        values: dict[str, Any] = {}
        if tagged is not None:
            values["tagged"] = tagged
        if noted is not None:
            values["noted"] = noted
        if not values or session.is_done:
            return
        with self._database.writing() as conn:
            conn.execute(
                update(I)
                .where(I.c.session_id == session.id, I.c.position == session.position)
                .values(**values)
            )
            conn.execute(update(S).where(S.c.id == session.id).values(updated_at=now))

    @retried_on_conflict
    def pause(self, session: SessionCursor, *, banked: float | None, now: datetime) -> None:
        with self._database.writing() as conn:
            _bank(conn, session, banked, now)
            conn.execute(
                update(S)
                .where(S.c.id == session.id)
                .values(state="paused", paused_at=now, running_since=None, updated_at=now)
            )

    @retried_on_conflict
    def resume(self, session: SessionCursor, *, banked: float | None, now: datetime) -> None:
        with self._database.writing() as conn:
            _bank(conn, session, banked, now)
            conn.execute(
                update(S)
                .where(S.c.id == session.id)
                .values(state="active", paused_at=None, running_since=now, updated_at=now)
            )

    @retried_on_conflict
    def finish(self, session: SessionCursor, *, banked: float | None, now: datetime) -> None:
        with self._database.writing() as conn:
            _bank(conn, session, banked, now)
            _finish(conn, session.id, now)


def _finish(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(
        update(S)
        .where(S.c.id == session_id)
        .values(state="finished", ended_at=now, running_since=None, updated_at=now)
    )


def _bank(conn: Connection, session: SessionCursor, seconds: float | None, now: datetime) -> None:
    """Add the running stretch to the session and its current item; restart the clock."""
    if seconds is None:
        return
    conn.execute(
        update(S)
        .where(S.c.id == session.id)
        .values(elapsed_seconds=S.c.elapsed_seconds + seconds, running_since=now, updated_at=now)
    )
    if not session.is_done:
        conn.execute(
            update(I)
            .where(I.c.session_id == session.id, I.c.position == session.position)
            .values(seconds=I.c.seconds + seconds)
        )


def _known_ids(conn: Connection, ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(conn.execute(select(E.c.id).where(E.c.id.in_(chunk))).scalars())
    return found
