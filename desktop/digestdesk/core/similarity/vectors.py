"""Papers as sparse vectors: BM25-weighted terms, pruned to the strongest, L2-normalised.

A term's weight grows with how often the paper uses it (saturating, BM25's ``k1``), is damped
for long texts (``b``, full length normalisation) and scaled by how rare the term is across the
library (its idf, flattened by :data:`IDF_POWER`: a paper's topic words, shared by hundreds of
papers, must still count beside a word only two papers use). A term
in more than half the library says nothing about likeness and is left out, as is a term found
in one paper only (it cannot be shared). Each vector keeps its ``MAX_TERMS`` strongest terms,
then has length one, so the dot product of two vectors is their cosine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

K1 = 1.2
#: Length normalisation (BM25's 0.75 gave nDCG@5 0.209 on the samples, 1.0 0.211).
B = 1.0
#: The idf is raised to this power: BM25's full idf lets one rare shared word outweigh the topic
#: two papers share (nDCG@5 on the samples: idf 0.211, idf^0.75 0.218, idf^0.5 0.213; see
#: docs/benchmarks.md, issue 15).
IDF_POWER = 0.75
#: The strongest terms kept per paper (the samples' papers have 120 on average; cutting to 48
#: cost a tenth of the related papers' quality).
MAX_TERMS = 200
#: A term in more than this share of the papers is left out.
MAX_DF_SHARE = 0.5
#: Below this many papers no term is too common to count (idf still weighs it down).
SMALL_LIBRARY = 100
#: A term must be in at least this many papers to be kept.
MIN_DF = 2


@dataclass(frozen=True)
class Stats:
    """What weighting needs to know about the whole library."""

    documents: int
    average_length: float

    def idf(self, df: int) -> float:
        return math.log(1.0 + (self.documents - df + 0.5) / (df + 0.5)) ** IDF_POWER

    def keeps(self, df: int) -> bool:
        if self.documents < SMALL_LIBRARY:
            return df >= MIN_DF  # a few papers on one topic must still find each other
        return MIN_DF <= df <= MAX_DF_SHARE * self.documents


SparseVector = dict[int, float]

#: A stored weight takes one byte: the square root of the weight in 255 steps, finer where
#: weights are small (nDCG@5 on the samples: 0.2177 with 4-byte floats, 0.2179 so; a linear
#: byte 0.2162). A model file is 5 bytes a term instead of 8 (docs/benchmarks.md, issue 15).
WEIGHT_STEPS = 255
DEQUANTISED: tuple[float, ...] = tuple((q / WEIGHT_STEPS) ** 2 for q in range(WEIGHT_STEPS + 1))


def quantise(weight: float) -> int:
    """The byte that stores ``weight`` (0 to 1); ``DEQUANTISED[byte]`` reads it back."""
    return min(WEIGHT_STEPS, round(math.sqrt(max(weight, 0.0)) * WEIGHT_STEPS))


def weigh(counts: Mapping[int, int], length: int, df: Sequence[int], stats: Stats) -> SparseVector:
    """The normalised vector of one paper's term counts (term id -> count)."""
    norm_length = 1.0 - B + B * (length / stats.average_length if stats.average_length else 1.0)
    weights: list[tuple[float, int]] = []
    for term, tf in counts.items():
        d = df[term]
        if not stats.keeps(d):
            continue
        weights.append((stats.idf(d) * tf * (K1 + 1.0) / (tf + K1 * norm_length), term))
    if len(weights) > MAX_TERMS:
        weights.sort(reverse=True)
        del weights[MAX_TERMS:]
    total = math.sqrt(sum(w * w for w, _ in weights))
    if total == 0.0:
        return {}
    return {term: w / total for w, term in weights}


def cosine(a: SparseVector, b: SparseVector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)
