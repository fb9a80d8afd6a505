"""An import's plan written in its one write transaction, and its report made after it.

Writes only (every decision is in the :class:`~digestdesk.core.library.import_plan.Plan`): the
digest rows, the new papers (on SQLite straight to the driver, one executemany a chunk), the
changes of known papers (one UPDATE per set of changed columns), the links to the digests with
their vote snapshots, and an export's user state (status history, tags, note). Cancelling
raises :class:`~digestdesk.core.library.import_plan.ImportCancelled` inside the transaction,
which rolls the whole input back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Dialect

from digestdesk.core import schema
from digestdesk.core.drafts import Appearance, EntryDraft, ParseResult, StatusChange, UserState
from digestdesk.core.library.common import CHUNK, Cancelled, chunks
from digestdesk.core.library.edits import add_tags
from digestdesk.core.library.import_plan import INSERTED, ImportCancelled, Plan
from digestdesk.core.records import ImportedItem, ImportReport

E = schema.entries


def apply_plan(
    conn: Connection,
    plan: Plan,
    result: ParseResult,
    source: str,
    report: ImportReport,
    seq: int,
    now: datetime,
    source_kind: str | None,
    content: str | None,
    cancelled: Cancelled | None,
) -> dict[int, int]:
    """Write ``plan`` (inside the write transaction): writes only, the report is made after
    it (:func:`report_outcomes`). Returns the new papers' ids by placeholder."""
    if plan.earlier is not None:
        # The same content again: this import replaces that one (its digest date, the
        # inferred dates of its entries) instead of adding a second digest.
        digest_ids = {"": plan.earlier}
        _update_digest(conn, plan.earlier, result, source, now)
        report.reimported = True
        fresh = False
    else:
        digest_ids = _create_digests(conn, result, source, now, source_kind, content)
        fresh = not result.digests  # a digest made just now holds no entry yet
    report.digest_id = digest_ids.get("") if "" in digest_ids else None
    real: dict[int, int] = {}
    history: list[tuple[int, str, Any]] = []
    news = [s for s in plan.steps if s.kind == "new"]
    # SQLite: the new papers' ids are the next free ones (what it would give them; one writer
    # at a time), so the rows go in with one executemany a chunk: an INSERT ... RETURNING
    # with its ids in order runs row by row there. A server hands out ids from its sequence.
    driver = conn.dialect.name == "sqlite" and plan.new_params is not None
    next_id = int(conn.execute(select(func.max(E.c.id))).scalar() or 0) + 1 if driver else 0
    for start in range(0, len(plan.new_rows), CHUNK):
        if cancelled is not None and cancelled():
            raise ImportCancelled()  # leaving the block by exception rolls it all back
        rows = plan.new_rows[start : start + CHUNK]
        if driver:
            assert plan.new_params is not None
            ids = list(range(next_id + start, next_id + start + len(rows)))
            params = plan.new_params[start : start + CHUNK]
            conn.exec_driver_sql(
                _insert_sql(conn.dialect, E.name, (*INSERTED, "id", "seq")),
                [(*p, i, seq) for p, i in zip(params, ids, strict=True)],
            )
        else:
            for row in rows:
                row["seq"] = seq
            returning = insert(E).returning(E.c.id, sort_by_parameter_order=True)
            ids = list(conn.execute(returning, rows).scalars())
        for k, (entry_id, row) in enumerate(zip(ids, rows, strict=True)):
            real[-(start + k + 1)] = entry_id
            if news[start + k].item.draft.user_state is None:
                history.append((entry_id, "unread", row["added_at"]))
    _insert_rows(conn, schema.status_history, ("entry_id", "status", "at"), history)
    _update_known(conn, plan.changes, seq, now)
    appearing = [
        (real.get(step.ref, step.ref), step.item.draft, step.kind == "new")
        for step in plan.steps
        if step.kind != "duplicate"
    ]
    links = _appearance_rows(conn, appearing, digest_ids, fresh=fresh)
    _insert_rows(
        conn,
        schema.digest_entries,
        ("digest_id", "entry_id", "votes", "stars", "comments"),
        links,
    )
    for entry_id, draft, is_new in appearing:
        if draft.user_state is not None:
            _restore_user_state(conn, entry_id, draft.user_state, is_new=is_new, seq=seq, now=now)
    if "" in digest_ids:
        conn.execute(
            update(schema.digests)
            .where(schema.digests.c.id == digest_ids[""])
            .values(counts=_counts(plan, report))
        )
    return real


