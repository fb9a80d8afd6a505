"""Edit-to-database latency while the search index is rebuilt (issue 13), against the same
edits with the index lane idle, in the same run.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_edits.py --size 100000 --edits 200

It builds a library of ``--size`` generated entries (the database only; no index), then runs the
window's lanes (:mod:`digestdesk.ui.tasks`) over it without a window: edits are submitted to the
edit lane every ``--interval`` ms, as a user triaging would (a status, a note, a tag, in turn),
and each one's latency is from its submission to its commit (the moment another connection can
see it). Two phases, same library, same process:

* **baseline**: the index lane idle (following the database, no build running);
* **during a rebuild**: the index lane building the whole index from scratch (a 100k build takes
  minutes here; it is cancelled once the edits are measured), plus its catch-ups.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.tasks import IndexLane, Task, WriterThread


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build_library(folder: Path, size: int) -> float:
    started = time.perf_counter()
    with Library.open(resolve_library(folder), repair_index=False) as library:
        # Numbered so that none merges with another as the same paper.
        drafts = [
            dataclasses.replace(
                d, user_state=None, arxiv_id=f"29{i // 100000:02d}.{i % 100000:05d}"
            )
            for i, d in enumerate(generate_entries(size, seed=1))
        ]
        for start in range(0, len(drafts), 20_000):
            library.import_parsed(
                ParseResult(format="digestdesk", entries=drafts[start : start + 20_000]),
                source=f"generated-{start}",
                index=False,
            )
    shutil.rmtree(resolve_library(folder).index_dir, ignore_errors=True)
    return time.perf_counter() - started


def measure_edits(
    library: Library, edits: WriterThread, ids: Sequence[int], interval_s: float, n: int
) -> list[float]:
    """Submit ``n`` edits, one every ``interval_s``; their submit-to-commit times in ms."""
    latencies: list[float] = []
    done = threading.Semaphore(0)

    def edit(k: int, entry_id: int) -> Callable[[Library, Task], None]:
        def run(lib: Library, _task: Task) -> None:
            if k % 3 == 0:
                lib.set_status([entry_id], "read" if k % 2 else "queued")
            elif k % 3 == 1:
                lib.set_note(entry_id, f"benchmark note {k}")
            else:
                lib.change_tags([entry_id], add=[f"bench-{k % 7}"])

        return run

    for k in range(n):
        entry_id = ids[(k * 7919) % len(ids)]
        submitted = time.perf_counter()
        run = edit(k, entry_id)

        def timed(lib: Library, task: Task, run: Callable[..., None] = run, t0: float = submitted):
            run(lib, task)
            latencies.append((time.perf_counter() - t0) * 1000)
            done.release()

        edits.submit("edit", timed)
        QCoreApplication.processEvents()
        time.sleep(interval_s)
    for _ in range(n):
        done.acquire(timeout=60)
    return latencies


def row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
        f"{percentile(values, 0.95):.1f} | {max(values):.1f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--interval", type=float, default=100.0, help="ms between edits")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the library here")
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="bench-edits-"))
    folder = args.keep or work / "library"
    build_s = 0.0
    if not (folder / "library.sqlite3").exists():
        build_s = build_library(folder, args.size)
    shutil.rmtree(resolve_library(folder).index_dir, ignore_errors=True)
    library = Library.open(resolve_library(folder), repair_index=False)
    ids = library.list_ids()
    edits = WriterThread(library, maintain_after_s=None, name="edits")
    lane = IndexLane(library, maintain_after_s=None)
    lane.follow()
    interval = args.interval / 1000
    try:
        measure_edits(library, edits, ids, interval, 15)  # warm-up: first statements compiled
        baseline = measure_edits(library, edits, ids, interval, args.edits)
        progress: list[int] = []
        build = lane.submit(
            "rebuild",
            lambda lib, task: lib.rebuild_index(
                progress=lambda done, _total: progress.append(done), cancelled=task.cancelled
            ),
        )
        while not progress:  # the build is under way (its first batch read)
            time.sleep(0.05)
        during = measure_edits(library, edits, ids, interval, args.edits)
        indexed_during = progress[-1] if progress else 0
        build.cancel()
    finally:
        edits.stop()
        lane.stop(60)
        library.close()
        app.processEvents()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"Edit-to-database latency, {time.strftime('%Y-%m-%d')}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores; {len(ids):,} entries"
        + (f" (built in {build_s:.0f} s)" if build_s else "")
        + f"; an edit every {args.interval:.0f} ms (status, note, tag in turn), ms from submission"
        f" to commit. The rebuild indexed {indexed_during:,} entries while the edits ran.\n"
    )
    print("| phase | edits | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    print(row("index lane idle (baseline)", baseline))
    print(row("index rebuilding", during))
    ratio = percentile(during, 0.95) / percentile(baseline, 0.95)
    print(f"\nRatio p95 rebuilding / idle: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
