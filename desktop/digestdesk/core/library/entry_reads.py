"""Reading entries in plain SQL (:mod:`.sql`): list rows, full records, tags, counts, stats.

What the list, the reader, the command line's ``list``, ``search``, ``show`` and ``stats`` read,
written once and run by SQLAlchemy (:class:`~digestdesk.core.library.database.Database`'s
reads) or by the sqlite3 module (:mod:`.sqlite_reads`); no SQLAlchemy import here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from digestdesk.core.drafts import STATUSES
from digestdesk.core.library.common import chunks, links_from_json
from digestdesk.core.library.sql import Params, Reading, Reads, as_date, as_datetime, as_json
from digestdesk.core.records import EntryDetail, EntryRow, StatusEvent
from digestdesk.core.validation import without_controls
from digestdesk.errors import EntryNotFoundError

if TYPE_CHECKING:
    from digestdesk.core.index.base import IndexState
    from digestdesk.paths import LibraryPaths

#: The columns of ``entries`` a full record reads, in :func:`_detail`'s order.
_DETAIL_COLUMNS = (
    "id, arxiv_id, title, title_raw, abstract, abstract_raw, authors, authors_count, "
    "published, published_year_inferred, votes, links, categories, ai_summary, ai_keywords, "
    "github_repo, github_stars, project_page, organization, num_comments, status, "
    "status_changed_at, added_at"
)


def _repaired(text: Any) -> Any:
    """Stored text as imports repair it now (None and "" as they are)."""
    return without_controls(text) if text else text


def _as_stored(text: Any) -> Any:
    return text


def tags_for(reading: Reading, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each entry's tags by name (entries without tags are left out)."""
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(list(ids)):
        params = Params()
        for entry_id, name in reading.all(
            "SELECT entry_tags.entry_id, tags.name FROM entry_tags"
            " JOIN tags ON tags.id = entry_tags.tag_id"
            f" WHERE entry_tags.entry_id IN ({params.many(chunk)}) ORDER BY tags.name",
            params.values,
        ):
            found[entry_id].append(name)
    return found


def digest_dates_for(reading: Reading, ids: Sequence[int]) -> dict[int, list[date]]:
    """The days of the digests each entry appeared in, oldest first, each day once."""
    found: dict[int, list[date]] = defaultdict(list)
    for chunk in chunks(list(ids)):
        params = Params()
        for entry_id, value in reading.all(
            "SELECT digest_entries.entry_id, digests.digest_date FROM digest_entries"
            " JOIN digests ON digests.id = digest_entries.digest_id"
            f" WHERE digest_entries.entry_id IN ({params.many(chunk)})"
            " ORDER BY digests.digest_date",
            params.values,
        ):
            day = as_date(value)
            if day is not None and day not in found[entry_id]:
                found[entry_id].append(day)
    return found


def rows(reads: Reads, ids: Sequence[int]) -> dict[int, EntryRow]:
    """List rows for the given ids (the visible ones), keyed by id."""
    result: dict[int, EntryRow] = {}
    with reads.reading() as reading:
        tags = tags_for(reading, ids)
        for chunk in chunks(list(ids)):
            params = Params()
            where = f"IN ({params.many(chunk)})"
            noted = {
                row[0]
                for row in reading.all(
                    f"SELECT entry_id FROM notes WHERE entry_id {where}", params.values
                )
            }
            for entry_id, title, published, votes, status, has_code in reading.all(
                "SELECT id, title, published, votes, status, has_code FROM entries"
                f" WHERE id {where}",
                params.values,
            ):
                result[entry_id] = EntryRow(
                    id=entry_id,
                    title=without_controls(title),
                    published=as_date(published),
                    votes=votes,
                    status=status,
                    has_code=bool(has_code),
                    has_note=entry_id in noted,
                    tags=tuple(tags.get(entry_id, [])),
                )
    return result


def entry(reads: Reads, entry_id: int) -> EntryDetail:
    details = entries(reads, [entry_id])
    if not details:
        raise EntryNotFoundError(f"No entry with id {entry_id}. `digestdesk list` shows the ids.")
    return details[0]


def entries(reads: Reads, ids: Sequence[int], *, shown: bool = True) -> list[EntryDetail]:
    """Full records, in the order of ``ids`` (unknown ids are left out). ``shown``: the text
    shown (title, abstract, authors, summary...) is repaired as imports repair it since they
    drop terminal controls and bidi overrides (text stored before is read back without them);
    the raw text fields stay as stored."""
    notes: dict[int, tuple[str, Any]] = {}
    history: dict[int, list[StatusEvent]] = defaultdict(list)
    found: dict[int, tuple[Any, ...]] = {}
    with reads.reading() as reading:
        tags = tags_for(reading, ids)
        digest_dates = digest_dates_for(reading, ids)
        for chunk in chunks(list(ids)):
            params = Params()
            where = f"IN ({params.many(chunk)})"
            for entry_id, text, edited in reading.all(
                f"SELECT entry_id, text, edited_at FROM notes WHERE entry_id {where}",
                params.values,
            ):
                notes[entry_id] = (text, edited)
            for entry_id, status, at in reading.all(
                "SELECT entry_id, status, at FROM status_history"
                f" WHERE entry_id {where} ORDER BY at, id",
                params.values,
            ):
                history[entry_id].append(StatusEvent(status, as_datetime(at) or at))
            for row in reading.all(
                f"SELECT {_DETAIL_COLUMNS} FROM entries WHERE id {where}", params.values
            ):
                found[row[0]] = row
    out = []
    for entry_id in ids:
        if entry_id not in found:
            continue
        note = notes.get(entry_id)
        out.append(
            _detail(
                found[entry_id],
                _repaired if shown else _as_stored,
                tags=tags.get(entry_id, []),
                note=note[0] if note else None,
                note_edited_at=as_datetime(note[1]) if note else None,
                digests=digest_dates.get(entry_id, []),
                history=history.get(entry_id, []),
            )
        )
    return out


