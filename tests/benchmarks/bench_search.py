"""Search benchmark: our index vs SQLite FTS5 vs naive Whoosh on synthetic paper entries.

Standalone script (numbers, not assertions)::

    .venv/bin/python tests/benchmarks/bench_search.py --sizes 1000,10000 --queries 30 \
        --out tests/benchmarks/results-search.md

For each size it generates entries with :func:`digestdesk.core.demo.generate_entries`, builds

* **ours**: :class:`digestdesk.core.index.WhooshIndex` (``rebuild``: one writer, commits every
  10,000 documents with ``merge=False``, ``compound=False``; searched as the app does, through
  the thread's searcher that is kept between searches, no ``optimize``);
* **naive Whoosh**: the same schema written with default writer settings and one commit,
  queried with ``MultifieldParser`` + one ``searcher.search`` per query (default ``Prefix``,
  ``filter=`` by query, ``hit.highlights``, ``searcher.more_like``);
* **FTS5**: Python's ``sqlite3`` with an FTS5 table (``porter unicode61``) plus a plain
  ``entries`` table for status/date/votes, ranked by ``bm25`` with the title weighted 2;

then times each kind of query ``--queries`` times (after one warm-up run, cycling through a few
variants of similar frequency, the engines interleaved run by run) and prints a Markdown
table of medians, 95th percentiles and ratios. Filters for "ours" include the SQL query the
library would run to get the allowed ids.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.qparser import MultifieldParser

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import EntryDraft
from digestdesk.core.index import IndexDoc, WhooshIndex, parse_query, postings_file
from digestdesk.core.index.schema import (
    DEFAULT_FIELDS,
    SCHEMA,
    doc_fields,  # naive Whoosh indexes exactly the same document fields
)

try:
    from digestdesk.core.text import clean_text
except ImportError:  # the text module is optional for this benchmark

    def clean_text(raw: str) -> str:
        return " ".join(raw.split())


LIMIT = 200
ENGINES = ("ours", "naive whoosh", "fts5")

#: The clock for query and indexing times: "wall" (time.perf_counter) or "cpu"
#: (time.process_time: this process's CPU time, steadier on a shared, busy machine; every
#: engine here runs in-process, SQLite included).
CLOCK: Callable[[], float] = time.perf_counter


def to_index_doc(entry_id: int, draft: EntryDraft) -> IndexDoc:
    """What the library would hand the index for this draft."""
    state = draft.user_state
    note = (state.note if state else None) or ""
    has = [
        name
        for name, flag in (
            ("code", draft.github_repo is not None),
            ("note", bool(note)),
            ("project", draft.project_page is not None),
        )
        if flag
    ]
    return IndexDoc(
        id=entry_id,
        title=clean_text(draft.title),
        abstract=clean_text(draft.abstract),
        authors=list(draft.authors),
        keywords=list(draft.ai_keywords),
        ai_summary=draft.ai_summary or "",
        tags=list(state.tags) if state else [],
        note=note,
        status=state.status if state else "unread",
        published=draft.published,
        votes=draft.votes or 0,
        has=has,
        digests=[draft.digest_date] if draft.digest_date else [],
        arxiv_id=draft.arxiv_id,
    )


# --------------------------------------------------------------------------------- engines


class Ours:
    """Timed cold: the decoded-postings cache is emptied before every call, so each query
    costs what searching its words for the first time costs. :class:`OursWarm` times the
    same calls with the cache kept (a word searched again: typing, paging, related)."""

    name = "ours"

    def __init__(self, directory: Path, sql: sqlite3.Connection) -> None:
        self.index = WhooshIndex(directory)
        self.sql = sql

    def cold(self) -> Ours:
        self.index.clear_cached_postings()
        return self

    def build(self, docs: Sequence[IndexDoc]) -> None:
        self.index.rebuild(docs, library_uuid="bench", last_seq=1, total=len(docs))

    def search(self, text: str, *, sort: str = "relevance", status: str | None = None) -> list[int]:
        plan = parse_query(text)
        allowed = excluded = None
        if status is not None:
            # The library's SQL side of a top-level filter (Library._filter_ids): the ids that
            # pass, or the ids that fail when most pass.
            sql = self.sql
            passing = sql.execute("SELECT count(*) FROM entries WHERE status = ?", (status,))
            if (
                passing.fetchone()[0] * 2
                <= sql.execute("SELECT count(*) FROM entries").fetchone()[0]
            ):
                rows = sql.execute("SELECT id FROM entries WHERE status = ?", (status,))
                allowed = {row[0] for row in rows}
            else:
                rows = sql.execute(
                    "SELECT id FROM entries WHERE NOT coalesce(status = ?, 0)", (status,)
                )
                excluded = {row[0] for row in rows}
        hits, _ = self.index.search_with_total(
            plan, allowed=allowed, excluded=excluded, limit=LIMIT, sort=sort
        )
        return [h.id for h in hits]

    def highlights(self, text: str, n: int) -> int:
        plan = parse_query(text)
        ids = [h.id for h in self.index.search(plan, limit=n)]
        return len(self.index.highlights(ids, plan))

    def more_like_this(self, entry_id: int) -> list[int]:
        return [h.id for h in self.index.more_like_this(entry_id, limit=10)]

    def close(self) -> None:
        self.index.close()


class OursWarm:
    name = "ours warm"

    def __init__(self, ours: Ours) -> None:
        self.ours = ours

    def search(self, text: str, **kw: Any) -> list[int]:
        return self.ours.search(text, **kw)

    def highlights(self, text: str, n: int) -> int:
        return self.ours.highlights(text, n)

    def more_like_this(self, entry_id: int) -> list[int]:
        return self.ours.more_like_this(entry_id)


class NaiveWhoosh:
    name = "naive whoosh"

    def __init__(self, directory: Path, reuse: bool = False) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if reuse:
            self.ix = whoosh_index.open_dir(str(directory), schema=SCHEMA)
        else:
            self.ix = whoosh_index.create_in(str(directory), SCHEMA)
        fields = [f for f, _ in DEFAULT_FIELDS]
        boosts = dict(DEFAULT_FIELDS)
        self.parser = MultifieldParser(fields, schema=SCHEMA, fieldboosts=boosts)

    def build(self, docs: Sequence[IndexDoc]) -> None:
        writer = self.ix.writer()
        for doc in docs:
            writer.add_document(**doc_fields(doc))
        writer.commit()

    def search(self, text: str, *, sort: str = "relevance", status: str | None = None) -> list[int]:
        q = self.parser.parse(text)
        kwargs: dict[str, Any] = {"limit": LIMIT}
        if status is not None:
            kwargs["filter"] = self.parser.parse(f"status:{status}")
        if sort == "date":
            kwargs["sortedby"] = "published"
            kwargs["reverse"] = True
        with self.ix.searcher() as s:
            return [hit["id"] for hit in s.search(q, **kwargs)]

    def highlights(self, text: str, n: int) -> int:
        q = self.parser.parse(text)
        with self.ix.searcher() as s:
            results = s.search(q, limit=n)
            return sum(1 for hit in results if hit.highlights("abstract"))

    def more_like_this(self, entry_id: int) -> list[int]:
        with self.ix.searcher() as s:
            docnum = s.document_number(id=entry_id)
            if docnum is None:
                return []
            return [hit["id"] for hit in s.more_like(docnum, "abstract", top=10)]

    def close(self) -> None:
        pass


class Fts5:
    name = "fts5"

    def __init__(self, path: Path, reuse: bool = False) -> None:
        self.db = sqlite3.connect(path)
        if reuse:
            return
        self.db.executescript(
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE entries (id INTEGER PRIMARY KEY, status TEXT, published TEXT,
                                  votes INTEGER);
            CREATE INDEX entries_status ON entries(status);
            CREATE VIRTUAL TABLE fts USING fts5(
                title, abstract, keywords, ai_summary, authors, note,
                tokenize = 'porter unicode61 remove_diacritics 2'
            );
            """
        )

    def fill_entries(self, docs: Sequence[IndexDoc]) -> None:
        """The plain table (the library's database) that ours takes filters from."""
        with self.db:
            self.db.executemany(
                "INSERT INTO entries VALUES (?, ?, ?, ?)",
                [
                    (d.id, d.status, d.published.isoformat() if d.published else None, d.votes)
                    for d in docs
                ],
            )

    def build(self, docs: Sequence[IndexDoc]) -> None:
        self.fill_entries(docs)
        with self.db:
            self.db.executemany(
                "INSERT INTO fts(rowid, title, abstract, keywords, ai_summary, authors, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.id,
                        d.title,
                        d.abstract,
                        "\n".join(d.keywords),
                        d.ai_summary,
                        "\n".join(d.authors),
                        d.note,
                    )
                    for d in docs
                ],
            )

    @staticmethod
    def _match(text: str) -> str:
        # Our syntax -> FTS5 syntax for the handful of benchmark queries.
        return text.replace(" AND ", " ")

    def search(self, text: str, *, sort: str = "relevance", status: str | None = None) -> list[int]:
        where = "fts MATCH ?"
        params: list[Any] = [self._match(text)]
        if status is not None:
            where += " AND e.status = ?"
            params.append(status)
        order = "e.published DESC" if sort == "date" else "bm25(fts, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0)"
        sql = (
            f"SELECT fts.rowid FROM fts JOIN entries e ON e.id = fts.rowid WHERE {where} "
            f"ORDER BY {order} LIMIT {LIMIT}"
        )
        return [row[0] for row in self.db.execute(sql, params)]

    def highlights(self, text: str, n: int) -> int:
        rows = self.db.execute(
            "SELECT snippet(fts, 1, '<b>', '</b>', '…', 24) FROM fts WHERE fts MATCH ? "
            "ORDER BY bm25(fts, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0) LIMIT ?",
            (self._match(text), n),
        ).fetchall()
        return len(rows)

    def more_like_this(self, entry_id: int) -> list[int] | None:
        return None  # FTS5 has no "more like this"

    def close(self) -> None:
        self.db.close()


