"""Desktop app benchmark: launch, j/k, typing a query, a triage key, memory (numbers only).

Standalone script (offscreen Qt, a private ``XDG_RUNTIME_DIR``)::

    .venv/bin/python tests/benchmarks/bench_app.py --sizes 10000,100000 \\
        --workdir /tmp/dd-bench-app --out tests/benchmarks/results-app.md

Libraries of generated entries (:func:`digestdesk.core.demo.generate_entries`) are built once
under ``--workdir`` and reused: the entries go in through ``Library.import_parsed(...,
index=False)`` in chunks, then ``ensure_index()`` builds the Whoosh index (the slow part: about
150-200 entries/s on a 2-core machine, so build the 100k library once). ``--build-only`` stops
after building.

For each size, in the same run:

* **launch**: a new process from start to the first paint of the entry list with rows, beside a
  bare ``QApplication`` + ``QMainWindow`` process started the same way (the baseline);
* **j/k**: a key event sent with ``QTest`` to the list until the reader pane shows the new entry
  (events processed, the pane painted);
* **typing a query**: the time from the debounce firing to the results in the list (all rows
  painted; the first rows come earlier, the list paints a result a few rows a turn), the GUI
  thread's share of it (CPU time applying the result, and painting the list after the reset),
  and the worst event-loop stall while typing (a 1 ms ``QTimer`` heartbeat; its largest gap).
  Keys come 80 ms apart with a 170 ms pause between words, so a two-word query's first word
  is searched and its result comes back while the second is typed. The waits between keys run
  a real event loop (``QTest.qWait`` sleeps 10 ms at a time, a stall of its own);
* **triage key** (``r``: mark read and advance): the GUI-thread time of the key press;
* **memory**: RSS of the launched process with the library shown.

Machine noise matters (2 cores shared with other jobs): the table gives medians, p95 and the
same-run baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 5000


def _private_runtime_dir() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    runtime = tempfile.mkdtemp(prefix="dd-bench-xdg-")
    os.chmod(runtime, 0o700)
    os.environ["XDG_RUNTIME_DIR"] = runtime


def library_dir(workdir: Path, size: int) -> Path:
    return workdir / f"lib-{size}"


def build_library(workdir: Path, size: int) -> Path:
    """Fill ``workdir/lib-SIZE`` with ``size`` generated entries and an index, unless done."""
    from digestdesk.core.demo import generate_entries
    from digestdesk.core.drafts import ParseResult
    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library

    folder = library_dir(workdir, size)
    library = Library.open(resolve_library(folder), repair_index=False)
    try:
        have = library.counts()["total"]
        if have not in (0, size):
            raise SystemExit(f"{folder} holds {have} entries, not {size}")
        if have == 0:
            started = time.perf_counter()
            chunk: list = []
            for draft in generate_entries(size):
                chunk.append(draft)
                if len(chunk) == CHUNK:
                    library.import_parsed(
                        ParseResult(format="demo", entries=chunk), source="demo", index=False
                    )
                    chunk = []
            if chunk:
                library.import_parsed(
                    ParseResult(format="demo", entries=chunk), source="demo", index=False
                )
            _log(f"{size}: imported in {time.perf_counter() - started:.1f} s")
        if library.index_status() != "ok":
            started = time.perf_counter()
            last = [0.0]

            def progress(done: int, total: int) -> None:
                now = time.perf_counter()
                if now - last[0] > 30:
                    last[0] = now
                    _log(f"{size}: indexed {done}/{total}")

            library.ensure_index(progress=progress)
            _log(f"{size}: index built in {time.perf_counter() - started:.1f} s")
    finally:
        library.close()
    return folder


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_mb(kind: str = "VmRSS") -> float:
    """Resident memory: all of it (``VmRSS``), or the private part (``RssAnon``: what the
    process holds, where ``RssFile`` is mapped files' pages the kernel can drop and reread,
    such as the similarity model's arrays)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(kind + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values) if values else float("nan"),
        "p95": _percentile(values, 0.95),
        "max": max(values) if values else float("nan"),
        "n": len(values),
    }


