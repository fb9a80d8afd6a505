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
  runs it (keywords included); the per-query wins and losses, the two halves of the queries
  and a paired bootstrap interval say whether a lead is more than noise;
* dense embeddings, when ``wordllama`` is installed (it is not a dependency; without it the part
  says it was skipped): cosine of its 256-dimension static embeddings of title + abstract, its
  re-ranking of the model's 50 best candidates and a blend of both, on the same judgements,
  with what it costs (installed size of it and its new dependencies, import time, memory, time
  to embed the samples and ``--dense-size`` papers);
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
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import select

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.similarity.model import Match, SimilarityModel, build
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


class LevelField:
    """The held-out judgements and the two rankings that never see the keywords: the
    similarity model and the tf-idf baseline, each built once over title + abstract."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        keywords = {p.id: set(p.keywords) for p in papers}
        self.relevant = {
            p.id: {
                q.id for q in papers if q.id != p.id and len(keywords[p.id] & keywords[q.id]) >= 2
            }
            for p in papers
            if keywords[p.id]
        }
        self.queries = [e for e, r in self.relevant.items() if r]
        self.model = build((p.id, paper_terms(p.title, p.abstract)) for p in papers)
        self.tfidf = TfIdf(papers)

    def ours(self, e: int, limit: int = 5) -> list[Match]:
        return self.model.similar(self.model.vector(e) or {}, limit=limit, exclude=[e])

    def baseline(self, e: int) -> list[int]:
        return self.tfidf.similar(self.tfidf.vectors[e], 5, exclude=e)

    def ndcg(self, ranking: dict[int, list[int]]) -> list[float]:
        """nDCG@5 per query, in the order of ``queries``."""
        return [ndcg5(ranking[e], self.relevant[e]) for e in self.queries]


def overlap5(ranking: dict[int, list[int]], other: dict[int, list[int]]) -> float:
    """Papers two rankings' top 5 have in common, on average over the queries."""
    return statistics.mean(len(set(ranking[e][:5]) & set(other[e][:5])) for e in ranking)


def against(ours: Sequence[float], theirs: Sequence[float], name: str) -> str:
    """Per query nDCG@5 of a ranking against another's: wins, losses, ties, the two halves of
    the queries (odd and even positions: a lead must hold in both, not in one lucky lot) and a
    paired bootstrap 95% interval of the mean difference (2,000 resamples of the queries)."""
    wins = sum(a > b for a, b in zip(ours, theirs, strict=True))
    losses = sum(a < b for a, b in zip(ours, theirs, strict=True))
    halves = [(statistics.mean(ours[h::2]), statistics.mean(theirs[h::2])) for h in (0, 1)]
    differences = [a - b for a, b in zip(ours, theirs, strict=True)]
    rng = random.Random(11)
    means = sorted(
        statistics.fmean(rng.choices(differences, k=len(differences))) for _ in range(2000)
    )
    return (
        f"Per query against {name}: {wins} better, {losses} worse, "
        f"{len(ours) - wins - losses} as good; in two halves of the queries "
        f"{halves[0][0]:.3f} vs {halves[0][1]:.3f} and {halves[1][0]:.3f} vs "
        f"{halves[1][1]:.3f}; mean difference {statistics.fmean(differences):+.3f} "
        f"(95% bootstrap interval {means[50]:+.3f} to {means[1949]:+.3f})."
    )


