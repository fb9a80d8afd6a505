"""Library benchmark: import throughput, memory, opening, first search, edit-to-searchable.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_library.py --sizes 1000,10000 --out results.md

For each size it writes the generated entries (:func:`digestdesk.core.demo.generate_entries`)
as one Hugging Face daily-papers API JSON file and measures, in the same run:

* **raw Whoosh bulk indexing** of the same entries with the same schema and writer settings
  (``compound=False``, a commit every ``REBUILD_BATCH`` documents with ``merge=False``): the
  baseline;
* **`digestdesk import FILE`** into an empty library as a new process (parse, normalise, one
  database transaction, index): wall time, entries/s, ratio to the baseline, peak RSS;
* with ``--before SRC``, the same import by another source tree's ``digestdesk`` (``SRC`` holds
  its ``digestdesk`` package, e.g. an exported older commit's ``desktop``): before and after
  side by side in one run;
* opening the library and answering a first search in the same process (warm);
* ``digestdesk search WORD`` as a new process;
* the memory the search layer adds after opening and a first query;
* a status change and a note edit until a search sees them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import EntryDraft
from digestdesk.core.index import IndexDoc
from digestdesk.core.index.schema import SCHEMA, doc_fields
from digestdesk.core.index.writing import BULK_LIMIT_MB, REBUILD_BATCH
from digestdesk.core.text import clean_text

ROOT = Path(__file__).resolve().parents[2]


def to_api_item(draft: EntryDraft) -> dict[str, Any]:
    paper: dict[str, Any] = {
        "id": draft.arxiv_id,
        "title": draft.title,
        "summary": draft.abstract,
        "authors": [{"name": name} for name in draft.authors],
        "publishedAt": f"{draft.published.isoformat()}T00:00:00.000Z" if draft.published else None,
        "upvotes": draft.votes or 0,
        "ai_keywords": draft.ai_keywords,
    }
    if draft.github_repo:
        paper["githubRepo"] = f"https://github.com/{draft.github_repo}"
        paper["githubStars"] = draft.github_stars
    if draft.project_page:
        paper["projectPage"] = draft.project_page
    return {"paper": paper, "title": draft.title, "numComments": 0}


def to_index_doc(entry_id: int, draft: EntryDraft) -> IndexDoc:
    return IndexDoc(
        id=entry_id,
        title=clean_text(draft.title),
        abstract=clean_text(draft.abstract),
        authors=list(draft.authors),
        keywords=list(draft.ai_keywords),
        ai_summary=draft.ai_summary or "",
        tags=[],
        note="",
        status="unread",
        published=draft.published,
        votes=draft.votes or 0,
        has=["code"] if draft.github_repo else [],
        digests=[],
    )


def raw_whoosh(drafts: Sequence[EntryDraft], directory: Path) -> float:
    directory.mkdir(parents=True)
    docs = [to_index_doc(i + 1, d) for i, d in enumerate(drafts)]
    started = time.perf_counter()
    ix = whoosh_index.create_in(str(directory), SCHEMA)
    writer = ix.writer(compound=False, limitmb=BULK_LIMIT_MB)
    for n, doc in enumerate(docs, 1):
        writer.add_document(**doc_fields(doc))
        if n % REBUILD_BATCH == 0:
            writer.commit(merge=False)
            writer = ix.writer(compound=False, limitmb=BULK_LIMIT_MB)
    writer.commit(merge=False)
    return time.perf_counter() - started


def run_cli(library: Path, *argv: str) -> tuple[float, str]:
    """Wall seconds and stdout of a ``digestdesk`` command in a new process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "digestdesk", "--library", str(library), *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"digestdesk {' '.join(argv)} failed: {done.stderr}")
    return elapsed, done.stdout


#: The child's own peak RSS. Not getrusage's ru_maxrss: Linux carries it over from the parent
#: through fork/vfork and exec, so a child of this (large) process reported the benchmark's
#: own ~600 MB. VmHWM belongs to the child's address space, created at exec.
_PEAK_CODE = """
import resource
try:
    peak = next(
        int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')
    )
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print('PEAK', peak)
"""


