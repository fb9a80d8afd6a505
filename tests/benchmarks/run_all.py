"""Run every benchmark at a size that finishes in minutes and write their tables.

``make bench`` runs this; ``make bench BENCH_ARGS="--sizes 10000,100000"`` goes bigger. Each
script is standalone (run it with ``--help`` for its own options); this only runs them one after
the other into ``--out-dir`` (default ``tests/benchmarks/latest/``), so a machine's figures for
``docs/benchmarks.md`` come from one run. Numbers, never assertions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="entry counts, comma-separated")
    parser.add_argument("--out-dir", type=Path, default=HERE / "latest")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated subset: library, search, trends, app, queries, fetch, startup, "
        "filters, related",
    )
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    biggest = max(int(s) for s in args.sizes.split(","))
    runs = {
        "library": ["bench_library.py", "--sizes", args.sizes],
        "search": ["bench_search.py", "--sizes", args.sizes, "--clock", "cpu"],
        "trends": ["bench_trends.py", "--size", str(biggest), "--related-size", str(biggest)],
        "app": ["bench_app.py", "--sizes", str(biggest)],
        "queries": ["bench_queries.py", "--size", str(biggest)],
        "fetch": ["bench_fetch.py"],
        # Needs ../shared/samples (or its --library); the "before" rows need --before DIR.
        "startup": ["bench_startup.py", "--runs", "15"],
        "filters": ["bench_filters.py", "--size", str(biggest), "--index-size", str(biggest)],
        "related": ["bench_related.py", "--size", str(biggest)],
    }
    wanted = [name for name in args.only.split(",") if name] or list(runs)
    failed = []
    for name in wanted:
        script, *options = runs[name]
        out = args.out_dir / f"results-{name}.md"
        print(f"== {name}: {script} {' '.join(options)} -> {out}", flush=True)
        started = time.monotonic()
        with out.open("w", encoding="utf-8") as table:  # each script prints its tables
            code = subprocess.call([sys.executable, str(HERE / script), *options], stdout=table)
        print(f"   {time.monotonic() - started:.0f} s, exit {code}", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
