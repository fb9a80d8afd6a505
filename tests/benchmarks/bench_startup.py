"""Start-up of the command line as a new process (issue 16): what a script calling
`digestdesk` pays per call, beside `python -c pass` and a naive Whoosh cold search measured in
the same run.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_startup.py --runs 15 [--library DIR]

Without ``--library`` it imports the shared samples' API files (``../shared/samples``) into a
temporary library first. Each command runs ``--runs`` times, the commands interleaved run by
run (so background load hits them alike); wall time from ``time.perf_counter`` around the
child, CPU time (user + system) from the child's own resource usage (``os.wait4``). Rows:

* ``python -c pass``: the interpreter alone;
* ``digestdesk --version``, ``--help``: run as the installed ``digestdesk`` command runs (the
  console script pip writes: ``import re, sys; from digestdesk.app import main``), not through
  ``python -m`` (whose ``runpy`` adds 2-3 ms the command never pays; tables before
  2026-12-04's last one used it);
* ``digestdesk search WORD``, ``show ID`` (an arXiv id), ``stats``, ``list --limit 20``;
* naive Whoosh cold search: a new process that opens the library's index directory with
  ``whoosh.index.open_dir`` and runs one ``MultifieldParser`` query (title, abstract) for the
  same word, printing the 20 best ids: the least a search process over this index costs;
* the floor under ``digestdesk search``: a process that imports what any search of this
  index through Whoosh loads (its index, reading, query and searching modules) and what the
  command needs besides (argparse, sqlite3), opens the index and a searcher, reads 20 rows
  from the library's database, and searches nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT.parent / "shared" / "samples" / "hf-daily-api"

# What pip's console script for `digestdesk` runs.
ENTRY_POINT = "import re, sys; from digestdesk.app import main; sys.exit(main())"

NAIVE_WHOOSH = """
import sys
from whoosh import index
from whoosh.qparser import MultifieldParser
directory, name, word = sys.argv[1:4]
ix = index.open_dir(directory, indexname=name)
with ix.searcher() as searcher:
    query = MultifieldParser(["title", "abstract"], ix.schema).parse(word)
    print([hit["id"] for hit in searcher.search(query, limit=20)])
"""

FLOOR = """
import argparse, sqlite3, sys
import whoosh.query, whoosh.searching
from whoosh import index
directory, name, database, word = sys.argv[1:5]
parser = argparse.ArgumentParser()
parser.add_argument("word")
parser.parse_args([word])
ix = index.open_dir(directory, indexname=name)
with ix.searcher():
    pass
with sqlite3.connect(database) as connection:
    print(connection.execute("SELECT id, title FROM entries LIMIT 20").fetchall())
