"""Reading-flow benchmark: the list's date order (most voted first within a day) and the next
unread entry, on a large library.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_flow.py --size 100000 --out results-flow.md

Builds a library of ``--size`` generated entries (SQL only; no search index is needed) and
measures, in the same run and on the same database:

* the whole list in date order as the window asks for it (``Library.search("")``) with the new
  ORDER BY (day, then votes) over the ``(published, votes)`` index of schema 0003; the
  baseline is the old ORDER BY (day, then id) that the ``published`` index alone answered;
  and the new ORDER BY with the composite index dropped (what 0003's index saves);
* ``first_with_status``, the next-unread lookup behind ``]``: the next unread a few rows
  below the cursor (the usual case) and none below it in the whole list (the worst case:
  every id after the cursor read in chunks); the baseline is ``Library.rows`` of one page of
  100 rows, which the list reads on every scroll.

Medians and p95 of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text, update

from digestdesk.core import schema
from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.core.library.filters import ids_where
from digestdesk.paths import resolve_library


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 in milliseconds (one warm-up run first)."""
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def old_date_order(library: Library) -> list[int]:
    """The date order before schema 0003: the day, then the id (no votes)."""
    e = schema.entries
    order = [e.c.published.desc().nulls_last(), e.c.id.desc()]
    with library.engine.connect() as conn:
        return list(conn.execute(select(e.c.id).order_by(*order)).scalars())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        library = Library.open(resolve_library(Path(folder)), repair_index=False)
        started = time.perf_counter()
        library.import_parsed(
            ParseResult(format="digestdesk", entries=list(generate_entries(args.size))),
            source="bench",
            index=False,
        )
        built = time.perf_counter() - started
        lines.append(
            f"{args.size:,} entries (built in {built:.0f} s); median / p95 of "
            f"{args.repeat} runs, ms\n"
        )
        lines.append("| measure | median | p95 | ratio to baseline (median) |")
        lines.append("|---|---|---|---|")

        def row(name: str, figures: tuple[float, float], baseline: float | None) -> None:
            ratio = f"{figures[0] / baseline:.2f}" if baseline else "baseline"
            lines.append(f"| {name} | {figures[0]:.1f} | {figures[1]:.1f} | {ratio} |")

        old = timed(lambda: old_date_order(library), args.repeat)
        new = timed(lambda: ids_where(library.engine, [], "date", None), args.repeat)
        row("whole list, old date order (day, id)", old, None)
        row("whole list, date order (day, votes), index (published, votes)", new, old[0])
        with library.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_entries_published_votes"))
        bare = timed(lambda: ids_where(library.engine, [], "date", None), args.repeat)
        row("whole list, date order (day, votes), without that index", bare, old[0])

        ids = library.search("", sort="date").ids
        page = timed(lambda: library.rows(ids[500:600]), args.repeat)
        row("rows of one page (100), the list's scroll read", page, None)
        # Every fifth entry unread: the usual next unread is a few rows below.
        with library.engine.begin() as conn:
            conn.execute(update(schema.entries).values(status="read"))
            conn.execute(
                update(schema.entries)
                .where(schema.entries.c.id.in_(ids[::5]))
                .values(status="unread")
            )
        near = timed(lambda: library.first_with_status(ids[1:], "unread"), args.repeat)
        row("next unread, a few rows below", near, page[0])
        with library.engine.begin() as conn:
            conn.execute(update(schema.entries).values(status="read"))
        worst = timed(lambda: library.first_with_status(ids[1:], "unread"), args.repeat)
        row(f"next unread, none in {len(ids) - 1:,} rows below (worst)", worst, page[0])
        library.close()
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    if args.out:
        args.out.write_text(text_out, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
