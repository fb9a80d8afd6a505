"""Moving in: a member's single-user (SQLite) library copied into the team library.

``digestdesk team push --from DIR`` comes here. The papers, digests and vote snapshots go
through the import (:class:`~digestdesk.core.library.importing.Importer`), so they merge by the
same identity rules as any import: a paper the team library holds already is the same entry.
The member's own state comes along, attributed to the member (written on their connection):

- a paper new to the team library gets it all from the import (status history, tags, note);
- a known one gets what it lacks (:func:`_merge_state`): history rows not there yet, the
  status when it was never changed there or the pushed history is newer, missing tags, the
  note when there is none or the pushed one was edited later;
- reading sessions are copied with their items, the entries mapped, unless a session started
  at the same moment is there already.

So pushing again adds nothing twice: every step compares with what is there first. The source
library is only read (one from an older Digest Desk is upgraded first, as opening it does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from digestdesk.core import schema
from digestdesk.core.drafts import ParseResult, UserState
from digestdesk.core.library.common import as_utc, utcnow
from digestdesk.core.library.database import Database, next_seq, retried_on_conflict
from digestdesk.core.library.edits import add_tags
from digestdesk.core.library.importing import Importer
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.library.reads import export_drafts
from digestdesk.core.records import Changes
from digestdesk.errors import LibraryError
from digestdesk.paths import DATABASE_FILE, resolve_library

E = schema.entries
S = schema.reading_sessions
I = schema.session_items  # noqa: E741 - the items table, next to S as in session_edits


@dataclass
class PushReport:
    """What a push did."""

    papers: int = 0  # entries in the source library
    new: int = 0  # papers the team library did not have
    merged: int = 0  # papers it had: the member's state merged into them
    state_changed: int = 0  # known papers whose status, history, tags or note changed
    sessions: int = 0  # reading sessions copied
    sessions_there: int = 0  # sessions found copied already
    skipped: list[str] = field(default_factory=list)  # source entries that could not be stored
    changes: Changes = field(default_factory=Changes)


class MovingIn:
    """Pushes single-user libraries into this (team) library."""

    def __init__(self, database: Database, sync: IndexSync, importer: Importer) -> None:
        self._database = database
        self._sync = sync
        self._importer = importer

    def push_folder(self, folder: str | Path) -> PushReport:
        """Copy the member's own (SQLite) library in ``folder`` into this one."""
        paths = resolve_library(folder, server=False)
        if paths.sqlite_file is None or not paths.sqlite_file.is_file():
            raise LibraryError(
                f"There is no Digest Desk library in {folder} (no {DATABASE_FILE} there). "
                "Give the folder of your own library (--library DIR of your commands)."
            )
        if self._database.paths.is_sqlite:
            raise LibraryError(
                "Pushing copies a library into a team library on a PostgreSQL server: set "
                "DIGESTDESK_DATABASE_URL (or a libpq service) to the team's database first."
            )
        source = Database.open(paths, writer=False)
        try:
            return self.push(source.engine, name=str(paths.root))
        finally:
            source.close()

    def push(self, source: Engine, *, name: str) -> PushReport:
        """Copy the library read through ``source`` (its engine, read-only) into this one."""
        with source.connect() as conn:
            ids = list(conn.execute(select(E.c.id).order_by(E.c.id)).scalars())
        drafts, digests = export_drafts(source, ids)
        # export_drafts keeps the order of ids; each draft says which source entry it is.
        drafts = [
            dataclasses.replace(d, where=f"entry {i}") for i, d in zip(ids, drafts, strict=True)
        ]
        states = {i: d.user_state for i, d in zip(ids, drafts, strict=True)}
        report = PushReport(papers=len(drafts))
        imported = self._importer.import_parsed(
            ParseResult(format="digestdesk", entries=drafts, digests=digests), source=name
        )
        report.skipped = [str(problem) for problem in imported.skipped]
        target: dict[int, int] = {}
        known: dict[int, UserState] = {}
        for item in imported.items:
            source_id = int(item.where.split()[-1])
            target[source_id] = item.entry_id
            if item.outcome == "new":
                report.new += 1
            else:
                report.merged += 1
                state = states.get(source_id)
                if state is not None:
                    known[item.entry_id] = state
        changed = self._merge_states(known)
        report.state_changed = len(changed)
        copied, there = self._copy_sessions(source, target)
        report.sessions, report.sessions_there = copied, there
        report.changes = Changes(
            entry_ids=imported.changes.entry_ids | frozenset(changed),
            added=imported.changes.added,
            kinds=frozenset({"entries", "digests", "status", "tags", "note"}),
            label=f"Push {name}",
        )
        return report

    @retried_on_conflict
    def _merge_states(self, states: dict[int, UserState]) -> list[int]:
        """The member's state merged into papers the team library had (one transaction)."""
        if not states:
            return []
        now = utcnow()
        changed: list[int] = []
        seq = 0
        with self._database.writing() as conn:
            for entry_id, state in states.items():
                if _merge_state(conn, entry_id, state, now):
                    seq = seq or next_seq(conn)
                    conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq))
                    changed.append(entry_id)
        if changed:
            self._sync.after_write(changed, seq)
        return changed

    @retried_on_conflict
    def _copy_sessions(self, source: Engine, target: dict[int, int]) -> tuple[int, int]:
        """The source's reading sessions, each with its items (entries mapped); a session
        started at the same moment as one there already is not copied again."""
        with source.connect() as conn:
            sessions = conn.execute(select(S).order_by(S.c.id)).mappings().all()
            items = conn.execute(select(I).order_by(I.c.session_id, I.c.position)).mappings().all()
        by_session: dict[int, list[Any]] = {}
        for row in items:
            by_session.setdefault(row["session_id"], []).append(row)
        copied = there = 0
        with self._database.writing() as conn:
            existing = {as_utc(at) for at in conn.execute(select(S.c.started_at)).scalars()}
            for row in sessions:
                if as_utc(row["started_at"]) in existing:
                    there += 1
                    continue
                values = {k: v for k, v in row.items() if k != "id"}
                if values["state"] in ("active", "paused"):
                    # One open session at a time: a pushed one arrives finished.
                    values.update(
                        state="finished", ended_at=values["updated_at"], running_since=None
                    )
                session_id = conn.execute(insert(S).returning(S.c.id), values).scalar_one()
                rows = [
                    {
                        **{k: v for k, v in item.items() if k != "session_id"},
                        "session_id": session_id,
                    }
                    | {"entry_id": target[item["entry_id"]]}
                    for item in by_session.get(row["id"], [])
                    if item["entry_id"] in target
                ]
                for position, item in enumerate(rows):
                    item["position"] = position
                if rows:
                    conn.execute(insert(I), rows)
                copied += 1
        return copied, there


