"""The command line's reading commands on a SQLite library run with the sqlite3 module, without
importing SQLAlchemy (`list` and `show` not even Whoosh), and print exactly what the full
library prints.

The mechanism is guarded, not a time: a new process runs each command through the real entry
point and reports the modules it loaded (the probe of test_light_start.py); its output is
compared with the same command run with the plain path turned off. Reads the plain path cannot
answer (``sort:foryou``, an index to repair, a schema to migrate) go to the full library.
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest

from digestdesk.cli.runner import run
from digestdesk.core.library import Library
from digestdesk.core.library.sqlite_reads import SqliteLibrary
from digestdesk.paths import LibraryPaths
from tests.core import factories
from tests.core.test_light_start import HEAVY, _loaded_modules

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="the plain reads are SQLite's"
)


@pytest.fixture
def filled(library: Library) -> Library:
    items = [
        factories.api_item(
            f"2511.{i:05d}",
            f"Diffusion paper {i}" if i % 2 else f"Agent paper {i}",
            summary="Large language models meet diffusion. " * (1 + i % 3),
            upvotes=i,
            published=f"202{3 + i % 3}-0{1 + i % 9}-10T00:00:00.000Z",
            githubRepo="https://github.com/o/r" if i % 2 else None,
            projectPage="https://p.example/" if i % 3 == 0 else None,
            ai_keywords=["diffusion", "agents"],
        )
        for i in range(1, 25)
    ]
    library.import_bytes(factories.api_json(items), name="2025-11-20.json")
    library.import_bytes(factories.api_day(3, start=40, day="2024-06-01"), name="2024-06-01.json")
    library.change_tags([1, 3], add=["todo", "later"])
    library.set_note(2, "a note\nof two lines")
    library.set_status([4, 5], "read")
    library.set_status([4], "skipped")
    with library.engine.begin() as conn:  # an entry with no votes and no date
        conn.exec_driver_sql("UPDATE entries SET votes = NULL, published = NULL WHERE id = 6")
    return library


COMMANDS = [
    ("search", "diffusion"),
    ("search", "diffusion", "--json"),
    ("search", "has:code diffusion", "--sort", "votes", "--limit", "3"),
    ("search", '"language models" year:2024..2025'),
    ("search", "tag:todo OR has:note", "--json"),
    ("search", "agent -status:unread"),
    ("search", "digest:>=2025-01-01 agent", "--sort", "date"),
    ("search", "zzznotaword"),
    ("list",),
    ("list", "--json", "--limit", "5"),
    ("list", "--sort", "title", "--status", "unread"),
    ("list", "--tag", "todo"),
    ("show", "2"),
    ("show", "4", "--json"),
    ("show", "2511.00003"),
    ("stats",),
    ("stats", "--json"),
]


def _full_output(
    paths: LibraryPaths, argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> str:
    """What the full library prints for the command (the plain path turned off)."""
    out = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(SqliteLibrary, "open", classmethod(lambda cls, paths: None))
        assert run(["--library", str(paths.root), *argv], out=out) == 0
    return out.getvalue()


def _heavy(modules: list[str], roots: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in roots]


# What a reading command that logs nothing does without: the log file (opened at the first
# record), the default places (it was given --library), the index writer, and every other
# command's handler module (the command table names handlers without importing them).
NOT_FOR_READING = (
    "logging.handlers",
    "platformdirs",
    "whoosh.writing",
    "digestdesk.core.index.writing",
    "digestdesk.core.index.bulk_writer",
)


def _unused(modules: list[str], command: str) -> list[str]:
    from digestdesk.cli.commands import COMMANDS_BY_NAME

    own = "digestdesk.cli.handlers." + COMMANDS_BY_NAME[command].handler.split(".")[0]
    return [
        m
        for m in modules
        if m in NOT_FOR_READING or (m.startswith("digestdesk.cli.handlers.") and m != own)
    ]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_reading_commands_skip_sqlalchemy_and_print_the_same(
    filled: Library, argv: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    filled.close()
    paths = filled.paths
    out, modules = _loaded_modules("--library", str(paths.root), *argv)
    assert _heavy(modules, ("sqlalchemy", "alembic", "asyncio")) == []
    assert _unused(modules, argv[0]) == []
    if argv[0] in ("list", "show"):  # no index needed: no Whoosh either
        assert _heavy(modules, HEAVY) == []
        assert "digestdesk.core.similarity" not in modules
    assert out == _full_output(paths, argv, monkeypatch)


def test_for_you_goes_to_the_full_library(filled: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    filled.close()
    argv = ("search", "diffusion sort:foryou")
    out, modules = _loaded_modules("--library", str(filled.paths.root), *argv)
    assert "sqlalchemy" in modules
    assert out == _full_output(filled.paths, argv, monkeypatch)


def test_an_index_behind_is_caught_up_by_the_full_library(filled: Library) -> None:
    filled.close()
    with sqlite3.connect(filled.paths.sqlite_file) as conn:  # a change the index has not seen
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'change_seq'")
    out, modules = _loaded_modules("--library", str(filled.paths.root), "search", "agent")
    assert "sqlalchemy" in modules and "Agent paper" in out
    with Library.open(filled.paths, writer=False) as library:
        assert library.index_status() == "ok"


def test_a_library_to_migrate_or_missing_is_left_to_the_full_library(tmp_path: Path) -> None:
    from digestdesk.paths import resolve_library

    paths = resolve_library(tmp_path / "none")
    assert SqliteLibrary.open(paths) is None  # no file: the full library creates it
    with Library.open(paths):
        pass
    with sqlite3.connect(paths.sqlite_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0003'")
    assert SqliteLibrary.open(paths) is None  # an older schema: the full library migrates
    (tmp_path / "file").mkdir()
    (tmp_path / "file" / "library.sqlite3").write_bytes(b"not a database at all, no")
    assert SqliteLibrary.open(resolve_library(tmp_path / "file")) is None


def test_both_libraries_read_the_same(filled: Library) -> None:
    ids = filled.list_ids(sort="votes") + [999]
    with SqliteLibrary.open(filled.paths) as plain:  # type: ignore[union-attr]
        assert plain.entries(ids) == filled.entries(ids)
        assert plain.rows(ids) == filled.rows(ids)
        assert plain.counts() == filled.counts()
        assert plain.all_tags() == filled.all_tags()
        assert plain.stats() == filled.stats()
        assert plain.ids_for_arxiv(["2511.00003", "2511.99999"]) == {"2511.00003": 3}
        for query in ("diffusion", "has:code -tag:todo", "votes:>3 agent", "year:2024"):
            assert plain.search(query) == filled.search(query)
        assert plain.index_status() == filled.index_status() == "ok"
