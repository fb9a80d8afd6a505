"""Digest Desk's own export: entries with the user's state, and the digests they appeared in.

The document is ``{"format": "digestdesk", "version": 1, "exported_at": ..., "digests":
[...], "entries": [...]}``. Entries carry every :class:`EntryDraft` field by the same name
(dates ``YYYY-MM-DD``, datetimes ISO 8601 in UTC), the user's state flattened into
``status``, ``status_history``, ``tags``, ``note``, ``note_edited_at`` and ``added_at``, and
``appearances`` that refer to digests by their ``key``.

The exporter and this parser share :func:`entry_to_json` / :func:`entry_from_json` and
:func:`digest_to_json` / :func:`digest_from_json`, each the exact inverse of the other, so
an export always re-imports to the same drafts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from digestdesk.core.drafts import (
    LINK_KINDS,
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    Link,
    ParseProblem,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.formats._common import decode, display_name
from digestdesk.core.formats.hf_json import load_json
from digestdesk.errors import NotADigestError, ParseError

NAME = "digestdesk"
TITLE = "Digest Desk export"
FORMAT_ID = "digestdesk"
FORMAT_VERSION = 1

_FORMAT_MARK = re.compile(r'"format"\s*:\s*"digestdesk"')
_USER_STATE_KEYS = ("status", "status_history", "tags", "note", "note_edited_at", "added_at")


def sniff(data: bytes | str, name: str | None = None) -> int:
    """Confidence (0..100): a JSON object marked ``"format": "digestdesk"`` is ours."""
    text = decode(data).lstrip()
    return 100 if text.startswith("{") and _FORMAT_MARK.search(text) else 0


# Writing ---------------------------------------------------------------------------------


def _date_out(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime_out(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # drafts hold UTC; a naive value is taken as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def entry_to_json(draft: EntryDraft) -> dict[str, Any]:
    """One entry as a JSON-ready dict (``where`` is a parse location, not data: omitted)."""
    obj: dict[str, Any] = {
        "title": draft.title,
        "abstract": draft.abstract,
        "arxiv_id": draft.arxiv_id,
        "authors": list(draft.authors),
        "authors_count": draft.authors_count,
        "published": _date_out(draft.published),
        "published_year_inferred": draft.published_year_inferred,
        "votes": draft.votes,
        "links": [{"url": link.url, "kind": link.kind} for link in draft.links],
        "categories": list(draft.categories),
        "ai_summary": draft.ai_summary,
        "ai_keywords": list(draft.ai_keywords),
        "github_repo": draft.github_repo,
        "github_stars": draft.github_stars,
        "project_page": draft.project_page,
        "organization": draft.organization,
        "num_comments": draft.num_comments,
        "digest_date": _date_out(draft.digest_date),
    }
    state = draft.user_state
    if state is not None:
        obj.update(
            status=state.status,
            status_history=[
                {"status": change.status, "at": _datetime_out(change.at)}
                for change in state.history
            ],
            tags=list(state.tags),
            note=state.note,
            note_edited_at=_datetime_out(state.note_edited_at),
            added_at=_datetime_out(state.added_at),
        )
    obj["appearances"] = [
        {
            "digest": appearance.digest_key,
            "votes": appearance.votes,
            "stars": appearance.stars,
            "comments": appearance.comments,
        }
        for appearance in draft.appearances
    ]
    return obj


def digest_to_json(digest: DigestDraft) -> dict[str, Any]:
    """One digest as a JSON-ready dict."""
    return {
        "key": digest.key,
        "source_kind": digest.source_kind,
        "file_name": digest.file_name,
        "digest_date": _date_out(digest.digest_date),
        "imported_at": _datetime_out(digest.imported_at),
        "counts": dict(digest.counts),
    }


def export_document(
    *, digests: Iterable[DigestDraft], entries: Iterable[EntryDraft], exported_at: datetime
) -> dict[str, Any]:
    """The whole export document; ``json.dumps`` it (``ensure_ascii=False`` reads best)."""
    return {
        "format": FORMAT_ID,
        "version": FORMAT_VERSION,
        "exported_at": _datetime_out(exported_at),
        "digests": [digest_to_json(digest) for digest in digests],
        "entries": [entry_to_json(entry) for entry in entries],
    }


# Reading ---------------------------------------------------------------------------------


def _field(
    obj: dict[str, Any], key: str, kind: type | tuple[type, ...], *, required: bool = False
) -> Any:
    """``obj[key]`` checked against ``kind`` (``None`` allowed unless required)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise ParseError(f"“{key}” is missing")
        return None
    # bool is an int subclass; a count is never true/false.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ParseError(f"“{key}” has the wrong type")
    return value


