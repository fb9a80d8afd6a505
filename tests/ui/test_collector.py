"""Garbage collections run on the GUI thread, and a due one waits while the user types."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.ui import collector
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tuning import Tuning

from .conftest import wait_idle


class Busy:
    """A window's "the user is busy" method, registered with the collector."""

    def __init__(self, instance: collector._Collector) -> None:
        self.now = True
        instance.busy.append(collector.weakref.WeakMethod(self.busy))

    def busy(self) -> bool:
        return self.now


@pytest.fixture
def fresh(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[int]]:
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation))
    instance = collector._Collector(qapp)
    instance.timer.stop()  # ticks are driven by hand here
    instance.thresholds = (10, 10, 10)
    return instance, collected


def test_a_due_collection_waits_for_the_user_to_pause(
    fresh: tuple[collector._Collector, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, collected = fresh
    user = Busy(instance)
    monkeypatch.setattr(gc, "get_count", lambda: (3, 0, 0))
    instance.collect()
    assert collected == []  # nothing due
    monkeypatch.setattr(gc, "get_count", lambda: (11, 10, 0))
    instance.collect()
    instance.collect()
    assert collected == []  # due, but the user is typing
    user.now = False
    instance.collect()
    assert collected == [1]  # the oldest generation due


def test_a_collection_never_waits_for_long(
    fresh: tuple[collector._Collector, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, collected = fresh
    user = Busy(instance)
    monkeypatch.setattr(gc, "get_count", lambda: (11, 0, 0))
    ticks = int(collector.POSTPONE_MAX_S * 1000 / collector.GC_INTERVAL_MS)
    for _ in range(ticks):
        instance.collect()
    assert collected == [] and user.busy()  # still typing
    instance.collect()
    assert collected == [0]


def test_full_collections_keep_to_their_share_of_the_time(
    fresh: tuple[collector._Collector, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full collection that took 0.4 s (a heap of millions during a large import): the next
    due full one runs as a young one until nine times that has passed."""
    instance, collected = fresh
    clock = [100.0]
    monkeypatch.setattr(collector.time, "monotonic", lambda: clock[0])

    def slow_collect(generation: int = 2) -> None:
        collected.append(generation)
        clock[0] += 0.4 if generation == 2 else 0.01

    monkeypatch.setattr(gc, "collect", slow_collect)
    monkeypatch.setattr(gc, "get_count", lambda: (11, 10, 10))
    instance.collect()
    assert collected == [2]
    clock[0] += 1.0
    instance.collect()
    assert collected == [2, 1]  # 1 s later: too soon for another full one
    clock[0] += 0.4 / collector.FULL_SHARE
    instance.collect()
    assert collected == [2, 1, 2]


def test_a_closed_window_stops_counting(fresh: tuple[collector._Collector, list[int]]) -> None:
    instance, _ = fresh
    user = Busy(instance)
    assert instance.user_busy()
    del user
    gc.disable()  # the fixture's fake collect: drop the object by reference count alone
    assert not instance.user_busy()
    assert instance.busy == []


def test_the_window_holds_collections_while_a_query_is_typed(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    assert not window.search.typing_a_query()
    QTest.keyClicks(window.search_bar.edit, "lattice")  # typed: the debounce runs
    assert window.search.typing_a_query()
    wait_idle(qtbot, window)  # searched and shown, but a key was typed a moment ago
    assert window.search.typing_a_query()
    window.search_bar._typed_at -= 2 * Tuning().typing_pause_s  # the user paused
    assert not window.search.typing_a_query()
    instance = QApplication.instance()._digestdesk_collector  # type: ignore[union-attr]
    assert any(ref() == window.search.typing_a_query for ref in instance.busy)
