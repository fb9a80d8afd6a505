"""Importing: parsed drafts into the library as one transaction, merged with what it holds.

Identity is the arXiv id, or (where either side lacks one) the normalised title; a known paper
gets what it was missing and the newest counts (:func:`_merge_into`), a paper twice in one file
is merged into its first. Each entry is linked to the digests it appeared in; an export's user
state (status history, tags, note) is restored. The import runs in chunks of
:data:`~digestdesk.core.library.common.CHUNK` drafts with one lookup and one insert statement per
chunk and table (the hot path; tuned). Cancelling raises :class:`ImportCancelled` inside the
transaction, which rolls the whole file back.

Dates: page text has no years, so its dates are read against an as-of day (given, or for a
file its modification date: what a browser's "Save page" leaves) and stored as *inferred*. A
known date (API JSON, arXiv, an export) replaces an inferred one. The same bytes imported again
(their SHA-256 is kept on the digest) correct that import instead of adding a second digest:
its digest date and the inferred dates of its entries are read again with the new as-of day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Dialect

from digestdesk.core import schema
from digestdesk.core.drafts import (
    Appearance,
    EntryDraft,
    Link,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.library.common import (
    CHUNK,
    Cancelled,
    Progress,
    chunks,
    links_from_json,
    links_to_json,
    utcnow,
)
from digestdesk.core.library.database import (
    Database,
    next_seq,
    read_meta,
    retried_on_conflict,
    take_import_turn,
)
from digestdesk.core.library.edits import add_tags
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.links import collect_links
from digestdesk.core.records import Changes, ImportedItem, ImportReport
from digestdesk.core.text import clean_text, normalize_title
from digestdesk.core.validation import clean_str, validate
from digestdesk.errors import DigestDeskError

E = schema.entries


class ImportCancelled(DigestDeskError):
    """Raised inside the import's transaction when ``cancelled()`` turns true: all is undone."""

    def __init__(self) -> None:
        super().__init__("The import was cancelled; nothing was changed.")


def _merge_links(old: list[Link], new: list[Link]) -> list[Link]:
    seen = {link.url.rstrip("/") for link in old}
    merged = list(old)
    for link in new:
        key = link.url.rstrip("/")
        if key not in seen:
            seen.add(key)
            merged.append(link)
    return merged


@dataclass
class _Prepared:
    """A draft normalised for storage."""

    draft: EntryDraft
    title: str
    title_norm: str
    abstract: str
    links: list[Link]


def _prepare(draft: EntryDraft) -> _Prepared:
    extra = [u for u in (draft.github_repo, draft.project_page) if u]
    links = (
        _merge_links(list(draft.links), collect_links(extra_urls=extra))
        if extra
        else list(draft.links)
    )
    return _Prepared(
        draft=draft,
        title=clean_text(draft.title),
        title_norm=normalize_title(draft.title),
        abstract=clean_text(draft.abstract),
        links=links,
    )


# Fields filled from a draft when the library has nothing yet ("fills fields that were missing").
_FILLABLE = (
    "arxiv_id",
    "authors_count",
    "ai_summary",
    "github_repo",
    "project_page",
    "organization",
)
_LIST_FILLABLE = ("authors", "categories", "ai_keywords")


