"""Helpers shared by the format parsers: decoding bytes, dates and reader-facing names."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, date, datetime

_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def decode(data: bytes | str) -> str:
    """Return ``data`` as text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    Never raises: bytes cp1252 leaves undefined fall back to latin-1, which maps every byte.
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def display_name(name: str | None) -> str:
    """How messages refer to the input: its file name, or "This text"."""
    return f"“{name}”" if name else "This text"


def date_in_name(name: str | None) -> date | None:
    """The last valid ``YYYY-MM-DD`` date in a file name (``2025-11-20.json``), if any."""
    if not name:
        return None
    found: date | None = None
    for match in _FILE_DATE.finditer(name):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return found


def parse_utc_datetime(value: object) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive means UTC), or ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_utc_date(value: object) -> date | None:
    """The UTC calendar date of an ISO 8601 timestamp or date, never shifted to local time."""
    moment = parse_utc_datetime(value)
    return moment.date() if moment is not None else None
