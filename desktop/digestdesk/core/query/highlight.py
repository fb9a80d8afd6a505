"""Marking the searched words in shown text: one :class:`TermMatcher` for the reader pane,
the search's snippets and the command line alike.

The search reports its terms as ``(index field, analysed word)`` pairs (stemmed; ``word*`` for
a prefix, ``word~N`` for a fuzzy word, analysed words joined by a space for a phrase, whose
words are marked only where they stand together). :func:`matching_spans` analyses the shown
text as the index analysed it (a :class:`~digestdesk.core.query.analysis.TextAnalysis`), so
"models" lights up for a search on "model"; :func:`snippet_html` cuts the best fragments of a
long text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable

from digestdesk.core.query.analysis import TextAnalysis

#: The index fields whose words the reader marks (stored, stemmed text).
HIGHLIGHT_FIELDS = ("title", "abstract", "keywords", "ai_summary", "note")

_LEVENSHTEIN_LIMIT = 3
_FUZZY_TERM_RE = re.compile(r"(.+)~(\d)")


def within_edits(a: str, b: str, maxdist: int) -> bool:
    """Whether the Levenshtein distance between ``a`` and ``b`` is at most ``maxdist``."""
    if abs(len(a) - len(b)) > maxdist:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > maxdist:
            return False
        prev = cur
    return prev[-1] <= maxdist


class TermMatcher:
    """Decides whether a word of shown text is one of the searched terms of ``fields``."""

    def __init__(
        self, terms: Iterable[tuple[str, str]], fields: Collection[str] = HIGHLIGHT_FIELDS
    ) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        self.fuzzy: list[tuple[str, int]] = []
        self.phrases: list[tuple[str, ...]] = []
        for field, word in terms:
            if field not in fields:
                continue
            if " " in word:
                self.phrases.append(tuple(word.split()))
            elif word.endswith("*"):
                self.prefixes.append(word[:-1])
            elif (m := _FUZZY_TERM_RE.fullmatch(word)) is not None:
                self.fuzzy.append((m.group(1), min(int(m.group(2)), _LEVENSHTEIN_LIMIT)))
            else:
                self.exact.add(word)

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes or self.fuzzy or self.phrases)

    @property
    def exact_only(self) -> bool:
        return not self.prefixes and not self.fuzzy

    def __call__(self, token: str, word: str = "") -> bool:
        """``token`` is the analysed (stemmed) form, ``word`` the text as shown, lower-cased:
        a prefix typed past the stem ("diffusio", whose words stem to "diffus") matches the
        latter."""
        if token in self.exact:
            return True
        if self.exact_only:
            return False
        if any(token.startswith(p) or word.startswith(p) for p in self.prefixes):
            return True
        return any(token[:1] == w[:1] and within_edits(token, w, d) for w, d in self.fuzzy)


def matching_spans(
    text: str, matcher: TermMatcher, analysis: TextAnalysis
) -> list[tuple[int, int]]:
    """(start, end) of the words of ``text`` that ``matcher`` accepts once analysed as
    ``analysis`` says: the index's analyser pipeline written as one loop, five times faster
    than running the analyser's generators (a test keeps them equal)."""
    pattern = analysis.word_pattern
    spans = []
    # A phrase's words count where they follow each other once stop words are dropped, as
    # the index numbers their positions.
    tokens: list[tuple[str, tuple[int, int]]] | None = [] if matcher.phrases else None
    if analysis.stem is None:
        fold = analysis.fold or {}
        stop, min_length = analysis.stop_words, analysis.min_length
        for m in pattern.finditer(text):
            word = m.group().lower()
            token = word.translate(fold)
            if len(token) < min_length or token in stop:
                continue
            if tokens is not None:
                tokens.append((token, m.span()))
            if matcher(token, word):
                spans.append(m.span())
        return _with_phrases(spans, tokens, matcher.phrases)
    stem, stop, min_length = analysis.stem, analysis.stop_words, analysis.min_length
    exact = matcher.exact
    general = None if matcher.exact_only else matcher
    for m in pattern.finditer(text):
        word = m.group().lower()
        if len(word) < min_length or word in stop:
            continue
        token = stem(word)
        if tokens is not None:
            tokens.append((token, m.span()))
        if token in exact or (general is not None and general(token, word)):
            spans.append(m.span())
    return _with_phrases(spans, tokens, matcher.phrases)


def _with_phrases(
    spans: list[tuple[int, int]],
    tokens: list[tuple[str, tuple[int, int]]] | None,
    phrases: list[tuple[str, ...]],
) -> list[tuple[int, int]]:
    """``spans`` with the words of each place where a phrase's tokens follow each other."""
    if not tokens:
        return spans
    found = set(spans)
    words = [token for token, _ in tokens]
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if words[i] == phrase[0] and tuple(words[i : i + n]) == phrase:
                found.update(span for _, span in tokens[i : i + n])
    return sorted(found)


def snippet_html(
    text: str, spans: list[tuple[int, int]], *, top: int = 2, context: int = 80
) -> str:
    """HTML for the ``top`` best fragments of ``text`` with ``<b>`` around ``spans``.

    Everything outside the tags is escaped, so the result is safe to render as rich text.
    """
    if not spans:
        return ""
    if len(text) <= 2 * context + 80:
        windows = [(0, len(text), spans)]
    else:
        windows = []
        for start, end in spans:
            lo, hi = max(0, start - context), min(len(text), end + context)
            if windows and lo <= windows[-1][1]:
                w_lo, _, w_spans = windows[-1]
                windows[-1] = (w_lo, max(hi, windows[-1][1]), [*w_spans, (start, end)])
            else:
                windows.append((lo, hi, [(start, end)]))
        best = sorted(
            windows,
            key=lambda w: (-len({text[s:e].lower() for s, e in w[2]}), -len(w[2]), w[0]),
        )
        windows = sorted(best[:top])
    parts: list[str] = []
    for lo, hi, w_spans in windows:
        lo, hi = _word_bounds(text, lo, hi)
        out = ["…" if lo > 0 else ""]
        cursor = lo
        for start, end in w_spans:
            start, end = max(start, cursor), min(end, hi)
            if start >= end:
                continue
            out.append(html.escape(text[cursor:start]))
            out.append("<b>" + html.escape(text[start:end]) + "</b>")
            cursor = end
        out.append(html.escape(text[cursor:hi]))
        out.append("…" if hi < len(text) else "")
        parts.append("".join(out).strip())
    return " ".join(parts)


def _word_bounds(text: str, lo: int, hi: int) -> tuple[int, int]:
    if lo > 0:
        space = text.find(" ", lo)
        if 0 <= space < lo + 20:
            lo = space + 1
    if hi < len(text):
        space = text.rfind(" ", hi - 20, hi)
        if space > lo:
            hi = space
    return lo, hi
