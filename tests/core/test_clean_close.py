"""A writer reads every page of the file at open (``quick_check``) unless the last writer closed
it cleanly and nothing touched it since: a large library read from disk took seconds to open
for a check that a clean close already vouches for. Anything else makes the next writer check:
a crash, a write by another program, damage, a copy."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="the SQLite file's own check"
)

SKIPPED = "skipped: closed cleanly and untouched"
#: A guard against a hang, not a timing (the writer's busy timeout is a minute).
HANG_GUARD_S = 30


@pytest.fixture
def paths(tmp_path: Path) -> LibraryPaths:
    paths = resolve_library(tmp_path / "library")
    with Library.open(paths) as library:
        library.import_bytes(factories.api_day(60), name="2025-11-20.json")
    return paths


def open_checks(paths: LibraryPaths, caplog: pytest.LogCaptureFixture, total: int = 60) -> bool:
    """Open as a writer and close again; whether the file's structure was checked. The
    library holds ``total`` papers."""
    caplog.clear()
    with (
        caplog.at_level(logging.DEBUG, logger="digestdesk.core.store"),
        Library.open(paths) as library,
    ):
        assert library.counts()["total"] == total
    said = caplog.text
    assert "quick_check of" in said  # checked (with its time) or skipped (with why)
    return SKIPPED not in said


def test_a_cleanly_closed_untouched_file_is_not_read_again(
    paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    assert not open_checks(paths, caplog)
    assert not open_checks(paths, caplog)  # each clean close vouches for the next open


def test_a_file_changed_after_a_clean_close_is_checked_and_damage_refused(
    paths: LibraryPaths,
) -> None:
    assert paths.sqlite_file is not None
    data = bytearray(paths.sqlite_file.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = os.urandom(page)
    paths.sqlite_file.write_bytes(bytes(data))
    with pytest.raises(DigestDeskError, match="damaged|structure"):
        Library.open(paths)


def test_a_copy_is_checked(
    paths: LibraryPaths, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert paths.root is not None
    shutil.copytree(paths.root, tmp_path / "copy")  # the same bytes and times, another file
    assert open_checks(resolve_library(tmp_path / "copy"), caplog)


def test_after_a_crash_the_next_writer_checks(
    paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer that ends without closing (killed, crashed) leaves no mark: the one it found
    was used up at its open."""
    assert paths.root is not None
    crash = (
        "import os, sys; from digestdesk.core.library import Library; "
        "from digestdesk.paths import resolve_library; "
        f"lib = Library.open(resolve_library({str(paths.root)!r})); "
        "lib.set_status(lib.list_ids()[:2], 'read'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", crash], check=True, timeout=120)
    assert open_checks(paths, caplog)
    assert not open_checks(paths, caplog)  # closed cleanly this time


def _reader_of(paths: LibraryPaths) -> sqlite3.Connection:
    """Another connection to the file that only reads (as the app's index-build child does),
    open when the writer closes."""
    assert paths.sqlite_file is not None
    reader = sqlite3.connect(paths.sqlite_file.resolve().as_uri() + "?mode=ro", uri=True)
    assert reader.execute("SELECT count(*) FROM entries").fetchone() == (60,)
    return reader


def test_a_reader_still_open_at_the_close_does_not_keep_the_mark_away(
    paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite folds the log into the file only at the last connection's close: the writer
    folds it in itself, so the file is whole and marked whoever still has it open."""
    library = Library.open(paths)
    library.set_status(library.list_ids()[:3], "read")  # in the log
    reader = _reader_of(paths)
    try:
        library.close()
        assert reader.execute("SELECT count(*) FROM entries WHERE status = 'read'").fetchone()
    finally:
        reader.close()
    assert not open_checks(paths, caplog)


def test_a_reader_inside_a_transaction_at_the_close_leaves_no_mark(
    paths: LibraryPaths, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader that still needs the log (a transaction begun before the last write) keeps
    it: the close neither waits for it nor marks the file."""
    reader = _reader_of(paths)
    library = Library.open(paths)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM entries").fetchone() == (60,)
    library.set_status(library.list_ids()[:3], "read")
    closing = threading.Thread(target=library.close)
    closing.start()
    closing.join(HANG_GUARD_S)
    try:
        assert not closing.is_alive()  # the checkpoint did not wait for the reader
        assert paths.sqlite_file is not None
        assert not paths.sqlite_file.with_name(paths.sqlite_file.name + ".closed-clean").exists()
    finally:
        reader.close()
    assert open_checks(paths, caplog)
