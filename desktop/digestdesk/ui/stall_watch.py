"""How long the GUI thread could not answer: a heartbeat timer on it, whose late beats are the
time its event loop was busy (a slot running, a paint, or the thread waiting for the
interpreter lock while another thread runs Python).

Opt-in, for measurements (the benchmarks, the real-window tests): with
``DIGESTDESK_STALL_REPORT=FILE`` the app beats every 5 ms and writes a JSON summary of the gaps
to FILE when it quits; a gap past :data:`WARN_MS` is also logged as it happens. Off by default:
200 wake-ups a second are no cost worth paying in a desktop app at rest.
"""

from __future__ import annotations

import json
import logging
import os
import time
from array import array
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)

ENV = "DIGESTDESK_STALL_REPORT"
INTERVAL_MS = 5
#: A gap this long is logged when it ends (the window did not answer for that long).
WARN_MS = 500


class StallWatch(QObject):
    """A heartbeat on the thread that creates it; :meth:`summary` tells its gaps."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.gaps = array("d")  # ms between two beats
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        self._last = now
        self.gaps.append(gap)
        if gap >= WARN_MS:
            log.warning("the window did not answer for %.0f ms", gap)

    def summary(self) -> dict[str, Any]:
        gaps = sorted(self.gaps)
        if not gaps:
            return {"beats": 0, "interval_ms": self.interval_ms}

        def at(q: float) -> float:
            return round(gaps[min(len(gaps) - 1, int(q * (len(gaps) - 1)))], 1)

        return {
            "beats": len(gaps),
            "interval_ms": self.interval_ms,
            "median_ms": at(0.5),
            "p99_ms": at(0.99),
            "worst_ms": round(gaps[-1], 1),
            "over_50_ms": sum(1 for g in gaps if g > 50),
            "over_100_ms": sum(1 for g in gaps if g > 100),
        }


def watch_from_environment(parent: QObject | None = None) -> tuple[StallWatch, Path] | None:
    """A started watch and where to write its report, when :data:`ENV` asks for one."""
    target = os.environ.get(ENV)
    if not target:
        return None
    watch = StallWatch(parent)
    watch.start()
    return watch, Path(target)


def write_report(watch: StallWatch, path: Path) -> None:
    watch.stop()
    try:
        path.write_text(json.dumps(watch.summary()), encoding="utf-8")
    except OSError as exc:
        log.warning("could not write the stall report %s: %s", path, exc)
