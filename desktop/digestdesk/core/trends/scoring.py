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
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

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
    *,
    merge: bool = True,
) -> tuple[RisingTerm, ...]:
    """The rising terms of both kinds, best first, at most ``limit``; ``spelling`` turns a
    grouping key into the spelling shown. Without ``merge``, acronyms and the words of rising
    phrases are kept as they are (candidates for :func:`confirm_rising`, which merges)."""
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
    if not merge:
        in_phrases.clear()
        spelled_out.clear()
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


#: Candidates rank_rising proposes per topic shown, before honest counts confirm them.
CANDIDATES_PER_TOPIC = 4
#: A topic needs this many papers in the window (and the window this many papers) to be
#: shown at all: "not enough papers in this window" below it.
MIN_WINDOW_ENTRIES = 5


def _abbreviates(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Whether ``short`` is ``long`` with a run of its words written as initials:
    ("llm", "agent") and ("larg", "languag", "model", "agent")."""
    if len(short) >= len(long):
        return False
    for at, token in enumerate(short):
        run = len(token)
        if run < 2 or run > len(long) - at:
            continue
        if short[:at] != long[:at] or short[at + 1 :] != long[at + run :]:
            continue
        if "".join(word[0] for word in long[at : at + run]) == token:
            return True
    return False


def _within(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    """Whether ``inner`` occurs in ``outer`` as consecutive tokens (and is shorter)."""
    size = len(inner)
    return size < len(outer) and any(
        outer[i : i + size] == inner for i in range(len(outer) - size + 1)
    )


_Forms = tuple[tuple[str, ...], tuple[str, ...]]


def same_topic(a: _Forms, b: _Forms) -> bool:
    """Near-duplicates shown as one topic: equal once analysed (plurals, hyphenation), one an
    abbreviation of the other (stemmed, "lrm" for "large reasoning models", or as written,
    "cot" for "chain of thought"), or a phrase and its own part ("test-time", "test-time
    scaling"). ``a`` and ``b`` are (stemmed tokens, tokens as written)."""
    (a_stems, a_words), (b_stems, b_words) = a, b
    return (
        a_stems == b_stems
        or _abbreviates(a_stems, b_stems)
        or _abbreviates(b_stems, a_stems)
        or _abbreviates(a_words, b_words)
        or _abbreviates(b_words, a_words)
        or _within(a_stems, b_stems)
        or _within(b_stems, a_stems)
    )


def confirm_rising(
    candidates: tuple[RisingTerm, ...],
    *,
    counter: Any,
    window: list[tuple[int, int]],
    before: list[tuple[int, int]],
    votes: Callable[[int], int | None],
    has_keywords: Callable[[int], bool],
    generic: Collection[str],
    spark: Callable[[int], int],
    buckets: int,
    days: int,
    min_count: int,
    limit: int,
) -> tuple[RisingTerm, ...]:
    """The candidates again, with honest counts: each count is what a search for the term
    finds among the period's papers (``counter``: a :class:`~.topics.TopicCounter` loaded with
    both periods). Rising is decided again on those counts, papers with AI keywords and papers
    without compared within their own kind (so keywords arriving inside the window never make
    a term rise); topics are ranked by that score weighted by their papers' upvotes;
    near-duplicates are merged, the better one shown; learned generic words are left out."""
    day_of = dict(window) | dict(before)
    kinds = []
    for flag in (True, False):
        now = {i for i, _day in window if has_keywords(i) is flag}
        earlier = {i for i, _day in before if has_keywords(i) is flag}
        kinds.append((now, earlier))
    window_ids = [i for i, _day in window]
    before_ids = [i for i, _day in before]
    scored: list[tuple[float, RisingTerm, _Forms, frozenset[int]]] = []
    terms = [c.term for c in candidates]
    found_now = counter.matching_many(window_ids, terms)
    found_earlier = counter.matching_many(before_ids, terms)
    for candidate in candidates:
        forms = counter.term_tokens(candidate.term)
        tokens = next((t for t in forms if t), ())
        if not tokens or (len(tokens) == 1 and tokens[0] in generic):
            continue
        # Stemmed without stop words (as searched), and as written ("chain of thought").
        both = (tokens, forms[-1] or tokens)
        found = found_now[candidate.term]
        found_before = found_earlier[candidate.term]
        expected = sum(
            expected_count(len(found & now), len(found_before & earlier), len(now), len(earlier))
            for now, earlier in kinds
        )
        count = len(found)
        if count < min_count or count < MIN_LIFT * expected:
            continue
        score = (count - expected) / math.sqrt(expected + 1.0)
        if score < MIN_SCORE:
            continue
        up = sorted(votes(i) or 0 for i in found)
        median = up[len(up) // 2] if up else 0
        sparkline = [0] * buckets
        for entry_id in found | found_before:
            sparkline[spark(day_of[entry_id])] += 1
        term = replace(
            candidate,
            count=count,
            previous=len(found_before),
            expected=expected,
            score=score,
            sparkline=tuple(sparkline),
            explanation=f"{count} in the last {days} days, {len(found_before)} in the "
            f"{days} before",
            votes=sum(up),
        )
        rank = score * (1.0 + 0.25 * math.log1p(median))
        scored.append((rank, term, both, frozenset(found)))
    scored.sort(key=lambda s: (-s[0], -s[1].count, -len(s[2][0]), s[1].term))
    shown: list[tuple[RisingTerm, _Forms, frozenset[int]]] = []
    for _rank, term, tokens, papers in scored:
        twin = next(
            (
                at
                for at, (_t, other, other_papers) in enumerate(shown)
                if same_topic(tokens, other) or _overlap(papers, other_papers) >= SAME_PAPERS
            ),
            -1,
        )
        if twin < 0:
            if len(shown) < limit:
                shown.append((term, tokens, papers))
        elif any(_abbreviates(a, b) for a, b in zip(shown[twin][1], tokens, strict=True)):
            # The spelled-out phrase is shown in its abbreviation's place ("large reasoning
            # models" for "lrms"), with its own count: what a search for it finds.
            shown[twin] = (term, tokens, papers)
    return tuple(term for term, _tokens, _papers in shown)


#: Two terms found in mostly the same papers are one topic ("sparse lattice" and "lattice
#: decoding" from the same titles): the better ranked is shown.
SAME_PAPERS = 0.8


def _overlap(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two sets of papers."""
    return len(a & b) / len(a | b) if a or b else 0.0


def learned_generic(
    weeks: dict[int, Counter[str]], docs: dict[int, int], *, min_weeks: int = 8
) -> frozenset[str]:
    """Single words the archive uses evenly over time (research boilerplate such as "model",
    "results", "insights"), learned instead of listed: in at least 2% of all papers, in at
    least 80% of the weeks with 10 or more papers, with a weekly rate that varies little
    (coefficient of variation under 0.5). Empty below ``min_weeks`` such weeks: too little
    history to tell boilerplate from a topic."""
    full = [week for week, count in docs.items() if count >= 10]
    if len(full) < min_weeks:
        return frozenset()
    total_docs = sum(docs[w] for w in full)
    totals: Counter[str] = Counter()
    for week in full:
        totals.update(weeks[week])
    out = set()
    for word, count in totals.items():
        if " " in word or count < 0.02 * total_docs:
            continue
        rates = [weeks[w].get(word, 0) / docs[w] for w in full]
        present = sum(1 for r in rates if r > 0)
        if present < 0.8 * len(full):
            continue
        mean = sum(rates) / len(rates)
        spread = math.sqrt(sum((r - mean) ** 2 for r in rates) / len(rates))
        if mean > 0 and spread / mean < 0.5:
            out.add(word)
    return frozenset(out)
