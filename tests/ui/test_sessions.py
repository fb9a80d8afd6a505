"""A reading session with the keyboard alone: started, walked, interrupted by closing the
window, resumed in a new window on the same library, and summarized."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.core.sessions import Sessions
from digestdesk.ui.main_window import MainWindow

from .conftest import Opened, make_window, wait_idle
from .test_keyboard_flow import key

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def step(
    qtbot: QtBot,
    window: MainWindow,
    text: str,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    key(qtbot, window, text, modifier)
    wait_idle(qtbot, window)


def test_a_session_walked_interrupted_resumed_and_summarized(
    qtbot: QtBot,
    loaded_window: MainWindow,
    library: Library,
    settings: QSettings,
    opened: Opened,
) -> None:
    window = loaded_window
    ids = list(window.model.ids())

    # S starts a session over the current list: the focused view, one entry at a time.
    step(qtbot, window, "S", SHIFT)
    assert window.in_session and window.session_view.isVisible()
    assert not window.view.isVisible()
    assert window.session_view.progress_label.text() == "1 / 8"
    assert window.reading.current_detail().id == ids[0]  # type: ignore[union-attr]
    assert "left" in window.session_view.clock_label.text()

    step(qtbot, window, "r")  # read
    assert window.session_view.progress_label.text() == "2 / 8"
    assert window.reading.current_detail().id == ids[1]  # type: ignore[union-attr]
    step(qtbot, window, "s")  # skip
    step(qtbot, window, "q")  # queue
    assert [library.entry(i).status for i in ids[:3]] == ["read", "skipped", "queued"]

    # t tags the session's entry through the tag editor
    def fill_tag_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None
        edit = dialog.findChild(QLineEdit, "tagEdit")
        qtbot.keyClicks(edit, "to-cite")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        if dialog.isVisible():
            qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(50, fill_tag_dialog)
    step(qtbot, window, "t")
    assert library.entry(ids[3]).tags == ["to-cite"]

    # n writes a note, Esc goes back to the reader (not the hidden list)
    step(qtbot, window, "n")
    assert window.notes.hasFocus()
    qtbot.keyClicks(window.notes, "Check the ablation.")
    step(qtbot, window, "Escape")
    assert window.abstract.hasFocus() and window.in_session
    assert library.entry(ids[3]).note == "Check the ablation."

    # o opens the code link of the session's entry; j passes over it
    step(qtbot, window, "j")
    assert window.session_view.progress_label.text() == "5 / 8"
    step(qtbot, window, "k")  # back
    assert window.session_view.progress_label.text() == "4 / 8"
    step(qtbot, window, "j")

    # Interrupted: the window closes (the session is paused and stored).
    window.close()
    stored = Sessions(library).current()
    assert stored is not None and stored.state == "paused" and stored.position == 4

    # After a restart the window offers it; Ctrl+Shift+S resumes where it was.
    again = make_window(qtbot, library, settings, opened)
    assert "Ctrl+Shift+S resumes" in again.statusBar().currentMessage()
    assert not again.in_session
    again.focus_list()
    step(qtbot, again, "S", CTRL_SHIFT)
    assert again.in_session
    assert again.session_view.progress_label.text() == "5 / 8"
    assert again.reading.current_detail().id == ids[4]  # type: ignore[union-attr]
    step(qtbot, again, "r")

    # Esc leaves the view (pausing); S goes back into the open session.
    step(qtbot, again, "Escape")
    assert not again.in_session and again.view.isVisible() and again.view.hasFocus()
    assert Sessions(library).current().state == "paused"  # type: ignore[union-attr]
    step(qtbot, again, "S", SHIFT)
    assert again.in_session and again.session_view.progress_label.text() == "6 / 8"

    # Ctrl+Shift+E stops it: the summary counts what was done.
    step(qtbot, again, "E", CTRL_SHIFT)
    assert not again.in_session and again.view.isVisible()
    summary = again.sessions.last_session_summary
    assert summary is not None
    assert (summary.read, summary.skipped, summary.queued) == (2, 1, 1)
    assert (summary.tagged, summary.noted, summary.passed) == (1, 1, 1)
    assert summary.total == 8 and summary.undecided == 3
    assert "Reading session finished: 2 read, 1 skipped, 1 queued" in (
        again.statusBar().currentMessage()
    )
    assert Sessions(library).current() is None
    again.close()


def test_the_queue_session_and_nothing_to_resume(
    qtbot: QtBot, loaded_window: MainWindow, library: Library
) -> None:
    window = loaded_window
    step(qtbot, window, "S", CTRL_SHIFT)  # nothing open
    assert not window.in_session
    assert "No reading session is open" in window.statusBar().currentMessage()
    step(qtbot, window, "Q", SHIFT)  # the queue is empty
    assert not window.in_session and "queue is empty" in window.statusBar().currentMessage()
    ids = list(window.model.ids())
    library.set_status(ids[2:4], "queued")
    step(qtbot, window, "Q", SHIFT)
    assert window.in_session and window.session_view.progress_label.text() == "1 / 2"
    step(qtbot, window, "r")
    step(qtbot, window, "r")
    assert "That was the last of 2" in window.abstract.plain_text()
    step(qtbot, window, "E", CTRL_SHIFT)
    assert (
        window.sessions.last_session_summary is not None
        and window.sessions.last_session_summary.read == 2
    )


def test_the_palette_ranks_session_commands_that_apply_first(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window

    def rows(query: str) -> list[tuple[str, bool]]:
        palette = window.commands.show_palette()
        palette.edit.setText(query)
        found = [
            (palette.row_text(i).split("\t")[0], palette.row_enabled(i))
            for i in range(palette.count())
        ]
        palette.deleteLater()
        return found

    # No session open: Stop and Resume would do nothing; they come last, greyed (so does
    # Read the Queue with nothing queued).
    found = rows("sess")
    assert found[0] == ("Start Reading Session", True), found
    greyed = [title for title, enabled in found if not enabled]
    assert set(greyed) == {
        "Read the Queue",
        "Stop Reading Session",
        "Resume Reading Session",
        "Leave Reading Session or Search",  # nothing to leave: no session, mark or search
    }
    assert [enabled for _title, enabled in found[-3:]] == [False] * 3, found
    step(qtbot, window, "S", SHIFT)
    assert window.in_session
    found = dict(rows("sess"))
    assert found["Stop Reading Session"] and not found["Resume Reading Session"]
    step(qtbot, window, "Escape")  # paused: both apply
    assert all(enabled for title, enabled in rows("sess") if "Leave" not in title)
    window.search.set_query("lattice")
    wait_idle(qtbot, window)
    assert dict(rows("leave"))["Leave Reading Session or Search"]  # Esc clears the search
    # A greyed row is not run by Enter; its key still says why.
    step(qtbot, window, "E", CTRL_SHIFT)
    palette = window.commands.show_palette()
    palette.edit.setText("stop reading")
    assert not palette.row_enabled(0) and palette.list.currentItem() is None
    qtbot.keyClick(palette.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.sessions.session_open is False


def test_shift_s_without_a_search_reads_the_unread_entries_as_the_cli_does(
    qtbot: QtBot, loaded_window: MainWindow, library: Library
) -> None:
    window = loaded_window
    ids = list(window.model.ids())
    library.set_status(ids[:2], "read")
    library.set_status([ids[4]], "skipped")
    step(qtbot, window, "S", SHIFT)
    assert window.in_session and window.session_view.progress_label.text() == "1 / 5"
    session = Sessions(library).current()
    assert session is not None and session.source_query == "status:unread"
    assert [i.entry_id for i in session.items] == [ids[2], ids[3], *ids[5:]]
    step(qtbot, window, "E", CTRL_SHIFT)
    # A search is read as it lists, whatever the status (as session start --query).
    window.search.set_query("status:read")
    wait_idle(qtbot, window)
    window.focus_list()
    step(qtbot, window, "S", SHIFT)
    assert window.in_session and window.session_view.progress_label.text() == "1 / 2"


def test_shift_s_over_a_search_with_an_error_says_so_and_starts_nothing(
    qtbot: QtBot, loaded_window: MainWindow, library: Library
) -> None:
    window = loaded_window
    window.search.set_query("year:2025..2020 lattice")  # the list still shows everything
    wait_idle(qtbot, window)
    assert "backwards" in window.search_bar.error.text()
    step(qtbot, window, "S", SHIFT)
    assert not window.in_session and Sessions(library).current() is None
    message = window.statusBar().currentMessage()
    assert message.startswith("The search has an error"), message
    window.search.set_query("lattice")  # fixed: the session reads what it lists
    wait_idle(qtbot, window)
    window.focus_list()
    step(qtbot, window, "S", SHIFT)
    assert window.in_session
