"""Fetch New Digests (F5) against a local replay server on 127.0.0.1: a 500 then success, an
offline error read as a plain message, cancel, and the window answering queries throughout."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from digestdesk.core import fetch
from digestdesk.core.fetch import HttpClient
from digestdesk.ui.main_window import MainWindow
from tests.core.test_fetch import Replay, Scripted, hf_items
from tests.core.test_fetch_hostile import RawServer, drip

from .conftest import wait_idle
from .test_keyboard_flow import key


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replay]:
    server = Replay()
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, server.url)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fetch_window(window: MainWindow, settings: QSettings) -> MainWindow:
    settings.setValue("fetch/days", 1)  # today only
    window.fetching.client_factory = lambda cancelled: HttpClient(
        cache_dir=None, timeout=5.0, backoff=0.05, cancelled=cancelled
    )
    window.focus_list()
    return window


def test_f5_fetches_after_a_500_and_the_window_keeps_answering(
    qtbot: QtBot, fetch_window: MainWindow, replay: Replay
) -> None:
    window = fetch_window
    today = fetch.today_utc()
    replay.days[today.isoformat()] = hf_items(3, day=today)
    # The 500 is held until the query below is answered (a delay raced a loaded machine).
    thinking = threading.Event()
    replay.script(today.isoformat(), Scripted(500, held=thinking))
    key(qtbot, window, "F5")
    assert window.fetching.fetch_task is not None
    try:
        qtbot.waitUntil(lambda: window.task_indicator.cancel_button.isVisible(), timeout=10_000)
        label = window.task_indicator.label.text()
        assert label.startswith("Fetching from Hugging Face daily papers")
        # While the server thinks, queries still run on the reader thread.
        window.search.set_query("status:unread")
        qtbot.waitUntil(lambda: window.reader.idle(), timeout=10_000)
        assert (
            window.fetching.fetch_task is not None
        )  # still fetching: the answer came during the fetch
    finally:
        thinking.set()
    wait_idle(qtbot, window)
    assert window.fetching.fetch_task is None
    assert window.fetching.last_fetch is not None
    assert [r.outcome for r in window.fetching.last_fetch] == ["imported"]
    assert (
        window.fetching.last_fetch_message
        == "Fetched 1 day from Hugging Face daily papers: 3 new entries."
    )
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=5_000)
    assert len(replay.of("/api/daily_papers")) == 2  # the 500, then the page
    # A second F5 asks again for today (not settled yet) and finds nothing new.
    key(qtbot, window, "F5")
    wait_idle(qtbot, window)
    assert window.fetching.last_fetch[0].outcome == "imported"
    assert window.model.rowCount() == 3


def test_offline_reads_as_a_plain_message_and_changes_nothing(
    qtbot: QtBot, fetch_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = fetch_window
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, f"http://127.0.0.1:{port}")
    window.registry.trigger("fetch.run")
    wait_idle(qtbot, window)
    message = window.statusBar().currentMessage()
    assert message.startswith("Fetching from Hugging Face daily papers failed: Could not reach")
    assert "Check your connection; nothing was changed." in message
    assert (
        window.fetching.last_fetch is not None and window.fetching.last_fetch[0].outcome == "failed"
    )
    assert window.model.rowCount() == 0 and window.fetching.fetch_task is None
    window.search.set_query("status:unread")  # responsive
    wait_idle(qtbot, window)
    assert window.search_bar.text() == "status:unread"


def test_cancel_stops_a_slow_fetch(qtbot: QtBot, fetch_window: MainWindow, replay: Replay) -> None:
    window = fetch_window
    today = fetch.today_utc()
    replay.days[today.isoformat()] = hf_items(2, day=today)
    replay.script(today.isoformat(), Scripted(503), Scripted(503), Scripted(503))
    # A backoff far past wait_idle's guard: only a cancel that ends the wait lets it pass
    # (a 2 s backoff against a measured 2 s was a timing on a loaded machine).
    window.fetching.client_factory = lambda cancelled: HttpClient(
        cache_dir=None, timeout=5.0, backoff=60.0, max_backoff=60.0, cancelled=cancelled
    )
    window.fetching.fetch_digests()
    qtbot.waitUntil(lambda: len(replay.requests) >= 1, timeout=5_000)
    window.task_indicator.cancel_button.click()
    wait_idle(qtbot, window)
    assert (
        window.fetching.last_fetch is not None
        and window.fetching.last_fetch[0].outcome == "cancelled"
    )
    assert "cancelled" in window.statusBar().currentMessage()


def test_fetch_at_launch_is_a_remembered_option(
    qtbot: QtBot, fetch_window: MainWindow, settings: QSettings, replay: Replay
) -> None:
    window = fetch_window
    action = window.registry.actions["fetch.at_launch"]
    assert action.isCheckable() and not action.isChecked()
    action.trigger()
    assert settings.value("fetch/at_launch") == "true"
    assert window.fetching.fetch_task is None  # toggling does not fetch by itself


def test_triage_is_not_stuck_behind_a_slow_fetch(
    qtbot: QtBot, loaded_window: MainWindow, settings: QSettings, replay: Replay
) -> None:
    """The network waits run on their own thread: a status change during a fetch lands at
    once, and the fetched day is imported on the writer afterwards."""
    window = loaded_window
    settings.setValue("fetch/days", 1)
    window.fetching.client_factory = lambda cancelled: HttpClient(
        cache_dir=None, timeout=5.0, backoff=0.05, cancelled=cancelled
    )
    today = fetch.today_utc()
    replay.days[today.isoformat()] = hf_items(2, day=today)
    # The server's answer is held until the edit landed (a delay raced a loaded machine).
    thinking = threading.Event()
    replay.script(today.isoformat(), Scripted(500, held=thinking))
    window.focus_list()
    detail = window.reading.current_detail()
    assert detail is not None and detail.status == "unread"
    entry_id = detail.id
    window.fetching.fetch_digests()
    try:
        qtbot.waitUntil(lambda: len(replay.requests) >= 1, timeout=5_000)
        key(qtbot, window, "r")
        qtbot.waitUntil(lambda: window.edits.pending() == 0, timeout=10_000)
        assert window.fetching.fetch_task is not None  # still waiting for the server
        assert window.library.entry(entry_id).status == "read"
    finally:
        thinking.set()
    wait_idle(qtbot, window)
    assert (
        window.fetching.last_fetch is not None
        and window.fetching.last_fetch[0].outcome == "imported"
    )


def test_cancel_stops_a_fetch_mid_transfer(
    qtbot: QtBot, fetch_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that drips one byte at a time: the cancel button ends the read in progress
    (the old client only looked at cancel between requests, and waited for the whole answer)."""
    server = RawServer(drip())
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, server.url)
    window = fetch_window
    window.fetching.client_factory = lambda cancelled: HttpClient(
        cache_dir=None, timeout=3600, request_deadline=3600, cancelled=cancelled
    )
    try:
        window.fetching.fetch_digests()
        qtbot.waitUntil(lambda: server.ticks >= 3, timeout=10_000)  # mid-body
        window.task_indicator.cancel_button.click()
        wait_idle(qtbot, window)  # fails the test if the fetch does not end
        reports = window.fetching.last_fetch
        assert reports is not None and [r.outcome for r in reports] == ["cancelled"]
        assert "cancelled" in window.statusBar().currentMessage()
        assert window.model.rowCount() == 0
    finally:
        server.close()


def test_cancel_is_honoured_while_the_writer_is_busy(
    qtbot: QtBot, fetch_window: MainWindow, replay: Replay
) -> None:
    """The day's answer is in, its import waits behind a long job on the writer: Cancel ends
    the fetch at once and the day is not imported afterwards."""
    window = fetch_window
    today = fetch.today_utc()
    replay.days[today.isoformat()] = hf_items(2, day=today)
    release = threading.Event()
    window.jobs.submit("A long job", lambda library, task: release.wait(60))
    try:
        window.fetching.fetch_digests()
        # The day's import is queued behind the long job: the fetch waits for the writer.
        qtbot.waitUntil(lambda: window.jobs.pending() >= 2, timeout=10_000)
        window.task_indicator.cancel_button.click()
        qtbot.waitUntil(lambda: window.fetching.fetch_task is None, timeout=10_000)
        assert not release.is_set()  # the long job still runs
        reports = window.fetching.last_fetch
        assert reports is not None and [r.outcome for r in reports] == ["cancelled"]
    finally:
        release.set()
    wait_idle(qtbot, window)
    assert window.library.fetched_days("hf-api") == set()
    assert window.model.rowCount() == 0
