"""The trends sidebar: computed off the GUI thread, walked with keys, Enter filters the list;
related papers in the reader with Alt+N."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.trend_sidebar import KIND, PAYLOAD
from tests.core.factories import paper_draft

from .conftest import Opened, wait_idle

AS_OF = date(2025, 6, 30)
TOPICS = ["graph neural networks", "speech recognition", "protein folding", "robot grasping"]


def spread_topics(as_of: date = AS_OF) -> list[EntryDraft]:
    """Twenty weeks up to ``as_of`` of evenly spread topics, three entries a week (n <= 60)."""
    drafts = []
    n = 0
    for week in range(20):
        for i in range(3):
            n += 1
            topic = TOPICS[n % len(TOPICS)]
            drafts.append(
                paper_draft(
                    n,
                    f"Paper {n} on {topic.title()}",
                    as_of - timedelta(weeks=week, days=i),
                    [topic.title()],
                    votes=n % 7,
                )
            )
    return drafts


def _fill(library: Library) -> None:
    """Evenly spread topics, and Quantum Annealing rising in the last 30 days."""
    drafts = spread_topics()
    for i, ago in enumerate([1, 3, 5, 8, 11, 14, 19, 25]):
        drafts.append(
            paper_draft(
                500 + i,
                f"QA study {i}",
                AS_OF - timedelta(days=ago),
                ["Quantum Annealing"],
                votes=90 + i,
                github_repo=f"https://github.com/example/qa-{i}",
                github_stars=100 + i,
            )
        )
    library.import_parsed(ParseResult(format="demo", entries=drafts), source="constructed")


@pytest.fixture
def trend_window(qtbot: QtBot, window: MainWindow, library: Library) -> MainWindow:
    window.trends.as_of = AS_OF
    _fill(library)
    window.search.run_query()
    wait_idle(qtbot, window)
    return window


def _show_sidebar(qtbot: QtBot, window: MainWindow) -> None:
    window.registry.trigger("view.toggle_trends")
    qtbot.waitUntil(lambda: window.trend_sidebar.report is not None, timeout=10_000)
    wait_idle(qtbot, window)


def test_trends_are_computed_on_the_reader_thread(qtbot: QtBot, trend_window: MainWindow) -> None:
    window = trend_window
    threads: list[str] = []
    report = window.trends.library_trends.report
    window.trends.library_trends.report = lambda **kw: (  # type: ignore[method-assign]
        threads.append(threading.current_thread().name) or report(**kw)
    )
    _show_sidebar(qtbot, window)
    assert threads and "MainThread" not in threads
    terms = [i.text() for i in window.trend_sidebar.rows("term")]
    assert terms[0] == "quantum annealing"
    top = window.trend_sidebar.rows("term")[0]
    assert "8 in the last 30 days, 0 in the 30 before" in top.toolTip()
    voted = window.trend_sidebar.rows("entry")
    assert voted and "QA study 7" in voted[0].text()
    repos = window.trend_sidebar.rows("repo")
    # by stars per day since first seen (qa-2: 102 stars in a week), not all-time stars (qa-7)
    assert repos and repos[0].data(PAYLOAD) == "https://github.com/example/qa-2"
    # the sidebar paints (sparklines, bars) without warnings
    pixmap: QPixmap = window.trend_sidebar.grab()
    assert not pixmap.isNull()


def test_enter_on_a_term_puts_its_query_in_the_search_bar_and_filters(
    qtbot: QtBot, trend_window: MainWindow
) -> None:
    window = trend_window
    _show_sidebar(qtbot, window)
    sidebar = window.trend_sidebar
    assert sidebar.list.hasFocus()
    current = sidebar.list.currentItem()
    assert current is not None and current.data(KIND) == "term"
    assert sidebar.report is not None
    shown = sidebar.report.rising[0]
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    # The term within the window: the list then holds exactly the papers the count counted.
    report = sidebar.report
    assert window.search_bar.text() == (
        f'"quantum annealing" date:{report.window_start.isoformat()}..{report.as_of.isoformat()}'
    )
    assert window.model.rowCount() == shown.count == 8
    assert window.view.hasFocus()
    # ...and the sidebar now shows trends within that search (after its debounce)
    qtbot.waitUntil(lambda: "Within" in sidebar.scope.text(), timeout=5_000)
    wait_idle(qtbot, window)
    assert sidebar.report is not None and sidebar.report.entries == 8


def test_enter_on_a_voted_entry_selects_it_and_on_a_repo_opens_it(
    qtbot: QtBot, trend_window: MainWindow, opened: Opened
) -> None:
    window = trend_window
    window.search.set_query("status:unread speech")
    wait_idle(qtbot, window)
    _show_sidebar(qtbot, window)
    sidebar = window.trend_sidebar
    entry = next(i for i in sidebar.rows("entry"))
    entry_id = int(entry.data(PAYLOAD))
    sidebar.list.setCurrentItem(entry)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.view.current_id() == entry_id
    window.search.set_query("")
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(sidebar.rows("repo")), timeout=5_000)
    sidebar.focus_list()
    repo = sidebar.rows("repo")[0]
    sidebar.list.setCurrentItem(repo)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Return)
    assert opened == [repo.data(PAYLOAD)]
    # a tag row filters by the tag; Esc goes back to the list
    sidebar.focus_list()
    status = next(i for i in sidebar.rows("query") if i.data(PAYLOAD) == "status:unread")
    sidebar.list.setCurrentItem(status)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.search_bar.text() == "status:unread"
    sidebar.focus_list()
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Escape)
    assert window.view.hasFocus()


def test_trends_refresh_after_an_edit(qtbot: QtBot, trend_window: MainWindow) -> None:
    window = trend_window
    _show_sidebar(qtbot, window)
    before = window.trend_sidebar.report
    assert before is not None and before.statuses.get("read", 0) == 0
    window.focus_list()
    window.registry.trigger("entry.mark_read")
    qtbot.waitUntil(
        lambda: (
            window.trend_sidebar.report is not before
            and window.trend_sidebar.report.statuses.get("read", 0) == 1
        ),  # type: ignore[union-attr]
        timeout=5_000,
    )
    wait_idle(qtbot, window)


def test_related_papers_show_and_alt_number_jumps(qtbot: QtBot, trend_window: MainWindow) -> None:
    window = trend_window
    window.show_lower_tab(window.related)  # a hidden tab's list is filled when shown
    window.search.set_query('"quantum annealing"')
    wait_idle(qtbot, window)
    first = window.view.current_id()
    qtbot.waitUntil(
        lambda: window.related.for_id == first and bool(window.related.ids), timeout=5_000
    )
    assert window.related.item(0).text().startswith("Alt+1  ")
    target = window.related.nth(1)
    assert target is not None and target != first
    window.registry.trigger("related.open_1")
    wait_idle(qtbot, window)
    assert window.view.current_id() == target
    # a related entry the query hides: the query is cleared so it can be shown
    window.search.set_query("status:skipped")  # nothing is skipped: the list is empty
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=5_000)
    window.navigation.jump_to_entry(first)  # type: ignore[arg-type]
    wait_idle(qtbot, window)
    assert window.search_bar.text() == "" and window.view.current_id() == first


def test_a_long_note_wraps_so_the_keyboard_reader_sees_all_of_it(qtbot: QtBot) -> None:
    """A note (why For-you is empty, why nothing rises) was one elided line, whose end only a
    mouse tooltip showed; it wraps to the sidebar's width, and again when that changes."""
    from digestdesk.ui.trend_sidebar import TrendSidebar

    sidebar = TrendSidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 600)
    sidebar.show()
    qtbot.waitExposed(sidebar)
    note = (
        "Recommendations learn from your triage: 3 papers triaged, 2 of them read, queued or "
        "tagged. They need at least 30 triaged, 8 of them read, queued or tagged."
    )
    sidebar.show_for_you("Digest of 3 Dec 2026", [], note)
    (row,) = [r for r in sidebar.rows("note") if r.text() == note]
    line = sidebar.list.fontMetrics().height()
    narrow = sidebar.list.visualItemRect(row).height()
    assert narrow >= 4 * line
    sidebar.show_for_you("Digest of 3 Dec 2026", [], "Every paper is triaged.")
    (short,) = [r for r in sidebar.rows("note") if r.text() == "Every paper is triaged."]
    assert sidebar.list.visualItemRect(short).height() < 2 * line
    sidebar.show_for_you("Digest of 3 Dec 2026", [], note)
    sidebar.resize(900, 600)
    (row,) = [r for r in sidebar.rows("note") if r.text() == note]
    qtbot.waitUntil(lambda: sidebar.list.visualItemRect(row).height() < narrow)


def test_trends_follow_the_list_not_a_query_with_an_error(
    qtbot: QtBot, trend_window: MainWindow
) -> None:
    window = trend_window
    window.search.set_query("speech")
    wait_idle(qtbot, window)
    _show_sidebar(qtbot, window)
    sidebar = window.trend_sidebar
    qtbot.waitUntil(lambda: sidebar.scope.text().startswith("Within “speech”"), timeout=5_000)
    window.search.set_query("speech year:2025..2020")  # an error: the list stays as it was
    wait_idle(qtbot, window)
    assert window.search.query_error is not None
    window.trends.compute()
    wait_idle(qtbot, window)
    assert sidebar.scope.text().startswith("Within “speech”"), sidebar.scope.text()
