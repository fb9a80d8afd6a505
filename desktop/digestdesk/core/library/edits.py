"""Edits: every change a user makes, each one write transaction that returns its ``Changes``.

Status, tags and notes of entries (:class:`Edits`) with their undo log, and the rows of reading
sessions (:class:`~digestdesk.core.library.session_edits.SessionEdits`, beside this module).
Each edit is one short write transaction and commits before anything else happens; then the
search index follows (:meth:`IndexSync.after_write
<digestdesk.core.library.index_sync.IndexSync.after_write>`: at once on the command line, on the
app's index thread in the window). A failure there is logged and repaired at the next catch-up.
An edit that changes nothing returns empty ``Changes`` and draws no change number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.drafts import STATUSES
from digestdesk.core.library.common import LibraryTuning, chunks, utcnow
from digestdesk.core.library.database import Database, next_seq, retried_on_conflict
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.library.reads import require, statuses, tags_for
from digestdesk.core.records import Changes
from digestdesk.core.text import normalize_tag
from digestdesk.errors import DigestDeskError

E = schema.entries


class Edits:
    """Status, tag and note edits of one library, and their undo and redo."""

    def __init__(self, database: Database, sync: IndexSync, tuning: LibraryTuning) -> None:
        self._database = database
        self._sync = sync
        self._tuning = tuning

    @retried_on_conflict
    def set_status(self, ids: Sequence[int], status: str, *, record_undo: bool = True) -> Changes:
        if status not in STATUSES:
            raise DigestDeskError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
        ids = list(dict.fromkeys(ids))
        now = utcnow()
        with self._database.writing() as conn:
            before = statuses(conn, ids)
            require(ids, before)
            changed = [i for i in ids if before[i] != status]
            if not changed:
                return Changes(label=f"Mark {status}")
            seq = next_seq(conn)
            apply_status(conn, {i: status for i in changed}, now, seq)
            if record_undo:
                push_undo(
                    conn,
                    f"Mark {len(changed)} as {status}" if len(changed) > 1 else f"Mark {status}",
                    {
                        "kind": "status",
                        "before": {str(i): before[i] for i in changed},
                        "after": {str(i): status for i in changed},
                    },
                    now,
                    keep=self._tuning.undo_keep,
                )
        self._sync.after_write(changed, seq)
        return Changes(
            entry_ids=frozenset(changed), kinds=frozenset({"status"}), label=f"Mark {status}"
        )

    @retried_on_conflict
    def change_tags(
        self,
        ids: Sequence[int],
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        record_undo: bool = True,
    ) -> Changes:
        team = self._database.team is not None
        add_names = [t for t in (normalize_tag(t, team=team) for t in add) if t]
        remove_names = [t for t in (normalize_tag(t, team=team) for t in remove) if t]
        ids = list(dict.fromkeys(ids))
        now = utcnow()
        with self._database.writing() as conn:
            require(ids, statuses(conn, ids))
            before = tags_for(conn, ids)
            added_pairs = add_tags(conn, ids, add_names, before)
            removed_pairs = remove_tags(conn, ids, remove_names, before)
            touched = sorted({i for i, _ in added_pairs} | {i for i, _ in removed_pairs})
            if not touched:
                return Changes(label="Tags")
            seq = next_seq(conn)
            for chunk in chunks(touched):
                conn.execute(update(E).where(E.c.id.in_(chunk)).values(seq=seq, updated_at=now))
            if record_undo:
                label = " ".join([f"+{t}" for t in add_names] + [f"-{t}" for t in remove_names])
                push_undo(
                    conn,
                    f"Tag {label}",
                    {"kind": "tags", "added": added_pairs, "removed": removed_pairs},
                    now,
                    keep=self._tuning.undo_keep,
                )
        self._sync.after_write(touched, seq)
        return Changes(entry_ids=frozenset(touched), kinds=frozenset({"tags"}), label="Tags")

    @retried_on_conflict
    def set_note(self, entry_id: int, text: str) -> Changes:
        """Save the note of one entry; an empty text removes it."""
        now = utcnow()
        with self._database.writing() as conn:
            require([entry_id], statuses(conn, [entry_id]))
            current = conn.execute(
                select(schema.notes.c.text).where(schema.notes.c.entry_id == entry_id)
            ).scalar()
            if (current or "") == text:
                return Changes(label="Note")
            seq = next_seq(conn)
            if not text:
                conn.execute(delete(schema.notes).where(schema.notes.c.entry_id == entry_id))
            elif current is None:
                conn.execute(
                    insert(schema.notes), {"entry_id": entry_id, "text": text, "edited_at": now}
                )
            else:
                conn.execute(
                    update(schema.notes)
                    .where(schema.notes.c.entry_id == entry_id)
                    .values(text=text, edited_at=now)
                )
            conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq, updated_at=now))
        self._sync.after_write([entry_id], seq)
        return Changes(entry_ids=frozenset({entry_id}), kinds=frozenset({"note"}), label="Note")

    def undo_label(self) -> str | None:
        with self._database.engine.connect() as conn:
            return conn.execute(
                select(schema.undo_log.c.label)
                .where(schema.undo_log.c.undone.is_(False))
                .order_by(schema.undo_log.c.id.desc())
                .limit(1)
            ).scalar()

    def redo_label(self) -> str | None:
        with self._database.engine.connect() as conn:
            return conn.execute(
                select(schema.undo_log.c.label)
                .where(schema.undo_log.c.undone.is_(True))
                .order_by(schema.undo_log.c.id)
                .limit(1)
            ).scalar()

    def undo(self) -> Changes:
        return self._undo_redo(undo=True)

    def redo(self) -> Changes:
        return self._undo_redo(undo=False)

    @retried_on_conflict
    def _undo_redo(self, *, undo: bool) -> Changes:
        now = utcnow()
        log_t = schema.undo_log
        with self._database.writing() as conn:
            order = log_t.c.id.desc() if undo else log_t.c.id
            row = (
                conn.execute(
                    select(log_t).where(log_t.c.undone.is_(not undo)).order_by(order).limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                return Changes()
            payload = row["payload"]
            seq = next_seq(conn)
            touched: set[int] = set()
            if payload["kind"] == "status":
                target = payload["before"] if undo else payload["after"]
                present = statuses(conn, [int(k) for k in target])
                wanted = {int(k): v for k, v in target.items() if int(k) in present}
                apply_status(conn, wanted, now, seq)
                touched.update(wanted)
                kind = "status"
            else:
                to_add = payload["removed"] if undo else payload["added"]
                to_remove = payload["added"] if undo else payload["removed"]
                for entry_id, name in to_add:
                    if statuses(conn, [entry_id]):
                        add_tags(conn, [entry_id], [name])
                        touched.add(entry_id)
                for entry_id, name in to_remove:
                    before = tags_for(conn, [entry_id])
                    remove_tags(conn, [entry_id], [name], before)
                    touched.add(entry_id)
                for chunk in chunks(sorted(touched)):
                    conn.execute(update(E).where(E.c.id.in_(chunk)).values(seq=seq))
                kind = "tags"
            conn.execute(update(log_t).where(log_t.c.id == row["id"]).values(undone=undo))
        self._sync.after_write(touched, seq)
        verb = "Undo" if undo else "Redo"
        return Changes(
            entry_ids=frozenset(touched), kinds=frozenset({kind}), label=f"{verb} {row['label']}"
        )


def apply_status(conn: Connection, target: dict[int, str], now: datetime, seq: int) -> None:
    """Set each entry's status (``target``: id -> status) and record it in the history."""
    by_status: dict[str, list[int]] = defaultdict(list)
    for entry_id, status in target.items():
        by_status[status].append(entry_id)
    for status, group in by_status.items():
        for chunk in chunks(group):
            conn.execute(
                update(E)
                .where(E.c.id.in_(chunk))
                .values(status=status, status_changed_at=now, seq=seq)
            )
    conn.execute(
        insert(schema.status_history),
        [{"entry_id": i, "status": s, "at": now} for i, s in target.items()],
    )


