"""A window closed while its idle work runs still leaves the clean-close mark, so the next
launch need not read every page of the file (``quick_check``): the close gives up waiting for
the index lane (it ends the process at once), but the database is closed all the same. A job
still writing when the window gave up on it leaves no mark."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from digestdesk.core.index import WhooshIndex
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths, resolve_library
from digestdesk.ui.application import close_library
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tasks import Task
from digestdesk.ui.tuning import Tuning
from tests.core import factories
from tests.core.test_clean_close import open_checks
from tests.ui.conftest import Opened, make_window

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="the SQLite file's own mark"
)

#: A guard against a hang, not a timing.
HANG_GUARD_S = 60


def _library_with_idle_work(paths: LibraryPaths) -> Library:
    """A library whose index lacks its postings files (written by an older version): the
    index lane writes them in its first quiet spell (``maintain_index(backfill=True)``)."""
    library = Library.open(paths)
    library.import_bytes(factories.api_day(40), name="2025-11-20.json")
    library.set_status(library.list_ids()[:3], "read")  # the log holds writes at close
    library.index.close()
    library.index = WhooshIndex(paths.index_dir, postings_min_segment_docs=10**9)
    library.rebuild_index()
    library.index.close()
    library.index = WhooshIndex(
        paths.index_dir, postings_min_segment_docs=2, postings_min_doc_freq=1
    )
    assert library.index.missing_postings_files() > 0
    return library


def _window(qtbot: QtBot, library: Library, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    # No quiet spell yet: the test holds the work first (below), then lets it start.
    tuning = Tuning(maintain_after_s=None, index_in_child_from=None, import_in_child_from=None)
    return make_window(qtbot, library, settings, Opened(), tuning=tuning)


def test_a_window_closed_while_the_index_lane_writes_postings_files_leaves_the_mark(
    qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = resolve_library(tmp_path / "library")
    library = _library_with_idle_work(paths)
    window = _window(qtbot, library, tmp_path)
    lane = window.index_lane
    # The real postings-file writing, held at its first look at "should I stop?" until the
    # window has given up waiting for it: the close meets it mid-file whatever the machine's
    # speed (it asks between terms; an index build's child or a slow term takes longer).
    writing, gave_up = threading.Event(), threading.Event()
    should_stop = lane._has_work

    def held() -> bool:
        if not writing.is_set():
            writing.set()
            gave_up.wait(HANG_GUARD_S)
        return should_stop()

    lane._has_work = held  # type: ignore[method-assign]
    lane.maintain_after_s = 0.01
    lane.wake()
    assert writing.wait(HANG_GUARD_S)
    assert any(paths.index_dir.glob("*.tmp"))  # a postings file half written

    window.shutdown()
    assert window.abandoned_work  # the index lane did not end in time
    try:
        assert close_library(window, library) is False  # the process ends now (os._exit)
        mark = paths.sqlite_file.with_name(paths.sqlite_file.name + ".closed-clean")
        assert mark.exists()
    finally:
        gave_up.set()
        assert lane._thread is not None
        lane._thread.join(HANG_GUARD_S)
        window.close()
        library.close()  # what the process's end does: the lock file let go
    assert not any(paths.index_dir.glob("*.tmp"))  # the lane stopped at its next look
    assert not open_checks(paths, caplog, total=40)


def test_a_window_closed_while_a_job_writes_leaves_no_mark(
    qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = resolve_library(tmp_path / "library")
    _library_with_idle_work(paths).close()
    # Opened again: its log is empty, so only the job's import keeps the close from a mark.
    library = Library.open(paths)
    window = _window(qtbot, library, tmp_path)
    importing, gave_up = threading.Event(), threading.Event()

    def stuck_in_an_import(lib: Library, _task: Task) -> None:
        # An import past its last look at the window's cancel (it holds the library's
        # writing from its plan to its commit) when the window gives up waiting for it.
        def cancelled() -> bool:
            importing.set()
            gave_up.wait(HANG_GUARD_S)
            return True  # then it is cancelled: rolled back, as at the process's end

        lib.import_bytes(factories.api_day(5, start=100), name="late.json", cancelled=cancelled)

    window.jobs.submit("stuck", stuck_in_an_import)
    assert importing.wait(HANG_GUARD_S)
    window.shutdown()
    assert window.abandoned_work
    try:
        assert close_library(window, library) is False
        mark = paths.sqlite_file.with_name(paths.sqlite_file.name + ".closed-clean")
        assert not mark.exists()  # the file may change after the close: checked next time
    finally:
        gave_up.set()
        assert window.jobs.wait(HANG_GUARD_S * 1000)
        window.close()
        library.close()  # the import ended (rolled back): this close may note it
    assert open_checks(paths, caplog, total=40) is False
