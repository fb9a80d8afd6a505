"""Filters in SQL before and after schema 0004 (issue 16): each filter of the query language
on a library of generated entries, timed in one run against the code and schema before.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_filters.py --size 100000 --runs 15 \
        --baseline-rev a13fa8a --index-size 10000

* **after**: today's ``core/library/filters.py`` (IN lookups, opposite ranges) on the library
  as it is migrated today (with ``ix_entries_has_code`` and ``ix_entries_project_page``);
* **before**: ``filters.py`` of ``--baseline-rev`` (read from git and loaded as a module) on a
  copy of the same database with those two indexes dropped: the code and schema of before.

Each row times :func:`allowed_or_excluded` (what a search with words runs before the index:
the ids a filter allows, or excludes when most pass), CPU and wall, the two interleaved run by
run. ``--index-size N`` also builds a search index over the first N entries and times the
whole query ``has:code diffusion`` through ``Library.search`` on a library of N entries.
The entries come from :func:`digestdesk.core.demo.generate_entries` (40% with code, 15% with
a project page, 20% tagged, 8% noted), written with plain SQL inserts (the import itself is
measured by bench_library.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from digestdesk.core.demo import generate_entries
from digestdesk.core.library import Library
from digestdesk.core.library import filters as filters_now
from digestdesk.core.query import parse
from digestdesk.core.text import normalize_title
from digestdesk.paths import resolve_library

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    "has:code",
    "has:project",
    "has:note",
    "tag:to-read",
    "status:read",
    "-status:unread",
    "votes:>50",
    "year:2025",
    "digest:>=2025-06-01",
    "-has:code",
]


def fill(database: Path, n: int) -> None:
    """Write ``n`` generated entries (and their tags, notes, one digest per day) with SQL."""
    now = datetime.now(UTC).isoformat(sep=" ")
    db = sqlite3.connect(database)
    tag_ids: dict[str, int] = {}
    digest_ids: dict[str, int] = {}
    with db:
        for i, draft in enumerate(generate_entries(n, seed=0), start=1):
            state = draft.user_state
            db.execute(
                "INSERT INTO entries (id, arxiv_id, title_norm, title_raw, title, abstract_raw,"
                " abstract, authors, published, published_year_inferred, categories, links,"
                " has_code, ai_summary, ai_keywords, github_repo, project_page, votes, status,"
                " added_at, updated_at, seq) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    i,
                    draft.arxiv_id,
                    normalize_title(draft.title),
                    draft.title,
                    draft.title,
                    draft.abstract,
                    draft.abstract,
                    json.dumps(draft.authors),
                    draft.published.isoformat() if draft.published else None,
                    json.dumps(draft.categories),
                    json.dumps([{"url": link.url, "kind": link.kind} for link in draft.links]),
                    draft.github_repo is not None,
                    draft.ai_summary,
                    json.dumps(draft.ai_keywords),
                    draft.github_repo,
                    draft.project_page,
                    draft.votes,
                    state.status if state else "unread",
                    now,
                    now,
                ),
            )
            for tag in state.tags if state else []:
                if tag not in tag_ids:
                    tag_ids[tag] = len(tag_ids) + 1
                    db.execute("INSERT INTO tags (id, name) VALUES (?, ?)", (tag_ids[tag], tag))
                db.execute("INSERT INTO entry_tags VALUES (?, ?)", (i, tag_ids[tag]))
            if state and state.note:
                db.execute("INSERT INTO notes VALUES (?, ?, ?)", (i, state.note, now))
            day = draft.published.isoformat() if draft.published else "2026-01-01"
            if day not in digest_ids:
                digest_ids[day] = len(digest_ids) + 1
                db.execute(
                    "INSERT INTO digests (id, source_kind, digest_date, imported_at, counts)"
                    " VALUES (?, 'hf-json', ?, ?, '{}')",
                    (digest_ids[day], day, now),
                )
            db.execute(
                "INSERT INTO digest_entries (digest_id, entry_id, votes) VALUES (?, ?, ?)",
                (digest_ids[day], i, draft.votes),
            )
        db.execute("UPDATE meta SET value = '1' WHERE key = 'change_seq'")
    db.close()


def load_baseline(rev: str) -> ModuleType:
    """``core/library/filters.py`` as it was at ``rev``, loaded beside today's."""
    source = subprocess.run(
        ["git", "show", f"{rev}:desktop/digestdesk/core/library/filters.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / f"filters_{rev}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"filters_{rev}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stats(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def time_pair(
    fns: dict[str, Callable[[], Any]], runs: int
) -> dict[str, tuple[list[float], list[float], Any]]:
    """CPU and wall samples per function, interleaved run by run (one warm-up each)."""
    out: dict[str, tuple[list[float], list[float], Any]] = {}
    results = {name: fn() for name, fn in fns.items()}
    for name in fns:
        out[name] = ([], [], results[name])
    for _ in range(runs):
        for name, fn in fns.items():
            cpu, wall = time.process_time(), time.perf_counter()
            fn()
            out[name][0].append(time.process_time() - cpu)
            out[name][1].append(time.perf_counter() - wall)
    return out


def describe(result: Any) -> str:
    allowed, excluded = result
    return f"{len(allowed)} allowed" if allowed is not None else f"{len(excluded)} excluded"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-rev", default="a13fa8a", help="git revision of before")
    parser.add_argument("--index-size", type=int, default=0, help="0: no whole-query timing")
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-filters-"))
    work.mkdir(parents=True, exist_ok=True)
    before_module = load_baseline(args.baseline_rev)
    after_dir, before_dir = work / "after", work / "before"
    for directory in (after_dir, before_dir):
        shutil.rmtree(directory, ignore_errors=True)
    Library.open(resolve_library(after_dir), writer=True, repair_index=False).close()
    print(f"== filling {args.size} entries", file=sys.stderr, flush=True)
    started = time.perf_counter()
    fill(after_dir / "library.sqlite3", args.size)
    print(f"   {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    before_dir.mkdir()
    shutil.copy(after_dir / "library.sqlite3", before_dir / "library.sqlite3")
    with sqlite3.connect(before_dir / "library.sqlite3") as db:
        db.execute("DROP INDEX ix_entries_has_code")
        db.execute("DROP INDEX ix_entries_project_page")
    after = Library.open(resolve_library(after_dir), writer=False)
    before = Library.open(resolve_library(before_dir), writer=False)

    load = os.getloadavg()
    print(
        f"# Filters in SQL, {args.size:,} entries (before: {args.baseline_rev} without the 0004 "
        f"indexes)\n"
    )
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, {args.runs} runs each, interleaved.\n"
    )
    print(
        "| filter | before CPU ms p50 / p95 | after CPU ms p50 / p95 | before wall p50 / p95 "
        "| after wall p50 / p95 | CPU ratio | ids |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for text in QUERIES:
        filters = parse(text).filters
        fns = {  # the old module took conditions, built by its own code
            "before": lambda f=filters: before_module.allowed_or_excluded(
                before.engine, [before_module.condition(x) for x in f]
            ),
            "after": lambda f=filters: filters_now.allowed_or_excluded(after.engine, f),
        }
        timed = time_pair(fns, args.runs)
        assert describe(timed["before"][2]) == describe(timed["after"][2]), text
        b_cpu, a_cpu = stats(timed["before"][0]), stats(timed["after"][0])
        b_wall, a_wall = stats(timed["before"][1]), stats(timed["after"][1])
        print(
            f"| `{text}` | {b_cpu[0]:.1f} / {b_cpu[1]:.1f} | {a_cpu[0]:.1f} / {a_cpu[1]:.1f} "
            f"| {b_wall[0]:.1f} / {b_wall[1]:.1f} | {a_wall[0]:.1f} / {a_wall[1]:.1f} "
            f"| {a_cpu[0] / b_cpu[0]:.2f}x | {describe(timed['after'][2])} |",
            flush=True,
        )
    after.close()
    before.close()
    if args.index_size:
        whole_query(work, args, before_module)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def whole_query(work: Path, args: argparse.Namespace, before_module: ModuleType) -> None:
    """``has:code diffusion`` through Library.search on a library of ``--index-size``: today's
    code and schema, and a copy (database and index) without the 0004 indexes searched with
    the old filter code."""
    import digestdesk.core.library.searching as searching

    n = args.index_size
    after_dir, before_dir = work / f"whole-{n}", work / f"whole-{n}-before"
    for directory in (after_dir, before_dir):
        shutil.rmtree(directory, ignore_errors=True)
    Library.open(resolve_library(after_dir), writer=True, repair_index=False).close()
    fill(after_dir / "library.sqlite3", n)
    print(f"== indexing {n} entries", file=sys.stderr, flush=True)
    Library.open(resolve_library(after_dir), writer=True).close()
    shutil.copytree(after_dir, before_dir)
    with sqlite3.connect(before_dir / "library.sqlite3") as db:
        db.execute("DROP INDEX ix_entries_has_code")
        db.execute("DROP INDEX ix_entries_project_page")
    query = "has:code diffusion"
    now_fn = searching.allowed_or_excluded

    def old_fn(engine: Any, filters: Any) -> Any:
        return before_module.allowed_or_excluded(
            engine, [before_module.condition(f) for f in filters]
        )

    after = Library.open(resolve_library(after_dir), writer=False)
    before = Library.open(resolve_library(before_dir), writer=False)

    def search_before() -> Any:
        searching.allowed_or_excluded = old_fn  # type: ignore[assignment]
        try:
            return before.search(query, limit=50)
        finally:
            searching.allowed_or_excluded = now_fn

    timed = time_pair(
        {"before": search_before, "after": lambda: after.search(query, limit=50)}, args.runs
    )
    after.close()
    before.close()
    print(f"\n`{query}` through Library.search, {n:,} entries (the index's part included):\n")
    print("| | CPU ms p50 / p95 | wall ms p50 / p95 | matches |")
    print("|---|---:|---:|---:|")
    for name, (cpu, wall, result) in timed.items():
        c, w = stats(cpu), stats(wall)
        print(f"| {name} | {c[0]:.1f} / {c[1]:.1f} | {w[0]:.1f} / {w[1]:.1f} | {result.total} |")


if __name__ == "__main__":
    raise SystemExit(main())