def _merge_state(conn: Connection, entry_id: int, state: UserState, now: datetime) -> bool:
    """Merge one paper's pushed state; whether anything changed."""
    changed = False
    history_t = schema.status_history
    there = {
        (status, as_utc(at))
        for status, at in conn.execute(
            select(history_t.c.status, history_t.c.at).where(history_t.c.entry_id == entry_id)
        )
    }
    missing = [h for h in state.history if (h.status, as_utc(h.at)) not in there]
    if missing:
        conn.execute(
            insert(history_t),
            [{"entry_id": entry_id, "status": h.status, "at": h.at} for h in missing],
        )
        changed = True
    row = conn.execute(select(E.c.status, E.c.status_changed_at).where(E.c.id == entry_id)).one()
    if state.history:
        latest = max(state.history, key=lambda h: as_utc(h.at) or now)
        # A status never changed there (only imported) takes the pushed one; else the newer.
        current_at = as_utc(row.status_changed_at)
        pushed_at = as_utc(latest.at)
        if (
            latest.status != row.status
            and pushed_at is not None
            and (current_at is None or pushed_at > current_at)
        ):
            conn.execute(
                update(E)
                .where(E.c.id == entry_id)
                .values(status=latest.status, status_changed_at=latest.at, updated_at=now)
            )
            changed = True
    if state.tags and add_tags(conn, [entry_id], _unique(state.tags)):
        changed = True
    if state.note:
        note = conn.execute(
            select(schema.notes.c.text, schema.notes.c.edited_at).where(
                schema.notes.c.entry_id == entry_id
            )
        ).first()
        pushed_at = as_utc(state.note_edited_at) or now
        if note is None:
            conn.execute(
                insert(schema.notes),
                {"entry_id": entry_id, "text": state.note, "edited_at": pushed_at},
            )
            changed = True
        elif note.text != state.note and pushed_at > (as_utc(note.edited_at) or pushed_at):
            conn.execute(
                update(schema.notes)
                .where(schema.notes.c.entry_id == entry_id)
                .values(text=state.note, edited_at=pushed_at)
            )
            changed = True
    return changed


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))
