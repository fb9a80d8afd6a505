"""Related papers and recommendations against tf-idf baselines, and their speed (numbers only).

Standalone script::

    .venv/bin/python tests/benchmarks/bench_related.py --size 100000

Quality, on the real papers of ``../shared/samples/hf-daily-api/`` (1,627; skipped without them),
all measured in this run:

* related papers: nDCG@5 against a held-out signal (two papers are relevant to each other when
  they share two or more AI keywords; keywords are left out of every ranking for this check),
  for the similarity model, a tf-idf baseline written out here (scikit-learn is not installed:
  1-2-grams, sublinear tf, English stop words, min_df 2, max_df 0.5, cosine over title +
  abstract) and the search index's more-like-this that ``Library.related`` used before (it
  sees the keywords, an advantage); overlap@5 of the model with the baseline, also as the app
  runs it (keywords included);
* recommendations: precision@10 in a simulated triage. For each topic (papers whose AI keywords
  contain a phrase), the papers published before the middle day are triaged: the topic's are
  tagged, twice as many others skipped, the rest left unread; the papers after it are ranked.
  The learned taste against a tf-idf centroid of the tagged papers (the baseline). Vectors of
  both leave the keywords out, as the topic is defined by them.

Speed, on a library of ``--size`` generated entries: building the model (and its file size),
``Library.related`` p50/p95 for random papers, training a taste and ranking a 300-paper day.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import select

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.similarity.model import SimilarityModel, build
from digestdesk.core.similarity.recommend import NotEnoughTriage, Triage, train
from digestdesk.core.similarity.terms import STOP_WORDS, paper_terms
from digestdesk.core.similarity.vectors import SparseVector
from digestdesk.paths import resolve_library

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_trends import _machine_note, ms  # noqa: E402
from bench_trends import build as build_library

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "hf-daily-api"
TOPICS = (
    "video generation",
    "reinforcement learning",
    "diffusion models",
    "large language models",
    "multimodal",
    "reasoning",
    "agents",
    "3d",
    "benchmark",
    "image editing",
)


class Paper:
    def __init__(
        self,
        entry_id: int,
        title: str,
        abstract: str,
        keywords: Sequence[str],
        published: date | None,
    ) -> None:
        self.id = entry_id
        self.title = title
        self.abstract = abstract
        self.keywords = [k.lower() for k in keywords]
        self.published = published


# ---------------------------------------------------------------- tf-idf baseline
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _grams(text: str) -> list[str]:
    """scikit-learn's analyser: lower-case 2+ character tokens, stop words out, 1-2-grams."""
    tokens = [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


class TfIdf:
    """TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english",
    min_df=2, max_df=0.5) with cosine, over title + abstract."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        counts = {p.id: Counter(_grams(f"{p.title} {p.abstract}")) for p in papers}
        df = Counter(t for c in counts.values() for t in c)
        n = len(papers)
        keep = {t for t, d in df.items() if 2 <= d <= 0.5 * n}
        self.vectors: dict[int, dict[str, float]] = {}
        for entry_id, c in counts.items():
            v = {
                t: (1 + math.log(k)) * (math.log((1 + n) / (1 + df[t])) + 1)
                for t, k in c.items()
                if t in keep
            }
            norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
            self.vectors[entry_id] = {t: w / norm for t, w in v.items()}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for entry_id, v in self.vectors.items():
            for t, w in v.items():
                self.postings.setdefault(t, []).append((entry_id, w))

    def similar(self, vector: dict[str, float], limit: int, exclude: int = -1) -> list[int]:
        scores: Counter[int] = Counter()
        for t, w in vector.items():
            for other, ow in self.postings.get(t, ()):
                scores[other] += w * ow
        scores.pop(exclude, None)
        return [e for e, _ in scores.most_common(limit)]


# ---------------------------------------------------------------- quality
def load_samples(folder: Path) -> tuple[Library, list[Paper]]:
    library = Library.open(resolve_library(folder / "samples"), repair_index=False)
    for path in sorted(SAMPLES.glob("*.json")):
        library.import_file(path, index=False)
    library.ensure_index()
    E = schema.entries
    with library.engine.connect() as conn:
        rows = conn.execute(
            select(E.c.id, E.c.title, E.c.abstract, E.c.ai_keywords, E.c.published)
        ).all()
    return library, [
        Paper(r.id, r.title, r.abstract, r.ai_keywords or [], r.published) for r in rows
    ]


def ndcg5(ranked: Sequence[int], relevant: set[int]) -> float:
    dcg = sum(1 / math.log2(r + 2) for r, e in enumerate(ranked[:5]) if e in relevant)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(5, len(relevant))))
    return dcg / ideal


def bench_related_quality(library: Library, papers: list[Paper]) -> list[str]:
    keywords = {p.id: set(p.keywords) for p in papers}
    relevant = {
        p.id: {q.id for q in papers if q.id != p.id and len(keywords[p.id] & keywords[q.id]) >= 2}
        for p in papers
        if keywords[p.id]
    }
    queries = [e for e, r in relevant.items() if r]
    blind = build((p.id, paper_terms(p.title, p.abstract)) for p in papers)
    tfidf = TfIdf(papers)
    library.related(queries[0])  # build the app's model once (keywords included)

    def ours(e: int) -> list[int]:
        return [m.entry_id for m in blind.similar(blind.vector(e) or {}, limit=5, exclude=[e])]

    def app(e: int) -> list[int]:
        return [m.entry_id for m in library.related(e, limit=5)]

    def baseline(e: int) -> list[int]:
        return tfidf.similar(tfidf.vectors[e], 5, exclude=e)

    def old(e: int) -> list[int]:
        return [h.id for h in library.index.more_like_this(e, limit=5)]

    rankings = {
        name: {e: f(e) for e in queries}
        for name, f in (("ours", ours), ("app", app), ("tfidf", baseline), ("old", old))
    }
    score = {
        name: statistics.mean(ndcg5(r[e], relevant[e]) for e in queries)
        for name, r in rankings.items()
    }

    # Per query, against the baseline: where the model's top 5 is better, worse or as good.
    per_query = {
        name: [ndcg5(rankings[name][e], relevant[e]) for e in queries] for name in rankings
    }
    wins = sum(a > b for a, b in zip(per_query["ours"], per_query["tfidf"], strict=True))
    losses = sum(a < b for a, b in zip(per_query["ours"], per_query["tfidf"], strict=True))
    # Half the queries each (odd and even ids): the lead must hold in both, not in one lucky lot.
    halves = [
        (
            statistics.mean(per_query["ours"][i] for i in range(h, len(queries), 2)),
            statistics.mean(per_query["tfidf"][i] for i in range(h, len(queries), 2)),
        )
        for h in (0, 1)
    ]

    def overlap(name: str) -> float:
        return statistics.mean(
            len(set(rankings[name][e]) & set(rankings["tfidf"][e])) for e in queries
        )

    # The issue's own case: a paper named "... 2.0" must not find the other "2.0"s. Every
    # paper with a version number in its title: how many of its top 5 have one too.
    version = re.compile(r"\b(?:v?\d+\.\d+|v\d+)\b", re.IGNORECASE)
    titles = {p.id: p.title for p in papers}
    versioned = [p.id for p in papers if version.search(p.title)]
    share_in_library = len(versioned) / len(papers)

    def versions_found(rank: Callable[[int], list[int]]) -> float:
        found = [e for v in versioned for e in rank(v)]
        return sum(bool(version.search(titles[e])) for e in found) / max(1, len(found))

    def app_top(e: int) -> list[int]:
        return [m.entry_id for m in library.related(e, limit=5)]

    def tfidf_top(e: int) -> list[int]:
        return tfidf.similar(tfidf.vectors[e], 5, exclude=e)

    def old_top(e: int) -> list[int]:
        return [h.id for h in library.index.more_like_this(e, limit=5)]

    return [
        f"Related papers on the {len(papers):,} sample papers, {len(queries)} with a relevant "
        "paper (two or more AI keywords in common); keywords left out of the rankings:",
        "",
        "| ranking | nDCG@5 (held-out keywords) | overlap@5 with tf-idf |",
        "|---|---|---|",
        f"| similarity model (title + abstract) | {score['ours']:.3f} | {overlap('ours'):.2f} |",
        f"| tf-idf baseline (title + abstract) | {score['tfidf']:.3f} | 5.00 |",
        f"| more-like-this, before (sees keywords) | {score['old']:.3f} | {overlap('old'):.2f} |",
        f"| similarity model as the app runs it (sees keywords) | {score['app']:.3f} | "
        f"{overlap('app'):.2f} |",
        "",
        f"Ratio to the baseline: {score['ours'] / score['tfidf']:.2f}. Per query against the "
        f"baseline: {wins} better, {losses} worse, {len(queries) - wins - losses} as good. "
        f"In two halves of the queries: {halves[0][0]:.3f} vs {halves[0][1]:.3f} and "
        f"{halves[1][0]:.3f} vs {halves[1][1]:.3f}.",
        "",
        f'The {len(versioned)} papers with a version number in the title (such as "2.0"; '
        f"{share_in_library:.1%} of all): share of their top 5 related papers whose title has "
        f"one too: similarity model (as the app runs it) {versions_found(app_top):.1%}, "
        f"tf-idf {versions_found(tfidf_top):.1%}, more-like-this before "
        f"{versions_found(old_top):.1%}.",
    ]


def bench_recommend_quality(papers: list[Paper]) -> list[str]:
    dated = sorted((p for p in papers if p.keywords and p.published), key=lambda p: p.published)
    middle = dated[len(dated) // 2].published
    early = [p for p in dated if p.published < middle]
    late = [p for p in dated if p.published >= middle]
    model = build((p.id, paper_terms(p.title, p.abstract)) for p in papers)
    tfidf = TfIdf(papers)
    rng = random.Random(7)
    lines = [
        f"Recommendations in a simulated triage: {len(early)} papers before {middle} triaged, "
        f"{len(late)} after ranked; precision@10 (share of the top 10 in the topic).",
        "",
        "| topic | tagged | in later period | learned taste | tf-idf centroid | train |",
        "|---|---|---|---|---|---|",
    ]
    vectors = {p.id: model.vector(p.id) or {} for p in papers}

    def vectors_of(ids: Collection[int]) -> dict[int, SparseVector]:
        return {e: vectors[e] for e in ids}

    ours_all, base_all = [], []
    for topic in TOPICS:

        def in_topic(p: Paper, topic: str = topic) -> bool:
            return any(topic in k for k in p.keywords)

        tagged = [p.id for p in early if in_topic(p)]
        targets = {p.id for p in late if in_topic(p)}
        if len(tagged) < 8 or len(targets) < 10:
            continue
        others = [p.id for p in early if not in_topic(p)]
        skipped = rng.sample(others, min(len(others), 2 * len(tagged)))
        triage = Triage(
            status={**dict.fromkeys(skipped, "skipped"), **dict.fromkeys(tagged, "read")},
            tags={e: {"topic"} for e in tagged},
            untriaged=[e for e in others if e not in set(skipped)],
        )
        started = time.perf_counter()
        taste = train(triage, vectors_of, tag="topic")
        trained = time.perf_counter() - started
        if isinstance(taste, NotEnoughTriage):
            continue
        candidates = [p.id for p in late]
        margins = {e: taste.margin(vectors[e]) for e in candidates}
        ours = sorted(candidates, key=lambda e: -margins[e])[:10]
        centroid: Counter[str] = Counter()
        for e in tagged:
            centroid.update(tfidf.vectors[e])
        score = {
            e: sum(w * tfidf.vectors[e].get(t, 0.0) for t, w in centroid.items())
            for e in candidates
        }
        base = sorted(candidates, key=lambda e: -score[e])[:10]
        p_ours = sum(e in targets for e in ours) / 10
        p_base = sum(e in targets for e in base) / 10
        ours_all.append(p_ours)
        base_all.append(p_base)
        lines.append(
            f"| {topic} | {len(tagged)} | {len(targets)} | {p_ours:.1f} | {p_base:.1f} "
            f"| {ms(trained)} |"
        )
    lines += [
        f"| **mean** | | | **{statistics.mean(ours_all):.2f}** | "
        f"**{statistics.mean(base_all):.2f}** | |",
    ]
    return lines


# ---------------------------------------------------------------- speed
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def bench_speed(library: Library, samples: int) -> list[str]:
    store = library.similarity
    store.path.unlink(missing_ok=True)
    started = time.perf_counter()
    model: SimilarityModel = store.rebuild()
    built = time.perf_counter() - started
    size_mb = store.path.stat().st_size / 1e6
    fresh = Library(library._database)  # loading the saved file, as at the next start
    started = time.perf_counter()
    fresh.similarity.model()
    loaded = time.perf_counter() - started
    ids = list(model.entry_ids)
    rng = random.Random(3)
    times = []
    for entry_id in (rng.choice(ids) for _ in range(samples)):
        started = time.perf_counter()
        library.related(entry_id, limit=10)
        times.append(time.perf_counter() - started)
    # Triage as a reader would: a topic's papers tagged, others skipped.
    E = schema.entries
    with library.engine.connect() as conn:
        rows = conn.execute(select(E.c.id, E.c.title)).all()
    words = Counter(w for r in rows for w in set(r.title.lower().split()) if len(w) > 6)
    topic = next(w for w, n in words.most_common() if n < len(rows) // 20)
    liked = [r.id for r in rows if topic in r.title.lower()][:60]
    others = [r.id for r in rows if topic not in r.title.lower()]
    library.change_tags(liked, add=["bench"])
    library.set_status(rng.sample(others, 120), "skipped")
    started = time.perf_counter()
    taste = store.taste("bench")
    trained = time.perf_counter() - started
    day = library.digest_dates()[-1]
    day_ids = library.search(f"digest:{day.isoformat()}").ids
    while len(day_ids) < 300:
        day_ids += rng.sample(others, 300 - len(day_ids))
    day_ids = day_ids[:300]
    day_times = []
    for _ in range(20):
        started = time.perf_counter()
        found = library.recommend(ids=day_ids, tag="bench", limit=10)
        day_times.append(time.perf_counter() - started)
    assert isinstance(found, list) and not isinstance(taste, NotEnoughTriage), found
    return [
        f"Speed on {len(ids):,} generated entries ({_machine_note()}):",
        "",
        "| what | time |",
        "|---|---|",
        f"| build the similarity model (and save it, {size_mb:.0f} MB) | {built:.1f} s |",
        f"| load the saved model (next start) | {loaded:.1f} s |",
        f"| `Library.related(id, limit=10)`, {samples} random ids | p50 "
        f"{ms(statistics.median(times))}, p95 {ms(percentile(times, 0.95))} |",
        f"| train a taste ({len(liked)} tagged, 120 skipped, weak negatives) | {ms(trained)} |",
        f"| recommend for a 300-paper day (taste trained), 20 runs | median "
        f"{ms(statistics.median(day_times))}, p95 {ms(percentile(day_times, 0.95))} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="0 skips the speed part")
    parser.add_argument("--samples", type=int, default=200, help="related papers timed")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the libraries under DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-related-") as temp:
        folder = args.keep or Path(temp)
        print("# Related papers and recommendations\n")
        if SAMPLES.is_dir():
            library, papers = load_samples(Path(temp))
            try:
                for line in bench_related_quality(library, papers):
                    print(line)
                print()
                for line in bench_recommend_quality(papers):
                    print(line)
                print()
            finally:
                library.close()
        else:
            print(f"(quality skipped: the shared samples are not at {SAMPLES})\n")
        if args.size:
            library = build_library(folder / f"lib-{args.size}", args.size, index=False)
            try:
                for line in bench_speed(library, args.samples):
                    print(line)
            finally:
                library.close()


if __name__ == "__main__":
    main()