def bench_related_quality(library: Library, papers: list[Paper], field: LevelField) -> list[str]:
    queries = field.queries
    library.related(queries[0])  # build the app's model once (keywords included)

    def ours(e: int) -> list[int]:
        return [m.entry_id for m in field.ours(e)]

    def app(e: int) -> list[int]:
        return [m.entry_id for m in library.related(e, limit=5)]

    def old(e: int) -> list[int]:
        return [h.id for h in library.index.more_like_this(e, limit=5)]

    rankings = {
        name: {e: f(e) for e in queries}
        for name, f in (("ours", ours), ("app", app), ("tfidf", field.baseline), ("old", old))
    }
    per_query = {name: field.ndcg(r) for name, r in rankings.items()}
    score = {name: statistics.mean(values) for name, values in per_query.items()}

    def overlap(name: str) -> float:
        return overlap5(rankings[name], rankings["tfidf"])

    # The issue's own case: a paper named "... 2.0" must not find the other "2.0"s. Every
    # paper with a version number in its title: how many of its top 5 have one too.
    version = re.compile(r"\b(?:v?\d+\.\d+|v\d+)\b", re.IGNORECASE)
    titles = {p.id: p.title for p in papers}
    versioned = [p.id for p in papers if version.search(p.title)]
    share_in_library = len(versioned) / len(papers)

    def versions_found(rank: Callable[[int], list[int]]) -> float:
        found = [e for v in versioned for e in rank(v)]
        return sum(bool(version.search(titles[e])) for e in found) / max(1, len(found))

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
        f"Ratio to the baseline: {score['ours'] / score['tfidf']:.2f}. "
        f"{against(per_query['ours'], per_query['tfidf'], 'the baseline')}",
        "",
        f'The {len(versioned)} papers with a version number in the title (such as "2.0"; '
        f"{share_in_library:.1%} of all): share of their top 5 related papers whose title has "
        f"one too: similarity model (as the app runs it) {versions_found(app):.1%}, "
        f"tf-idf {versions_found(field.baseline):.1%}, more-like-this before "
        f"{versions_found(old):.1%}.",
    ]


