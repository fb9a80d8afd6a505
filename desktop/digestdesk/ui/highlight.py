"""Marks the searched words in displayed text, using the index's own analysis.

The search reports its terms as ``(field, analysed word)`` pairs (stemmed; ``word*`` for a
prefix, ``word~N`` for a fuzzy word). Running the same analyser over the text we show lets
"models" light up for a search on "model". The output is HTML with everything escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

TEXT_FIELDS = ("title", "abstract", "keywords", "ai_summary", "note")


@cache
def _analyzer() -> Any:
    from digestdesk.core.search import SCHEMA

    return SCHEMA["abstract"].analyzer


def _distance_at_most(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] <= limit


class TermMatcher:
    """Decides whether an analysed token is one of the searched words."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        self.fuzzy: list[tuple[str, int]] = []
        for field, word in terms:
            if field not in TEXT_FIELDS:
                continue
            if word.endswith("*"):
                self.prefixes.append(word[:-1])
            elif (m := re.fullmatch(r"(.+)~(\d)", word)) is not None:
                self.fuzzy.append((m.group(1), min(int(m.group(2)), 3)))
            else:
                self.exact.add(word)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.fuzzy)

    def __call__(self, token: str, word: str = "") -> bool:
        """``token`` is the analysed (stemmed) form, ``word`` the text as shown: a prefix
        typed past the stem ("diffusio", whose words stem to "diffus") matches the latter."""
        return (
            token in self.exact
            or any(token.startswith(p) or word.startswith(p) for p in self.prefixes)
            or any(token[:1] == w[:1] and _distance_at_most(token, w, d) for w, d in self.fuzzy)
        )


def spans(text: str, matcher: TermMatcher) -> list[tuple[int, int]]:
    if not matcher or not text:
        return []
    try:
        tokens = _analyzer()(text, chars=True, mode="index")
        return [
            (t.startchar, t.endchar)
            for t in tokens
            if matcher(t.text, text[t.startchar : t.endchar].lower())
        ]
    except Exception:  # noqa: BLE001 - highlighting is decoration; never fail the reader
        return []


def highlighted_html(text: str, matcher: TermMatcher, mark_style: str) -> str:
    """``text`` escaped, with searched words wrapped in a styled ``<span>``."""
    found: Sequence[tuple[int, int]] = spans(text, matcher)
    if not found:
        return html.escape(text)
    out: list[str] = []
    cursor = 0
    for start, end in found:
        if start < cursor:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(f'<span style="{mark_style}">{html.escape(text[start:end])}</span>')
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)