# ---------------------------------------------------------------------- child: launch
# The launch children print one JSON line: seconds from the parent's clock reading just
# before it started the process to the first paint with rows, and the RSS then and a
# second later.


def child_launch(folder: str, started: float, config: str) -> int:
    """The real start-up path (``digestdesk.app.main``) with a paint probe on the list."""
    import json

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from digestdesk.ui import main_window

    result: dict[str, float] = {}
    original_init = main_window.MainWindow.__init__

    class PaintProbe(QObject):
        def __init__(self, window: main_window.MainWindow) -> None:
            super().__init__(window)
            self.window = window

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if (
                event.type() == QEvent.Type.Paint
                and "paint_s" not in result
                and self.window.model.rowCount() > 0
            ):
                result["paint_s"] = time.time() - started
                result["cpu_s"] = time.process_time()
                result["rows"] = self.window.model.rowCount()
                result["rss_paint_mb"] = _rss_mb()
                QTimer.singleShot(1000, self.settle)
            return False

        def settle(self) -> None:
            result["rss_settled_mb"] = _rss_mb()
            result["rss_anon_settled_mb"] = _rss_mb("RssAnon")
            print(json.dumps(result), flush=True)
            self.window.close()
            QApplication.instance().quit()

    def init(self: main_window.MainWindow, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        self._bench_probe = PaintProbe(self)
        self.view.viewport().installEventFilter(self._bench_probe)

    main_window.MainWindow.__init__ = init  # type: ignore[method-assign]
    from digestdesk.app import main as app_main

    return app_main(["--library", folder])


def child_bare(started: float) -> int:
    """The baseline: a bare QApplication and an empty QMainWindow to their first paint."""
    import json

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.resize(1280, 800)
    result: dict[str, float] = {}

    class PaintProbe(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and "paint_s" not in result:
                result["paint_s"] = time.time() - started
                result["cpu_s"] = time.process_time()
                result["rss_paint_mb"] = _rss_mb()
                QTimer.singleShot(0, app.quit)
            return False

    probe = PaintProbe()
    window.installEventFilter(probe)
    window.show()
    app.exec()
    print(json.dumps(result), flush=True)
    return 0


def run_child(args: list[str], env: dict[str, str]) -> dict[str, float]:
    import json
    import subprocess

    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, *args, "--started", repr(started)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child {args} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    if out.stderr.strip():
        _log(f"child {args[0]} stderr: {out.stderr.strip()[-500:]}")
    return dict(json.loads(lines[-1]))


def measure_launch(folder: Path, repeats: int) -> dict[str, dict[str, float]]:
    config = tempfile.mkdtemp(prefix="dd-bench-config-")
    env = dict(os.environ, XDG_CONFIG_HOME=config, PYTHONPATH=str(ROOT / "desktop"))
    app_runs: list[dict[str, float]] = []
    bare_runs: list[dict[str, float]] = []
    for i in range(repeats + 1):
        # Alternate so both see the same machine; the first pair warms the file cache.
        bare = run_child(["--child-bare"], env)
        app = run_child(["--child-launch", str(folder), "--config", config], env)
        if i:
            bare_runs.append(bare)
            app_runs.append(app)
    return {
        "launch_s": _stats([r["paint_s"] for r in app_runs]),
        "bare_s": _stats([r["paint_s"] for r in bare_runs]),
        "launch_cpu_s": _stats([r["cpu_s"] for r in app_runs]),
        "bare_cpu_s": _stats([r["cpu_s"] for r in bare_runs]),
        "rss_paint_mb": _stats([r["rss_paint_mb"] for r in app_runs]),
        "rss_settled_mb": _stats([r["rss_settled_mb"] for r in app_runs]),
        "rss_anon_settled_mb": _stats([r.get("rss_anon_settled_mb", 0.0) for r in app_runs]),
        "bare_rss_mb": _stats([r["rss_paint_mb"] for r in bare_runs]),
    }


# ---------------------------------------------------------------------- child: interaction


QUERIES = ("diffusion", "graph neural", "video generation", "reinforcement", "token pruning")
KEY_INTERVAL_MS = 80
WORD_PAUSE_MS = 170  # just past the debounce


def child_interact(folder: str, moves: int, repeats: int, config: str) -> int:
    """j/k, typing queries and triage keys in one window over ``folder``; prints JSON."""
    import json

    from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, Qt, QTimer
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library
    from digestdesk.ui import entry_view, tasks
    from digestdesk.ui.application import make_application, wait_until, window_idle

    try:  # an older tree measured for a before/after pair may not have it
        from digestdesk.ui.application import freeze_startup_objects
    except ImportError:
        freeze_startup_objects = None  # type: ignore[assignment]
    from digestdesk.ui.main_window import MainWindow

    # The GUI thread's share of a query: applying the search result (model reset, selection,
    # reader) and the list's paint after it, in GUI-thread CPU time.
    # A result dropped unapplied (the user typed again since its query was sent) is not
    # counted; every paint of the list counts for the longest one.
    applied: list[float] = []
    list_paints: list[float] = []
    all_paints: list[float] = []
    after_reset = [False]
    resets = [0]
    first_rows_painted = [0.0]  # the end of the list's first paint after the last reset
    list_painted = [0.0]  # the end of the list's last paint
    deliver = tasks.ReaderThread._deliver_result
    paint = entry_view.EntryView.paintEvent

    def timed_deliver(self: tasks.ReaderThread, kind: str, generation: int, result: object) -> None:
        cpu = time.thread_time()
        before = resets[0]
        deliver(self, kind, generation, result)
        if kind == "search" and resets[0] != before:
            applied.append((time.thread_time() - cpu) * 1000)

    def timed_paint(self: entry_view.EntryView, event: QPaintEvent) -> None:
        cpu = time.thread_time()
        paint(self, event)
        spent = (time.thread_time() - cpu) * 1000
        list_painted[0] = time.perf_counter()
        all_paints.append(spent)
        if after_reset[0]:
            after_reset[0] = False
            list_paints.append(spent)
            first_rows_painted[0] = list_painted[0]

    def model_reset() -> None:
        resets[0] += 1
        after_reset[0] = True

    tasks.ReaderThread._deliver_result = timed_deliver  # type: ignore[method-assign]
    entry_view.EntryView.paintEvent = timed_paint  # type: ignore[method-assign]

    app = make_application()
    library = Library.open(resolve_library(folder), writer=True, repair_index=False)
    settings = QSettings(str(Path(config) / "bench.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        library,
        settings,
        url_opener=lambda _url: None,
        confirm_bulk=lambda _question: True,
        show_dialogs=False,
    )
    window.model.modelReset.connect(model_reset)
    window.resize(1280, 800)
    if freeze_startup_objects is not None:  # what run_app does before showing the window
        freeze_startup_objects()
    window.show()
    window.activateWindow()
    idle = lambda: window_idle(window)  # noqa: E731
    wait_until(lambda: window.model.rowCount() > 0 and idle(), 300)

    class PaintClock(QObject):
        """The time of the last paint of a widget."""

        def __init__(self, widget: QObject) -> None:
            super().__init__(widget)
            self.last = 0.0
            widget.installEventFilter(self)

        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.last = time.perf_counter()
            return False

    reader_paint = PaintClock(window.abstract.viewport())
    list_paint = PaintClock(window.view.viewport())

    def settle(ms: int = 0) -> None:
        wait_until(idle, 60)
        if ms:
            QTest.qWait(ms)

    # Waiting blocks in the event loop (no busy polling, which would compete with the work
    # measured and count as GUI-thread CPU); a 2 ms tick bounds each wait.
    tick = QTimer()
    tick.setInterval(2)
    tick.start()

    def pause(ms: int) -> None:
        """Let the event loop run for ``ms`` as the app's own loop would. ``QTest.qWait``
        sleeps in 10 ms slices between its event rounds: under it a 1 ms heartbeat shows
        11-16 ms gaps in a bare QApplication, a stall of the harness, not of the app."""
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def until(predicate: object, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while not predicate():  # type: ignore[operator]
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if time.perf_counter() > end:
                raise SystemExit("timed out waiting for the window")

    # ---- j/k: key to the reader pane painted with the new entry
    gui_cpu: list[float] = []  # GUI-thread CPU time of the last move, ms

    def move(key: Qt.Key, step: int) -> tuple[float, float]:
        row = window.view.currentIndex().row()
        target = window.model.id_at(row + step)
        cpu = time.thread_time()
        started = time.perf_counter()
        QTest.keyClick(window.view, key)
        handled = time.perf_counter()
        until(lambda: window.abstract.current_id() == target and reader_paint.last > handled)
        gui_cpu.append((time.thread_time() - cpu) * 1000)
        return (time.perf_counter() - started) * 1000, (handled - started) * 1000

    _log(f"interaction: window ready, {window.model.rowCount()} rows; j/k")
    window.focus_list()
    window.view.move_to(0)
    settle(100)
    paced: list[float] = []
    paced_key: list[float] = []
    for i in range(moves):
        key, step = (Qt.Key.Key_J, 1) if i % 4 != 3 else (Qt.Key.Key_K, -1)
        total, handled = move(key, step)
        paced.append(total)
        paced_key.append(handled)
        QTest.qWait(60)  # a fast reader: about 15 entries a second
    paced_cpu = list(gui_cpu)
    held: list[float] = []
    for _ in range(moves // 2):
        held.append(move(Qt.Key.Key_J, 1)[0])  # a held key: no pause at all
    settle(100)

    _log("interaction: typing queries")
    # ---- typing a query: debounce fired -> results painted; event-loop stalls while typing
    fired = [0.0]
    fired_cpu = [0.0]
    reset = [0.0]

    def debounce_fired(_text: str) -> None:
        fired[0] = time.perf_counter()
        fired_cpu[0] = time.process_time()

    window.search_bar.query_changed.connect(debounce_fired)
    query_cpu: list[float] = []
    window.model.modelReset.connect(lambda: reset.__setitem__(0, time.perf_counter()))
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(1)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    # The same heartbeat with nothing to do: what the machine's load alone costs.
    idle_stalls: list[float] = []
    for _ in range(3):
        beats.clear()
        heartbeat.start()
        pause(1000)
        heartbeat.stop()
        idle_stalls.append(max((b - a) * 1000 for a, b in zip(beats, beats[1:], strict=False)))
    # Python's cyclic collections while typing (they run on the GUI thread's timer).
    import gc

    gc_pauses: list[float] = []
    gc_started = [0.0]

    def gc_clock(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(gc_clock)
    applied.clear()
    list_paints.clear()
    all_paints.clear()
    to_results: list[float] = []
    to_first_rows: list[float] = []  # the list paints a new result a few rows per turn
    stalls: list[float] = []
    keystrokes: list[float] = []
    matches: dict[str, int] = {}
    for _ in range(repeats):
        for query in QUERIES:
            window.search.leave_search()
            settle(50)
            window.search.focus_search()
            beats.clear()
            heartbeat.start()
            for char in query:
                started = time.perf_counter()
                QTest.keyClick(window.search_bar.edit, char)
                keystrokes.append((time.perf_counter() - started) * 1000)
                # A quick typist (80 ms a key, under the 150 ms debounce) who pauses a little
                # between words: the first word's query fires, and its result comes back
                # while the next word is typed.
                pause(WORD_PAUSE_MS if char == " " else KEY_INTERVAL_MS)
            until(
                lambda q=query: (
                    fired[0] > 0  # noqa: B023
                    and window.search.query.text == q
                    and reset[0] > fired[0]
                    and list_paint.last > reset[0]
                    and idle()
                )
            )
            to_results.append((list_painted[0] - fired[0]) * 1000)
            to_first_rows.append((first_rows_painted[0] - fired[0]) * 1000)
            query_cpu.append((time.process_time() - fired_cpu[0]) * 1000)
            pause(50)
            heartbeat.stop()
            gaps = [(b - a) * 1000 for a, b in zip(beats, beats[1:], strict=False)]
            stalls.append(max(gaps) if gaps else float("nan"))
            matches[query] = window.model.rowCount()
            fired[0] = 0.0
    gc.callbacks.remove(gc_clock)
    query_applied, query_list_paint = list(applied), list(list_paints)
    longest_paint = max(all_paints, default=float("nan"))
    window.search.leave_search()
    settle(100)

    _log("interaction: triage")
    # ---- triage: `r` marks read and moves on; the write runs on the writer thread
    delivered: list[float] = []
    original_apply = window.hub.publish

    def timed_apply(changes: object) -> None:
        started = time.perf_counter()
        original_apply(changes)  # type: ignore[arg-type]
        delivered.append((time.perf_counter() - started) * 1000)

    window.hub.publish = timed_apply  # type: ignore[method-assign]
    window.focus_list()
    window.view.move_to(0)
    settle(100)
    gui_cpu.clear()
    triaged: list[int] = []
    triage_key: list[float] = []
    triage_paint: list[float] = []
    for _ in range(moves // 2):
        triaged.append(int(window.view.current_id() or 0))
        total, handled = move(Qt.Key.Key_R, 1)
        triage_key.append(handled)
        triage_paint.append(total)
        settle(60)
    window.hub.publish = original_apply  # type: ignore[method-assign]
    rss = _rss_mb()

    window.close()
    # Leave the library as it was for the next run (and its index in step).
    library.set_status(triaged, "unread", record_undo=False)
    library.ensure_index()
    library.close()
    print(
        json.dumps(
            {
                "jk_paced": _stats(paced),
                "jk_paced_key": _stats(paced_key),
                "jk_paced_cpu": _stats(paced_cpu),
                "triage_cpu": _stats(list(gui_cpu)),
                "jk_held": _stats(held),
                "query": _stats(to_results),
                "query_first_rows": _stats(to_first_rows),
                "query_cpu": _stats(query_cpu),
                "query_applied": _stats(query_applied),
                "query_list_paint": _stats(query_list_paint),
                "stall": _stats(stalls),
                "idle_stall": _stats(idle_stalls),
                "gc_pause": _stats(gc_pauses),
                "longest_list_paint": longest_paint,
                "keystroke": _stats(keystrokes),
                "triage_key": _stats(triage_key),
                "triage_paint": _stats(triage_paint),
                "triage_delivered": _stats(delivered),
                "rss_after_mb": rss,
                "matches": matches,
            }
        ),
        flush=True,
    )
    del app
    return 0


# ---------------------------------------------------------------------- report


def _ms(s: dict[str, float]) -> str:
    return f"{s['median']:.1f} / {s['p95']:.1f}"


def report(size: int, launch: dict, interact: dict) -> list[str]:
    n = f"{size // 1000}k"
    rows = [
        (
            f"Launch to first paint with rows ({n})",
            f"{launch['launch_s']['median']:.2f} s / {launch['launch_s']['p95']:.2f} s",
            f"bare QApplication+QMainWindow {launch['bare_s']['median']:.2f} s "
            f"(ratio {launch['launch_s']['median'] / launch['bare_s']['median']:.1f}x); "
            f"process CPU {launch['launch_cpu_s']['median']:.2f} s vs bare "
            f"{launch['bare_cpu_s']['median']:.2f} s",
            "≤ 1.5 s",
        ),
        (
            f"j/k to abstract painted, reading pace ({n})",
            _ms(interact["jk_paced"]) + " ms",
            f"key handling alone {_ms(interact['jk_paced_key'])} ms; GUI-thread CPU "
            f"{_ms(interact['jk_paced_cpu'])} ms",
            "p95 ≤ 16 ms",
        ),
        (
            f"j held down, no pause ({n})",
            _ms(interact["jk_held"]) + " ms",
            "neighbours not read ahead yet",
            "(info)",
        ),
        (
            f"Query: debounce fired to results painted ({n})",
            _ms(interact["query"]) + " ms",
            f"{interact['query']['n']} queries; first rows painted "
            f"{_ms(interact['query_first_rows'])} ms; process CPU (reader + GUI) "
            f"{_ms(interact['query_cpu'])} ms; GUI share: result applied "
            f"{_ms(interact['query_applied'])} ms + list painted "
            f"{_ms(interact['query_list_paint'])} ms (GUI-thread CPU; "
            f"{interact['query_applied']['n']} results applied, longest list paint while "
            f"typing {interact['longest_list_paint']:.1f} ms)",
            "p95 ≤ 150 ms (10k) / 400 ms (100k)",
        ),
        (
            f"Worst event-loop stall while typing ({n})",
            _ms(interact["stall"]) + " ms",
            f"idle window, same heartbeat: {_ms(interact['idle_stall'])} ms; keystroke "
            f"handling {_ms(interact['keystroke'])} ms; {interact['gc_pause']['n']} garbage "
            f"collections, longest {interact['gc_pause']['max']:.1f} ms",
            "≤ 16 ms",
        ),
        (
            f"Triage key `r`, GUI thread ({n})",
            _ms(interact["triage_key"]) + " ms",
            f"GUI-thread CPU to next abstract painted {_ms(interact['triage_cpu'])} ms; "
            f"wall {_ms(interact['triage_paint'])} ms; "
            f"write result applied {_ms(interact['triage_delivered'])} ms",
            "p95 ≤ 16 ms",
        ),
        (
            f"RSS with the library shown ({n})",
            f"{launch['rss_settled_mb']['median']:.0f} MB",
            f"after the interaction run {interact['rss_after_mb']:.0f} MB; bare "
            f"{launch['bare_rss_mb']['median']:.0f} MB",
            "≤ 300 MB (100k) / 200 MB (10k)",
        ),
    ]
    return [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--workdir", default="/tmp/dd-bench-app")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--launches", type=int, default=5, help="launch pairs per size")
    parser.add_argument("--moves", type=int, default=80, help="j/k presses per size")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the query list")
    parser.add_argument("--out", type=Path)
    # child modes (internal)
    parser.add_argument("--child-launch", metavar="DIR")
    parser.add_argument("--child-bare", action="store_true")
    parser.add_argument("--child-interact", metavar="DIR")
    parser.add_argument("--started", type=float)
    parser.add_argument("--config", default="")
    options = parser.parse_args(argv)
    if options.child_bare:
        return child_bare(options.started)
    if options.child_launch:
        return child_launch(options.child_launch, options.started, options.config)
    if options.child_interact:
        return child_interact(
            options.child_interact, options.moves, options.repeats, options.config
        )

    _private_runtime_dir()
    # An installed app starts from compiled modules; a source tree just edited (or run with
    # PYTHONDONTWRITEBYTECODE) would compile them at every launch measured.
    import compileall

    compileall.compile_dir(str(ROOT / "desktop" / "digestdesk"), quiet=1)
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in options.sizes.split(",") if s]
    for size in sizes:
        build_library(workdir, size)
    if options.build_only:
        return 0
    config = tempfile.mkdtemp(prefix="dd-bench-config-")
    env = dict(os.environ, XDG_CONFIG_HOME=config, PYTHONPATH=str(ROOT / "desktop"))
    lines = [
        f"Desktop app benchmark, {time.strftime('%Y-%m-%d %H:%M')}, Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start, QT_QPA_PLATFORM="
        f"{os.environ.get('QT_QPA_PLATFORM')}.",
        "",
        "Times are median / p95 over the runs. Launches: "
        f"{options.launches} pairs (app, bare) per size; j/k: {options.moves} presses; "
        f"queries: {options.repeats} x {len(QUERIES)}.",
        "",
        "| Measure | Median / p95 | Same-run baseline and detail | Budget |",
        "|---|---|---|---|",
    ]
    for size in sizes:
        folder = library_dir(workdir, size)
        _log(f"{size}: launches")
        launch = measure_launch(folder, options.launches)
        _log(f"{size}: interaction")
        interact = run_child(
            [
                "--child-interact",
                str(folder),
                "--config",
                config,
                "--moves",
                str(options.moves),
                "--repeats",
                str(options.repeats),
            ],
            env,
        )
        lines.extend(report(size, launch, interact))
        _log("\n".join(report(size, launch, interact)))
        _log(f"{size}: matches {interact['matches']}")
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if options.out:
        options.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
