"""The reading place: close the window and open the same library again, and the selected entry,
the search, the sort, the list's scroll position and the reader's tab are back; another
library keeps its own (a new one opens at the top of everything)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.library_place import ReadingPlace, library_group
from digestdesk.ui.main_window import MainWindow
from tests.core import factories

from .conftest import Opened, make_window, wait_idle


def press(qtbot: QtBot, window: MainWindow, key: str, modifier: Qt.KeyboardModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)
    wait_idle(qtbot, window)


def test_the_place_is_restored_after_closing_and_reopening(
    qtbot: QtBot,
    window: MainWindow,
    library: Library,
    settings: QSettings,
    opened: Opened,
    tmp_path: Path,
) -> None:
    library.import_bytes(factories.api_day(90), name="day.json")
    window.search.run_query()
    wait_idle(qtbot, window)
    window.focus_list()
    window.registry.trigger("view.sort_votes")
    wait_idle(qtbot, window)
    # A word search, typed as a user would: "/" then the words, then Down into the list.
    none = Qt.KeyboardModifier.NoModifier
    press(qtbot, window, "/", none)
    qtbot.keyClicks(window.search_bar.edit, "reasoning")
    wait_idle(qtbot, window)
    qtbot.keyClick(window.search_bar.edit, Qt.Key.Key_Down)
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 90 and window.view.hasFocus()
    press(qtbot, window, "G", Qt.KeyboardModifier.ShiftModifier)
    for _ in range(30):
        press(qtbot, window, "k", none)
    entry_id = window.view.current_id()
    scroll = window.view.verticalScrollBar().value()
    assert scroll > 0 and entry_id is not None
    window.show_lower_tab(window.related)
    tab = window.lower_tabs.currentIndex()
    assert tab != 0
    window.close()

    again = make_window(qtbot, library, settings, opened)
    try:
        wait_idle(qtbot, again)
        assert again.search_bar.text() == "reasoning"
        assert again.search.query.text == "reasoning"
        assert (again.search.query.sort, again.search.query.ascending) == ("votes", False)
        assert again.view.current_id() == entry_id
        assert again.view.verticalScrollBar().value() == scroll
        assert again.lower_tabs.currentIndex() == tab
        assert again.reading.current_detail() is not None
        assert again.reading.current_detail().id == entry_id  # type: ignore[union-attr]
    finally:
        again.close()

    # Another library has a place of its own: a new one opens on everything, at the top.
    with Library.open(resolve_library(tmp_path / "other")) as other:
        other.import_bytes(factories.api_day(5), name="day.json")
        second = make_window(qtbot, other, settings, opened)
        try:
            wait_idle(qtbot, second)
            assert second.search_bar.text() == ""
            assert second.view.current_id() == second.model.ids()[0]
            assert second.view.verticalScrollBar().value() == 0
        finally:
            second.close()
        assert library_group(other.paths) != library_group(library.paths)


def test_a_saved_entry_that_is_gone_opens_at_the_top(
    qtbot: QtBot, library: Library, settings: QSettings, opened: Opened
) -> None:
    library.import_bytes(factories.api_day(5), name="day.json")
    ReadingPlace(entry_id=987_654, query="", scroll=40_000).save(
        settings, library_group(library.paths), "test"
    )
    window = make_window(qtbot, library, settings, opened)
    try:
        wait_idle(qtbot, window)
        assert window.view.current_id() == window.model.ids()[0]
        assert window.view.verticalScrollBar().value() == 0
    finally:
        window.close()


def test_a_saved_word_search_waits_for_the_index_being_built(
    qtbot: QtBot, tmp_path: Path, settings: QSettings, opened: Opened
) -> None:
    """Opened with its index missing (rebuilt in the background), the library's saved word
    search shows once the index is built, on the saved entry."""
    paths = resolve_library(tmp_path / "unindexed")
    with Library.open(paths, writer=True) as library:
        library.import_bytes(factories.api_day(60), name="day.json", index=False)
        wanted = library.list_ids(sort="votes")[40]
    shutil.rmtree(paths.index_dir)
    ReadingPlace(entry_id=wanted, query="reasoning", sort="votes").save(
        settings, library_group(paths), "test"
    )
    library = Library.open(paths, writer=True, repair_index=False)
    try:
        assert library.index_status() == "rebuild"
        window = MainWindow(library, settings, url_opener=opened.append, show_dialogs=False)
        qtbot.addWidget(window)
        window.imports.ensure_index()  # what the application does after opening
        window.show()
        wait_idle(qtbot, window, timeout=60_000)
        assert library.index_status() == "ok"
        assert window.search_bar.text() == "reasoning"
        assert window.model.rowCount() == 60
        assert window.view.current_id() == wanted
        window.close()
    finally:
        library.close()
