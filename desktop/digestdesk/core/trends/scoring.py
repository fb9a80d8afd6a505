"""Scoring: which terms rise, and by how much.

Keywords and title phrases are compared within their own kind, as rates per entry, so a period
with more imports, or with keywords where the one before had none, does not make everything
rise. For a term seen ``c`` times among ``N`` entries in the window and ``p`` times among ``M``
before, the expected count is the earlier rate, shrunk toward the term's rate over both periods
by a prior of ``k`` pseudo-entries::

    E = (p + k * (c + p) / (N + M)) / (M + k) * N        score = (c - E) / sqrt(E + 1)

A term ranks when it has at least ``min_count`` entries, at least :data:`MIN_LIFT` times what was
expected, and a score of :data:`MIN_SCORE` or more. A word spread evenly over time has ``c``
close to ``E`` and never ranks, however common it is; with no earlier entries of its kind
(``M = 0``) nothing can be said to rise and ``E = c``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from digestdesk.core.trends.report import RisingTerm
from digestdesk.core.trends.term_index import TermCounts

#: The fewest entries in the window a rising term needs (``min_count``'s default).
MIN_COUNT = 3
MIN_LIFT = 1.5
MIN_SCORE = 2.0
#: Pseudo-entries of prior per entry in the periods (k = 1 + PRIOR_SHARE * (N + M) / 2).
PRIOR_SHARE = 0.1


def _initials(key: str) -> str:
    """The initials of a phrase key ("lrm" for "large reasoning model", "cot" for
    "chain-of-thought"), or "" for one word."""
    words = [w for w in re.split(r"[\s\-]+", key) if w]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words)


def expected_count(c: int, p: int, n: int, m: int) -> float:
    """``E`` above: the entries expected in the window from the earlier rate, shrunk."""
    if n == 0:
        return 0.0
    if m == 0:
        return float(c)
    k = 1.0 + PRIOR_SHARE * (n + m) / 2.0
    pooled = (c + p) / (n + m)
    return (p + k * pooled) / (m + k) * n


def rank_rising(
    keywords: TermCounts,
    titles: TermCounts,
    days: int,
    min_count: int,
    limit: int,
    spelling: Callable[[str], str],
) -> tuple[RisingTerm, ...]:
    """The rising terms of both kinds, best first, at most ``limit``; ``spelling`` turns a
    grouping key into the spelling shown."""
    half = keywords.buckets // 2
    kinds = []
    for name, kind in (("keywords", keywords), ("titles", titles)):
        window, before = kind.totals(half)
        kinds.append((name, kind, window, before, sum(kind.docs[half:]), sum(kind.docs[:half])))
    candidates: list[tuple[float, str, int, int, float, str]] = []
    for key in set(kinds[0][2]) | set(kinds[1][2]):
        count = previous = 0
        expected = 0.0
        sources = []
        for name, _kind, window, before, n, m in kinds:
            c = window.get(key, 0)
            if not c:
                continue
            p = before.get(key, 0)
            sources.append(name)
            expected += expected_count(c, p, n, m)
            count += c
            previous += p
        if count < min_count or count < MIN_LIFT * expected:
            continue
        score = (count - expected) / math.sqrt(expected + 1.0)
        if score < MIN_SCORE:
            continue
        # A term seen in the window by one kind and only before by the other still counts
        # its earlier entries of that other kind.
        for name, _kind, _window, before, _n, _m in kinds:
            if name not in sources:
                previous += before.get(key, 0)
        candidates.append((score, key, count, previous, expected, "+".join(sources)))
    candidates.sort(key=lambda c: (-c[0], -c[2], c[1]))
    # A word that rises only as part of a rising phrase is shown as the phrase.
    in_phrases: dict[str, int] = {}
    for _score, key, count, *_rest in candidates:
        if " " in key:
            for word in key.split():
                in_phrases[word] = max(in_phrases.get(word, 0), count)
    # An acronym rising beside its spelled-out phrase ("lrms" and "large reasoning models")
    # is one topic: the phrase is shown, in the better of the two places.
    spelled_out: dict[str, tuple[float, str, int, int, float, str]] = {}
    for candidate in candidates:
        initials = _initials(candidate[1])
        if initials and initials != candidate[1]:
            spelled_out.setdefault(initials, candidate)
    out: list[RisingTerm] = []
    shown: set[str] = set()
    for candidate in candidates:
        key = candidate[1]
        if key in spelled_out:
            candidate = spelled_out[key]
            key = candidate[1]
        elif " " not in key and in_phrases.get(key, 0) >= 0.7 * candidate[2]:
            continue
        if key in shown:
            continue
        shown.add(key)
        score, key, count, previous, expected, sources_text = candidate
        spark = [a + b for a, b in zip(keywords.spark(key), titles.spark(key), strict=True)]
        out.append(
            RisingTerm(
                term=spelling(key),
                count=count,
                previous=previous,
                expected=expected,
                score=score,
                sparkline=tuple(spark),
                explanation=f"{count} in the last {days} days, {previous} in the {days} before",
                source="both" if "+" in sources_text else sources_text,
            )
        )
        if len(out) >= limit:
            break
    return tuple(out)
