"""Reads written once in plain SQL, run by either engine: SQLAlchemy (every database, the app)
or the standard ``sqlite3`` module (the command line's reading commands on a SQLite library,
which then never import SQLAlchemy: about half of such a command's 0.4 s was that import).

A read is SQL text with named parameters (``:p0``, made by :class:`Params`) and a
:class:`Reading` that runs it. Values come back as the driver hands them: SQLite gives dates
and times as ISO text and JSON as text, PostgreSQL gives Python objects; :func:`as_date`,
:func:`as_datetime` and :func:`as_json` turn either into the Python value. Nothing here imports
SQLAlchemy (``tests/core/test_light_start.py`` checks the reading commands in a new process).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from digestdesk.core.library.common import as_utc


class Reading(Protocol):
    """One open connection that runs reads."""

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of ``sql`` (with ``:name`` parameters) as a tuple."""
        ...


class Reads(Protocol):
    """Where reads get a connection: each read opens its own (any thread may read)."""

    def reading(self) -> AbstractContextManager[Reading]: ...


class Params:
    """The parameters of one statement: each value gets a name of its own."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        """The placeholder for ``value`` (``:p3``)."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return ":" + name

    def many(self, values: Iterable[Any]) -> str:
        """Placeholders for an ``IN (...)`` list."""
        return ", ".join(self(value) for value in values)


def sqlite_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as SQLite stores them: a day as ISO text (as SQLAlchemy's ``Date`` writes it;
    the sqlite3 module's own date adapter is deprecated)."""
    return {
        name: value.isoformat() if type(value) is date else value for name, value in params.items()
    }


class SqliteReading:
    """A :class:`Reading` over a ``sqlite3`` connection."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._connection.execute(
            sql, sqlite_values(params or {})
        ).fetchall()
        return rows


def as_date(value: Any) -> date | None:
    """A ``Date`` column's value (SQLite: ``YYYY-MM-DD`` text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def as_datetime(value: Any) -> datetime | None:
    """A ``DateTime`` column's value, in UTC (SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``, UTC)."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def as_json(value: Any) -> Any:
    """A ``JSON`` column's value (SQLite: its text)."""
    return json.loads(value) if isinstance(value, str) else value
