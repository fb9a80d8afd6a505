"""Keyboard edges a first real session ran into: keys must act where the user is looking."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk import APP_NAME
from digestdesk.ui.entry_model import COL
from digestdesk.ui.main_window import MainWindow

from .conftest import wait_idle
from .test_keyboard_flow import key


def test_a_browser_that_cannot_open_says_so_and_copies_the_link(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.reading.url_opener = lambda _url: False  # no browser installed
    key(qtbot, window, "o")
    message = window.statusBar().currentMessage()
    assert message.startswith("Could not open a web browser"), message
    url = QGuiApplication.clipboard().text()
    assert url.startswith("https://") and url in message


def test_o_without_a_code_repository_says_what_it_opened(
    qtbot: QtBot, loaded_window: MainWindow, opened: list[str]
) -> None:
    window = loaded_window
    rows = [r for r in range(window.model.rowCount()) if not window.model.entry_row(r).has_code]  # type: ignore[union-attr]
    assert rows
    window.view.move_to(rows[0])
    wait_idle(qtbot, window)
    key(qtbot, window, "o")
    assert opened and "github.com" not in opened[-1]
    assert window.statusBar().currentMessage().startswith("No code repository: Opened ")


def test_hiding_the_trends_sidebar_gives_the_keys_back_to_the_list(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.search.set_query("lattice")
    wait_idle(qtbot, window)
    window.commands.toggle_trends()  # shown: the sidebar has the focus
    assert window.trend_dock.isAncestorOf(QApplication.focusWidget())
    window.commands.toggle_trends()  # hidden again
    assert window.view.hasFocus()
    key(qtbot, window, "r")  # a triage key, not a letter typed over the query
    wait_idle(qtbot, window)
    assert window.search_bar.text() == "lattice"


def test_ctrl_z_in_the_search_bar_is_about_its_text(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    entry = window.view.current_id()
    key(qtbot, window, "r")
    wait_idle(qtbot, window)
    assert window.library.entries([entry])[0].status == "read"  # type: ignore[list-item]
    window.search.focus_search()
    key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)  # nothing typed to undo
    window.registry.actions["edit.undo"].trigger()  # however Undo is reached (menu, palette)
    wait_idle(qtbot, window)
    assert window.library.entries([entry])[0].status == "read"  # type: ignore[list-item]
    window.focus_list()
    key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)  # in the list: the library's
    wait_idle(qtbot, window)
    assert window.library.entries([entry])[0].status == "unread"  # type: ignore[list-item]


def test_esc_in_the_list_clears_an_active_search(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    window.search.set_query("status:skipped")  # nothing matches: an empty list has the focus
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0 and window.view.hasFocus()
    key(qtbot, window, "Escape")
    wait_idle(qtbot, window)
    assert window.search_bar.text() == "" and window.model.rowCount() == 8


def test_the_sort_arrow_shows_the_order_used(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    header = window.view.horizontalHeader()
    assert header.sortIndicatorSection() == COL["published"]
    window.search.set_query("lattice")  # words: ranked by relevance, no column's order
    wait_idle(qtbot, window)
    assert header.sortIndicatorSection() == -1
    window.search.set_query("")
    wait_idle(qtbot, window)
    assert header.sortIndicatorSection() == COL["published"]


def test_the_title_names_the_app_once(loaded_window: MainWindow) -> None:
    title = loaded_window.windowTitle()
    assert title.endswith(f" — {APP_NAME}") and title.count(APP_NAME) == 1


def test_help_keys_work_from_the_trends_sidebar_but_type_in_editors(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    shown: list[bool] = []
    window.registry.actions["app.help"].triggered.connect(lambda: shown.append(True))
    window.commands.toggle_trends()  # the sidebar's list has the focus
    assert window.trend_dock.isAncestorOf(QApplication.focusWidget())
    key(qtbot, window, "?")
    assert len(shown) == 1
    key(qtbot, window, "F1")
    assert len(shown) == 2
    window.trend_sidebar.as_of_edit.setFocus()  # a date is typed there: F1 helps, ? does not
    key(qtbot, window, "F1")
    assert len(shown) == 3
    window.search.focus_search()
    window.search_bar.edit.clear()
    for text in "why?":
        key(qtbot, window, text)
    assert window.search_bar.edit.text() == "why?"
    window.focus_list()
    window.registry.trigger("entry.edit_note")
    assert window.notes.hasFocus()
    key(qtbot, window, "?")
    assert window.notes.toPlainText().endswith("?")
    assert len(shown) == 3


def test_x_marks_entries_that_j_k_and_arrows_keep_for_one_bulk_change(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    library = window.library
    ids = list(window.model.ids())
    window.view.move_to(0)
    key(qtbot, window, "x")  # the current entry is marked (x took it out of the selection)
    key(qtbot, window, "j")
    key(qtbot, window, "Down")  # the arrows move on too, keeping the marks
    key(qtbot, window, "x")
    key(qtbot, window, "j")
    assert window.view.selected_ids() == [ids[0], ids[2]]
    key(qtbot, window, "x")
    key(qtbot, window, "x")  # twice: unmarked again
    assert window.view.selected_ids() == [ids[0], ids[2]]
    key(qtbot, window, "r")
    wait_idle(qtbot, window)
    assert [e.status for e in library.entries(ids[:4])] == ["read", "unread", "read", "unread"]
    # The change done, the marks are gone: the next r is for the current entry alone.
    assert window.view.selected_ids() == [ids[3]]
    key(qtbot, window, "x")
    key(qtbot, window, "k")
    assert window.view.selected_ids() == [ids[3]]
    key(qtbot, window, "Escape")  # Esc drops the marks
    assert window.view.selected_ids() == [ids[2]]


def test_sort_foryou_without_enough_triage_says_it_sorted_by_date(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.search.set_query("sort:foryou")
    wait_idle(qtbot, window)
    assert "For you needs more triage" in window.search_bar.result_label.text()
    window.search.set_query("sort:votes")
    wait_idle(qtbot, window)
    assert "For you" not in window.search_bar.result_label.text()
