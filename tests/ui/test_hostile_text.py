"""Hostile entry text in every widget: shown as text, never laid out as markup, never a
resource loaded from it (issue 14: a title of nested tables froze the window for over a minute
when its tooltip showed; ``<img src=FIFO>`` in a title blocked the GUI thread on the FIFO).

A watchdog (``faulthandler``) ends the run with the GUI thread's stack if a widget hangs, so a
regression fails loudly instead of stalling CI.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QToolTip
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.safe_text import TOOLTIP_CHARS, tooltip
from tests.core import factories
from tests.ui.conftest import wait_idle

WATCHDOG_S = 60  # far above any honest layout; the old code took minutes on the first title
STEP_S = 5.0  # each widget shows its text in well under this


def hostile_titles(fifo: Path) -> list[str]:
    return [
        "<b>bold</b><table><tr><td>" * 50 + "nested",
        f'Images <img src="{fifo}"> and <img src="file://{fifo}">',
        "<script>alert(1)</script> <a href='file:///etc/passwd'>click</a> & more",
        "}{ braces <style>body{display:none}</style> <!-- comment",
    ]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs os.mkfifo")
    path = tmp_path / "a-fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def hostile_window(
    qtbot: QtBot, window: MainWindow, library: Library, fifo: Path, watchdog: None
) -> MainWindow:
    titles = hostile_titles(fifo)
    items = [
        factories.api_item(
            f"2511.{900 + n:05d}",
            title,
            summary=f"Hostile title {n}: sparse attention for long context models.",
            upvotes=50 + n,
            githubRepo=f"https://github.com/example/hostile-{n}",
        )
        for n, title in enumerate(titles)
    ]
    library.import_bytes(factories.api_json(items), name="2025-11-20.json")
    window.search.run_query()
    wait_idle(qtbot, window)
    assert window.model.rowCount() == len(titles)
    return window


def _timed(action: object) -> float:
    start = time.monotonic()
    action()  # type: ignore[operator]
    QApplication.processEvents()
    return time.monotonic() - start


def _show_tooltip(widget: object, pos: QPoint) -> None:
    viewport = widget.viewport()  # type: ignore[attr-defined]
    event = QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)


def test_tooltip_escapes_and_cuts() -> None:
    tip = tooltip('<img src="/tmp/x">', "second line & more")
    assert "<img" not in tip and "&lt;img" in tip and "<br>" in tip
    assert tip.startswith("<qt>") and tip.endswith("</qt>")
    assert tooltip("") == ""
    assert len(tooltip("x" * (TOOLTIP_CHARS * 10))) < TOOLTIP_CHARS + 20


def test_list_tooltips_show_hostile_titles_as_text(
    qtbot: QtBot, hostile_window: MainWindow, fifo: Path
) -> None:
    window = hostile_window
    view = window.view
    title_column = next(c for c in range(window.model.columnCount()) if view.columnWidth(c) > 100)
    for row in range(window.model.rowCount()):
        index = window.model.index(row, title_column)
        view.scrollTo(index)
        wait_idle(qtbot, window)
        data = window.model.data(index, Qt.ItemDataRole.ToolTipRole)
        shown = window.model.data(index, Qt.ItemDataRole.DisplayRole)
        assert data is not None and shown is not None
        assert "<img" not in data and "<table" not in data and "<script" not in data
        pos = view.visualRect(index).center()
        assert _timed(lambda pos=pos: _show_tooltip(view, pos)) < STEP_S
        assert QToolTip.isVisible()
        label = next(
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QLabel) and w.objectName() == "qtooltip_label"
        )
        # What the user reads is the title as typed.
        assert shown[:20] in shown_text(label)
        QToolTip.hideText()


def shown_text(label: QLabel) -> str:
    """The text a rich-text label shows (its document as plain text)."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def test_reader_related_and_sidebar_show_hostile_titles_as_text(
    qtbot: QtBot, hostile_window: MainWindow, fifo: Path
) -> None:
    window = hostile_window
    titles = hostile_titles(fifo)
    window.show_lower_tab(window.related)
    for row in range(window.model.rowCount()):
        assert _timed(lambda row=row: window.view.move_to(row)) < STEP_S
        wait_idle(qtbot, window)
        detail = window.reading.current_detail()
        assert detail is not None
        # the reader shows the title as text
        assert detail.title in window.abstract.plain_text()
    # related papers (every entry shares the abstract's words): their tooltips are escaped
    qtbot.waitUntil(lambda: bool(window.related.ids), timeout=10_000)
    for n in range(window.related.count()):
        tip = window.related.item(n).toolTip()
        assert "<img" not in tip and "<table" not in tip
    # the trends sidebar lists the most voted entries with their titles as tooltips
    window.registry.trigger("view.toggle_trends")
    qtbot.waitUntil(lambda: window.trend_sidebar.report is not None, timeout=10_000)
    wait_idle(qtbot, window)
    voted = window.trend_sidebar.rows("entry")
    assert voted
    for item in voted:
        assert "<img" not in item.toolTip() and "<table" not in item.toolTip()
    assert any(titles[0][:30] in item.text() for item in voted)
    pixmap = window.trend_sidebar.grab()
    assert not pixmap.isNull()