def bench_recommend_quality(papers: list[Paper], field: LevelField) -> list[str]:
    dated = sorted((p for p in papers if p.keywords and p.published), key=lambda p: p.published)
    middle = dated[len(dated) // 2].published
    early = [p for p in dated if p.published < middle]
    late = [p for p in dated if p.published >= middle]
    model, tfidf = field.model, field.tfidf
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


# ---------------------------------------------------------------- dense embeddings (optional)
#: The similarity model's candidates that the hybrids re-rank by their embeddings.
HYBRID_CANDIDATES = 50


def load_wordllama() -> Any:
    """WordLlama's 256-dimension model from its own wheel, or None without wordllama.

    ``WordLlama.load()`` looks for the wheel's tokenizer under ``tokenizer/`` while the wheel
    has it under ``tokenizers/``, and so downloads it from Hugging Face; naming the wheel's own
    folder as the cache finds both files there, and downloads are refused."""
    try:
        import wordllama  # type: ignore[import-not-found]
    except ImportError:
        return None
    folder = Path(wordllama.__file__).parent
    return wordllama.WordLlama.load(cache_dir=folder, disable_download=True)


def rss_mb() -> float:
    """This process's resident memory (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def import_ms(statement: str, runs: int = 5) -> float:
    """Median cumulative time ``python -X importtime`` gives the statement's last module, each
    run a new interpreter."""
    module = statement.split()[-1]
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement],
            capture_output=True,
            text=True,
            check=True,
        )
        rows = [r.split("|") for r in done.stderr.splitlines() if r.startswith("import time:")]
        times.append(next(int(r[1]) for r in reversed(rows) if r[2].strip() == module) / 1000)
    return statistics.median(times)


def installed_closure(name: str) -> dict[str, int]:
    """A distribution and all it requires (extras left out), each with its installed bytes."""
    sizes: dict[str, int] = {}
    todo = [name]
    while todo:
        wanted = canonicalize_name(todo.pop())
        if wanted in sizes:
            continue
        try:
            dist = metadata.distribution(wanted)
        except metadata.PackageNotFoundError:
            continue
        sizes[wanted] = sum(
            path.stat().st_size
            for path in (Path(str(dist.locate_file(f))) for f in dist.files or ())
            if path.is_file()
        )
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return sizes


def loaded_distributions(statement: str) -> set[str]:
    """Distributions whose modules a new interpreter has loaded after running ``statement``."""
    listing = "print(' '.join({m.partition('.')[0] for m in sys.modules}))"
    code = f"{statement}\nimport sys\n{listing}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    owners = metadata.packages_distributions()
    return {canonicalize_name(d) for m in done.stdout.split() for d in owners.get(m, ())}


def bench_dense_quality(papers: list[Paper], field: LevelField, at_scale: int) -> list[str]:
    """Related papers by the cosine of wordllama's embeddings of title + abstract, and two
    hybrids over the similarity model's 50 best candidates, against the same judgements; then
    what wordllama costs (size, import, memory, time)."""
    before = rss_mb()
    started = time.perf_counter()
    model = load_wordllama()
    loaded = time.perf_counter() - started
    if model is None:
        return ["Dense embeddings: skipped: wordllama not installed (`pip install wordllama`)."]
    import numpy as np

    after_load = rss_mb()
    texts = [f"{p.title} {p.abstract}" for p in papers]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        vectors = model.embed(texts, norm=True)
        times.append(time.perf_counter() - started)
    row = {p.id: i for i, p in enumerate(papers)}
    ids = np.array([p.id for p in papers])
    queries = field.queries

    def dense(e: int) -> list[int]:
        scores = vectors @ vectors[row[e]]
        scores[row[e]] = -np.inf
        return [int(i) for i in ids[np.argsort(-scores, kind="stable")[:5]]]

    def cosine(e: int, other: int) -> float:
        return float(vectors[row[e]] @ vectors[row[other]])

    candidates = {e: field.ours(e, limit=HYBRID_CANDIDATES) for e in queries}

    def blend(e: int, weight: float) -> list[int]:
        """Both scores as z-scores among the candidates, the dense one weighted ``weight``."""
        found = candidates[e]
        lexical = standardised([m.score for m in found])
        semantic = standardised([cosine(e, m.entry_id) for m in found])
        mixed = [(1 - weight) * a + weight * b for a, b in zip(lexical, semantic, strict=True)]
        order = sorted(range(len(found)), key=lambda i: -mixed[i])
        return [found[i].entry_id for i in order[:5]]

    rankings = {
        "tfidf": {e: field.baseline(e) for e in queries},
        "ours": {e: [m.entry_id for m in field.ours(e)] for e in queries},
        "dense": {e: dense(e) for e in queries},
        "rerank": {e: blend(e, 1.0) for e in queries},
        "hybrid": {e: blend(e, 0.5) for e in queries},
    }
    per_query = {name: field.ndcg(r) for name, r in rankings.items()}
    score = {name: statistics.mean(values) for name, values in per_query.items()}
    sweep = {
        w: statistics.mean(field.ndcg({e: blend(e, w) for e in queries})) for w in (0.25, 0.75)
    }
    names = {
        "tfidf": "tf-idf baseline",
        "ours": "similarity model (BM25 words and phrases)",
        "dense": "dense: wordllama cosine over all papers",
        "rerank": f"dense re-ranking of the model's top {HYBRID_CANDIDATES}",
        "hybrid": f"hybrid: model and dense z-scores, half each, over its top {HYBRID_CANDIDATES}",
    }
    lines = [
        f"Dense embeddings (wordllama {metadata.version('wordllama')}, "
        f"{vectors.shape[1]} dimensions, title + abstract, mean of token vectors, cosine), "
        f"the same {len(queries)} queries and judgements:",
        "",
        "| ranking | nDCG@5 | overlap@5 with tf-idf | overlap@5 with the model |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {names[n]} | {score[n]:.3f} | {overlap5(rankings[n], rankings['tfidf']):.2f} | "
        f"{overlap5(rankings[n], rankings['ours']):.2f} |"
        for n in names
    ]
    lines += [
        "",
        f"Dense: {against(per_query['dense'], per_query['tfidf'], 'tf-idf')}",
        f"Dense re-ranking: {against(per_query['rerank'], per_query['tfidf'], 'tf-idf')}",
        f"Hybrid: {against(per_query['hybrid'], per_query['tfidf'], 'tf-idf')}",
        f"Hybrid: {against(per_query['hybrid'], per_query['ours'], 'the similarity model')}",
        "The blend's dense weight chosen on these same judgements (optimistic): "
        + ", ".join(f"{w} -> {v:.3f}" for w, v in sweep.items())
        + f" (0.5 -> {score['hybrid']:.3f}, 1.0 -> {score['rerank']:.3f}).",
        "",
    ]
    lines += dense_cost(model, vectors, texts, times, loaded, after_load - before, at_scale)
    return lines


def standardised(values: Sequence[float]) -> list[float]:
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values) or 1.0
    return [(v - mean) / spread for v in values]


def dense_cost(
    model: Any,
    vectors: Any,
    texts: list[str],
    times: list[float],
    loaded: float,
    load_mb: float,
    at_scale: int,
) -> list[str]:
    import numpy as np

    app = installed_closure("digestdesk")
    needs = installed_closure("wordllama")
    new = {name: size for name, size in needs.items() if name not in app}
    statement = "import wordllama"
    run = (
        "import pathlib, wordllama; wordllama.WordLlama.load(cache_dir="
        "pathlib.Path(wordllama.__file__).parent, disable_download=True).embed(['a b'])"
    )
    at_run_time = loaded_distributions(run) - loaded_distributions("import digestdesk") - set(app)
    lines = [
        "What it costs (installed sizes from the wheels' RECORD files; the app's own "
        "dependencies are PySide6-Essentials, SQLAlchemy, alembic, qtawesome, platformdirs, "
        "whoosh3 and theirs):",
        "",
        f"- new distributions for wordllama: {len(new)}, {sum(new.values()) / 1e6:.1f} MB "
        "installed: "
        + ", ".join(f"{n} {s / 1e6:.1f}" for n, s in sorted(new.items(), key=lambda i: -i[1])),
        f"- already in the app: {', '.join(sorted(set(needs) & set(app))) or 'none'}",
        f"- loaded when it embeds (what a bundle must carry at least): "
        f"{len(at_run_time)} distributions, "
        f"{sum(needs.get(n, 0) for n in at_run_time) / 1e6:.1f} MB installed: "
        + ", ".join(sorted(at_run_time)),
        f"- import (`python -X importtime`, median of 5 new interpreters): `{statement}` "
        f"{import_ms(statement):.0f} ms, of which `import numpy` {import_ms('import numpy'):.0f} "
        f"ms; load the model {loaded * 1000:.0f} ms; memory +{load_mb:.0f} MB resident after "
        f"import and load (embedding matrix {model.embedding.nbytes / 1e6:.0f} MB as float32)",
        f"- embed the {len(texts):,} samples: {statistics.median(times):.2f} s (median of 3; "
        f"{len(texts) / statistics.median(times):,.0f} papers a second)",
    ]
    if at_scale:
        many = [texts[i % len(texts)] for i in range(at_scale)]
        started = time.perf_counter()
        matrix = model.embed(many, norm=True).astype(np.float32)
        embedded = time.perf_counter() - started
        rng = random.Random(5)
        query_times = []
        for i in (rng.randrange(at_scale) for _ in range(200)):
            started = time.perf_counter()
            scores = matrix @ matrix[i]
            top = np.argpartition(scores, -11)[-11:]
            top[np.argsort(-scores[top])]
            query_times.append(time.perf_counter() - started)
        lines += [
            f"- embed {at_scale:,} papers (the samples' texts repeated): {embedded:.1f} s; their "
            f"vectors {matrix.nbytes / 1e6:.0f} MB as float32 "
            f"({matrix.nbytes / 2e6:.0f} MB as float16); top 10 by brute-force cosine over them, "
            f"200 queries: p50 {ms(statistics.median(query_times))}, "
            f"p95 {ms(percentile(query_times, 0.95))}",
        ]
    del vectors
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
    parser.add_argument(
        "--dense-size",
        type=int,
        default=100_000,
        help="papers embedded for the dense option's time at scale (0 skips)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-related-") as temp:
        folder = args.keep or Path(temp)
        print("# Related papers and recommendations\n")
        if SAMPLES.is_dir():
            library, papers = load_samples(Path(temp))
            try:
                field = LevelField(papers)
                for line in bench_related_quality(library, papers, field):
                    print(line)
                print()
                for line in bench_dense_quality(papers, field, args.dense_size):
                    print(line)
                print()
                for line in bench_recommend_quality(papers, field):
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
