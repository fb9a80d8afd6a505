"""Every released schema has a stored library here; each must open with today's code.

When you add a migration, store a library written at the previous head as
``data/library-<revision>.sqlite3`` (see how library-0001 was made in the commit that added it)
and it is picked up below.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.core.store import SCHEMA_HEAD
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
    if revision != SCHEMA_HEAD:
        assert list((library_dir / "backups").glob(f"library-{revision}-*.sqlite3"))


def test_there_is_a_stored_library_for_the_first_schema() -> None:
    assert (DATA / "library-0001.sqlite3").exists()
