"""A query past the language's limits: the search bar says which limit, the window keeps going."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from digestdesk.ui.main_window import MainWindow


def test_a_too_complex_query_names_its_limit_in_the_search_bar(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.search_bar.set_text("model OR " * 10_000)  # as if typed (pasted)
    error = window.search_bar.error
    qtbot.waitUntil(lambda: "too complex" in error.text(), timeout=10_000)
    assert "at most 32 words" in error.text() and not error.isHidden()
    window.search_bar.set_text("lattice")
    qtbot.waitUntil(lambda: error.isHidden(), timeout=10_000)
