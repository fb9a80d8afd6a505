"""Does retraining "For you" after triage stall the window? The GUI thread's heartbeat gaps
while the taste is retrained in the background, against the same window at rest, in the same
run (issue 15: "retraining in the background never stalls the window").

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_foryou_stalls.py --size 10000 --rounds 5

A library of ``--size`` generated entries (the demo's, which come triaged), the real window
offscreen with its lanes (what was alive before it showed frozen out of the garbage
collector's reach, as the app does). After everything settles (index, similarity model), a
heartbeat on the GUI thread (``ui/stall_watch.py``, every 5 ms) runs while the window rests
(baseline), then through ``--rounds`` rounds of triage: five papers' statuses changed as the
triage keys do, and For you recomputed (the similar lane retrains the taste and ranks the
newest digest). Reported: the gaps' p50/p95/max and the gaps over 50 ms, and how long each
retraining took. Another tree's code (before a change) runs with ``PYTHONPATH=TREE/desktop``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digestdesk.core.demo import demo_result  # noqa: E402
from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402
from digestdesk.ui.application import (  # noqa: E402
    freeze_startup_objects,
    make_application,
    wait_until,
    window_idle,
)
from digestdesk.ui.main_window import MainWindow  # noqa: E402
from digestdesk.ui.stall_watch import StallWatch  # noqa: E402


class Collections:
    """The garbage collector's pauses (it runs on the GUI thread in the app: ui/collector.py)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.where: list[str] = []
        self._started = 0.0
        gc.callbacks.append(self._heard)

    def _heard(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            took = (time.perf_counter() - self._started) * 1000
            self.pauses.append(took)
            if took > 20:
                self.where.append(
                    f"{threading.current_thread().name} gen{_info['generation']} {took:.0f} ms "
                    f"freed {_info.get('collected')}"
                )

    def take(self) -> str:
        long = [p for p in self.pauses if p > 20]
        self.pauses = []
        return f"{len(long)} over 20 ms" + (f", max {max(long):.0f} ms" if long else "")


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.001)


def gaps_row(name: str, gaps: list[float]) -> str:
    ordered = sorted(gaps)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * (len(ordered) - 1)))]
    over = sum(1 for g in gaps if g > 50)
    return (
        f"| {name} | {len(gaps)} | {statistics.median(gaps):.1f} | {p95:.1f} | "
        f"{max(gaps):.1f} | {over} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--hide-trends",
        action="store_true",
        help="hide the sidebar during the rounds (its trends are then not recomputed after "
        "each triage: what the retraining alone costs)",
    )
    args = parser.parse_args()
    app = make_application()
    work = Path(tempfile.mkdtemp(prefix="bench-foryou-"))
    try:
        library = Library.open(resolve_library(work / "library"))
        library.import_parsed(demo_result(args.size), source="demo", index=False)
        library.ensure_index()
        settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(library, settings, url_opener=lambda _u: None, show_dialogs=False)
        window.resize(1280, 800)
        freeze_startup_objects()  # what the app does before it shows the window
        window.show()
        sidebar = window.trend_sidebar
        window.trend_dock.show()
        wait_until(lambda: window_idle(window), 900)
        first = sidebar._for_you  # noqa: SLF001 - what the For-you section shows
        window.for_you.compute()
        wait_until(lambda: sidebar._for_you is not first and window_idle(window), 900)  # noqa: SLF001
        heading, picks, note = sidebar._for_you or ("", [], "")  # noqa: SLF001
        print(f"For you: {heading!r}, {len(picks)} picks {note!r}", file=sys.stderr)
        if args.hide_trends:
            window.trend_dock.hide()
        pump(2.0)
        collections = Collections()
        watch = StallWatch(app)
        watch.start()
        pump(5.0)
        resting = list(watch.gaps)
        pauses = {"rest": collections.take()}
        watch.gaps = type(watch.gaps)("d")
        ids = library.list_ids(status="unread")
        rng = random.Random(7)
        took: list[float] = []

        def rounds(retrain: bool) -> list[float]:
            watch.gaps = type(watch.gaps)("d")
            for _ in range(args.rounds):
                chosen = rng.sample(ids, 5)
                status = rng.choice(["read", "skipped"])
                window.edits.submit(
                    "triage", lambda lib, _t, c=chosen, s=status: lib.set_status(c, s)
                )
                pump(0.2)
                if retrain:
                    before = sidebar._for_you  # noqa: SLF001
                    started = time.perf_counter()
                    window.for_you.compute()
                    wait_until(lambda b=before: sidebar._for_you is not b, 900)  # noqa: SLF001
                    took.append(time.perf_counter() - started)
                else:
                    window.for_you._timer.stop()  # noqa: SLF001 - no retraining this time
                    pump(1.5)
                pump(0.5)
            return list(watch.gaps)

        triage_only = rounds(retrain=False)
        pauses["triage"] = collections.take()
        retraining = rounds(retrain=True)
        pauses["retraining"] = collections.take()
        watch.stop()
        window.close()
        library.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"GUI thread during For-you retraining, {time.strftime('%Y-%m-%d %H:%M')}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{args.size:,} generated entries (triaged as the demo's are), {args.rounds} rounds of "
        "5 status changes then a retrain; heartbeat every 5 ms, gaps in ms.\n"
    )
    print("| phase | beats | p50 | p95 | max | gaps > 50 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print(gaps_row("window at rest (baseline)", resting))
    print(gaps_row("triage, no retraining (baseline)", triage_only))
    print(gaps_row("triage, then retraining", retraining))
    print(f"\nGarbage collections (on the GUI thread): {pauses}")
    print(f"Where the long ones ran: {collections.where}; automatic: {gc.isenabled()}")
    print(
        f"\nRetraining and ranking the newest digest: median {statistics.median(took):.2f} s, "
        f"max {max(took):.2f} s ({len(took)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