def _detail(row: tuple[Any, ...], shown_text: Any, **user: Any) -> EntryDetail:
    (
        entry_id,
        arxiv_id,
        title,
        title_raw,
        abstract,
        abstract_raw,
        authors,
        authors_count,
        published,
        published_year_inferred,
        votes,
        links,
        categories,
        ai_summary,
        ai_keywords,
        github_repo,
        github_stars,
        project_page,
        organization,
        num_comments,
        status,
        status_changed_at,
        added_at,
    ) = row
    added: datetime | None = as_datetime(added_at)
    assert added is not None  # NOT NULL
    return EntryDetail(
        id=entry_id,
        arxiv_id=arxiv_id,
        title=shown_text(title),
        title_raw=title_raw,
        abstract=shown_text(abstract),
        abstract_raw=abstract_raw,
        authors=[shown_text(a) for a in as_json(authors) or []],
        authors_count=authors_count,
        published=as_date(published),
        published_year_inferred=bool(published_year_inferred),
        votes=votes,
        links=links_from_json(as_json(links)),
        categories=list(as_json(categories) or []),
        ai_summary=shown_text(ai_summary),
        ai_keywords=[shown_text(k) for k in as_json(ai_keywords) or []],
        github_repo=github_repo,
        github_stars=github_stars,
        project_page=project_page,
        organization=shown_text(organization),
        num_comments=num_comments,
        status=status,
        status_changed_at=as_datetime(status_changed_at),
        added_at=added,
        **user,
    )


def ids_for_arxiv(reads: Reads, arxiv_ids: Sequence[str]) -> dict[str, int]:
    """The entry of each of these versionless arXiv ids that the library holds (the others are
    left out)."""
    found: dict[str, int] = {}
    with reads.reading() as reading:
        for chunk in chunks(list(arxiv_ids)):
            params = Params()
            found.update(
                reading.all(
                    f"SELECT arxiv_id, id FROM entries WHERE arxiv_id IN ({params.many(chunk)})",
                    params.values,
                )
            )
    return found


def all_tags(reads: Reads) -> list[tuple[str, int]]:
    """Every tag with how many entries carry it, most used first."""
    with reads.reading() as reading:
        return [
            (name, count)
            for name, count in reading.all(
                "SELECT tags.name, count(entry_tags.entry_id) FROM tags"
                " JOIN entry_tags ON entry_tags.tag_id = tags.id"
                " GROUP BY tags.name ORDER BY count(entry_tags.entry_id) DESC, tags.name"
            )
        ]


def counts(reads: Reads) -> dict[str, int]:
    """Entries in all and per status."""
    with reads.reading() as reading:
        per_status: dict[str, int] = dict(
            reading.all("SELECT status, count(*) FROM entries GROUP BY status")  # type: ignore[arg-type]
        )
    result = {status: int(per_status.get(status, 0)) for status in STATUSES}
    result["total"] = sum(result.values())
    return result


def stats(reads: Reads, paths: LibraryPaths, index_state: IndexState | None) -> dict[str, Any]:
    """What ``digestdesk stats`` shows: sizes, dates and where the library and its index are
    (in its JSON's order)."""
    with reads.reading() as reading:
        ((total_digests,),) = reading.all("SELECT count(*) FROM digests")
        ((with_code,),) = reading.all(
            "SELECT count(*) FROM entries WHERE entries.has_code = :p0", {"p0": True}
        )
        ((with_notes,),) = reading.all("SELECT count(*) FROM notes")
        ((first, last),) = reading.all("SELECT min(published), max(published) FROM entries")
        ((last_digest,),) = reading.all("SELECT max(digest_date) FROM digests")
    first, last, last_digest = as_date(first), as_date(last), as_date(last_digest)
    return {
        "library": paths.describe(),
        "index": str(paths.index_dir),
        "entries": counts(reads),
        "digests": total_digests,
        "last_digest": last_digest.isoformat() if last_digest else None,
        "with_code": with_code,
        "with_notes": with_notes,
        "tags": len(all_tags(reads)),
        "published_from": first.isoformat() if first else None,
        "published_to": last.isoformat() if last else None,
        "index_documents": index_state.doc_count if index_state else None,
    }
