"""An import's plan, made from reads alone: identity, matching and merge decisions.

Identity is the arXiv id, or (where either side lacks one) the normalised title
(:func:`_find_existing`); a known paper gets what it was missing and the newest counts
(:func:`_merged`), a paper twice in one input is merged into its first. The plan is made outside
the write transaction, a chunk of :data:`~digestdesk.core.library.common.CHUNK` drafts per
lookup, and checked again inside it (:func:`plan_holds`): only imports change what identifies a
paper, and an edit made meanwhile is read again and merged with. :mod:`.import_apply` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Dialect

from digestdesk.core import schema
from digestdesk.core.drafts import EntryDraft, Link, ParseResult
from digestdesk.core.library.common import (
    Cancelled,
    Progress,
    chunks,
    links_from_json,
    links_to_json,
)
from digestdesk.core.library.database import read_meta
from digestdesk.core.links import collect_links
from digestdesk.core.text import clean_text, normalize_title
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
class Prepared:
    """A draft normalised for storage."""

    draft: EntryDraft
    title: str
    title_norm: str
    abstract: str
    links: list[Link]


def prepare(draft: EntryDraft) -> Prepared:
    extra = [u for u in (draft.github_repo, draft.project_page) if u]
    links = (
        _merge_links(list(draft.links), collect_links(extra_urls=extra))
        if extra
        else list(draft.links)
    )
    return Prepared(
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
class Step:
    """What one draft of the input is: a new paper (``ref`` a placeholder, -1, -2, ...), a
    known one (``ref`` its id), or a paper already met in this input (merged into it)."""

    item: Prepared
    kind: str  # "new", "known", "duplicate"
    ref: int


@dataclass
class Plan:
    """An import worked out from reads alone: what each draft is, the rows of the new papers,
    and what changes in the known ones. Applied by :func:`apply_plan` in one short transaction."""

    seen_seq: int  # the change number before anything was read
    earlier: int | None  # the digest of an earlier import of the same content
    redate: set[int]  # that digest's entries (their inferred dates are read again)
    steps: list[Step]
    new_rows: list[dict[str, Any]]  # entries rows of the new papers, placeholder order
    known: dict[int, dict[str, Any]]  # a known paper's row as read (before this import)
    changes: dict[int, dict[str, Any]]  # what the import changes in a known paper
    outcome: dict[int, tuple[bool, int]]  # a known paper: changed, date corrected (first draft)
    #: SQLite: ``new_rows`` as the driver takes them (columns of :data:`INSERTED`), made here
    #: so that the transaction does not spend its time turning values into SQL parameters.
    new_params: list[tuple[Any, ...]] | None = None


def plan_import(
    conn: Connection,
    result: ParseResult,
    prepared: Sequence[Prepared],
    content: str | None,
    now: datetime,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> Plan:
    """Identity, matching and merge decisions, read through ``conn`` (nothing written)."""
    seen_seq = int(read_meta(conn, "change_seq"))
    earlier = _earlier_import(conn, result, content)
    redate = _entries_of_digest(conn, earlier) if earlier is not None else set()
    steps: list[Step] = []
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
                steps.append(Step(item, "new", ref))
            elif found in seen_in_file:
                steps.append(Step(item, "duplicate", found))
                continue
            else:
                ref = found
                steps.append(Step(item, "known", ref))
            seen_in_file.add(ref)
            if item.draft.arxiv_id:
                local_arxiv[item.draft.arxiv_id] = ref
            else:
                local_title_noid.setdefault(item.title_norm, ref)
            local_title.setdefault(item.title_norm, ref)
        done += len(chunk)
        if progress is not None:
            progress(done, len(prepared))
    plan = Plan(seen_seq, earlier, redate, steps, new_rows, known, {}, {})
    for step in steps:
        if step.kind == "duplicate" and step.ref < 0:
            # The same paper twice in one input, the first new: its row takes the merge.
            row = new_rows[-step.ref - 1]
            row.update(_merged(row, step.item, redate=False)[0])
    _merge_known(plan, list(known))
    if conn.dialect.name == "sqlite":
        plan.new_params = driver_params(conn.dialect, new_rows)
    return plan


#: The columns of a new paper's row that the plan fills (the id and change number come last).
INSERTED = tuple(c.name for c in E.columns if c.name not in ("id", "seq"))


def driver_params(dialect: Dialect, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``rows`` as the driver's parameters for :data:`INSERTED` (each column's own
    conversion: JSON text, dates, booleans), without the id and change number."""
    converters = [E.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in INSERTED]
    pairs = list(zip(INSERTED, converters, strict=True))
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


def _merge_known(plan: Plan, ids: Sequence[int]) -> None:
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


def plan_holds(conn: Connection, plan: Plan, result: ParseResult, content: str | None) -> bool:
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


def _entries_of_digest(conn: Connection, digest_id: int) -> set[int]:
    return set(
        conn.execute(
            select(schema.digest_entries.c.entry_id).where(
                schema.digest_entries.c.digest_id == digest_id
            )
        ).scalars()
    )


def _find_existing(conn: Connection, chunk: Sequence[Prepared]) -> list[int | None]:
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


def _entry_values(item: Prepared, seq: int, now: datetime) -> dict[str, Any]:
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


def _merged(row: dict[str, Any], item: Prepared, *, redate: bool) -> tuple[dict[str, Any], int]:
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
