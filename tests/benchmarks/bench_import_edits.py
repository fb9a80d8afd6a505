"""Edit-to-database latency while imports run, against the same edits with nothing else
running, in the same run; and each import's write transaction (issue 13, item C).

Standalone script (numbers, not assertions)::

    PYTHONPATH=desktop .venv/bin/python tests/benchmarks/bench_import_edits.py --size 8000
    PYTHONPATH=/tmp/old-tree/desktop .venv/bin/python tests/benchmarks/bench_import_edits.py

The code measured is the ``digestdesk`` on ``PYTHONPATH`` (so an older tree gives a same-day
before/after). A library of ``--size`` generated entries; then the window's edit and job lanes
(:mod:`digestdesk.ui.tasks`) without a window, the index left behind (as the window leaves it
to its index lane): an edit every ``--interval`` ms on the edit lane
(a status, a note, a tag in turn), from its submission to its commit. Two phases:

* **baseline**: nothing else running;
* **during imports**: the job lane imports ``--import-size`` new papers, then the same papers
  again with other counts (every one merged), back to back, until the edits are measured; as
  files, on the job lane's thread and (``--modes thread,child``, in one run) in the app's
  import child process (:mod:`digestdesk.core.library.import_worker`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication

sys.path.append(str(Path(__file__).resolve().parents[2]))  # tests.core.factories

from tests.core import factories  # noqa: E402

from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402
from digestdesk.ui.tasks import Task, WriterThread  # noqa: E402


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure_edits(
    edits: WriterThread, ids: Sequence[int], interval_s: float, n: int
) -> list[float]:
    """Submit ``n`` edits, one every ``interval_s``; their submit-to-commit times in ms."""
    latencies: list[float] = []
    done = threading.Semaphore(0)
    for k in range(n):
        entry_id = ids[(k * 7919) % len(ids)]

        def run(lib: Library, _task: Task, k: int = k, e: int = entry_id) -> None:
            if k % 3 == 0:
                lib.set_status([e], "read" if k % 2 else "queued")
            elif k % 3 == 1:
                lib.set_note(e, f"benchmark note {k}")
            else:
                lib.change_tags([e], add=[f"bench-{k % 7}"])

        submitted = time.perf_counter()

        def timed(lib: Library, task: Task, run: Callable[..., None] = run, t0: float = submitted):
            run(lib, task)
            latencies.append((time.perf_counter() - t0) * 1000)
            done.release()

        edits.submit("edit", timed)
        QCoreApplication.processEvents()
        time.sleep(interval_s)
    for _ in range(n):
        done.acquire(timeout=120)
    return latencies


def row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
        f"{percentile(values, 0.95):.1f} | {max(values):.1f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=8000)
    parser.add_argument("--import-size", type=int, default=8000)
    parser.add_argument("--edits", type=int, default=150)
    parser.add_argument("--interval", type=float, default=50.0, help="ms between edits")
    parser.add_argument(
        "--modes", default="thread", help="where the imports run: thread, child or both"
    )
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="bench-import-edits-"))
    library = Library.open(resolve_library(work / "library"))
    library.import_bytes(factories.api_day(args.size, day="2025-11-01"), name="base.json")
    ids = library.list_ids()
    # As in the window: writes leave the index to its own lane (not run here: the index is
    # not what is measured), so an edit is its transaction alone.
    library.follow_index_in_background(lambda: None)
    edits = WriterThread(library, maintain_after_s=None, name="edits")
    jobs = WriterThread(library, maintain_after_s=None, name="jobs")
    interval = args.interval / 1000
    files = []
    for v in (1, 2):
        path = work / f"day-{v}.json"
        path.write_bytes(
            factories.api_day(args.import_size, day="2025-12-01", start=100_000, upvotes=v)
        )
        files.append(path)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    transactions: list[float] = []
    imports = 0
    stop = threading.Event()
    during: dict[str, list[float]] = {}
    loop_done = threading.Event()
    real_writing = library._database.writing

    @contextlib.contextmanager
    def writing() -> Iterator[object]:
        started = time.perf_counter()
        with real_writing() as conn:
            yield conn
        if threading.get_ident() == jobs_ident:
            transactions.append((time.perf_counter() - started) * 1000)

    jobs_ident = -1

    def import_loop(lib: Library, _task: Task) -> None:
        nonlocal imports, jobs_ident
        jobs_ident = threading.get_ident()
        try:
            while not stop.is_set():
                lib.import_file(files[imports % 2], index=False)
                imports += 1
        finally:
            loop_done.set()

    try:
        measure_edits(edits, ids, interval, 15)  # warm-up: first statements compiled
        baseline = measure_edits(edits, ids, interval, args.edits)
        library._database.writing = writing  # type: ignore[method-assign]
        for mode in modes:
            library.import_large_files_in_child(0 if mode == "child" else None)
            stop.clear()
            loop_done.clear()
            jobs.submit("imports", import_loop)
            time.sleep(0.5)
            during[mode] = measure_edits(edits, ids, interval, args.edits)
            stop.set()
            while not loop_done.wait(0.05):
                app.processEvents()
    finally:
        edits.stop()
        jobs.stop()
        library.close()
        app.processEvents()
        shutil.rmtree(work, ignore_errors=True)
    import digestdesk

    print(
        f"Edit-to-database latency during imports, {time.strftime('%Y-%m-%d %H:%M')}, code "
        f"{Path(digestdesk.__file__).parents[2]}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.size:,} entries, "
        f"imports of {args.import_size:,} papers (new, then all merged), {imports} ran; an edit "
        f"every {args.interval:.0f} ms, ms from submission to commit.\n"
    )
    print("| phase | edits | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    print(row("nothing else running (baseline)", baseline))
    for mode, values in during.items():
        where = "in a child process" if mode == "child" else "here"
        print(row(f"imports running ({where})", values))
    for mode, values in during.items():
        ratio = percentile(values, 0.95) / percentile(baseline, 0.95)
        print(f"\nRatio p95 imports ({mode}) / baseline: {ratio:.2f}")
    if transactions:
        print(
            f"Import write transactions here: median {statistics.median(transactions):.0f} ms, "
            f"max {max(transactions):.0f} ms ({len(transactions)}; a child's are not seen)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