def modified_day(path: Path) -> date | None:
    """The local day ``path`` was last modified (not after today), or None if unknown."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    return min(datetime.fromtimestamp(stamp).date(), date.today())


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Importer:
    """Imports into one library; runs on the writer thread like every write."""

    def __init__(self, database: Database, sync: IndexSync) -> None:
        self._database = database
        self._engine = database.engine
        self._sync = sync

    def import_bytes(
        self,
        data: bytes,
        *,
        name: str | None = None,
        format: str = "auto",
        as_of: date | None = None,
        as_of_source: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
    ) -> ImportReport:
        """Parse and import one input as one transaction.

        ``as_of`` reads page text's year-less dates (default: today); ``as_of_source`` says
        where it came from for the report ("given" when one is passed, "file", "today").
        ``index=False`` leaves the index behind the database (cheaper when importing many files
        in a row); ``Library.ensure_index`` then catches it up in one pass.
        """
        today = utcnow().date()
        from digestdesk.core import formats  # parsers load only when importing: faster start

        source_of_date = as_of_source or ("given" if as_of is not None else "today")
        result = formats.parse(data, name=name, format=format, as_of=as_of or today, today=today)
        report = self.import_parsed(
            result,
            source=name or "<stdin>",
            progress=progress,
            cancelled=cancelled,
            index=index,
            content=content_hash(data),
        )
        if result.format == "hf-page":
            report.as_of_source = source_of_date
        return report

    def import_file(
        self, path: str | Path, *, as_of: date | None = None, **kwargs: Any
    ) -> ImportReport:
        """Read a file and import it (:meth:`import_bytes` takes the keyword arguments).
        Without ``as_of``, page text's year-less dates are read as of the day the file was
        last modified (a saved page keeps the day it was saved)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DigestDeskError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if as_of is None:
            as_of = modified_day(path)
            kwargs.setdefault("as_of_source", "file" if as_of is not None else None)
        return self.import_bytes(data, name=path.name, as_of=as_of, **kwargs)

    @retried_on_conflict
    def import_parsed(
        self,
        result: ParseResult,
        *,
        source: str,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        index: bool = True,
        source_kind: str | None = None,
        content: str | None = None,
    ) -> ImportReport:
        """Import parsed drafts as one transaction.

        Every path in (files, stdin, the clipboard, fetched days) comes through here, so the
        drafts are validated here (:func:`~digestdesk.core.validation.validate`): text is
        repaired, and an entry that cannot be stored (a count past the column, an unknown status)
        is skipped into ``report.skipped`` with its place while the rest is imported.
        ``source_kind`` overrides the digest's kind (default: the parser's format name); the
        fetchers record ``"hf-api"`` and ``"arxiv-api"`` so ``Library.fetched_days`` finds them.
        ``content`` is the input's SHA-256: an earlier import of the same content is
        corrected (its digest, its entries' inferred dates) instead of adding a digest.
        """
        result = validate(result)
        source = clean_str(source)  # a file name may be any bytes; the digest row keeps text
        report = ImportReport(
            source=source,
            format=result.format,
            digest_id=None,
            digest_date=result.digest_date,
            as_of=result.as_of,
            skipped=list(result.problems),
        )
        if report.skipped and not result.entries:
            # Every entry was skipped: nothing is stored, not even a digest (an empty one would
            # become "the last digest"; an earlier import of this content keeps its own).
            return report
        prepared = [_prepare(d) for d in result.entries]
        now = utcnow()
        # One import at a time plans and applies: only imports change what identifies a paper,
        # so the plan made outside the write transaction still holds in it (re-checked there).
        # On a server, other members' imports plan meanwhile; the applies take turns (the
        # advisory lock), so the re-check sees every paper another import committed.
        with self._database.import_lock:
            with self._engine.connect() as conn:
                plan = _plan(conn, result, prepared, content, now, progress, cancelled)
            with self._database.writing() as conn:
                take_import_turn(conn)
                seq = next_seq(conn)
                if not _plan_holds(conn, plan, result, content):
                    # Another member's import (a server library) added or changed a paper
                    # this one matches: plan again, here (the old way, all in the transaction).
                    plan = _plan(conn, result, prepared, content, now, None, cancelled)
                real = _apply(
                    conn, plan, result, source, report, seq, now, source_kind, content, cancelled
                )
        touched, added = _report(plan, real, report)
        if progress is not None:
            progress(len(prepared), len(prepared))
        report.changes = Changes(
            entry_ids=frozenset(touched),
            added=frozenset(added),
            kinds=frozenset({"entries", "digests"}),
            label=f"Import {source}",
        )
        self._sync.after_write(touched, seq, index=index)
        return report


# ------------------------------------------------------------------ the plan (no writes)

#: The columns an import's merge reads of a known paper (besides its id).
_MERGE_COLUMNS = (
    *_FILLABLE,
    *_LIST_FILLABLE,
    "published",
    "published_year_inferred",
    "abstract",
    "votes",
    "github_stars",
    "num_comments",
    "links",
)


@dataclass
class _Step:
    """What one draft of the input is: a new paper (``ref`` a placeholder, -1, -2, ...), a
    known one (``ref`` its id), or a paper already met in this input (merged into it)."""

    item: _Prepared
    kind: str  # "new", "known", "duplicate"
    ref: int


