"""Trends and related-papers benchmark (numbers, not assertions).

Standalone script::

    .venv/bin/python tests/benchmarks/bench_trends.py --size 100000 --related-size 10000

Builds a library of ``--size`` generated entries (:func:`digestdesk.core.demo.generate_entries`)
without a search index (trends do not need one; with ``--index`` it has one, and topic counts
are read from it), one digest per generated digest day so "by
digest date" has data, then times :meth:`Trends.report` for every window, by published and by
digest date: the first (cold) computation, a cached repeat, and a computation restricted to a
search's ids (every other entry). Then, on a library of ``--related-size`` entries with an index,
times :meth:`Library.related` (Whoosh more-like-this) for random entries: p50 / p95.

``--keep DIR`` keeps (and reuses) the built libraries under DIR.
"""

from __future__ import annotations

import argparse
import logging
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from digestdesk.core.demo import END_DATE, generate_entries
from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.core.trends import WINDOWS, Trends
from digestdesk.paths import resolve_library


def build(library_dir: Path, size: int, *, index: bool) -> Library:
    """Open ``library_dir``; fill it with ``size`` entries unless it holds them already."""
    library = Library.open(resolve_library(library_dir), repair_index=False)
    have = library.counts()["total"]
    if have == size:
        if index:
            library.ensure_index()
        return library
    if have:
        raise SystemExit(f"{library_dir} holds {have} entries, not {size}")
    started = time.perf_counter()
    drafts = list(generate_entries(size))
    library.import_parsed(ParseResult(format="demo", entries=drafts), source="demo", index=False)
    _one_digest_per_day(library, drafts)
    print(f"built {size} entries in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if index:
        started = time.perf_counter()
        library.rebuild_index()
        print(f"indexed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return library


def _one_digest_per_day(library: Library, drafts: list[EntryDraft]) -> None:
    """Give "by digest date" realistic data: one digest per generated digest day.

    One import is much faster than a thousand; this spreads its entries over day digests
    afterwards, directly in SQL (benchmark set-up only: the app never does this).
    """
    from sqlalchemy import delete, insert, select

    from digestdesk.core import schema
    from digestdesk.core.library import utcnow

    by_arxiv = {d.arxiv_id: d.digest_date for d in drafts}
    now = utcnow()
    with library.engine.begin() as conn:
        ids = dict(conn.execute(select(schema.entries.c.arxiv_id, schema.entries.c.id)).all())
        days = sorted({day for day in by_arxiv.values() if day is not None})
        digest_of: dict[date, int] = {}
        for day in days:
            digest_of[day] = conn.execute(
                insert(schema.digests).returning(schema.digests.c.id),
                {"source_kind": "demo", "digest_date": day, "imported_at": now, "counts": {}},
            ).scalar_one()
        conn.execute(delete(schema.digest_entries))
        conn.execute(
            insert(schema.digest_entries),
            [
                {"digest_id": digest_of[day], "entry_id": ids[arxiv_id]}
                for arxiv_id, day in by_arxiv.items()
                if day is not None and arxiv_id in ids
            ],
        )


def _machine_note() -> str:
    """CPU count, load and a reference timing, to compare figures across machines."""
    import json
    import os
    import timeit

    per_loads = timeit.timeit(lambda: json.loads('["a b", "c d e", "f"]'), number=20000) / 20000
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, load average {load}; "
        f"json.loads of a 3-item list: {per_loads * 1e6:.1f} µs (reference)"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def bench_trends(library: Library, as_of: date) -> list[str]:
    # Edits below update the (absent) search index: keep its warnings out of the figures.
    logging.getLogger("digestdesk.core.library").setLevel(logging.CRITICAL)
    lines = [
        "| window | by | entries (window + before) | first report | cached | after an edit "
        "| within a search (50%) |",
        "|---|---|---|---|---|---|---|",
    ]
    all_ids = library.list_ids(sort="added")
    half = all_ids[::2]
    toggle = ["read", "unread"]
    started = time.perf_counter()
    Trends(library).warm()
    lines.insert(
        0, f"First read of the library into the term index: {ms(time.perf_counter() - started)}\n"
    )
    shared = Trends(library)
    shared.warm()
    for by in ("published", "digest"):
        for window in WINDOWS:
            trends = shared
            started = time.perf_counter()
            report = trends.report(window=window, by=by, as_of=as_of)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            trends.report(window=window, by=by, as_of=as_of)
            cached = time.perf_counter() - started
            library.set_status([all_ids[0]], toggle[0])
            toggle.reverse()
            started = time.perf_counter()
            trends.report(window=window, by=by, as_of=as_of)
            edited = time.perf_counter() - started
            started = time.perf_counter()
            trends.report(window=window, by=by, as_of=as_of, ids=half)
            within = time.perf_counter() - started
            lines.append(
                f"| {window} | {by} | {report.entries + report.previous_entries} "
                f"| {ms(cold)} | {cached * 1000:.1f} ms | {ms(edited)} | {ms(within)} |"
            )
    return lines


def bench_related(library: Library, samples: int) -> list[str]:
    ids = library.list_ids(sort="added")
    rng = random.Random(1)
    picks = [rng.choice(ids) for _ in range(samples)]
    library.related(picks[0])  # open the index once, as the app does
    times = []
    found = []
    for entry_id in picks:
        started = time.perf_counter()
        found.append(len(library.related(entry_id, limit=10)))
        times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    return [
        f"`Library.related(id, limit=10)` over {len(ids)} indexed entries, {samples} random ids: "
        f"p50 {ms(statistics.median(times))}, p95 {ms(p95)}, max {ms(times[-1])} "
        f"(mean {statistics.mean(found):.1f} results)"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--related-size", type=int, default=10_000, help="0 skips it")
    parser.add_argument("--related-samples", type=int, default=200)
    parser.add_argument("--as-of", type=date.fromisoformat, default=END_DATE)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the libraries under DIR")
    parser.add_argument("--build-only", action="store_true", help="build the libraries and stop")
    parser.add_argument(
        "--index",
        action="store_true",
        help="give the trends library its search index (topic counts are then read from it)",
    )
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-trends-"))
    print(f"# Trends benchmark ({platform.python_version()}, {platform.machine()})\n")
    print(_machine_note() + "\n")
    library = build(root / f"trends-{args.size}", args.size, index=args.index)
    if args.build_only:
        library.close()
        if args.related_size:
            build(root / f"related-{args.related_size}", args.related_size, index=True).close()
        return
    try:
        print(f"{args.size} entries, as of {args.as_of.isoformat()}:\n")
        print("\n".join(bench_trends(library, args.as_of)))
    finally:
        library.close()
    if args.related_size:
        library = build(root / f"related-{args.related_size}", args.related_size, index=True)
        try:
            print()
            print("\n".join(bench_related(library, args.related_samples)))
        finally:
            library.close()


if __name__ == "__main__":
    main()
