"""What the library's modules share: tuning, chunked ``IN (...)`` lists, UTC times, links, tags.

Nothing here touches the database (nor imports SQLAlchemy: the command line's reading commands
use it); every module of the package builds on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from digestdesk.core.drafts import Link

#: Rows per ``IN (...)`` lookup: well under SQLite's variable limit. A limit of the database,
#: not a knob: every lookup by ids and the import's chunks (one statement per chunk) use it.
CHUNK = 500

Progress = Callable[[int, int | None], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class LibraryTuning:
    """Sizes that trade memory, latency and work; the defaults are what the app uses."""

    #: Word queries return at most this many ids (the best or newest first); the total stays exact.
    text_results_cap: int = 2000
    #: Entries read from the database per batch of index documents.
    index_batch: int = 2000
    #: More changed entries than this are indexed in batches (bounded memory) rather than at once.
    index_bulk: int = 5000
    #: Undo steps kept; older ones are dropped when a new one is recorded.
    undo_keep: int = 500


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size``, for ``IN (...)`` lists the database accepts."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def links_to_json(links: Iterable[Link]) -> list[dict[str, str]]:
    """Links as the ``entries.links`` column stores them."""
    return [{"url": link.url, "kind": link.kind} for link in links]


def links_from_json(value: Any) -> list[Link]:
    return [Link(url=item["url"], kind=item["kind"]) for item in value or []]


def __getattr__(name: str) -> Any:
    # ``E`` (the entries table) lived here; modules now say ``E = schema.entries`` themselves,
    # so that this module, which the command line's plain reads use, never imports SQLAlchemy.
    # Kept for code written against the old name (it imports SQLAlchemy only when asked).
    if name == "E":
        from digestdesk.core import schema

        return schema.entries
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
