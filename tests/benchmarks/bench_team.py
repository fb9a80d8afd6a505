"""A team library on PostgreSQL: importing by two members at once against one alone, and edit
latency while other members work, in the same run (issue 17).

Standalone script (numbers, not assertions)::

    DIGESTDESK_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/bench \\
        .venv/bin/python tests/benchmarks/bench_team.py --papers 8000 --repeats 3

It DROPS AND RECREATES the ``public`` schema of that database (use one of its own), and makes
two member roles for the run (dropped at the end). Each member works in processes of its own,
as on its own machine (its own search index): imports are the command line's ``import`` (one
transaction per file, then that member's index catches up), edits are the library's
``set_status``/``set_note``/``change_tags`` timed from the call to the commit.

Imports, wall seconds from the start to the last member's end (``--papers`` generated papers
in API JSON, 20 files):

* **one alone**: one member imports all the papers into an empty library (the baseline);
* **two at once, the same papers**: both members import all of them at the same moment
  (the reading group that fetches the same days); each paper is stored once;
* **two at once, half each**: each member imports a different half.

Edits, latency of each (p50, p95): one member alone; two members editing at once; one member
editing while the other imports all the papers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT), str(HERE)]

from bench_library import to_api_item  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from tests.pg_members import members  # noqa: E402

from digestdesk.core.demo import generate_entries  # noqa: E402
from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402

FILES = 20


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _numbered(item: dict[str, Any], n: int) -> dict[str, Any]:
    # Numbered so that none merges with another as the same paper.
    item["paper"]["id"] = f"2601.{n:05d}"
    item["paper"]["title"] = item["title"] = f"{item['title']} {n}"
    return item


def write_papers(folder: Path, papers: int) -> list[Path]:
    drafts = list(generate_entries(papers, seed=17))
    per_file = -(-papers // FILES)
    paths = []
    for k in range(FILES):
        items = [
            _numbered(to_api_item(d), n)
            for n, d in enumerate(drafts[k * per_file : (k + 1) * per_file], start=k * per_file)
        ]
        path = folder / f"2026-01-{k + 1:02d}.json"
        path.write_text(json.dumps(items))
        paths.append(path)
    return paths


def new_library(url: str) -> None:
    """An empty library (created by the server's owner) that the members may use."""
    reset(url)
    with tempfile.TemporaryDirectory() as folder:
        Library.open(resolve_library(folder), repair_index=False).close()


def grant(url: str, roles: Sequence[str]) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for role in roles:
            conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    engine.dispose()


def cli(url: str, library: Path, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DIGESTDESK_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "desktop")}
    return subprocess.Popen(
        [sys.executable, "-m", "digestdesk", "--library", str(library), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait(procs: Sequence[subprocess.Popen[str]]) -> None:
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"a member's command failed: {err[-2000:]}")


def count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())
    engine.dispose()
    return total


def import_case(
    url: str, urls: dict[str, str], work: Path, files: list[Path], case: str, papers: int
) -> float:
    new_library(url)
    grant(url, [str(create_engine(u).url.username) for u in urls.values()])
    alice, bob = urls["alice"], urls["bob"]
    half = len(files) // 2
    plans = {
        "one alone": [(alice, files)],
        "two at once, the same papers": [(alice, files), (bob, files)],
        "two at once, half each": [(alice, files[:half]), (bob, files[half:])],
    }[case]
    started = time.perf_counter()
    procs = [
        cli(u, work / f"m{k}-{time.monotonic_ns()}", "import", *map(str, part))
        for k, (u, part) in enumerate(plans)
    ]
    wait(procs)
    elapsed = time.perf_counter() - started
    stored = count(url)
    if stored != papers:
        raise SystemExit(f"{case}: {stored} papers stored, {papers} expected")
    return elapsed


