"""What the QA fixes of 2026-12-03 cost where they run often, each against itself switched off
in the same run (alternating, medians and p95 of repeated timings):

* reads repaired as imports repair text (``without_controls`` on list rows and the reader's
  records): ``Library.rows`` over a whole list and ``Library.entries`` over 200 entries;
* the one highlight matcher with a phrase (its words marked only where they stand together)
  against the same words as lone terms, over the abstracts of 200 entries.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_read_repair.py --size 10000
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.index import text_analysis
from digestdesk.core.library import Library, reads
from digestdesk.core.query import TermMatcher, matching_spans
from digestdesk.paths import resolve_library


def timings(run: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(values):7.2f} ms  p95 {p95:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        with Library.open(resolve_library(Path(folder)), repair_index=False) as library:
            drafts = [
                dataclasses.replace(d, user_state=None, arxiv_id=f"29{i // 100000:02d}.{i:05d}")
                for i, d in enumerate(generate_entries(args.size, seed=1))
            ]
            library.import_parsed(ParseResult(format="digestdesk", entries=drafts), source="b")
        library = Library.open(resolve_library(Path(folder)), writer=False)
        ids = library.list_ids()
        repaired = reads._repaired, reads.without_controls
        results: dict[str, list[float]] = {}
        for turn in range(4):
            on = turn % 2 == 0
            reads._repaired, reads.without_controls = (
                repaired if on else (lambda text: text, lambda text: text)
            )
            label = "repair on " if on else "repair off"
            results.setdefault(f"rows({len(ids)}) {label}", []).extend(
                timings(lambda: library.rows(ids), args.repeat)
            )
            results.setdefault(f"entries(200)  {label}", []).extend(
                timings(lambda: library.entries(ids[:200]), args.repeat)
            )
        reads._repaired, reads.without_controls = repaired
        abstracts = [d.abstract for d in library.entries(ids[:200])]
        analysis = text_analysis("abstract")
        phrase = TermMatcher([("abstract", "model train")])
        words = TermMatcher([("abstract", "model"), ("abstract", "train")])
        for turn in range(4):
            matcher, label = (phrase, "phrase    ") if turn % 2 == 0 else (words, "lone words")
            results.setdefault(f"highlight 200 abstracts, {label}", []).extend(
                timings(
                    lambda m=matcher: [matching_spans(a, m, analysis) for a in abstracts],
                    args.repeat,
                )
            )
        library.close()
    for name, values in results.items():
        print(f"{name:40} {summary(values)}")


if __name__ == "__main__":
    main()