def tag_ids_by_name(conn: Connection, names: Iterable[str], create: bool) -> dict[str, int]:
    """The ids of these tag names; with ``create``, the missing tags are made."""
    names = list(dict.fromkeys(names))
    if not names:
        return {}
    found = dict(
        conn.execute(
            select(schema.tags.c.name, schema.tags.c.id).where(schema.tags.c.name.in_(names))
        ).all()
    )
    if create:
        missing = [name for name in names if name not in found]
        if missing and conn.dialect.name == "postgresql":
            # Another member may be making the same tag right now (a team tag): whoever
            # commits first makes it, the other finds it (no unique violation to retry). No
            # conflict target: a team library's names are unique per member (team_schema).
            conn.execute(
                pg_insert(schema.tags).on_conflict_do_nothing(),
                [{"name": name} for name in missing],
            )
            found.update(
                conn.execute(
                    select(schema.tags.c.name, schema.tags.c.id).where(
                        schema.tags.c.name.in_(missing)
                    )
                ).all()
            )
            missing = []
        for name in missing:
            found[name] = conn.execute(
                insert(schema.tags).returning(schema.tags.c.id), {"name": name}
            ).scalar_one()
    return found


def add_tags(
    conn: Connection,
    ids: Sequence[int],
    names: Sequence[str],
    before: dict[int, list[str]] | None = None,
) -> list[list[Any]]:
    """Tag the entries; returns the [id, name] pairs that were new (``before``: their tags)."""
    if not names:
        return []
    if before is None:
        before = tags_for(conn, ids)
    tag_ids = tag_ids_by_name(conn, names, create=True)
    pairs: list[tuple[int, str]] = [
        (i, n) for i in ids for n in names if n not in before.get(i, [])
    ]
    if pairs and conn.dialect.name == "postgresql":
        # The same tag on the same paper by another writer meanwhile is no conflict; only
        # the pairs this edit added are its own (undo takes back only those).
        names_by_id = {tag_ids[n]: n for n in names}
        added = conn.execute(
            pg_insert(schema.entry_tags)
            .on_conflict_do_nothing()
            .returning(schema.entry_tags.c.entry_id, schema.entry_tags.c.tag_id),
            [{"entry_id": i, "tag_id": tag_ids[n]} for i, n in pairs],
        ).all()
        mine = {(entry_id, names_by_id[tag_id]) for entry_id, tag_id in added}
        pairs = [pair for pair in pairs if pair in mine]
    elif pairs:
        conn.execute(
            insert(schema.entry_tags),
            [{"entry_id": i, "tag_id": tag_ids[n]} for i, n in pairs],
        )
    return [list(pair) for pair in pairs]


