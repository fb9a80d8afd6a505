"""The similarity model of a large library in memory (issue 16): loading it, the private
memory it takes (``RssAnon``; its file's pages mapped in place count in ``RssFile``, which the
kernel can drop and reread), related papers on it and a new paper's vector.

Related papers are timed three ways in one run, on the same papers: the file's pages kept
mapped in after each question (a pass to warm them first), then let go of after each question
as the store does (``let_go_of_pages``: mapped in again from the page cache at the next), then
kept again; ``RssFile`` after each pass.

Standalone script, numbers not assertions; run it with each tree's code on a library that tree
wrote (the model's format differs)::

    PYTHONPATH=desktop .venv/bin/python tests/benchmarks/bench_model_memory.py LIBRARY_DIR

The library's model (``index.similarity`` beside its database) must exist: the app or
``digestdesk related`` builds it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from pathlib import Path

from digestdesk.core.similarity.storage import let_go_of_pages, load
from digestdesk.core.similarity.terms import paper_terms


def _memory_mb() -> dict[str, float]:
    with open("/proc/self/status", encoding="ascii") as fh:
        return {
            line.split(":")[0]: int(line.split()[1]) / 1024
            for line in fh
            if line.startswith(("RssAnon:", "RssFile:"))
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    before = _memory_mb()
    started = time.perf_counter()
    model = load(args.library / "index.similarity")
    loading = time.perf_counter() - started
    if model is None:
        raise SystemExit(f"no model of this version in {args.library}")
    loaded = _memory_mb()
    rng = random.Random(1)
    ids = [model.entry_ids[rng.randrange(len(model.entry_ids))] for _ in range(args.queries)]

    def related_pass(let_go: bool) -> tuple[list[float], float]:
        times = []
        for entry_id in ids:
            started = time.perf_counter()
            model.similar(model.vector(entry_id) or {}, limit=10)
            if let_go:
                let_go_of_pages(model)
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times), _memory_mb()["RssFile"] - before["RssFile"]

    related_pass(False)  # the file's pages into the page cache
    queried = _memory_mb()
    times, kept_mb = related_pass(False)
    passes = {"kept": (times, kept_mb)}
    passes["let go"] = related_pass(True)
    passes["kept again"] = related_pass(False)
    papers = [
        paper_terms(f"Diffusion models for protein design {i}", "Graph neural networks. " * 9)
        for i in range(50)
    ]
    started = time.perf_counter()
    for paper in papers:
        model.vectorize(paper)
    vectorize_ms = (time.perf_counter() - started) / len(papers) * 1000
    related = "; ".join(
        f"{name} p50/p95 {statistics.median(t):.1f} / {t[int(0.95 * (len(t) - 1))]:.1f} ms, "
        f"mapped file pages after +{mb:.0f} MB"
        for name, (t, mb) in passes.items()
    )
    print(
        f"{len(model)} papers, {len(model.terms)} terms; load {loading:.2f} s; private memory "
        f"+{loaded['RssAnon'] - before['RssAnon']:.0f} MB loaded, "
        f"+{queried['RssAnon'] - before['RssAnon']:.0f} MB after {args.queries} queries; "
        f"related papers ({args.queries} each): {related}; "
        f"a new paper's vector {vectorize_ms:.2f} ms; load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
