"""A reader's taste learned from their own triage: a linear model over the papers' vectors.

As arxiv-sanity does with a linear SVM per tag, :func:`train` fits a logistic regression by
stochastic gradient descent (pure Python over the sparse vectors): the papers read, being read,
queued or tagged are positives, the skipped ones negatives, and a sample of the untriaged
papers weak negatives (what was not picked is mostly what one did not want). With a tag, the
papers carrying it are the positives and every other triaged paper a negative. Below
:data:`MIN_TRIAGED` triaged papers (or :data:`MIN_POSITIVES` positives) it says so instead of
guessing: :class:`NotEnoughTriage`.

A recommendation explains itself: the terms that weigh most in its score (``because``) and the
positive papers it is most like (``resembles``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from digestdesk.core.similarity.model import SimilarityModel, readable_terms
from digestdesk.core.similarity.vectors import SparseVector

#: Triaged papers needed before a taste is learned ("a few dozen").
MIN_TRIAGED = 30
#: Positives (read, queued, tagged; or carrying the tag) needed among them.
MIN_POSITIVES = 8
#: Untriaged papers sampled as weak negatives: this many per positive, at least WEAK_MIN.
WEAK_PER_POSITIVE = 3
WEAK_MIN = 100
WEAK_WEIGHT = 0.3
EPOCHS = 4
#: Triaged papers trained on at most (a random sample beyond; see :func:`_capped`).
MAX_LABELLED = 3000
CENTROID_PRIOR = 50.0
LEARNING_RATE = 0.3
L2 = 1e-4
POSITIVE_STATUSES = frozenset({"read", "reading", "queued"})


@dataclass(frozen=True)
class Triage:
    """What the reader decided: each triaged paper's status and tags."""

    status: Mapping[int, str]  # entry id -> status, for papers not "unread"
    tags: Mapping[int, Collection[str]]  # entry id -> its tags
    untriaged: Sequence[int]  # unread papers (weak negatives are sampled from them)

    def labels(self, tag: str | None) -> dict[int, bool]:
        """Entry id -> liked, as the triage says (for ``tag``: carries it)."""
        triaged = set(self.status) | {e for e, t in self.tags.items() if t}
        labels: dict[int, bool] = {}
        for entry_id in triaged:
            tags = self.tags.get(entry_id, ())
            if tag is not None:
                labels[entry_id] = tag in tags
            else:
                status = self.status.get(entry_id, "unread")
                labels[entry_id] = bool(tags) or status in POSITIVE_STATUSES
        return labels


@dataclass(frozen=True)
class NotEnoughTriage:
    """Too little triage to learn from: what there is and what is needed."""

    triaged: int
    positives: int
    tag: str | None = None

    @property
    def message(self) -> str:
        liked = f"tagged {self.tag}" if self.tag else "read, queued or tagged"
        return (
            f"Recommendations learn from your triage: {self.triaged} papers triaged, "
            f"{self.positives} of them {liked}. They need at least {MIN_TRIAGED} triaged, "
            f"{MIN_POSITIVES} of them {liked}; mark a few more papers read, queued or "
            "skipped (or tag them) and ask again."
        )


@dataclass(frozen=True)
class Recommendation:
    entry_id: int
    score: float  # 0..1: how likely the reader wants it, as the model sees it
    because: tuple[str, ...]  # the terms that weigh most in its score
    resembles: tuple[int, ...]  # the liked papers it is most like


