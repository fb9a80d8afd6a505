"""Query benchmark: what the complexity limits cost and save, and filters joined by OR.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_queries.py --size 10000 --repeats 15

It fills a library with :func:`digestdesk.core.demo.generate_entries`, indexes it, then times
``Library.search`` (CPU time of this process: steadier on a shared machine) for each query,
``--repeats`` times after one warm-up, and prints medians, 95th percentiles and the ratio to a
one-word query measured in the same run. Queries past a limit are timed twice: as they are
answered now (refused with the limit's message) and with the limits lifted (the old behaviour:
parsed and searched in full; measured once, with a smaller repeat, since they take seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.core.query import tokens
from digestdesk.errors import QueryError
from digestdesk.paths import resolve_library

NO_LIMITS = tokens.QueryLimits(words=10**9, expansions=10**9, operators=10**9, depth=10**9)


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.process_time()
        call()
        times.append(time.process_time() - started)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def search(library: Library, query: str) -> Callable[[], object]:
    def run() -> object:
        try:
            return library.search(query).total
        except QueryError as error:
            return error.user_message

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        library = Library.open(resolve_library(Path(folder) / "library"))
        drafts = list(generate_entries(args.size, seed=1))
        library.import_parsed(ParseResult("digestdesk", drafts), source="bench", index=False)
        library.ensure_index()
        ids = [d.arxiv_id for d in drafts if d.arxiv_id][:2]
        words32 = " OR ".join(["model", "learning", "language", "diffusion"] * 8)
        rows: list[tuple[str, str]] = [
            ("one word (baseline)", "model"),
            ("arxiv:A OR arxiv:B (SQL)", f"arxiv:{ids[0]} OR arxiv:{ids[1]}"),
            ("tag:x OR status:read (SQL)", "tag:survey OR status:read"),
            ("model OR arxiv:A (index)", f"model OR arxiv:{ids[0]}"),
            ("32 words joined by OR (at the limit)", words32),
            (
                "4 prefixes and 28 words (at the limit)",
                "learn* model* diffu* langu* " + "model " * 28,
            ),
            ("2,000 × model OR (refused)", "model OR " * 2_000 + "model"),
            ("10,000 × model OR (refused)", "model OR " * 10_000 + "model"),
        ]
        print(f"## Queries at {args.size:,} entries ({args.repeats} runs, CPU time)\n")
        print("| query | median ms | p95 ms | ratio to one word |")
        print("|---|---:|---:|---:|")
        base = None
        for label, query in rows:
            median, p95 = timed(search(library, query), args.repeats)
            base = base or median
            print(f"| {label} | {median * 1e3:.1f} | {p95 * 1e3:.1f} | {median / base:.2f} |")
        print("\n### Without the limits (the behaviour before them), same library\n")
        print("| query | median ms | ratio to one word |")
        print("|---|---:|---:|")
        tokens.LIMITS = NO_LIMITS
        for label, count in (("200 × model OR", 200), ("2,000 × model OR", 2_000)):
            median, _ = timed(search(library, "model OR " * count + "model"), 1)
            print(f"| {label} | {median * 1e3:.0f} | {median / base:.0f} |")
        library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
