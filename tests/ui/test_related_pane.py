"""The reader's related papers say why each is related (the phrases both share), as plain text,
and are asked on the window's own similarity lane, not the search's."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.ui.main_window import MainWindow
from tests.core.test_similarity import FILLER, RELEASES, WORLD

from .conftest import wait_idle


def test_related_papers_show_the_phrases_they_share(
    qtbot: QtBot, window: MainWindow, library: Library
) -> None:
    report = library.import_parsed(
        ParseResult(format="demo", entries=WORLD + RELEASES + FILLER), source="test"
    )
    first = report.items[0].entry_id
    threads: list[object] = []
    related = library.related

    def spy(entry_id: int, *, limit: int = 10):  # type: ignore[no-untyped-def]
        threads.append(QThread.currentThread())
        return related(entry_id, limit=limit)

    library.related = spy  # type: ignore[method-assign]
    window.search.run_query()
    wait_idle(qtbot, window)
    window.show_lower_tab(window.related)
    window.navigation.jump_to_entry(first)  # type: ignore[arg-type]
    qtbot.waitUntil(
        lambda: window.related.for_id == first and bool(window.related.ids), timeout=10_000
    )
    assert threads and all(t is window.similar for t in threads)
    text = window.related.item(0).text()
    title, why = text.split("\n")
    assert title.startswith("Alt+1  ") and "World" in title
    assert why.strip().startswith("shares ") and "3D world" in why
    assert window.related.reason(1) and "3D world" in window.related.reason(1)
    assert all("2.0" not in p for n in range(1, 6) for p in window.related.reason(n))
    tip = window.related.item(0).toolTip()
    assert tip.startswith("<qt>") and "shares" in tip


def test_the_pane_says_so_while_the_model_is_being_built(
    qtbot: QtBot, window: MainWindow, library: Library
) -> None:
    report = library.import_parsed(
        ParseResult(format="demo", entries=WORLD + FILLER), source="test"
    )
    first = report.items[0].entry_id
    window.search.run_query()
    wait_idle(qtbot, window)
    window.show_lower_tab(window.related)
    library.similarity._model = None  # as at the first start over a large library
    library.similarity.path.unlink()
    seen = threading.Event()
    rebuild = library.similarity.rebuild

    def slow_rebuild(**kwargs):  # type: ignore[no-untyped-def]
        seen.wait(10)  # the build lasts until the test has seen the note
        return rebuild(**kwargs)

    library.similarity.rebuild = slow_rebuild  # type: ignore[method-assign]
    window.navigation.jump_to_entry(first)  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: "Comparing" in window.related.item(0).text(), timeout=10_000)
    seen.set()
    qtbot.waitUntil(
        lambda: window.related.for_id == first and bool(window.related.ids), timeout=10_000
    )
    assert "Comparing" not in window.related.item(0).text()
