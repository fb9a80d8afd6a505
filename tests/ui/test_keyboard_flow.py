"""The whole reading flow with the keyboard alone: import, move, triage, tag, note, search,
undo and open a code link (the URL opener is captured; no browser starts)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.core.records import EntryDetail
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tuning import Tuning

from .conftest import Opened, load_sample, make_window, wait_idle


def key(
    qtbot: QtBot,
    window: MainWindow,
    text: str,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Press a key where the keyboard focus is, as a user would."""
    target = QApplication.focusWidget() or window
    if len(text) == 1:
        qtbot.keyClick(target, text, modifier)
    else:
        qtbot.keyClick(target, getattr(Qt.Key, f"Key_{text}"), modifier)


def current_title(window: MainWindow) -> str:
    detail = window.reading.current_detail()
    assert detail is not None
    return detail.title


def test_keyboard_only_reading_session(
    qtbot: QtBot, window: MainWindow, sample: Path, opened: Opened
) -> None:
    library = window.library
    # The empty library welcomes with the import actions.
    assert window.stack.currentWidget() is window.empty_state

    # Import by pasting the digest (Ctrl+Shift+V); no dialog in this window.
    QGuiApplication.clipboard().setText(sample.read_text(encoding="utf-8"))
    window.focus_list()
    key(qtbot, window, "V", Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 8
    assert window.stack.currentWidget() is window.splitter
    assert window.search.counts["unread"] == 8
    window.focus_list()
    ids = list(window.model.ids())
    assert window.view.current_id() == ids[0]

    # j / k / G / g
    key(qtbot, window, "j")
    assert window.view.current_id() == ids[1]
    key(qtbot, window, "k")
    assert window.view.current_id() == ids[0]
    key(qtbot, window, "G", Qt.KeyboardModifier.ShiftModifier)
    assert window.view.current_id() == ids[-1]
    key(qtbot, window, "g")
    assert window.view.current_id() == ids[0]

    # Triage: each key marks and moves on; the list shows it before the write lands.
    key(qtbot, window, "r")
    assert window.model.entry_row(0).status == "read"
    assert window.view.current_id() == ids[1]
    key(qtbot, window, "q")
    key(qtbot, window, "s")
    key(qtbot, window, "i")
    assert window.view.current_id() == ids[4]
    wait_idle(qtbot, window)
    statuses = {i: library.entry(i).status for i in ids[:5]}
    assert statuses == {
        ids[0]: "read",
        ids[1]: "queued",
        ids[2]: "skipped",
        ids[3]: "reading",
        ids[4]: "unread",
    }
    assert window.search.counts["unread"] == 4

    # u brings one back
    key(qtbot, window, "k")
    key(qtbot, window, "u")
    wait_idle(qtbot, window)
    assert library.entry(ids[3]).status == "unread"

    # t: the tag editor, typed into and confirmed with Enter.
    window.view.move_to(0)
    typed: list[str] = []

    def fill_tag_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None
        edit = dialog.findChild(QLineEdit, "tagEdit")
        qtbot.keyClicks(edit, "long-context reading-group")
        typed.append(edit.text())
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        if dialog.isVisible():  # the first Return may have closed the completer popup
            qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(50, fill_tag_dialog)
    key(qtbot, window, "t")
    wait_idle(qtbot, window)
    assert typed
    assert sorted(library.entry(ids[0]).tags) == ["long-context", "reading-group"]
    assert window.model.entry_row(0).tags == ("long-context", "reading-group")

    # n: write a note, Esc goes back to the list; it is saved.
    key(qtbot, window, "n")
    assert QApplication.focusWidget() is window.notes
    qtbot.keyClicks(window.notes, "Compare with block-sparse baselines.")
    key(qtbot, window, "Escape")
    assert QApplication.focusWidget() is window.view
    wait_idle(qtbot, window)
    assert library.entry(ids[0]).note == "Compare with block-sparse baselines."

    # Ctrl+Z undoes the tag change (the last undoable write), Ctrl+Shift+Z redoes it.
    key(qtbot, window, "Z", Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert library.entry(ids[0]).tags == []
    key(qtbot, window, "Z", Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    assert sorted(library.entry(ids[0]).tags) == ["long-context", "reading-group"]

    # / focuses the search; typing searches (debounced); Down enters the results.
    key(qtbot, window, "/")
    assert QApplication.focusWidget() is window.search_bar.edit
    qtbot.keyClicks(window.search_bar.edit, "spreadsheet")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=5000)
    wait_idle(qtbot, window)
    key(qtbot, window, "Down")
    assert QApplication.focusWidget() is window.view
    assert "Spreadsheet" in current_title(window)

    # o opens the code repository; 2 opens the second link; y copies.
    key(qtbot, window, "o")
    assert opened[-1] == "https://github.com/sheetbench/sheetbench"
    key(qtbot, window, "2")
    assert opened[-1].startswith("https://arxiv.org/abs/")
    key(qtbot, window, "y")
    assert QGuiApplication.clipboard().text() == "https://github.com/sheetbench/sheetbench"

    # A malformed query says why, inline, and keeps the results.
    window.search.focus_search()
    qtbot.keyClicks(window.search_bar.edit, " (")
    qtbot.waitUntil(lambda: window.search_bar.error.isVisible(), timeout=5000)
    assert window.model.rowCount() == 1

    # Esc clears the search and returns to the whole list.
    key(qtbot, window, "Escape")
    qtbot.waitUntil(lambda: window.model.rowCount() == 8, timeout=5000)
    assert QApplication.focusWidget() is window.view
    assert not window.search_bar.error.isVisible()


def test_tab_cycles_panes_and_space_pages(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    key(qtbot, window, "Tab")
    assert QApplication.focusWidget() is window.abstract
    key(qtbot, window, "Tab")
    assert QApplication.focusWidget() is window.links
    assert window.lower_tabs.currentWidget() is window.links
    key(qtbot, window, "Tab")  # the related papers: their tab comes to the front
    assert QApplication.focusWidget() is window.related
    assert window.lower_tabs.currentWidget() is window.related
    key(qtbot, window, "Tab")
    assert QApplication.focusWidget() is window.view
    key(qtbot, window, "Backtab", Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is window.related
    window.focus_list()
    # Space at the end of a short abstract moves to the next entry.
    window.resize(1600, 1200)
    first = window.view.current_id()
    for _ in range(6):
        key(qtbot, window, "Space")
        if window.view.current_id() != first:
            break
    assert window.view.current_id() != first


def test_bulk_change_asks_first(
    qtbot: QtBot, library: Library, settings: QSettings, opened: Opened, sample: Path
) -> None:
    asked: list[str] = []
    answer = [False]

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer[0]

    window = make_window(
        qtbot, library, settings, opened, confirm_bulk=confirm, tuning=Tuning(bulk_confirm=3)
    )
    load_sample(qtbot, window, sample)
    window.view.selectAll()
    key(qtbot, window, "r")
    wait_idle(qtbot, window)
    assert asked and "8 entries" in asked[0]
    assert window.library.counts()["unread"] == 8  # refused: nothing changed
    answer[0] = True
    window.view.selectAll()
    key(qtbot, window, "r")
    wait_idle(qtbot, window)
    assert window.library.counts()["read"] == 8
    asked.clear()
    window.view.move_to(0)
    key(qtbot, window, "u")  # one entry: not asked
    wait_idle(qtbot, window)
    assert asked == [] and window.library.counts()["unread"] == 1
    window.close()


def test_an_entry_not_read_ahead_is_read_off_the_gui_thread(
    qtbot: QtBot, library: Library, settings: QSettings, opened: Opened, sample: Path
) -> None:
    # Nothing is kept read ahead: as when a held key outruns the read-ahead.
    window = make_window(qtbot, library, settings, opened, tuning=Tuning(detail_cache=0))
    load_sample(qtbot, window, sample)
    gui_thread = threading.get_ident()
    readers: list[int] = []
    entries = window.library.entries

    def recording(ids: Sequence[int]) -> list[EntryDetail]:
        readers.append(threading.get_ident())
        return entries(ids)

    window.library.entries = recording  # type: ignore[method-assign]
    window.view.move_to(4)
    target = window.view.current_id()
    assert window.abstract.current_id() is None  # the title shows while the entry is read
    wait_idle(qtbot, window)
    assert window.abstract.current_id() == target
    assert current_title(window) in window.abstract.plain_text()
    assert readers and gui_thread not in readers
    window.close()


def test_n_brings_the_note_tab_forward_and_tab_keys_are_hinted(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.show_lower_tab(window.links)
    assert "opens code" in window.lower_tabs.hint.text()
    key(qtbot, window, "n")
    assert window.lower_tabs.currentWidget() is window.notes
    assert QApplication.focusWidget() is window.notes
    assert "writes" in window.lower_tabs.hint.text()
    qtbot.keyClicks(window.notes, "worth a look")
    key(qtbot, window, "Escape")
    wait_idle(qtbot, window)
    assert window.lower_tabs.tabText(window.lower_tabs.indexOf(window.notes)) == "Note •"
    assert window.lower_tabs.currentWidget() is window.links  # back to the tab before `n`
    assert window.view.hasFocus()
