"""Every released schema has a stored library here; each must open with today's code.

When you add a migration, store a library written at the new head as
``data/library-<revision>.sqlite3`` (see how library-0001 and library-0002 were made in the
commits that added them) and it is picked up below. Every stored library holds the same seven
entries and user state; from 0002 on, also one paused reading session (two entries, the first
passed after 95 s, 40 s on the second).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.core.sessions import Sessions
from digestdesk.core.store import SCHEMA_HEAD, head_revision
from digestdesk.paths import resolve_library

DATA = Path(__file__).parent / "data"
STORED = sorted(DATA.glob("library-*.sqlite3"))

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="stored libraries are SQLite files"
)


@pytest.mark.parametrize("stored", STORED, ids=[p.stem for p in STORED])
def test_stored_library_opens_and_keeps_user_state(stored: Path, tmp_path: Path) -> None:
    library_dir = tmp_path / "lib"
    library_dir.mkdir()
    shutil.copy(stored, library_dir / "library.sqlite3")
    with Library.open(resolve_library(library_dir)) as library:
        assert library.counts()["total"] == 7
        assert library.counts()["read"] == 2
        assert [name for name, _ in library.all_tags()] == ["kept-tag"]
        assert library.search("note:schema").total == 1
        assert library.check() == []
        assert library.undo_label() is not None
        revision = stored.stem.removeprefix("library-")
        sessions = Sessions(library)
        if revision < "0002":
            assert sessions.list_sessions() == []
            assert sessions.current() is None
        else:
            _check_stored_session(library, sessions)
    if revision != SCHEMA_HEAD:
        assert list((library_dir / "backups").glob(f"library-{revision}-*.sqlite3"))


def _check_stored_session(library: Library, sessions: Sessions) -> None:
    (summary,) = sessions.list_sessions()
    assert (summary.label, summary.state, summary.total, summary.passed) == (
        "stored 0002",
        "paused",
        2,
        1,
    )
    assert summary.seconds == pytest.approx(135.0)
    session = sessions.current()
    assert session is not None and session.position == 1
    assert session.current_entry_id is not None
    # It resumes with today's code and its entry can still be decided.
    sessions.resume()
    update = sessions.record("skipped")
    assert update.session.is_done
    assert library.entry(session.items[1].entry_id).status == "skipped"
    assert sessions.stop().skipped == 1


def test_there_is_a_stored_library_for_the_first_schema() -> None:
    assert (DATA / "library-0001.sqlite3").exists()


def test_there_is_a_stored_library_for_the_current_schema() -> None:
    assert head_revision() == SCHEMA_HEAD
    assert (DATA / f"library-{SCHEMA_HEAD}.sqlite3").exists()