def child_peak_rss(code: str, source: Path | None = None) -> tuple[str, int]:
    """Run ``code`` in a fresh interpreter (importing ``digestdesk`` from ``source`` when
    given) and return (its stdout, its own peak RSS in KiB)."""
    script = code + "\n" + _PEAK_CODE
    env = None
    if source is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), *sys.path[1:]])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    lines = done.stdout.strip().splitlines()
    return "\n".join(lines[:-1]), int(lines[-1].split()[1])


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def timed_import(
    library: Path, data_files: Sequence[str], source: Path | None = None
) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one ``digestdesk import`` of ``data_files`` into
    ``library``, run in-process by a wrapper child (so the peak is the import's own)."""
    code = (
        "import sys, time\n"
        "from digestdesk import cli\n"
        "t = time.perf_counter()\n"
        f"rc = cli.run(['--library', {str(library)!r}, 'import', *{list(data_files)!r}])\n"
        "print('TIME', time.perf_counter() - t, rc)"
    )
    out, peak_kib = child_peak_rss(code, source)
    seconds = float(next(line for line in out.splitlines() if line.startswith("TIME")).split()[1])
    return seconds, peak_kib


def run_size(
    n: int, workdir: Path, repeats: int, per_file: int, before: Path | None = None
) -> dict[str, Any]:
    drafts = list(generate_entries(n, seed=1))
    # Digests arrive as many files (a day's digest holds ~50 papers); one CLI call imports
    # them all, one transaction per file, and indexes once at the end.
    data_dir = workdir / f"data-{n}"
    data_dir.mkdir()
    data_files = []
    for start in range(0, n, per_file):
        path = data_dir / f"part-{start // per_file:05d}.json"
        path.write_text(json.dumps([to_api_item(d) for d in drafts[start : start + per_file]]))
        data_files.append(str(path))
    raw_s = raw_whoosh(drafts, workdir / f"raw-{n}")
    library = workdir / f"lib-{n}"
    before_figures: dict[str, Any] = {}
    if before is not None:
        before_s, before_peak_kib = timed_import(workdir / f"lib-{n}-before", data_files, before)
        before_figures = {
            "before_s": before_s,
            "before_ratio": raw_s / before_s,
            "before_peak_mb": before_peak_kib / 1024,
        }
        shutil.rmtree(workdir / f"lib-{n}-before", ignore_errors=True)
    import_s, import_peak_kib = timed_import(library, data_files)
    return {
        **before_figures,
        "n": n,
        "files": len(data_files),
        "raw_s": raw_s,
        "import_s": import_s,
        "import_rate": n / import_s,
        "raw_rate": n / raw_s,
        "ratio": raw_s / import_s,
        "import_peak_mb": import_peak_kib / 1024,
        **measure_library(library, repeats),
    }


def measure_library(library: Path, repeats: int) -> dict[str, Any]:
    """Opening, searching and edit-to-searchable figures of an existing library."""
    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library

    paths = resolve_library(library)
    word = "learning"
    # The entries generated for the import run are still alive in this process: without
    # this, the garbage collector's full passes over them (tens of ms) land in the edits'
    # timings, which a real process (the app, a command) does not carry.
    gc.collect()
    gc.freeze()

    def open_and_search() -> None:
        with Library.open(paths, writer=False) as lib:
            lib.search(word, limit=50)

    open_p50, open_p95 = timed(open_and_search, repeats)
    process_samples = [
        run_cli(library, "search", word, "--limit", "20")[0] * 1000
        for _ in range(max(3, repeats // 2))
    ]
    mem_code = (
        "import os\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
        "from digestdesk.core.library import Library\n"
        "from digestdesk.paths import resolve_library\n"
        "import digestdesk.core.index, sqlalchemy, whoosh.searching\n"
        "before = rss()\n"
        f"lib = Library.open(resolve_library({str(library)!r}), writer=False)\n"
        f"lib.search({word!r}, limit=50)\n"
        "print('MEM', (rss() - before) / 2**20)"
    )
    mem_out, _ = child_peak_rss(mem_code)
    search_layer_mb = float(mem_out.split()[-1])

    with Library.open(paths) as lib:
        ids = lib.list_ids(limit=repeats * 2)
        status_samples, note_samples = [], []
        # Every edit really changes something (an unchanged status or note is a no-op that
        # costs nothing): a status the entry does not have, a note word never written before.
        run = secrets.token_hex(3)
        for i, entry_id in enumerate(ids[:repeats]):
            current = lib.entry(entry_id).status
            status = next(s for s in ("queued", "reading", "skipped") if s != current)
            started = time.perf_counter()
            changes = lib.set_status([entry_id], status)
            assert entry_id in lib.search(f"status:{status}").ids
            status_samples.append((time.perf_counter() - started) * 1000)
            assert changes.entry_ids == {entry_id}
            token = f"zqx{run}n{i}marker"
            started = time.perf_counter()
            lib.set_note(entry_id, f"note {token}")
            found = lib.search(token).ids
            note_samples.append((time.perf_counter() - started) * 1000)
            assert found == [entry_id], (token, found)
    return {
        "open_search_ms": (open_p50, open_p95),
        "process_search_ms": (
            statistics.median(process_samples),
            percentile(process_samples, 0.95),
        ),
        "search_layer_mb": search_layer_mb,
        "status_ms": (statistics.median(status_samples), percentile(status_samples, 0.95)),
        "note_ms": (statistics.median(note_samples), percentile(note_samples, 0.95)),
        "index_mb": sum(p.stat().st_size for p in (library / "index").iterdir()) / 2**20,
        "db_mb": (library / "library.sqlite3").stat().st_size / 2**20,
    }


def report(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"Library benchmark, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(1 / 5 / 15 min, at the end). Times in ms unless noted; p50 / p95.",
        "",
        "| entries | raw Whoosh bulk | `digestdesk import` | import / raw throughput "
        "| import peak RSS "
        "| open + first search | `search` new process | search layer memory | status -> search "
        "| note -> searchable | index / db size |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "raw_s" not in r:  # --measure-only: an existing library, no import figures
            r = {
                **r,
                "files": "?",
                "raw_s": 0,
                "raw_rate": 0,
                "import_s": 0,
                "import_rate": 0,
                "ratio": 0,
                "import_peak_mb": 0,
            }
        lines.append(
            f"| {r['n']:,} in {r['files']} files | {r['raw_s']:.1f} s ({r['raw_rate']:.0f}/s) "
            f"| {r['import_s']:.1f} s ({r['import_rate']:.0f}/s) | {r['ratio'] * 100:.0f}% "
            f"| {r['import_peak_mb']:.0f} MB "
            f"| {r['open_search_ms'][0]:.0f} / {r['open_search_ms'][1]:.0f} "
            f"| {r['process_search_ms'][0]:.0f} / {r['process_search_ms'][1]:.0f} "
            f"| {r['search_layer_mb']:.0f} MB "
            f"| {r['status_ms'][0]:.0f} / {r['status_ms'][1]:.0f} "
            f"| {r['note_ms'][0]:.0f} / {r['note_ms'][1]:.0f} "
            f"| {r['index_mb']:.0f} / {r['db_mb']:.0f} MB |"
        )
    return "\n".join(lines) + "\n"


def report_before(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        "",
        "Import before (`--before`) and after, same run:",
        "",
        "| entries | raw Whoosh bulk | import before | before / raw | import after | after / raw "
        "| peak RSS before / after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "before_s" in r:
            lines.append(
                f"| {r['n']:,} | {r['raw_s']:.1f} s | {r['before_s']:.1f} s "
                f"| {r['before_ratio'] * 100:.0f}% | {r['import_s']:.1f} s "
                f"| {r['ratio'] * 100:.0f}% "
                f"| {r['before_peak_mb']:.0f} / {r['import_peak_mb']:.0f} MB |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--per-file", type=int, default=1000, help="entries per digest file")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--before",
        type=Path,
        help="a source tree holding another digestdesk package (e.g. an older commit's "
        "desktop/): its import is measured too, before this one, in the same run",
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="skip generating and importing: measure the libraries WORKDIR/lib-N of an "
        "earlier run (opening, searching, edits; the import columns then read 0)",
    )
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dd-bench-lib-"))
    os.environ.setdefault("XDG_CACHE_HOME", str(workdir / "cache"))
    results = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            if args.measure_only:
                measured = measure_library(workdir / f"lib-{n}", args.repeats)
                results.append({"n": n, **measured})
            else:
                results.append(run_size(n, workdir, args.repeats, args.per_file, args.before))
            print(report(results), flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(results)
    if args.before is not None:
        text += report_before(results)
        print(report_before(results), flush=True)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
