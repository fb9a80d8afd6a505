"""The sidebar's For-you section: the newest digest's papers the reader's triage points to,
each with why; a clear note below enough triage; retrained off the GUI thread after triage."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.trend_sidebar import DETAIL, KIND, PAYLOAD, SECTION
from tests.core.test_recommend import TOPICS, papers

from .conftest import wait_idle

DIGEST_DAY = date(2026, 3, 2)


def fill(library: Library) -> dict[str, list[int]]:
    """Older papers to triage, and a digest of 30 new ones (six per topic) on DIGEST_DAY."""
    found = papers(per_topic=30)
    older, newest = found[:120], found[120:]
    by_topic: dict[str, list[int]] = {}
    report = library.import_parsed(
        ParseResult(format="demo", entries=[d for _, d in older]), source="older"
    )
    for (topic, _), item in zip(older, report.items, strict=True):
        by_topic.setdefault(topic, []).append(item.entry_id)
    report = library.import_parsed(
        ParseResult(format="demo", entries=[d for _, d in newest], digest_date=DIGEST_DAY),
        source="digest",
    )
    for (topic, _), item in zip(newest, report.items, strict=True):
        by_topic.setdefault(f"new {topic}", []).append(item.entry_id)
    return by_topic


def section(window: MainWindow) -> list[tuple[str, str, object, str]]:
    rows = window.trend_sidebar.rows()
    return [
        (r.data(KIND), r.text(), r.data(PAYLOAD), r.data(DETAIL) or "")
        for r in rows
        if r.data(SECTION) == "foryou"
    ]


def test_for_you_says_what_it_needs_then_recommends_with_reasons(
    qtbot: QtBot, window: MainWindow, library: Library
) -> None:
    by_topic = fill(library)
    window.trends.as_of = DIGEST_DAY
    window.registry.trigger("view.toggle_trends")
    window.for_you.compute()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(section(window)), timeout=10_000)
    rows = section(window)
    assert rows[0][0] == "heading" and rows[0][1] == "FOR YOU"
    assert "2 Mar 2026" in rows[0][3]
    assert rows[1][0] == "note" and "need at least" in rows[1][1]

    # Triage: robot papers tagged, others skipped; the taste is retrained on the similar lane.
    threads: list[object] = []
    taste = library.similarity.taste

    def spy(tag: str | None = None):  # type: ignore[no-untyped-def]
        threads.append(QThread.currentThread())
        return taste(tag)

    library.similarity.taste = spy  # type: ignore[method-assign]
    window.hub.publish(library.change_tags(by_topic["robots"][:16], add=["robotics"]))
    window.hub.publish(
        library.set_status(by_topic["proteins"][:10] + by_topic["graphs"][:10], "skipped")
    )
    assert window.for_you.pending()  # debounced: a burst of triage retrains once
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: any(k == "pick" for k, *_ in section(window)), timeout=10_000)
    assert threads and all(t is window.similar for t in threads)
    picks = [
        (text, payload, detail) for kind, text, payload, detail in section(window) if kind == "pick"
    ]
    assert len(picks) == 5
    new_robots = set(by_topic["new robots"])
    assert sum(payload in new_robots for _, payload, _ in picks) >= 4
    robot_words = set(TOPICS["robots"].split())
    text, payload, detail = picks[0]
    assert any(w in robot_words for w in detail.replace(",", " ").split())
    assert "like “" in detail
    # The section stays on top when the trends are shown again, and Enter jumps to the paper.
    window.trends.compute()
    wait_idle(qtbot, window)
    assert window.trend_sidebar.rows()[0].data(SECTION) == "foryou"
    item = next(r for r in window.trend_sidebar.rows() if r.data(KIND) == "pick")
    window.trend_sidebar.list.setCurrentItem(item)
    window.trend_sidebar._activate(item)
    wait_idle(qtbot, window)
    assert window.view.current_id() == payload
