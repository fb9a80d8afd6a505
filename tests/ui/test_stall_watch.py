"""The GUI thread's stall watch: a slot that holds the thread shows as one long gap, and the
report says so (the measurement the real-window benchmark reads)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from digestdesk.ui import stall_watch
from digestdesk.ui.stall_watch import StallWatch, watch_from_environment, write_report

BUSY_S = 0.3


def test_a_busy_slot_is_the_worst_gap(qtbot: QtBot, tmp_path: Path) -> None:
    watch = StallWatch()
    watch.start()
    qtbot.wait(100)
    QTimer.singleShot(0, lambda: time.sleep(BUSY_S))  # the thread is held this long
    qtbot.wait(200)
    summary = watch.summary()
    assert summary["beats"] > 2
    assert summary["worst_ms"] >= BUSY_S * 1000 * 0.9  # a lower bound: the sleep's own
    assert summary["over_100_ms"] >= 1
    report = tmp_path / "stalls.json"
    write_report(watch, report)
    assert json.loads(report.read_text())["worst_ms"] == summary["worst_ms"]


def test_only_the_environment_turns_it_on(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(stall_watch.ENV, raising=False)
    assert watch_from_environment() is None
    monkeypatch.setenv(stall_watch.ENV, str(tmp_path / "r.json"))
    found = watch_from_environment()
    assert found is not None
    found[0].stop()
    assert found[1] == tmp_path / "r.json"
