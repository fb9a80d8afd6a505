"""Reading the result rows after a search (issue 16: "reading the 20 result rows after a
search, <= 2 ms"). Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_rows.py --library /tmp/dd-bench-app/lib-100000

On an existing library (a bench_app.py one: 10k or 100k generated entries), for 20 random ids
at a time, CPU and wall ms, median and p95 of ``--runs`` (the first 10 dropped as warm-up):

* the list's rows (``rows``: title, date, votes, status, code, note, tags) and the reader's full
  records (``entries``), through the app's library (SQLAlchemy's engine, plain SQL) and the
  command line's reading library (the ``sqlite3`` module);
* the floor: one ``SELECT * FROM entries WHERE id IN (...)`` with ``sqlite3``, nothing else.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "desktop"))

from digestdesk.core.library import Library  # noqa: E402
from digestdesk.core.library.sqlite_reads import SqliteLibrary  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402


def _q(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def measure(fn: Callable[[list[int]], object], ids: list[int], runs: int) -> str:
    rng = random.Random(1)
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(runs + 10):
        sample = rng.sample(ids, 20)
        c0, w0 = time.process_time(), time.perf_counter()
        fn(sample)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    cpu, wall = cpu[10:], wall[10:]
    return (
        f"{statistics.median(cpu):.2f} / {_q(cpu, 0.95):.2f} | "
        f"{statistics.median(wall):.2f} / {_q(wall, 0.95):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--runs", type=int, default=100)
    options = parser.parse_args()
    paths = resolve_library(options.library, server=False)
    assert paths.sqlite_file is not None
    app = Library.open(paths, writer=False)
    cli = SqliteLibrary.open(paths)
    assert cli is not None
    ids = app.list_ids(sort="date")
    raw = sqlite3.connect(f"file:{paths.sqlite_file}?mode=ro", uri=True)

    def floor(sample: list[int]) -> object:
        marks = ",".join("?" * len(sample))
        return raw.execute(f"SELECT * FROM entries WHERE id IN ({marks})", sample).fetchall()

    print(f"# Reading 20 result rows ({len(ids):,} entries, load {os.getloadavg()[0]:.1f})\n")
    print("| read | CPU ms p50 / p95 | wall ms p50 / p95 |")
    print("|---|---:|---:|")
    for name, fn in (
        ("floor: `SELECT * ... WHERE id IN (20)` with sqlite3", floor),
        ("list rows, app library (SQLAlchemy engine, plain SQL)", app.rows),
        ("list rows, command line's library (sqlite3)", cli.rows),
        ("full records, app library", app.entries),
        ("full records, command line's library", cli.entries),
    ):
        print(f"| {name} | {measure(fn, ids, options.runs)} |")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