"""


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the child) and the exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.stderr is not None:
        process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, process.returncode


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prepare_library(env: dict[str, str]) -> Path:
    if not SAMPLES.is_dir():
        raise SystemExit(f"the shared samples are not here ({SAMPLES}); pass --library DIR")
    library = Path(tempfile.mkdtemp(prefix="bench-startup-")) / "library"
    files = sorted(str(p) for p in SAMPLES.glob("*.json"))
    print(f"== importing {len(files)} sample files into {library}", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, "-m", "digestdesk", "--library", str(library), "import", *files],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return library


def index_location(library: Path) -> tuple[Path, str]:
    """The Whoosh directory and index name of a library (``_<name>_<generation>.toc``)."""
    directory = library / "index"
    toc = sorted(directory.glob("_*.toc"))[-1]
    return directory, toc.name[1:].rsplit("_", 1)[0]


def _env(tree: Path) -> dict[str, str]:
    paths = [str(tree / "desktop"), *(p for p in sys.path if not p.endswith("desktop"))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop("DIGESTDESK_DATABASE_URL", None)
    # An installed copy runs from compiled modules (pip, the .deb and the bundle write them):
    # the warm-up runs write them here too, for the project and for Whoosh alike. Without
    # this a shell with PYTHONDONTWRITEBYTECODE set compiles every module on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--library", type=Path, help="a library to use (default: the samples)")
    parser.add_argument("--word", default="diffusion")
    parser.add_argument("--label", default="", help="a note for the table's title")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout of the project (an older commit): its digestdesk rows are "
        "timed in the same run, marked (before)",
    )
    args = parser.parse_args(argv)
    env = _env(ROOT)
    made: list[Path] = []  # temporary libraries, removed at the end
    try:
        return _run(args, env, made)
    finally:
        for library in made:
            shutil.rmtree(library.parent, ignore_errors=True)


def _run(args: argparse.Namespace, env: dict[str, str], made: list[Path]) -> int:
    library = args.library or _made(prepare_library(env), made)
    lib = ["--library", str(library)]
    app = [sys.executable, "-c", ENTRY_POINT]
    shown = subprocess.run(
        [*app, *lib, "list", "--limit", "1", "--json"], capture_output=True, text=True, env=env
    )
    arxiv_id = shown.stdout.split('"arxiv_id": "', 1)[1].split('"', 1)[0]
    directory, name = index_location(library)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "digestdesk --version": [*app, "--version"],
        "digestdesk --help": [*app, "--help"],
        f"digestdesk search {args.word}": [*app, *lib, "search", args.word],
        f"digestdesk show {arxiv_id}": [*app, *lib, "show", arxiv_id],
        "digestdesk stats": [*app, *lib, "stats"],
        "digestdesk list --limit 20": [*app, *lib, "list", "--limit", "20"],
        "naive Whoosh cold search": [
            sys.executable,
            "-c",
            NAIVE_WHOOSH,
            str(directory),
            name,
            args.word,
        ],
        "floor: Whoosh's reading modules, argparse, sqlite3; no search": [
            sys.executable,
            "-c",
            FLOOR,
            str(directory),
            name,
            str(library / "library.sqlite3"),
            args.word,
        ],
    }
    runs = {label: (command, env) for label, command in commands.items()}
    if args.before is not None:
        # Its own library, written by the old code (a newer schema is refused by older code).
        before_env = _env(args.before.resolve())
        before_library = str(_made(prepare_library(before_env), made))
        for label, command in commands.items():
            if label.startswith("digestdesk") and "show" not in label:  # ids: new in after
                old = [before_library if part == str(library) else part for part in command]
                runs[f"{label} (before)"] = (old, before_env)
    samples: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in runs}
    for label, (command, child_env) in runs.items():  # warm-up (page cache, .pyc files)
        _, _, code = run_once(command, child_env)
        if code != 0:
            raise SystemExit(f"{label} exited with {code}")
    for _ in range(args.runs):
        for label, (command, child_env) in runs.items():
            wall, cpu, _ = run_once(command, child_env)
            samples[label][0].append(wall)
            samples[label][1].append(cpu)
    load = os.getloadavg()
    entries = subprocess.run(
        [*app, *lib, "stats", "--json"], capture_output=True, text=True, env=env
    ).stdout
    total = entries.split('"total": ', 1)[1].split(",", 1)[0].split("}", 1)[0].strip()
    print(f"# Command-line start-up{(' (' + args.label + ')') if args.label else ''}\n")
    print(
        f"{total} entries; Python {platform.python_version()}; {args.runs} runs each, "
        f"interleaved; load average after the runs {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}. Ratios: CPU median over naive Whoosh's.\n"
    )
    print("| process | wall ms p50 / p95 | CPU ms p50 / p95 | CPU / naive Whoosh |")
    print("|---|---:|---:|---:|")
    naive_cpu = statistics.median(samples["naive Whoosh cold search"][1])
    for label, (wall, cpu) in sorted(samples.items(), key=lambda item: _order(item[0], runs)):
        print(
            f"| `{label}` | {statistics.median(wall) * 1000:.0f} / "
            f"{percentile(wall, 0.95) * 1000:.0f} | {statistics.median(cpu) * 1000:.0f} / "
            f"{percentile(cpu, 0.95) * 1000:.0f} | {statistics.median(cpu) / naive_cpu:.2f}x |"
        )
    return 0


def _made(library: Path, made: list[Path]) -> Path:
    made.append(library)
    return library


def _order(label: str, runs: dict[str, object]) -> tuple[int, int]:
    """Each command's "before" row just above its own."""
    base = label.removesuffix(" (before)")
    return list(runs).index(base), 0 if label.endswith("(before)") else 1


if __name__ == "__main__":
    raise SystemExit(main())