def _counts(plan: Plan, report: ImportReport) -> dict[str, int]:
    """The digest's counts of what the import did (as :func:`report_outcomes` reports it)."""
    new = sum(1 for step in plan.steps if step.kind == "new")
    known = [step.ref for step in plan.steps if step.kind == "known"]
    updated = sum(1 for ref in known if plan.outcome.get(ref, (False, 0))[0])
    return {
        "new": new,
        "updated": updated,
        "unchanged": len(known) - updated,
        "skipped": len(report.skipped),
    }


def report_outcomes(
    plan: Plan, real: dict[int, int], report: ImportReport
) -> tuple[set[int], set[int]]:
    """Fill ``report`` with what each draft became (after the commit); returns the entries
    touched and added."""
    touched: set[int] = set()
    added: set[int] = set()
    for step in plan.steps:
        entry_id = real.get(step.ref, step.ref)
        if step.kind == "duplicate":
            outcome = "duplicate"
        elif step.kind == "new":
            outcome = "new"
            added.add(entry_id)
            report.new += 1
        else:
            changed, corrected = plan.outcome.get(entry_id, (False, 0))
            report.dates_corrected += corrected
            outcome = "updated" if changed else "unchanged"
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        if step.kind != "duplicate":
            touched.add(entry_id)
        report.items.append(ImportedItem(step.item.draft.where, step.item.title, outcome, entry_id))
    return touched, added


def _insert_rows(
    conn: Connection, table: Any, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (values of ``names``) in one executemany; on SQLite straight to the
    driver, each column's conversion (a time's text) applied here."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name == "sqlite":
        converters = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        if any(converters):
            rows = [
                tuple(v if c is None else c(v) for c, v in zip(converters, row, strict=True))
                for row in rows
            ]
        conn.exec_driver_sql(_insert_sql(dialect, table.name, names), rows)
    else:
        conn.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])


def _insert_sql(dialect: Dialect, table: str, names: Sequence[str]) -> str:
    """The driver's INSERT of ``names`` into ``table`` (qmark parameters: SQLite's)."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {quote(table)} ({columns}) VALUES ({marks})"


def _update_known(
    conn: Connection, changes: dict[int, dict[str, Any]], seq: int, now: datetime
) -> None:
    """One UPDATE statement per set of changed columns (executemany), not one per paper."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for entry_id, values in changes.items():
        names = tuple(sorted(values))
        groups.setdefault(names, []).append(
            {"_id": entry_id, **{f"_{n}": values[n] for n in names}}
        )
    for names, params in groups.items():
        statement = (
            update(E)
            .where(E.c.id == bindparam("_id"))
            .values(
                updated_at=now,
                seq=seq,
                **{name: bindparam(f"_{name}") for name in names},
            )
        )
        for part in chunks(params):
            conn.execute(statement, list(part))


def _update_digest(
    conn: Connection, digest_id: int, result: ParseResult, source: str, now: datetime
) -> None:
    conn.execute(
        update(schema.digests)
        .where(schema.digests.c.id == digest_id)
        .values(
            digest_date=result.digest_date,
            file_name=Path(source).name if source else None,
            imported_at=now,
        )
    )


