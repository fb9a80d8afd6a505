"""Typing stays responsive: a result typed over is not shown, a new result is painted a few
rows per turn of the event loop, and the window still ends up showing the latest query."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from digestdesk.ui.entry_view import PAINT_PART_ROWS
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.search_bar import word_being_typed

from .conftest import wait_idle


class PaintRecorder(QObject):
    """For each paint of the list: was an earlier part of a new result's paint left over?"""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.leftover: list[bool] = []
        window.view.viewport().installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.leftover.append(self.window.view.painting_in_parts())
        return False


def _on_screen(window: MainWindow) -> QImage:
    """The list's pixels as last painted into the window (not painted anew)."""
    viewport = window.view.viewport()
    origin = viewport.mapTo(window, QPoint(0, 0))
    shot = window.screen().grabWindow(
        window.winId(), origin.x(), origin.y(), viewport.width(), viewport.height()
    )
    return shot.toImage().convertToFormat(QImage.Format.Format_RGB32)


def test_a_result_typed_over_is_not_shown(
    qtbot: QtBot, loaded_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = loaded_window
    resets: list[str] = []
    window.model.modelReset.connect(lambda: resets.append(window.search.query.text))
    typing = [True]  # the debounce is running: more text was typed after the query was sent
    monkeypatch.setattr(window.search_bar, "debouncing", lambda: typing[0])
    window.search.set_query("spreadsh")
    window.search_bar.edit.setText("lattice")
    qtbot.waitUntil(lambda: window.reader.pending() == 0)
    assert resets == []
    assert window.model.rowCount() == 8  # still the list from before

    typing[0] = False  # the debounce fired: the newest query runs and is shown
    window.search.set_query("lattice")
    wait_idle(qtbot, window)
    assert resets == ["lattice"]
    matches = window.library.search("lattice").ids
    assert 1 <= len(matches) < 8
    assert window.model.ids() == matches
    assert window.abstract.current_id() == window.view.current_id() == matches[0]


def test_a_result_for_the_text_shown_is_applied_while_the_debounce_runs(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.view.move_to(5)
    entry = window.view.current_id()
    assert entry is not None
    window.search.set_query("status:skipped")  # nothing is skipped: the list is empty
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    window.navigation.jump_to_entry(entry)  # clears the search bar (which starts the debounce) and
    wait_idle(qtbot, window)  # runs the query keeping the entry: its result is shown
    assert window.search_bar.text() == "" and window.view.current_id() == entry


def test_a_new_result_is_painted_a_few_rows_at_a_time(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    view = window.view
    assert window.model.rowCount() > PAINT_PART_ROWS
    kept = view.current_id()
    recorder = PaintRecorder(window)
    window.search.set_sort("votes")  # the same entries in another order: the model is reset
    wait_idle(qtbot, window)
    assert not view.painting_in_parts()
    assert True in recorder.leftover  # some paint came with rows still to paint
    # All parts painted, the list on screen is what a paint of the whole list draws.
    assert _on_screen(window) == view.viewport().grab().toImage().convertToFormat(
        QImage.Format.Format_RGB32
    )
    assert view.current_id() == kept  # the current entry is kept, and shown
    assert window.abstract.current_id() == kept


def test_the_reader_follows_the_list_after_a_search(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.view.move_to(3)
    kept = window.view.current_id()
    window.search.set_query("")  # the same entries: the current one stays
    wait_idle(qtbot, window)
    assert window.view.current_id() == kept
    detail = window.reading.current_detail()
    assert detail is not None and detail.id == kept
    window.search.set_query("no-such-word-anywhere")
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    assert window.reading.current_detail() is None
    assert window.abstract.current_id() is None


def test_the_reader_waits_for_the_list_and_for_the_typing_to_pause(
    qtbot: QtBot, loaded_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = loaded_window
    window.view.move_to(2)
    kept = window.view.current_id()
    shown_while: list[tuple[bool, bool]] = []  # (list paint ahead, typing) when shown
    show_entry = window.abstract.show_entry

    def recording_show_entry(*args: object, **kwargs: object) -> None:
        shown_while.append((window.view.paint_in_parts_ahead(), typing[0]))
        show_entry(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(window.abstract, "show_entry", recording_show_entry)
    typing = [True]  # more text typed since the query: its result is not the last one
    monkeypatch.setattr(window.search_bar, "debouncing", lambda: typing[0])
    window.search.set_query("")  # the same entries, the list reset: it paints them in parts
    qtbot.waitUntil(lambda: window.model.generation > 0 and not window.view.painting_in_parts())
    qtbot.wait(100)
    assert shown_while == []  # the reader waits while the user types
    assert window.reading.current_detail() is None
    typing[0] = False
    wait_idle(qtbot, window)
    assert shown_while == [(False, False)]
    assert window.abstract.current_id() == kept
    shown_while.clear()
    window.search.set_sort("votes")  # typing paused: the reader waits for the list's parts only
    wait_idle(qtbot, window)
    assert shown_while == [(False, False)]
    assert window.abstract.current_id() == kept


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("diffusio", "diffusio"),
        ("graph neur", "neur"),
        ("status:read lattic", "lattic"),
        ("dif", None),  # too short to mean anything yet
        ("tag:long", None),  # a field's value
        ("author:smi", None),
        ('"graph neur', None),  # inside an unfinished phrase
        ("lattice ", None),  # the word is finished
        ("diffusio*", None),  # a prefix already
        ("graph OR", None),  # an operator
    ],
)
def test_the_word_being_typed(text: str, word: str | None) -> None:
    assert word_being_typed(text) == word


def test_a_word_typed_halfway_finds_the_words_it_begins(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    whole = window.library.search("spreadsheet").ids
    assert whole and window.library.search("spreadsh").total == 0
    window.search.set_query("spreadsh")
    wait_idle(qtbot, window)
    assert window.model.ids() == window.library.search("spreadsh*").ids
    assert set(whole) <= set(window.model.ids())
    assert "starting with “spreadsh”" in window.search_bar.result_label.text()
    assert any(word == "spreadsh*" for _field, word in window.reading.terms)  # highlighted
    window.search.set_query("zzqqxx")  # no word begins so: nothing, as before
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    assert "starting with" not in window.search_bar.result_label.text()
