"""What guarding the database costs (issue 14, items 5 and 6): a writer's ``quick_check`` at
open, against opening without it in the same run, and ``recover`` on a damaged library.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_dbsafe.py --entries 10000 --runs 15

It builds a library of generated entries in a temporary folder, then opens its engine
``--runs`` times each way, interleaved (so background load hits both alike): ``open_engine``
with ``check_structure=True`` (what a writer does: the CLI's writing commands, the app) and
without (a reader; the baseline). Then it writes garbage over 6 pages of a copy and times
``recover`` (``--method python``) on it, index build included.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT)]

from tests.core import factories  # noqa: E402

from digestdesk.core import recovery  # noqa: E402
from digestdesk.core.library import Library  # noqa: E402
from digestdesk.core.store import open_engine  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dbsafe-"))
    try:
        folder = work / "library"
        paths = resolve_library(folder)
        with Library.open(paths) as library:
            library.import_bytes(factories.api_day(options.entries, day="2025-11-20"))
        size = (folder / "library.sqlite3").stat().st_size
        timings: dict[str, list[float]] = {"reader open (baseline)": [], "writer open": []}
        for _ in range(options.runs):
            for name, check in (("reader open (baseline)", False), ("writer open", True)):
                started = time.perf_counter()
                engine = open_engine(paths, check_structure=check)
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1").scalar()
                timings[name].append((time.perf_counter() - started) * 1e3)
                engine.dispose()
        base = statistics.median(timings["reader open (baseline)"])
        print(f"library: {options.entries} entries, {size / 1e6:.1f} MB, {options.runs} runs")
        print("| open | median ms | p95 ms | ratio to baseline |")
        print("|---|---|---|---|")
        for name, values in timings.items():
            median = statistics.median(values)
            print(f"| {name} | {median:.1f} | {p95(values):.1f} | {median / base:.2f} |")
        damaged = work / "damaged"
        shutil.copytree(folder, damaged)
        data = bytearray((damaged / "library.sqlite3").read_bytes())
        rnd = random.Random(5)
        for page in rnd.sample(range(2, len(data) // 4096), 6):
            data[page * 4096 : (page + 1) * 4096] = rnd.randbytes(4096)
        (damaged / "library.sqlite3").write_bytes(bytes(data))
        started = time.perf_counter()
        report = recovery.recover(resolve_library(damaged), work / "out", method="python")
        elapsed = time.perf_counter() - started
        entries = report.table("entries")
        print(
            f"recover (python, 6 garbage pages): {elapsed:.1f} s, entries {entries.recovered} "
            f"recovered, {entries.unreadable_rowids} unreadable rowids"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