def _create_digests(
    conn: Connection,
    result: ParseResult,
    source: str,
    now: datetime,
    source_kind: str | None = None,
    content: str | None = None,
) -> dict[str, int]:
    """The digest rows for this input: "" is the import itself; export keys map too."""
    ids: dict[str, int] = {}
    if result.digests:
        for digest in result.digests:
            found = conn.execute(
                select(schema.digests.c.id).where(
                    schema.digests.c.source_kind == digest.source_kind,
                    schema.digests.c.digest_date == digest.digest_date,
                    schema.digests.c.imported_at == (digest.imported_at or now),
                )
            ).scalar()
            if found is None:
                found = conn.execute(
                    insert(schema.digests).returning(schema.digests.c.id),
                    {
                        "source_kind": digest.source_kind,
                        "file_name": digest.file_name,
                        "digest_date": digest.digest_date,
                        "imported_at": digest.imported_at or now,
                        "counts": digest.counts,
                    },
                ).scalar_one()
            ids[digest.key] = found
        return ids
    ids[""] = conn.execute(
        insert(schema.digests).returning(schema.digests.c.id),
        {
            "source_kind": source_kind or result.format,
            "file_name": Path(source).name if source else None,
            "digest_date": result.digest_date,
            "imported_at": now,
            "counts": {},
            "content_hash": content,
        },
    ).scalar_one()
    return ids


def _appearance_rows(
    conn: Connection,
    appearing: Sequence[tuple[int, EntryDraft, bool]],
    digest_ids: dict[str, int],
    *,
    fresh: bool,
) -> list[tuple[int, int, int | None, int | None, int | None]]:
    """The links of each (entry, draft, is new) to the digests it appeared in, with their vote
    snapshots, as (digest, entry, votes, stars, comments). Links already there are looked up a
    chunk of entries at a time, and not at all for a new entry or a digest made by this
    import (``fresh``): neither can be linked yet."""
    wanted_of: list[tuple[int, dict[int, Appearance]]] = []
    for entry_id, draft, _is_new in appearing:
        appearances = draft.appearances or [
            Appearance(
                digest_key="",
                votes=draft.votes,
                stars=draft.github_stars,
                comments=draft.num_comments,
            )
        ]
        wanted = {digest_ids[a.digest_key]: a for a in appearances if a.digest_key in digest_ids}
        wanted_of.append((entry_id, wanted))
    if not fresh:
        lookup = [entry_id for (entry_id, _d, is_new) in appearing if not is_new]
        there: set[tuple[int, int]] = set()
        digests = list(set(digest_ids.values()))
        for chunk in chunks(lookup):
            links = conn.execute(
                select(schema.digest_entries.c.entry_id, schema.digest_entries.c.digest_id)
                .where(schema.digest_entries.c.entry_id.in_(chunk))
                .where(schema.digest_entries.c.digest_id.in_(digests))
            )
            there.update((entry_id, digest_id) for entry_id, digest_id in links)
        for entry_id, wanted in wanted_of:
            for digest_id in [d for d in wanted if (entry_id, d) in there]:
                wanted.pop(digest_id)
    return [
        (digest_id, entry_id, a.votes, a.stars, a.comments)
        for entry_id, wanted in wanted_of
        for digest_id, a in wanted.items()
    ]


def _restore_user_state(
    conn: Connection,
    entry_id: int,
    state: UserState,
    *,
    is_new: bool,
    seq: int,
    now: datetime,
) -> None:
    """State from an export: everything for a new entry; only additions for a known one."""
    if is_new:
        history = state.history or [StatusChange(status=state.status, at=state.added_at or now)]
        # The status itself went into the INSERT (see _entry_values).
        conn.execute(
            insert(schema.status_history),
            [{"entry_id": entry_id, "status": h.status, "at": h.at} for h in history],
        )
        add_note = state.note is not None
    else:  # a known entry keeps its own note; an exported one fills only a missing note
        add_note = bool(state.note) and (
            conn.execute(
                select(schema.notes.c.entry_id).where(schema.notes.c.entry_id == entry_id)
            ).first()
            is None
        )
    if add_note:
        conn.execute(
            insert(schema.notes),
            {
                "entry_id": entry_id,
                "text": state.note,
                "edited_at": state.note_edited_at or now,
            },
        )
    if state.tags:
        add_tags(conn, [entry_id], state.tags)
    if not is_new:  # a new entry was inserted with this seq already
        conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq))