def _str_list(obj: dict[str, Any], key: str) -> list[str]:
    value = _field(obj, key, list) or []
    if not all(isinstance(item, str) for item in value):
        raise ParseError(f"“{key}” must be a list of text")
    return list(value)


def _date_in(obj: dict[str, Any], key: str) -> date | None:
    value = _field(obj, key, str)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParseError(f"“{key}” is not a YYYY-MM-DD date: {value!r}") from None


def _datetime_value(value: str, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ParseError(f"“{key}” is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ParseError(f"“{key}” is out of range: {value!r}") from None


def _datetime_in(obj: dict[str, Any], key: str) -> datetime | None:
    value = _field(obj, key, str)
    return _datetime_value(value, key) if value is not None else None


def _status(value: object, key: str) -> str:
    if value not in STATUSES:
        raise ParseError(f"“{key}” must be one of {', '.join(STATUSES)}, not {value!r}")
    assert isinstance(value, str)
    return value


def _links_in(obj: dict[str, Any]) -> list[Link]:
    links: list[Link] = []
    for item in _field(obj, "links", list) or []:
        if not isinstance(item, dict):
            raise ParseError("“links” must hold objects with “url” and “kind”")
        url = _field(item, "url", str, required=True)
        kind = _field(item, "kind", str, required=True)
        if kind not in LINK_KINDS:
            raise ParseError(f"link kind must be one of {', '.join(LINK_KINDS)}, not {kind!r}")
        links.append(Link(url=url, kind=kind))
    return links


def _user_state_in(obj: dict[str, Any]) -> UserState | None:
    if not any(key in obj for key in _USER_STATE_KEYS):
        return None
    history: list[StatusChange] = []
    for change in _field(obj, "status_history", list) or []:
        if not isinstance(change, dict):
            raise ParseError("“status_history” must hold objects with “status” and “at”")
        at = _datetime_value(_field(change, "at", str, required=True), "at")
        history.append(StatusChange(status=_status(change.get("status"), "status"), at=at))
    status = obj.get("status")
    return UserState(
        status=_status(status, "status") if status is not None else "unread",
        history=history,
        tags=_str_list(obj, "tags"),
        note=_field(obj, "note", str),
        note_edited_at=_datetime_in(obj, "note_edited_at"),
        added_at=_datetime_in(obj, "added_at"),
    )


def _appearances_in(obj: dict[str, Any]) -> list[Appearance]:
    appearances: list[Appearance] = []
    for item in _field(obj, "appearances", list) or []:
        if not isinstance(item, dict):
            raise ParseError("“appearances” must hold objects with a “digest” key")
        appearances.append(
            Appearance(
                digest_key=_field(item, "digest", str, required=True),
                votes=_field(item, "votes", int),
                stars=_field(item, "stars", int),
                comments=_field(item, "comments", int),
            )
        )
    return appearances


def entry_from_json(obj: object) -> EntryDraft:
    """The inverse of :func:`entry_to_json`; raises :class:`ParseError` when malformed."""
    if not isinstance(obj, dict):
        raise ParseError("an entry must be an object")
    title = _field(obj, "title", str, required=True)
    if not title.strip():
        raise ParseError("“title” is empty")
    inferred = _field(obj, "published_year_inferred", bool)
    return EntryDraft(
        title=title,
        abstract=_field(obj, "abstract", str) or "",
        arxiv_id=_field(obj, "arxiv_id", str),
        authors=_str_list(obj, "authors"),
        authors_count=_field(obj, "authors_count", int),
        published=_date_in(obj, "published"),
        published_year_inferred=bool(inferred),
        votes=_field(obj, "votes", int),
        links=_links_in(obj),
        categories=_str_list(obj, "categories"),
        ai_summary=_field(obj, "ai_summary", str),
        ai_keywords=_str_list(obj, "ai_keywords"),
        github_repo=_field(obj, "github_repo", str),
        github_stars=_field(obj, "github_stars", int),
        project_page=_field(obj, "project_page", str),
        organization=_field(obj, "organization", str),
        num_comments=_field(obj, "num_comments", int),
        digest_date=_date_in(obj, "digest_date"),
        user_state=_user_state_in(obj),
        appearances=_appearances_in(obj),
    )


def digest_from_json(obj: object) -> DigestDraft:
    """The inverse of :func:`digest_to_json`; raises :class:`ParseError` when malformed."""
    if not isinstance(obj, dict):
        raise ParseError("a digest must be an object")
    key = _field(obj, "key", str, required=True)
    if not key:
        raise ParseError("“key” is empty")
    counts = _field(obj, "counts", dict) or {}
    if not all(isinstance(count, int) and not isinstance(count, bool) for count in counts.values()):
        raise ParseError("“counts” must map names to whole numbers")
    return DigestDraft(
        key=key,
        source_kind=_field(obj, "source_kind", str, required=True),
        file_name=_field(obj, "file_name", str),
        digest_date=_date_in(obj, "digest_date"),
        imported_at=_datetime_in(obj, "imported_at"),
        counts=dict(counts),
    )


def parse(data: bytes | str, *, name: str | None = None, as_of: date, today: date) -> ParseResult:
    """Parse an export. Malformed digests and entries become problems (``digest N``,
    ``entry N``: 0-based list indexes); an entry naming an unknown digest is malformed."""
    document = load_json(data, name)
    if not isinstance(document, dict) or document.get("format") != FORMAT_ID:
        raise NotADigestError(
            f"{display_name(name)} is not a Digest Desk export (it has no "
            '"format": "digestdesk" mark).'
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise NotADigestError(
            f"{display_name(name)} is a Digest Desk export with an unreadable version "
            f"({version!r}); it may be damaged."
        )
    if version > FORMAT_VERSION:
        raise NotADigestError(
            f"{display_name(name)} was written by a newer Digest Desk (export version "
            f"{version}; this one reads version {FORMAT_VERSION}). Update Digest Desk to "
            "import it."
        )
    raw_digests = document.get("digests", [])
    raw_entries = document.get("entries", [])
    if not isinstance(raw_digests, list) or not isinstance(raw_entries, list):
        raise NotADigestError(
            f"{display_name(name)} is a damaged Digest Desk export: “digests” and “entries” "
            "must be lists."
        )

    result = ParseResult(format=NAME, as_of=as_of)
    keys: set[str] = set()
    for index, raw in enumerate(raw_digests):
        where = f"digest {index}"
        try:
            digest = digest_from_json(raw)
        except ParseError as error:
            result.problems.append(ParseProblem(where, f"skipped: {error.reason}"))
            continue
        if digest.key in keys:
            result.problems.append(ParseProblem(where, f"skipped: key “{digest.key}” repeats"))
            continue
        keys.add(digest.key)
        result.digests.append(digest)

    for index, raw in enumerate(raw_entries):
        where = f"entry {index}"
        try:
            entry = entry_from_json(raw)
            unknown = [a.digest_key for a in entry.appearances if a.digest_key not in keys]
            if unknown:
                raise ParseError(f"it appears in a digest that is not in the file: “{unknown[0]}”")
        except ParseError as error:
            result.problems.append(ParseProblem(where, f"skipped: {error.reason}"))
            continue
        entry.where = where
        result.entries.append(entry)

    if len(result.digests) == 1:
        result.digest_date = result.digests[0].digest_date
    return result