def edit_worker(options: argparse.Namespace) -> int:
    """A member's edit loop (a process of its own): latencies in ms to --out."""
    latencies = []
    with Library.open(resolve_library(options.library)) as library:
        # As in the window: the index follows on a lane of its own (here: not at all), so an
        # edit's time is its transaction's, not that of indexing others' imports after it.
        library.follow_index_in_background(lambda: None)
        ids = library.list_ids(sort="added")[: options.pool] if options.pool else []
        ids = ids or library.list_ids()
        ids = ids[options.offset :: 2]
        for n in range(options.edits):
            entry = ids[n % len(ids)]
            kind = n % 3
            started = time.perf_counter()
            if kind == 0:
                library.set_status([entry], ("read", "queued", "unread")[(n // 3) % 3])
            elif kind == 1:
                library.set_note(entry, f"note {n}")
            else:
                library.change_tags([entry], add=[f"t{n % 5}"])
            latencies.append((time.perf_counter() - started) * 1e3)
            time.sleep(options.interval / 1000)
    Path(options.out).write_text(json.dumps(latencies))
    return 0


def edits_case(
    url: str, urls: dict[str, str], work: Path, files: list[Path], case: str, edits: int
) -> list[float]:
    new_library(url)
    grant(url, [str(create_engine(u).url.username) for u in urls.values()])
    wait([cli(url, work / f"seed-{time.monotonic_ns()}", "import", str(files[0]))])

    def editor(name: str, offset: int) -> tuple[subprocess.Popen[str], Path]:
        out = work / f"{name}-{time.monotonic_ns()}.json"
        env = {**os.environ, "DIGESTDESK_DATABASE_URL": urls[name]}
        proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--edit-worker",
                "--library",
                str(work / f"{name}-{time.monotonic_ns()}"),
                "--edits",
                str(edits),
                "--offset",
                str(offset),
                "--out",
                str(out),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        return proc, out

    running = [editor("alice", 0)]
    others = []
    if case == "two members editing at once":
        running.append(editor("bob", 1))
    elif case == "while the other member imports":
        others = [cli(urls["bob"], work / f"bob-{time.monotonic_ns()}", "import", *map(str, files))]
    wait([proc for proc, _ in running])
    latencies = json.loads(running[0][1].read_text())
    if len(running) > 1:
        latencies += json.loads(running[1][1].read_text())
    wait(others)
    return list(latencies)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--edits", type=int, default=150)
    parser.add_argument("--only", choices=("imports", "edits"), help="one of the two tables")
    parser.add_argument("--edit-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, default=20.0, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.edit_worker:
        return edit_worker(options)
    url = os.environ.get("DIGESTDESK_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        raise SystemExit("set DIGESTDESK_DATABASE_URL to a PostgreSQL database of its own")
    print(
        f"# Team library on PostgreSQL (Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f})\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        new_library(url)
        files = write_papers(work, options.papers)
        with members(url, "alice", "bob") as urls:
            if options.only != "edits":
                import_table(url, urls, work, files, options)
            if options.only != "imports":
                edits_table(url, urls, work, files, options)
        reset(url)
    return 0


def import_table(
    url: str, urls: dict[str, str], work: Path, files: list[Path], options: argparse.Namespace
) -> None:
    print(f"## Import of {options.papers:,} papers ({FILES} files), wall seconds\n")
    print("| case | median | runs | ratio to one alone |")
    print("|---|---:|---|---:|")
    cases = ["one alone", "two at once, the same papers", "two at once, half each"]
    medians: dict[str, float] = {}
    for case in cases:
        runs = [
            import_case(url, urls, work, files, case, options.papers)
            for _ in range(options.repeats)
        ]
        medians[case] = statistics.median(runs)
        shown = ", ".join(f"{r:.1f}" for r in runs)
        ratio = medians[case] / medians["one alone"]
        print(f"| {case} | {medians[case]:.1f} | {shown} | {ratio:.2f} |", flush=True)


def edits_table(
    url: str, urls: dict[str, str], work: Path, files: list[Path], options: argparse.Namespace
) -> None:
    print(f"\n## Edit latency on the team library ({options.edits} edits a member), ms\n")
    print("| case | p50 | p95 | max | edits |")
    print("|---|---:|---:|---:|---:|")
    for case in (
        "one member alone",
        "two members editing at once",
        "while the other member imports",
    ):
        lat = edits_case(url, urls, work, files, case, options.edits)
        print(
            f"| {case} | {percentile(lat, 0.5):.1f} | {percentile(lat, 0.95):.1f} | "
            f"{max(lat):.1f} | {len(lat)} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