def remove_tags(
    conn: Connection,
    ids: Sequence[int],
    names: Sequence[str],
    before: dict[int, list[str]],
) -> list[list[Any]]:
    """Untag the entries; returns the [id, name] pairs that were there (``before``: their tags)."""
    if not names:
        return []
    tag_ids = tag_ids_by_name(conn, names, create=False)
    pairs: list[tuple[int, str]] = [
        (i, n) for i in ids for n in names if n in before.get(i, []) and n in tag_ids
    ]
    for entry_id, name in pairs:
        conn.execute(
            delete(schema.entry_tags).where(
                schema.entry_tags.c.entry_id == entry_id,
                schema.entry_tags.c.tag_id == tag_ids[name],
            )
        )
    return [list(pair) for pair in pairs]


def push_undo(
    conn: Connection, label: str, payload: dict[str, Any], now: datetime, *, keep: int
) -> None:
    """Record an undo step (dropping what was undone, and all but the newest ``keep``)."""
    conn.execute(delete(schema.undo_log).where(schema.undo_log.c.undone.is_(True)))
    conn.execute(
        insert(schema.undo_log),
        {"created_at": now, "label": label, "payload": payload, "undone": False},
    )
    oldest_kept = conn.execute(
        select(schema.undo_log.c.id).order_by(schema.undo_log.c.id.desc()).offset(keep).limit(1)
    ).scalar()
    if oldest_kept is not None:
        conn.execute(delete(schema.undo_log).where(schema.undo_log.c.id <= oldest_kept))