# --------------------------------------------------------------------------------- running


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # seconds
    results: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def time_all(
    fns: dict[str, Callable[[Any], Any]], variants: Sequence[Any], repeats: int
) -> dict[str, Timing | None]:
    """Time every engine on the same inputs, interleaved run by run so that background load
    (this machine is shared) affects them alike. An engine returning None is "not supported"."""
    timings: dict[str, Timing | None] = {}
    for name, fn in fns.items():
        timings[name] = None if fn(variants[0]) is None else Timing()  # warm-up
    sizes: dict[str, list[int]] = {name: [] for name in fns}
    for i in range(repeats):
        arg = variants[i % len(variants)]
        for name, fn in fns.items():
            timing = timings[name]
            if timing is None:
                continue
            start = CLOCK()
            out = fn(arg)
            timing.samples.append(CLOCK() - start)
            sizes[name].append(out if isinstance(out, int) else len(out))
    for name, timing in timings.items():
        if timing is not None:
            timing.results = round(statistics.median(sizes[name]))
    return timings


_WORD = re.compile(r"[a-z]{5,}")


def pick_words(docs: Sequence[IndexDoc]) -> dict[str, list[str]]:
    """Query words chosen from the data by document frequency (surface forms)."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(set(_WORD.findall(doc.abstract.lower())))
    n = len(docs)
    # "common": in 20-60% of the abstracts (like "model" or "learning" in a real library)
    common = [w for w, c in df.most_common() if 0.2 * n <= c <= 0.6 * n][:5]
    rare = [w for w, c in sorted(df.items()) if c == 2][:5]
    # 4-letter prefixes shared by the most distinct words: the case Whoosh's Prefix is slow on
    stems = Counter(w[:4] for w in df)
    many = [f"{p}*" for p, _ in stems.most_common(4)]
    return {"common": common, "rare": rare, "many": many}


def run_size(
    n: int,
    repeats: int,
    workdir: Path,
    seed: int,
    only: Sequence[str] = ENGINES,
    reuse: bool = False,
) -> tuple[list[str], dict[str, Any]]:
    print(f"== {n} entries: generating", file=sys.stderr, flush=True)
    start = time.perf_counter()
    docs = [to_index_doc(i + 1, d) for i, d in enumerate(generate_entries(n, seed=seed))]
    gen_s = time.perf_counter() - start

    base = workdir / f"n{n}"
    reuse = reuse and (base / "fts.sqlite").exists()
    if not reuse:
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
    fts = Fts5(base / "fts.sqlite", reuse)
    ours = Ours(base / "ours", fts.db)
    naive = NaiveWhoosh(base / "naive", reuse and (base / "naive").exists())
    engines: list[Any] = [e for e in (ours, naive, fts) if e.name in only or e is ours]
    if fts not in engines and not reuse:
        fts.fill_entries(docs)

    build: dict[str, float] = {}
    for engine in [] if reuse else engines:
        print(f"== {n} entries: indexing with {engine.name}", file=sys.stderr, flush=True)
        start, wall = CLOCK(), time.perf_counter()
        engine.build(docs)
        build[engine.name] = CLOCK() - start
        print(f"   {time.perf_counter() - wall:.1f} s wall", file=sys.stderr, flush=True)

    # An index reused from before postings files existed gets them now (a rebuild writes
    # them itself, inside its timed build).
    start = time.perf_counter()
    backfilled = ours.index.write_postings_files()
    backfill_s = time.perf_counter() - start
    if backfilled:
        print(f"   {backfilled} postings files written in {backfill_s:.1f} s", file=sys.stderr)

    words = pick_words(docs)
    print(f"   words: {words}", file=sys.stderr, flush=True)
    common, rare = words["common"], words["rare"]
    pairs = [f"{a} {b}" for a, b in zip(common, common[1:] + common[:1], strict=True)]
    mlt_ids = [1 + (i * 7919) % n for i in range(5)]

    def q(engine: Any, **kw: Any) -> Callable[[str], Any]:
        if isinstance(engine, Ours):
            return lambda text: engine.cold().search(text, **kw)
        return lambda text: engine.search(text, **kw)

    def cold(engine: Any) -> Any:
        return engine.cold() if isinstance(engine, Ours) else engine

    kinds: list[tuple[str, Callable[[Any], Callable[[Any], Any]], Sequence[Any]]] = [
        ("common word", lambda e: q(e), common),
        ("rare word", lambda e: q(e), rare),
        ("two words", lambda e: q(e), pairs),
        (
            "phrase",
            lambda e: q(e),
            ['"large language models"', '"reinforcement learning"', '"diffusion models"'],
        ),
        ("filtered (status:unread + word)", lambda e: q(e, status="unread"), common),
        ("date-sorted word", lambda e: q(e, sort="date"), common),
        ("50 highlights", lambda e: lambda t: cold(e).highlights(t, 50), common),
        ("prefix (gener*, learn*...)", lambda e: q(e), ["gener*", "learn*", "optim*", "reason*"]),
        (f"prefix, many words ({', '.join(words['many'])})", lambda e: q(e), words["many"]),
        ("more like this", lambda e: lambda i: cold(e).more_like_this(i), mlt_ids),
    ]

    warm = OursWarm(ours)
    rows: list[str] = []
    for label, make, variants in kinds:
        print(f"   {label}", file=sys.stderr, flush=True)
        fns = {e.name: make(e) for e in engines}
        fns = {"ours": fns["ours"], "ours warm": make(warm), **fns}
        timings = time_all(fns, variants, repeats)
        rows.append(format_row(label, timings))

    sizes = {
        "ours": dir_size(base / "ours"),
        "naive whoosh": dir_size(base / "naive"),
        "fts5": dir_size(base, suffix=".sqlite"),
    }
    ours_state = ours.index.state()
    info = {
        "n": n,
        "generate_s": gen_s,
        "build": build,
        "sizes": sizes,
        "segments": len(list((base / "ours").glob("*.trm"))),
        "postings_files": dir_size(base / "ours", suffix=postings_file.SUFFIX),
        "backfill": (backfilled, backfill_s),
        "doc_count": ours_state.doc_count if ours_state else None,
    }
    for engine in engines:
        engine.close()
    if fts not in engines:
        fts.close()
    return rows, info


def dir_size(path: Path, suffix: str | None = None) -> int:
    return sum(
        p.stat().st_size
        for p in path.rglob("*")
        if p.is_file() and (suffix is None or p.name.endswith((suffix, suffix + "-wal")))
    )


def fmt(t: Timing | None, attr: str) -> str:
    return "n/a" if t is None else f"{getattr(t, attr):.1f}"


def ratio(a: Timing | None, b: Timing | None) -> str:
    if a is None or b is None or b.p50 == 0:
        return "n/a"
    return f"{a.p50 / b.p50:.2f}×"


def format_row(label: str, t: dict[str, Timing | None]) -> str:
    ours, naive, fts = t.get("ours"), t.get("naive whoosh"), t.get("fts5")
    warm = t.get("ours warm")
    hits = "/".join("-" if x is None else str(x.results) for x in (ours, naive, fts))
    return (
        f"| {label} | {fmt(ours, 'p50')} | {fmt(ours, 'p95')} | "
        f"{fmt(warm, 'p50')} | {fmt(warm, 'p95')} | {fmt(naive, 'p50')} | "
        f"{fmt(naive, 'p95')} | {fmt(fts, 'p50')} | {fmt(fts, 'p95')} | "
        f"{ratio(ours, naive)} | {ratio(ours, fts)} | {hits} |"
    )


def report(results: Iterable[tuple[list[str], dict[str, Any]]], repeats: int, clock: str) -> str:
    clock_name = "CPU time (process_time)" if clock == "cpu" else "wall-clock time"
    lines = [
        "# Search benchmark",
        "",
        f"`{' '.join(sys.argv)}` on {platform.platform()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs; {repeats} timed runs per "
        f"query kind after one warm-up; times in milliseconds of {clock_name}; "
        '"ours" is timed cold (its cache of decoded postings emptied before each query: a '
        'first search of those words), "ours warm" with the cache (the same words again); '
        "ratio = ours (cold) p50 / other p50 (< 1 means ours is faster). Hits = median results "
        f"returned (ours/naive/FTS5, limit {LIMIT}).",
        "",
    ]
    for rows, info in results:
        n = info["n"]
        build = info["build"]
        sizes = info["sizes"]
        lines += [
            f"## {n:,} entries",
            "",
            "| query | ours p50 | ours p95 | ours warm p50 | ours warm p95 | naive p50 | "
            "naive p95 | FTS5 p50 | FTS5 p95 | ours/naive | ours/FTS5 | hits |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            f"| indexing | seconds ({clock}) | entries/s | size on disk |",
            "|---|---:|---:|---:|",
        ]
        for name in ENGINES:
            if name not in build:
                continue
            secs = build[name]
            lines.append(f"| {name} | {secs:.1f} | {n / secs:,.0f} | {sizes[name] / 1e6:.1f} MB |")
        lines += [
            "",
            f"Generating the entries took {info['generate_s']:.1f} s; our index has "
            f"{info['segments']} segment(s) after the rebuild (not optimized); its postings "
            f"files take {info['postings_files'] / 1e6:.1f} MB of its size on disk"
            + (
                f" ({info['backfill'][0]} written for this run in {info['backfill'][1]:.1f} s "
                "wall, the index being reused from before they existed)."
                if info["backfill"][0]
                else "."
            ),
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated entry counts")
    parser.add_argument("--queries", type=int, default=30, help="timed runs per query kind")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated subset of: {', '.join(ENGINES)} (ours always runs)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock or this process's CPU time (steadier on a busy machine)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the indexes an earlier run left in --workdir instead of building them "
        "(the indexing rows then read 0)",
    )
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        only = [e.strip() for e in args.engines.split(",")]
        results = [run_size(n, args.queries, workdir, args.seed, only, args.reuse) for n in sizes]
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, args.queries, args.clock)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
