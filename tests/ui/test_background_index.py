"""The search index is built in the background: the window opens and lists at once.

A generated (demo) import, a large import and a library whose index is missing all show
their entries from SQL straight away; word searches meanwhile say the index is being built
(with its progress) instead of showing stale or empty results, and work once it is done.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.index import IndexDoc
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.application import window_idle
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tuning import Tuning
from tests.core import factories

from .conftest import Opened, make_window, wait_idle


def test_demo_lists_entries_before_the_index_is_built(qtbot: QtBot, window: MainWindow) -> None:
    task = window.imports.fill_demo(120)
    qtbot.waitUntil(lambda: window.model.rowCount() == 120, timeout=30_000)
    # The import itself did not index: that is the background task's job.
    assert window.imports.last_import is not None and window.imports.last_import.index_deferred
    wait_idle(qtbot, window, timeout=60_000)
    assert task.cancelled() is False
    assert window.library.index_status() == "ok"
    assert window.search.index_progress is None
    window.search.set_query("model")
    wait_idle(qtbot, window)
    assert 0 < window.model.rowCount() < 120
    assert not window.search_bar.error.isVisible()


def test_word_search_while_indexing_says_so_and_filters_still_work(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.search.index_building(40)
    window.search.set_query("attention")
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    message = window.search_bar.error.text()
    assert "being built (40%)" in message
    assert "being built" in window.abstract.plain_text()
    window.search.index_building(75)  # progress updates the message in place
    assert "being built (75%)" in window.search_bar.error.text()
    window.search.set_query("status:unread")  # SQL: no index needed
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=5_000)
    assert not window.search_bar.error.text()


@pytest.fixture
def unindexed_library(tmp_path: Path) -> Iterator[Library]:
    paths = resolve_library(tmp_path / "unindexed")
    with Library.open(paths, writer=True) as library:
        library.import_parsed(
            ParseResult(format="demo", entries=list(generate_entries(150))),
            source="demo",
            index=False,
        )
    shutil.rmtree(paths.index_dir)  # as after a crash or an index version change
    library = Library.open(paths, writer=True, repair_index=False)
    yield library
    library.close()


def test_missing_index_is_rebuilt_in_the_background(
    qtbot: QtBot, unindexed_library: Library, settings: QSettings, opened: Opened
) -> None:
    assert unindexed_library.index_status() == "rebuild"
    window = MainWindow(unindexed_library, settings, url_opener=opened.append, show_dialogs=False)
    qtbot.addWidget(window)
    window.imports.ensure_index()  # what the application does after opening
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 150, timeout=30_000)
    wait_idle(qtbot, window, timeout=60_000)
    assert unindexed_library.index_status() == "ok"
    window.search.set_query("model")
    wait_idle(qtbot, window)
    assert window.model.rowCount() > 0
    window.close()


def test_closing_cancels_the_index_build_and_stops_the_threads(
    qtbot: QtBot, unindexed_library: Library, settings: QSettings, opened: Opened
) -> None:
    window = make_window(qtbot, unindexed_library, settings, opened)
    task = window.imports.ensure_index()
    window.close()
    assert task.cancelled()
    assert not window.edits.isRunning() and not window.jobs.isRunning()
    assert not window.reader.isRunning()


def test_closing_during_the_demo_import_leaves_no_thread_running(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The import's result arrives after close and asks for an index build: refused, since
    Qt aborts when a QThread is destroyed while it runs."""
    window.imports.fill_demo(150)
    window.close()  # waits for the import
    qtbot.wait(300)  # its result is delivered now, after the threads stopped
    assert not window.edits.isRunning() and not window.jobs.isRunning()
    assert not window.reader.isRunning()
    assert window.edits.submit("late", lambda _library, _task: None).cancelled()


def test_a_damaged_index_found_by_a_search_is_rebuilt_in_the_background(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    """A search runs into damage (here recorded as a checksum mismatch would record it): the
    search bar says so, the index is rebuilt in the background, and the query runs again."""
    from digestdesk.errors import SearchIndexDamagedError

    window = loaded_window
    wait_idle(qtbot, window, timeout=60_000)
    window.search.set_query("model")
    wait_idle(qtbot, window)
    expected = window.model.rowCount()
    assert expected > 0
    window.library.index.mark_damaged(SearchIndexDamagedError("ix_x.ddpostings", "test"))
    assert window.library.index_status() == "rebuild"
    messages: list[str] = []
    window.search.index_damage_found.connect(messages.append)
    window.search.set_query("models")
    qtbot.waitUntil(lambda: messages == ["ix_x.ddpostings"], timeout=10_000)
    wait_idle(qtbot, window, timeout=60_000)
    assert window.library.index_status() == "ok"
    qtbot.waitUntil(lambda: window.model.rowCount() == expected, timeout=10_000)
    assert not window.search_bar.error.text()


def test_a_large_catch_up_is_built_in_the_child_process(
    qtbot: QtBot, library: Library, settings: QSettings, opened: Opened, tmp_path: Path
) -> None:
    """Past ``index_in_child_from`` changed entries, the index lane's catch-up is not a quiet
    one on its own thread: the window builds it, in a child process (never in this one)."""
    window = make_window(qtbot, library, settings, opened, tuning=Tuning(index_in_child_from=5))
    try:
        assert window.index_lane.quiet_catch_up == 4
        indexed_here: list[int] = []
        real_update = library.index.update

        def update(docs: Sequence[IndexDoc], **kwargs: Any) -> None:
            indexed_here.append(len(docs))
            real_update(docs, **kwargs)

        library.index.update = update  # type: ignore[method-assign]
        day = tmp_path / "2025-11-21.json"
        day.write_bytes(factories.api_day(8, day="2025-11-21", start=900))
        window.imports.import_paths([day])
        qtbot.waitUntil(
            lambda: library.index_status() == "ok" and window_idle(window), timeout=60_000
        )
        assert library.search("reasoning").total >= 8
        assert indexed_here == []  # the 8 new entries were indexed by the child
    finally:
        window.close()