@dataclass
class TasteModel:
    """Term weights learned from one library's triage (one per tag, or the reader's own)."""

    weights: dict[int, float]
    bias: float
    tag: str | None
    positives: dict[int, SparseVector]  # the liked papers' vectors (for "resembles")
    trained_on: int
    _postings: dict[int, dict[int, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # "Resembles" looks the liked papers up by term: indexed once, not per ranking. Dicts
        # of numbers only, which CPython's cyclic collector does not track: as lists of
        # (paper, weight) tuples, 40,000 lists and 180,000 tuples at 10k papers, each young
        # collection on the GUI thread walked them (30-110 ms gaps after every retraining).
        for entry_id, v in self.positives.items():
            for t, w in v.items():
                self._postings.setdefault(t, {})[entry_id] = w

    def margin(self, vector: SparseVector) -> float:
        weights = self.weights
        return self.bias + sum(w * weights.get(t, 0.0) for t, w in vector.items())

    def score(self, vector: SparseVector) -> float:
        return _sigmoid(self.margin(vector))

    def because(
        self, vector: SparseVector, model: SimilarityModel, count: int = 3
    ) -> tuple[str, ...]:
        """The terms that raise this paper's score, those naming topics first (as for related
        papers: :meth:`SimilarityModel.tier`)."""
        parts = sorted(
            (
                (model.tier(t), part, t)
                for t, w in vector.items()
                if (part := w * self.weights.get(t, 0.0)) > 0.0
            ),
            reverse=True,
        )
        terms = [model.terms[t] for *_, t in parts]
        return readable_terms(terms, model.display, count)

    def rank(
        self,
        model: SimilarityModel,
        vectors: Mapping[int, SparseVector],
        *,
        limit: int,
        resembles: int = 2,
    ) -> list[Recommendation]:
        """The best ``limit`` of these papers, best first, each with its reasons."""
        scored = sorted(
            ((self.margin(v), entry_id) for entry_id, v in vectors.items()),
            key=lambda item: (-item[0], item[1]),
        )[:limit]
        postings = self._postings
        out = []
        for margin, entry_id in scored:
            vector = vectors[entry_id]
            alike: dict[int, float] = {}
            for t, w in vector.items():
                for other, ow in postings.get(t, {}).items():
                    if other != entry_id:
                        alike[other] = alike.get(other, 0.0) + w * ow
            best = sorted(alike.items(), key=lambda item: (-item[1], item[0]))[:resembles]
            out.append(
                Recommendation(
                    entry_id,
                    _sigmoid(margin),
                    self.because(vector, model),
                    tuple(e for e, s in best if s > 0.0),
                )
            )
        return out


def _sigmoid(x: float) -> float:
    if x < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def _capped(labels: dict[int, bool], rng: random.Random) -> dict[int, bool]:
    """At most :data:`MAX_LABELLED` examples (training is pure Python: a reader with 30,000
    triaged papers would wait a minute): the positives up to half of them, negatives the rest,
    each a random sample when there are more."""
    if len(labels) <= MAX_LABELLED:
        return labels
    good = sorted(e for e, liked in labels.items() if liked)
    bad = sorted(e for e, liked in labels.items() if not liked)
    good = rng.sample(good, min(len(good), MAX_LABELLED // 2))
    bad = rng.sample(bad, min(len(bad), MAX_LABELLED - len(good)))
    return {**dict.fromkeys(bad, False), **dict.fromkeys(good, True)}


def train(
    triage: Triage,
    vectors_of: Callable[[Collection[int]], Mapping[int, SparseVector]],
    *,
    tag: str | None = None,
    seed: int = 0,
) -> TasteModel | NotEnoughTriage:
    """Learn the reader's taste (or ``tag``'s) from ``triage``; ``vectors_of(ids)`` gives the
    papers' vectors (asked only for the triaged papers and the sampled untriaged ones)."""
    labels = triage.labels(tag)
    liked = sum(labels.values())
    if len(labels) < MIN_TRIAGED or liked < MIN_POSITIVES:
        return NotEnoughTriage(len(labels), liked, tag)
    rng = random.Random(seed)
    labels = _capped(labels, rng)
    liked = sum(labels.values())
    pool = [e for e in triage.untriaged if e not in labels]
    weak = rng.sample(pool, min(len(pool), max(WEAK_MIN, WEAK_PER_POSITIVE * liked)))
    vectors = vectors_of(set(labels) | set(weak))
    labels = {e: good for e, good in labels.items() if e in vectors}
    weak = [e for e in weak if e in vectors]
    positives = [e for e, good in labels.items() if good]
    if len(labels) < MIN_TRIAGED or len(positives) < MIN_POSITIVES:
        return NotEnoughTriage(len(labels), len(positives), tag)
    examples: list[tuple[SparseVector, float, float]] = []
    n_pos = len(positives)
    n_neg = len(labels) - n_pos + WEAK_WEIGHT * len(weak)
    # Each class weighs as much in all as the other: a few positives among many negatives
    # must still move the weights.
    pos_weight = 0.5 * (n_pos + n_neg) / n_pos
    neg_weight = 0.5 * (n_pos + n_neg) / max(n_neg, 1e-9)
    for entry_id, liked in labels.items():
        examples.append(
            (vectors[entry_id], 1.0 if liked else 0.0, pos_weight if liked else neg_weight)
        )
    examples.extend((vectors[e], 0.0, neg_weight * WEAK_WEIGHT) for e in weak)
    # Start from the difference of the class centroids (Rocchio: what the liked papers share
    # and the others lack), then let logistic regression find the terms that tell them apart.
    weights: dict[int, float] = {}
    for vector, y, weight in examples:
        sign = weight if y else -weight
        for t, w in vector.items():
            weights[t] = weights.get(t, 0.0) + CENTROID_PRIOR * sign * w / len(examples)
    bias = 0.0
    for epoch in range(EPOCHS):
        rng.shuffle(examples)
        rate = LEARNING_RATE / (1.0 + epoch)
        for vector, y, weight in examples:
            margin = bias + sum(w * weights.get(t, 0.0) for t, w in vector.items())
            gradient = (_sigmoid(margin) - y) * weight
            for t, w in vector.items():
                old = weights.get(t, 0.0)
                weights[t] = old - rate * (gradient * w + L2 * old)
            bias -= rate * gradient * 0.1
    return TasteModel(
        weights={t: w for t, w in weights.items() if abs(w) > 1e-6},
        bias=bias,
        tag=tag,
        positives={e: vectors[e] for e in positives},
        trained_on=len(examples),
    )
