"""Key-to-database latency in the real window (Xvfb, real key events) while the search index
is rebuilt and while a bulk import runs, against the same keys with the index idle, in the same
run; and how long the app takes to exit after SIGTERM in each case (issue 13).

Standalone script (numbers, not assertions; needs Xvfb, xdotool and ../shared/samples)::

    .venv/bin/python tests/benchmarks/bench_window_edits.py --keys 40
    .venv/bin/python tests/benchmarks/bench_window_edits.py --before /tmp/old-tree

The library is the shared samples topped up to ``--size`` generated entries, as in
``tests/ui/test_durable_edits.py``. Each phase starts the app afresh on its own copy:

* **idle** (baseline): the index and the similarity model built, nothing running;
* **rebuild**: the index deleted, so the app rebuilds it in the background;
* **import**: indexed, and a ``--bulk``-entry file handed over at start (its import runs).

After a second for the first query, ``r`` (mark read) is pressed ``--keys`` times, each on the
next entry (``j``): the latency is from just before xdotool sends the key to the moment another
connection sees the status in the database (polled every 3 ms); a key not stored within 3 s
while the import runs is waited for (up to a minute), one not stored after the import ended
ends the phase (the import's summary dialog took the focus). Then
SIGTERM, and the time to exit. Whether the rebuild or the import was still running at SIGTERM
is read from the outcome (the index still missing; the import's entries absent). ``--before
DIR`` runs the same phases with the app's code from another source tree (DIR/desktop),
alternating, for a same-run before/after.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT)]

from tests.core import factories  # noqa: E402
from tests.ui.real_display import real_display, wait_for  # noqa: E402

from digestdesk.core.demo import generate_entries  # noqa: E402
from digestdesk.core.drafts import ParseResult  # noqa: E402
from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples" / "hf-daily-api"
PHASES = ("idle", "rebuild", "import")
#: A key not stored after this long was not taken by the list (a dialog had the focus).
MISSED_S = 3.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build_library(folder: Path, size: int) -> None:
    """The shared samples topped up to ``size`` entries, indexed, similarity model built."""
    with Library.open(resolve_library(folder), repair_index=False) as library:
        for path in sorted(SAMPLES.glob("*.json")):
            library.import_file(path, index=False)
        missing = size - library.counts()["total"]
        drafts = [
            dataclasses.replace(
                d, user_state=None, arxiv_id=f"2999.{i:05d}", title=f"{d.title} {i}"
            )
            for i, d in enumerate(generate_entries(missing, seed=13))
        ]
        library.import_parsed(
            ParseResult(format="digestdesk", entries=drafts), source="generated", index=False
        )
        library.ensure_index()
        library.similarity.model()


@dataclasses.dataclass
class Outcome:
    phase: str
    code: str
    latencies_ms: list[float]
    exit_s: float
    returncode: int | None
    still_running: bool | None  # the rebuild or import was still running at SIGTERM
    stalls: dict[str, float] | None  # the GUI thread's heartbeat gaps (ui/stall_watch.py)


def run_phase(
    work: Path, base: Path, phase: str, code: str, source: Path, keys: int, bulk: int
) -> Outcome:
    run = work / f"{phase}-{code}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copytree(base, run / "library")
    paths = resolve_library(run / "library")
    extra: list[Path] = []
    if phase == "rebuild":
        shutil.rmtree(paths.index_dir)
    elif phase == "import":
        big = run / "2025-12-01.json"
        big.write_bytes(factories.api_day(bulk, day="2025-12-01", start=50_000))
        extra.append(big)
    with Library.open(paths, writer=False) as library:
        total_before = library.counts()["total"]
    engine = create_engine(paths.database_url)

    def read_count() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM entries WHERE status = 'read'")
                ).scalar_one()
            )

    def imported() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())

    latencies: list[float] = []
    with real_display(run) as screen:
        screen.env["PYTHONPATH"] = str(source / "desktop")
        screen.env["DIGESTDESK_STALL_REPORT"] = str(run / "stalls.json")  # newer code only
        app = screen.start_app(run / "library", *extra)
        try:
            time.sleep(1.0)  # the first query lands
            for _ in range(keys):
                before = read_count()
                pressed = time.perf_counter()
                screen.xdo("key", "r")
                stored = wait_for(lambda b=before: read_count() > b, MISSED_S, 0.003)
                if not stored and phase == "import" and imported() == total_before:
                    # The import is still running: the key waits for it (it counts as slow).
                    stored = wait_for(lambda b=before: read_count() > b, 60, 0.003)
                if not stored:
                    break  # a dialog took the keys (the import's summary): the phase is over
                latencies.append((time.perf_counter() - pressed) * 1000)
                screen.xdo("key", "j")
                time.sleep(0.15)
            app.send_signal(signal.SIGTERM)
            sent = time.perf_counter()
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
            exit_s = time.perf_counter() - sent
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    engine.dispose()
    still: bool | None = None
    with Library.open(paths, writer=False) as library:
        if phase == "rebuild":
            still = library.index_status() == "rebuild"
        elif phase == "import":
            still = library.counts()["total"] == total_before
    report = run / "stalls.json"
    stalls = json.loads(report.read_text()) if report.exists() else None
    return Outcome(phase, code, latencies, exit_s, app.returncode, still, stalls)


def xdotool_overhead(work: Path) -> float:
    """Median ms of one xdotool call that sends nothing (part of every latency above)."""
    with real_display(work) as screen:
        times = []
        for _ in range(20):
            started = time.perf_counter()
            screen.xdo("getmouselocation")
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--keys", type=int, default=40, help="status keys per phase")
    parser.add_argument("--bulk", type=int, default=50_000, help="entries in the imported file")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--before", type=Path, help="a source tree to compare with (its desktop/)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the library here")
    args = parser.parse_args(argv)
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        print("needs Xvfb and xdotool")
        return 2
    if not SAMPLES.is_dir():
        print(f"needs the shared samples ({SAMPLES})")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-window-edits-"))
    base = args.keep or work / "base"
    if not (base / "library.sqlite3").exists():
        build_library(base, args.size)
    codes = [("now", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    outcomes: list[Outcome] = []
    try:
        overhead = xdotool_overhead(work / "xdotool")
        for _ in range(args.rounds):
            for phase in args.phases.split(","):
                for code, source in codes:
                    outcomes.append(
                        run_phase(work, base, phase, code, source, args.keys, args.bulk)
                    )
                    print(".", end="", flush=True, file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nKey-to-database latency in the real window, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load {load:.1f} at the "
        f"end; {args.size:,} entries, {args.keys} status keys per phase, {args.rounds} "
        f"round(s); an xdotool call alone {overhead:.1f} ms (included).\n"
    )
    print(
        "| phase | code | keys stored | p50 ms | p95 ms | max ms | p95 / idle "
        "| exit after SIGTERM s | still running then | GUI thread's worst gap ms (gaps > 50 ms) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    idle_p95: dict[str, float] = {}
    for phase in args.phases.split(","):
        for code, _ in codes:
            mine = [o for o in outcomes if o.phase == phase and o.code == code]
            values = [v for o in mine for v in o.latencies_ms]
            if not values:
                continue
            p95 = percentile(values, 0.95)
            if phase == "idle":
                idle_p95[code] = p95
            ratio = f"{p95 / idle_p95[code]:.1f}" if code in idle_p95 else ""
            exits = ", ".join(
                f"{o.exit_s:.2f}" + ("" if o.returncode == 0 else f" (exit {o.returncode})")
                for o in mine
            )
            still = ", ".join(
                "" if o.still_running is None else "yes" if o.still_running else "no" for o in mine
            )
            gaps = ", ".join(
                f"{o.stalls['worst_ms']:.0f} ({o.stalls['over_50_ms']})"
                for o in mine
                if o.stalls and "worst_ms" in o.stalls
            )
            print(
                f"| {phase} | {code} | {len(values)} of {args.keys * len(mine)} | "
                f"{statistics.median(values):.1f} | {p95:.1f} | {max(values):.1f} | {ratio} | "
                f"{exits} | {still} | {gaps} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
