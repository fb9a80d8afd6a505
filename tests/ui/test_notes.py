"""A note is never lost: closing the window in the middle of typing keeps the text."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.main_window import MainWindow

from .conftest import Opened, make_window, wait_idle


def test_note_survives_closing_mid_typing(
    qtbot: QtBot,
    loaded_window: MainWindow,
    library_dir: object,
    settings: QSettings,
    opened: Opened,
) -> None:
    window = loaded_window
    window.view.move_to(2)
    entry_id = window.view.current_id()
    window.triage.edit_note()
    qtbot.keyClicks(window.notes, "half a thought about baselines")
    assert window.notes.is_dirty()  # the autosave timer has not fired yet
    window.close()
    window.library.close()

    reopened = Library.open(resolve_library(library_dir), writer=True)  # type: ignore[arg-type]
    try:
        assert reopened.entry(entry_id).note == "half a thought about baselines"
        second = make_window(qtbot, reopened, settings, opened)
        second.view.select_id(entry_id)
        wait_idle(qtbot, second)
        assert second.notes.toPlainText() == "half a thought about baselines"
        second.close()
    finally:
        reopened.close()


def test_note_autosaves_after_a_pause(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    entry_id = window.view.current_id()
    window.triage.edit_note()
    qtbot.keyClicks(window.notes, "autosaved")
    qtbot.waitUntil(lambda: not window.notes.is_dirty(), timeout=3000)
    wait_idle(qtbot, window)
    assert window.library.entry(entry_id).note == "autosaved"


def test_note_saved_on_focus_loss(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    entry_id = window.view.current_id()
    window.triage.edit_note()
    qtbot.keyClicks(window.notes, "focus")
    window.search.focus_search()
    wait_idle(qtbot, window)
    assert window.library.entry(entry_id).note == "focus"


def test_logout_stores_the_note_being_typed_and_keeps_running(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    """The desktop session's commitDataRequest: the note and the queued edits are committed
    (another connection sees them), and the window goes on (the logout may be cancelled)."""
    window = loaded_window
    entry_id = window.view.current_id()
    assert entry_id is not None
    window.triage.edit_note()
    qtbot.keyClicks(window.notes, "before logging out")
    assert window.notes.is_dirty()
    window.commit_data()
    assert window.library.entry(entry_id).note == "before logging out"
    assert not window.closing and window.edits.isRunning()
