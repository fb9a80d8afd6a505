"""The reading flow's keys, pressed as a user would: next and previous unread (``]`` and
``[``), back and forward through the entries visited (Alt+Left, Alt+Right, also after a
jump to a related paper), all from the action registry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.ui.actions import ACTIONS
from digestdesk.ui.controllers.navigation import VisitHistory
from digestdesk.ui.main_window import MainWindow

from .conftest import wait_idle

ALT = Qt.KeyboardModifier.AltModifier


def press(
    qtbot: QtBot,
    window: MainWindow,
    key: str | Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A key where the keyboard focus is (the list), then wait for what it started."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)
    wait_idle(qtbot, window)


def test_unread_and_history_keys_are_registered_with_help() -> None:
    specs = {spec.id: spec for spec in ACTIONS}
    assert specs["go.next_unread"].keys == ("]",)
    assert specs["go.previous_unread"].keys == ("[",)
    assert specs["go.back"].keys == ("Alt+Left",)
    assert specs["go.forward"].keys == ("Alt+Right",)
    for action_id in ("go.next_unread", "go.previous_unread", "go.back", "go.forward"):
        assert specs[action_id].menu == "&Go" and specs[action_id].help


def test_next_and_previous_unread_skip_decided_entries(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    ids = list(window.model.ids())
    assert window.view.current_id() == ids[0]
    # r marks read and moves on: the first two entries are read, then q queues the fourth.
    press(qtbot, window, "r")
    press(qtbot, window, "r")
    press(qtbot, window, "j")
    press(qtbot, window, "q")
    statuses = [window.library.entry(i).status for i in ids]
    assert statuses[:5] == ["read", "read", "unread", "queued", "unread"]

    press(qtbot, window, "g")
    press(qtbot, window, "]")
    assert window.view.current_id() == ids[2]
    press(qtbot, window, "]")  # the queued fourth entry is skipped
    assert window.view.current_id() == ids[4]
    press(qtbot, window, "[")
    assert window.view.current_id() == ids[2]
    press(qtbot, window, "[")  # nothing unread above: the cursor stays, the status bar says so
    assert window.view.current_id() == ids[2]
    assert "No unread entry above" in window.statusBar().currentMessage()

    press(qtbot, window, "G", Qt.KeyboardModifier.ShiftModifier)
    press(qtbot, window, "r")  # the last entry: marked read, the cursor stays
    press(qtbot, window, "]")
    assert window.view.current_id() == ids[-1]
    assert "No unread entry below" in window.statusBar().currentMessage()


def test_back_and_forward_through_visited_entries(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    ids = list(window.model.ids())
    press(qtbot, window, "j")
    press(qtbot, window, "G", Qt.KeyboardModifier.ShiftModifier)
    assert window.view.current_id() == ids[-1]
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert window.view.current_id() == ids[1]
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert window.view.current_id() == ids[0]
    press(qtbot, window, Qt.Key.Key_Left, ALT)  # the start: nothing before it
    assert window.view.current_id() == ids[0]
    assert "Nothing to go back" in window.statusBar().currentMessage()
    press(qtbot, window, Qt.Key.Key_Right, ALT)
    assert window.view.current_id() == ids[1]
    # Moving on from here forgets what was ahead, as a browser does.
    press(qtbot, window, "j")
    press(qtbot, window, Qt.Key.Key_Right, ALT)
    assert window.view.current_id() == ids[2]
    assert "Nothing to go forward" in window.statusBar().currentMessage()

    # Back to an entry the search now hides: the list shows everything to reach it.
    window.search.set_query("status:read")  # nothing is read: the list is empty
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert window.search_bar.text() == ""
    assert window.view.current_id() == ids[1]


def test_back_after_following_a_related_paper(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    window.show_lower_tab(window.related)  # a hidden tab's list is filled when shown
    first = window.view.current_id()
    qtbot.waitUntil(
        lambda: window.related.for_id == first and bool(window.related.ids), timeout=10_000
    )
    target = window.related.nth(1)
    assert target is not None and target != first
    press(qtbot, window, "1", ALT)
    assert window.view.current_id() == target
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert window.view.current_id() == first
    press(qtbot, window, Qt.Key.Key_Right, ALT)
    assert window.view.current_id() == target


def test_history_is_bounded_and_skips_repeats() -> None:
    history = VisitHistory(limit=3)
    for entry_id in (1, 1, 2, 3, 4):
        history.visit(entry_id)
    assert history.ids() == [2, 3, 4]
    assert history.back() == 3 and history.back() == 2 and history.back() is None
    assert history.forward() == 3
    history.visit(9)
    assert history.ids() == [2, 3, 9] and history.forward() is None
