"""Moving in (``team push --from DIR``): a member's own SQLite library copied into the team
library, twice in a row: papers merged by identity, the member's status history, tags, notes
and reading sessions there once each, whatever the team library held already.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digestdesk import cli
from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.sessions import Sessions
from digestdesk.errors import LibraryError
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core.factories import api_day

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_library(tmp_path: Path) -> Iterator[Path]:
    """A member's single-user library: five papers, statuses with history, tags, notes, a
    finished reading session and an open one."""
    folder = tmp_path / "own"
    url = os.environ.pop("DIGESTDESK_DATABASE_URL")
    try:
        with Library.open(resolve_library(folder)) as own:
            own.import_bytes(api_day(5, start=1), name="2025-11-20.json")
            ids = own.list_ids(sort="added")[::-1]
            own.set_status(ids[:2], "queued")
            own.set_status(ids[:1], "read")
            own.set_status(ids[4:], "skipped")
            own.change_tags(ids[1:3], add=["diffusion", "to-cite"])
            own.set_note(ids[0], "my own thoughts")
            own.set_note(ids[3], "second note")
            clock = [datetime(2025, 11, 21, 9, 0, tzinfo=UTC)]
            sessions = Sessions(own, clock=lambda: clock[0])
            sessions.start(ids[:3], label="morning")
            clock[0] += timedelta(seconds=30)
            sessions.record("read")
            clock[0] += timedelta(seconds=30)
            sessions.stop()
            clock[0] += timedelta(hours=8)
            sessions.start(ids[2:], label="evening")
    finally:
        os.environ["DIGESTDESK_DATABASE_URL"] = url
    yield folder


def _state(library: Library) -> dict[str, object]:
    with library.engine.connect() as conn:
        count = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                schema.entries,
                schema.status_history,
                schema.entry_tags,
                schema.notes,
                schema.digests,
                schema.digest_entries,
                schema.reading_sessions,
                schema.session_items,
            )
        }
    by_arxiv = {d.arxiv_id: d for d in library.entries(library.list_ids())}
    return {
        "count": count,
        "status": {k: d.status for k, d in by_arxiv.items()},
        "tags": {k: sorted(d.tags) for k, d in by_arxiv.items()},
        "notes": {k: d.note for k, d in by_arxiv.items()},
        "history": {k: [h.status for h in d.history] for k, d in by_arxiv.items()},
    }


def test_push_twice_copies_everything_once(
    library: Library, own_library: Path, library_paths: LibraryPaths
) -> None:
    # The team library holds two of the papers already (another member imported them) and
    # the third with a note of its own written after the member's.
    library.import_bytes(api_day(3, start=4), name="2025-11-20-team.json")
    report = library.push_from(own_library)
    assert (report.papers, report.new, report.merged) == (5, 3, 2)
    assert (report.sessions, report.sessions_there) == (2, 0)
    first = _state(library)
    status, tags, notes, history = (
        first["status"],
        first["tags"],
        first["notes"],
        first["history"],
    )
    assert isinstance(status, dict) and isinstance(tags, dict)
    assert isinstance(notes, dict) and isinstance(history, dict)
    assert status["2511.00001"] == "read"
    assert history["2511.00001"] == ["unread", "queued", "read"]
    assert status["2511.00002"] == "queued"
    assert tags["2511.00002"] == tags["2511.00003"] == ["diffusion", "to-cite"]
    assert notes["2511.00001"] == "my own thoughts"
    # Papers the team had: the member's note and status merged in.
    assert notes["2511.00004"] == "second note"
    assert status["2511.00005"] == "skipped"
    assert history["2511.00005"] == ["unread", "skipped", "unread"]  # by time, both imports
    assert first["count"]["entries"] == 6  # type: ignore[index]
    # Pushed again: nothing twice.
    again = library.push_from(own_library)
    assert (again.new, again.merged, again.state_changed) == (0, 5, 0)
    assert (again.sessions, again.sessions_there) == (0, 2)
    assert _state(library) == first
    # The open session arrived finished (one open session at a time, the team's own).
    assert library.check(deep=True) == []


def test_push_refuses_a_folder_without_a_library(library: Library, tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library.sqlite3 there"):
        library.push_from(tmp_path / "nothing here")


def test_team_push_command_twice(library_paths: LibraryPaths, own_library: Path) -> None:
    def push(*extra: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(
            ["--library", str(library_paths.index_dir.parent), "team", "push", *extra],
            out=out,
            stdin=io.StringIO(""),
        )
        return code, out.getvalue()

    code, text = push("--from", str(own_library), "--json")
    assert code == 0, text
    first = json.loads(text)
    assert (first["papers"], first["new"], first["sessions"]) == (5, 5, 2)
    code, text = push("--from", str(own_library))
    assert code == 0
    assert text.startswith("pushed 5 papers from ")
    assert "0 new to the team library, 5 it had" in text
    assert "0 reading sessions copied, 2 there already" in text
    code, _ = push()
    assert code != 0  # no --from: a usage error naming it


def test_a_member_pushes_into_a_team_library_twice(
    library: Library, own_library: Path, library_paths: LibraryPaths, tmp_path: Path
) -> None:
    """On a team library what a member pushes is theirs: their status, history, tags, notes
    and sessions, none of which another member sees; the papers are everyone's."""
    from tests.pg_members import members

    library.import_bytes(api_day(3, start=4), name="2025-11-20-team.json")
    with members(library_paths.database_url, "ada", "alan") as urls:
        opened = []
        try:
            for name in ("ada", "alan"):
                os.environ["DIGESTDESK_DATABASE_URL"] = urls[name]
                opened.append(Library.open(resolve_library(tmp_path / name)))
        finally:
            os.environ["DIGESTDESK_DATABASE_URL"] = library_paths.database_url
        ada, alan = opened
        try:
            report = ada.push_from(own_library)
            assert (report.papers, report.new, report.merged) == (5, 3, 2)
            first = _state(ada)
            assert first["status"]["2511.00001"] == "read"  # type: ignore[index]
            assert first["history"]["2511.00001"] == ["unread", "queued", "read"]  # type: ignore[index]
            assert first["tags"]["2511.00002"] == ["diffusion", "to-cite"]  # type: ignore[index]
            assert first["notes"]["2511.00001"] == "my own thoughts"  # type: ignore[index]
            assert first["count"]["reading_sessions"] == 2  # type: ignore[index]
            again = ada.push_from(own_library)
            assert (again.new, again.state_changed, again.sessions) == (0, 0, 0)
            assert _state(ada) == first
            # alan has the papers, none of ada's reading.
            theirs = _state(alan)
            assert theirs["count"]["entries"] == 6  # type: ignore[index]
            assert set(theirs["status"].values()) == {"unread"}  # type: ignore[union-attr]
            assert not any(theirs["tags"].values()) and not any(theirs["notes"].values())  # type: ignore[union-attr]
            counts = theirs["count"]
            assert isinstance(counts, dict)
            assert (counts["reading_sessions"], counts["entry_tags"], counts["notes"]) == (0, 0, 0)
            assert ada.check(deep=True) == []
        finally:
            for opened_library in opened:
                opened_library.close()
