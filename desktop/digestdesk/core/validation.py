"""Drafts checked before they reach the database: one bad field skips its entry, never the file.

Parsers read what an input says; some of it cannot be stored as it is. A JSON string may hold a
lone surrogate (``"\\ud800"``), which no UTF-8 database takes; text may hold NUL characters,
which PostgreSQL refuses; a count may be larger than the column (``2**63`` upvotes overflows
SQLite's INTEGER, anything past ``2**31 - 1`` PostgreSQL's). Text is repaired (lone surrogates
become U+FFFD, NULs are dropped: the rest of the title is worth keeping; so are the other control
characters that are not white space, such as ESC, which would drive the terminal of whoever runs
``digestdesk list``, and the bidi overrides and isolates, which show "evil" as "live"; tags are
normalised as the library writes them); an entry whose number does not fit, whose identifier is
longer than its column, or whose status is unknown, is moved to the problems with its place and
the reason, so the import of everything else goes on and reports it (exit 3 on the command line).
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from digestdesk.core.drafts import (
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
from digestdesk.core.text import normalize_tag

#: The range every integer column holds on both databases (PostgreSQL's INTEGER is 32-bit).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
#: Dates a paper or a digest can have (``date`` itself allows years 1 to 9999).
YEAR_MIN, YEAR_MAX = 1900, 2200
#: Text fields stored in a column of bounded length (PostgreSQL's VARCHAR refuses longer text).
MAX_CHARS = {"arxiv_id": 64, "source_kind": 32}


# C0 and C1 controls except white space (tab, line feed, VT, FF, CR, the separators
# U+001C-U+001F and NEL, which clean_text turns into spaces), DEL, and the bidi embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


class InvalidDraft(ValueError):
    """A field that cannot be stored; the message names it."""


def clean_str(text: str) -> str:
    """``text`` as valid Unicode without NULs, other non-space controls or bidi overrides.

    Lone surrogates are replaced by U+FFFD.
    """
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A valid pair written as two escapes becomes its character; a lone half U+FFFD.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return without_controls(text)


def without_controls(text: str) -> str:
    """``text`` without the controls :func:`clean_str` drops (NUL, ESC, the other non-space
    C0 and C1 controls, bidi overrides): what may be printed on a terminal."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def _check_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not INT_MIN <= value <= INT_MAX:
        raise InvalidDraft(f"{name} {value} is out of range (at most {INT_MAX:,})")
    return value


def _check_date(name: str, value: date) -> date:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise InvalidDraft(f"{name} {value.isoformat()} is not a plausible date")
    return value


def _check_length(name: str, value: str) -> str:
    limit = MAX_CHARS.get(name)
    if limit is not None and len(value) > limit:
        raise InvalidDraft(f"{name} is {len(value):,} characters long (at most {limit})")
    return value


def _clean(name: str, value: Any) -> Any:
    """``value`` with its text repaired; :class:`InvalidDraft` when it cannot be stored."""
    if value is None:
        return None
    if isinstance(value, str):
        return _check_length(name, clean_str(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _check_int(name, value)
    if isinstance(value, datetime):
        _check_date(name, value.date())
        # A time without a zone is read as UTC, like every time the library stores.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return _check_date(name, value)
    if isinstance(value, list):
        return [_clean(name, item) for item in value]
    if isinstance(value, dict):
        # The key is repaired before it names the value in a message too.
        cleaned = {k: clean_str(str(k)) for k in value}
        return {cleaned[k]: _clean(f"{name}.{cleaned[k]}", v) for k, v in value.items()}
    if isinstance(value, Link | StatusChange | UserState | Appearance | DigestDraft):
        return _clean_dataclass(value)
    return value


def _clean_dataclass(obj: Any) -> Any:
    assert is_dataclass(obj) and not isinstance(obj, type)
    changes: dict[str, Any] = {}
    for f in fields(obj):
        old = getattr(obj, f.name)
        new = _clean(f.name, old)
        if new is not old:
            changes[f.name] = new
    if isinstance(obj, StatusChange | UserState):
        status = changes.get("status", obj.status)
        if status not in STATUSES:
            raise InvalidDraft(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if isinstance(obj, UserState):
        # Tags as the library writes them (lower-case, hyphenated, at most 200 characters),
        # each once: two spellings of one tag would tag the entry twice.
        tags = list(changes.get("tags", obj.tags))
        normalized = list(dict.fromkeys(t for t in map(normalize_tag, tags) if t))
        if normalized != tags:
            changes["tags"] = normalized
    return replace(obj, **changes) if changes else obj


def validate_entry(draft: EntryDraft) -> EntryDraft:
    """``draft`` ready to store (text repaired); :class:`InvalidDraft` says why it is not."""
    cleaned: EntryDraft = _clean_dataclass(draft)
    if not cleaned.title.strip():
        raise InvalidDraft("the title is empty")
    return cleaned


def validate(result: ParseResult) -> ParseResult:
    """``result`` with every entry checked: bad ones become problems, in input order."""
    entries: list[EntryDraft] = []
    problems = list(result.problems)
    for number, draft in enumerate(result.entries, 1):
        try:
            entries.append(validate_entry(draft))
        except InvalidDraft as error:
            where = clean_str(draft.where) or f"entry {number}"
            problems.append(ParseProblem(where, f"not imported: {error}"))
    digests = []
    for digest in result.digests:
        try:
            digests.append(_clean_dataclass(digest))
        except InvalidDraft as error:
            problems.append(ParseProblem(f"digest {clean_str(digest.key)}", str(error)))
    return replace(result, entries=entries, problems=problems, digests=digests)


__all__ = [
    "INT_MAX",
    "INT_MIN",
    "MAX_CHARS",
    "InvalidDraft",
    "clean_str",
    "validate",
    "validate_entry",
]
