"""A writer reads every page of the file at open (``quick_check``) unless the last writer closed
it cleanly and nothing touched it since: a large library read from disk took seconds to open
for a check that a clean close already vouches for. Anything else makes the next writer check:
a crash, a write by another program, damage, a copy."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
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