@dataclass
class _Plan:
    """An import worked out from reads alone: what each draft is, the rows of the new papers,
    and what changes in the known ones. Applied by :func:`_apply` in one short transaction."""

    seen_seq: int  # the change number before anything was read
    earlier: int | None  # the digest of an earlier import of the same content
    redate: set[int]  # that digest's entries (their inferred dates are read again)
    steps: list[_Step]
    new_rows: list[dict[str, Any]]  # entries rows of the new papers, placeholder order
    known: dict[int, dict[str, Any]]  # a known paper's row as read (before this import)
    changes: dict[int, dict[str, Any]]  # what the import changes in a known paper
    outcome: dict[int, tuple[bool, int]]  # a known paper: changed, date corrected (first draft)
    #: SQLite: ``new_rows`` as the driver takes them (columns of :data:`_INSERTED`), made here
    #: so that the transaction does not spend its time turning values into SQL parameters.
    new_params: list[tuple[Any, ...]] | None = None


def _plan(
    conn: Connection,
    result: ParseResult,
    prepared: Sequence[_Prepared],
    content: str | None,
    now: datetime,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> _Plan:
    """Identity, matching and merge decisions, read through ``conn`` (nothing written)."""
    seen_seq = int(read_meta(conn, "change_seq"))
    earlier = _earlier_import(conn, result, content)
    redate = _entries_of_digest(conn, earlier) if earlier is not None else set()
    steps: list[_Step] = []
    new_rows: list[dict[str, Any]] = []
    known: dict[int, dict[str, Any]] = {}
    seen_in_file: set[int] = set()
    local_arxiv: dict[str, int] = {}
    local_title: dict[str, int] = {}
    local_title_noid: dict[str, int] = {}
    done = 0
    for chunk in chunks(prepared):
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        existing = _find_existing(conn, chunk)
        wanted = [i for i in existing if i is not None and i not in known]
        known.update(_read_known(conn, wanted))
        for item, found in zip(chunk, existing, strict=True):
            if found is None:
                # An earlier draft of this same input may be this paper.
                if item.draft.arxiv_id:
                    found = local_arxiv.get(item.draft.arxiv_id) or local_title_noid.get(
                        item.title_norm
                    )
                else:
                    found = local_title.get(item.title_norm)
            if found is None:
                new_rows.append(_entry_values(item, 0, now))
                ref = -len(new_rows)
                steps.append(_Step(item, "new", ref))
            elif found in seen_in_file:
                steps.append(_Step(item, "duplicate", found))
                continue
            else:
                ref = found
                steps.append(_Step(item, "known", ref))
            seen_in_file.add(ref)
            if item.draft.arxiv_id:
                local_arxiv[item.draft.arxiv_id] = ref
            else:
                local_title_noid.setdefault(item.title_norm, ref)
            local_title.setdefault(item.title_norm, ref)
        done += len(chunk)
        if progress is not None:
            progress(done, len(prepared))
    plan = _Plan(seen_seq, earlier, redate, steps, new_rows, known, {}, {})
    for step in steps:
        if step.kind == "duplicate" and step.ref < 0:
            # The same paper twice in one input, the first new: its row takes the merge.
            row = new_rows[-step.ref - 1]
            row.update(_merged(row, step.item, redate=False)[0])
    _merge_known(plan, list(known))
    if conn.dialect.name == "sqlite":
        plan.new_params = _driver_params(conn.dialect, new_rows)
    return plan


#: The columns of a new paper's row that the plan fills (the id and change number come last).
_INSERTED = tuple(c.name for c in E.columns if c.name not in ("id", "seq"))


def _driver_params(dialect: Dialect, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``rows`` as the driver's parameters for :data:`_INSERTED` (each column's own
    conversion: JSON text, dates, booleans), without the id and change number."""
    converters = [
        E.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _INSERTED
    ]
    pairs = list(zip(_INSERTED, converters, strict=True))
    return [
        tuple(row[name] if convert is None else convert(row[name]) for name, convert in pairs)
        for row in rows
    ]


def _read_known(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = [E.c.id, E.c.title_norm, *(E.c[name] for name in _MERGE_COLUMNS)]
    return {
        row["id"]: dict(row)
        for row in conn.execute(select(*columns).where(E.c.id.in_(ids))).mappings()
    }


def _merge_known(plan: _Plan, ids: Sequence[int]) -> None:
    """What the drafts change in these known papers (their rows as in ``plan.known``)."""
    wanted = set(ids)
    state = {entry_id: dict(plan.known[entry_id]) for entry_id in wanted}
    for entry_id in wanted:
        plan.changes.pop(entry_id, None)
    for step in plan.steps:
        if step.ref not in wanted:
            continue
        row = state[step.ref]
        values, corrected = _merged(row, step.item, redate=step.ref in plan.redate)
        if step.kind == "known":
            plan.outcome[step.ref] = (bool(values), corrected)
        if values:
            row.update(values)
            plan.changes.setdefault(step.ref, {}).update(values)


def _plan_holds(conn: Connection, plan: _Plan, result: ParseResult, content: str | None) -> bool:
    """In the write transaction: whether ``plan`` still holds. Papers changed since it was
    made (a status or note edit stamps its paper) are read again and their merges redone;
    False when a paper this input matches was added or changed identity meanwhile (only
    another import does that: another member's, on a server), or the same content was
    imported meanwhile."""
    if _earlier_import(conn, result, content) != plan.earlier:
        return False
    changed = conn.execute(
        select(E.c.id, E.c.arxiv_id, E.c.title_norm).where(E.c.seq > plan.seen_seq)
    ).all()
    if not changed:
        return True
    drafts = [step.item for step in plan.steps]
    arxiv_ids = {d.draft.arxiv_id for d in drafts if d.draft.arxiv_id}
    titles = {d.title_norm for d in drafts}
    titles_without_id = {d.title_norm for d in drafts if not d.draft.arxiv_id}
    again = []
    for entry_id, arxiv_id, title_norm in changed:
        if entry_id in plan.known:
            before = plan.known[entry_id]
            if (arxiv_id, title_norm) != (before["arxiv_id"], before["title_norm"]):
                return False
            again.append(entry_id)
        elif (
            (arxiv_id and arxiv_id in arxiv_ids)
            or (not arxiv_id and title_norm in titles)
            or title_norm in titles_without_id
        ):
            return False  # it matches a draft (the rules of _find_existing): new meanwhile
    plan.known.update(_read_known(conn, again))
    _merge_known(plan, again)
    return True


# ------------------------------------------------------------ the apply (one transaction)


def _apply(
    conn: Connection,
    plan: _Plan,
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
    it (:func:`_report`). Returns the new papers' ids by placeholder."""
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
                _insert_sql(conn.dialect, E.name, (*_INSERTED, "id", "seq")),
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


def _counts(plan: _Plan, report: ImportReport) -> dict[str, int]:
    """The digest's counts of what the import did (as :func:`_report` reports it)."""
    new = sum(1 for step in plan.steps if step.kind == "new")
    known = [step.ref for step in plan.steps if step.kind == "known"]
    updated = sum(1 for ref in known if plan.outcome.get(ref, (False, 0))[0])
    return {
        "new": new,
        "updated": updated,
        "unchanged": len(known) - updated,
        "skipped": len(report.skipped),
    }


def _report(plan: _Plan, real: dict[int, int], report: ImportReport) -> tuple[set[int], set[int]]:
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


def _earlier_import(conn: Connection, result: ParseResult, content: str | None) -> int | None:
    """The digest of an earlier import of the same content (the newest), if any. An export
    names its own digests, so it is never one."""
    if content is None or result.digests:
        return None
    found: int | None = conn.execute(
        select(schema.digests.c.id)
        .where(schema.digests.c.content_hash == content)
        .order_by(schema.digests.c.id.desc())
        .limit(1)
    ).scalar()
    return found


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


def _entries_of_digest(conn: Connection, digest_id: int) -> set[int]:
    return set(
        conn.execute(
            select(schema.digest_entries.c.entry_id).where(
                schema.digest_entries.c.digest_id == digest_id
            )
        ).scalars()
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


def _find_existing(conn: Connection, chunk: Sequence[_Prepared]) -> list[int | None]:
    """Identity: same arXiv id, or (where either lacks one) the same normalised title."""
    arxiv_ids = [p.draft.arxiv_id for p in chunk if p.draft.arxiv_id]
    titles = [p.title_norm for p in chunk]
    by_arxiv: dict[str, int] = {}
    if arxiv_ids:
        by_arxiv = dict(
            conn.execute(select(E.c.arxiv_id, E.c.id).where(E.c.arxiv_id.in_(arxiv_ids))).all()
        )
    title_any: dict[str, int] = {}
    title_without_id: dict[str, int] = {}
    for entry_id, title_norm, arxiv_id in conn.execute(
        select(E.c.id, E.c.title_norm, E.c.arxiv_id)
        .where(E.c.title_norm.in_(titles))
        .order_by(E.c.id)
    ):
        title_any.setdefault(title_norm, entry_id)
        if arxiv_id is None:
            title_without_id.setdefault(title_norm, entry_id)
    found: list[int | None] = []
    for item in chunk:
        arxiv_id = item.draft.arxiv_id
        if arxiv_id:
            match = by_arxiv.get(arxiv_id) or title_without_id.get(item.title_norm)
        else:
            match = title_any.get(item.title_norm)
        found.append(match)
    return found


def _entry_values(item: _Prepared, seq: int, now: datetime) -> dict[str, Any]:
    """The ``entries`` row of a new entry."""
    draft = item.draft
    state = draft.user_state
    added_at = (state.added_at if state and state.added_at else None) or now
    authors_count = draft.authors_count
    if draft.authors and (authors_count is None or authors_count < len(draft.authors)):
        authors_count = len(draft.authors)
    return {
        "arxiv_id": draft.arxiv_id or None,
        "title_norm": item.title_norm,
        "title_raw": draft.title,
        "title": item.title,
        "abstract_raw": draft.abstract,
        "abstract": item.abstract,
        "authors": list(draft.authors),
        "authors_count": authors_count,
        "published": draft.published,
        "published_year_inferred": draft.published_year_inferred,
        "categories": list(draft.categories),
        "links": links_to_json(item.links),
        "has_code": any(link.kind == "code" for link in item.links),
        "ai_summary": draft.ai_summary,
        "ai_keywords": list(draft.ai_keywords),
        "github_repo": draft.github_repo,
        "github_stars": draft.github_stars,
        "project_page": draft.project_page,
        "organization": draft.organization,
        "num_comments": draft.num_comments,
        "votes": draft.votes,
        "status": state.status if state else "unread",
        "status_changed_at": (state.history[-1].at if state and len(state.history) > 1 else None),
        "added_at": added_at,
        "updated_at": now,
        "seq": seq,
    }


def _merged(row: dict[str, Any], item: _Prepared, *, redate: bool) -> tuple[dict[str, Any], int]:
    """What a draft changes in a paper's ``row``: it fills what the library lacks and takes
    the newest counts. A known date replaces an inferred one; with ``redate`` (the same
    content imported again with another as-of day) an inferred date is read again too.
    Returns the changed columns (empty: nothing) and 1 when the published date was corrected
    (else 0)."""
    draft = item.draft
    values: dict[str, Any] = {}
    for name in _FILLABLE:
        new = getattr(draft, name)
        if new and not row[name]:
            values[name] = new
    for name in _LIST_FILLABLE:
        new = list(getattr(draft, name))
        if new and not row[name]:
            values[name] = new
    if "authors" in values and (row["authors_count"] or 0) < len(values["authors"]):
        values["authors_count"] = len(values["authors"])
    corrected = 0
    if draft.published and (
        row["published"] is None
        or (row["published_year_inferred"] and not draft.published_year_inferred)
        or (row["published_year_inferred"] and redate and draft.published != row["published"])
    ):
        corrected = int(row["published"] is not None and row["published"] != draft.published)
        values["published"] = draft.published
        values["published_year_inferred"] = draft.published_year_inferred
    if not row["abstract"] and item.abstract:
        values["abstract"] = item.abstract
        values["abstract_raw"] = draft.abstract
    for name, new in (
        ("votes", draft.votes),
        ("github_stars", draft.github_stars),
        ("num_comments", draft.num_comments),
    ):
        if new is not None and new != row[name]:
            values[name] = new
    old_links = links_from_json(row["links"])
    merged = _merge_links(old_links, item.links)
    if merged != old_links:
        values["links"] = links_to_json(merged)
        values["has_code"] = any(link.kind == "code" for link in merged)
    return values, corrected


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
