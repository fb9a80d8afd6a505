"""How an index turns text into terms, described as plain data for highlighting.

The search reports the words it found in their analysed form (lower-cased, stemmed); marking
them in shown text means analysing that text the same way. :class:`TextAnalysis` describes a
field's analysis without naming the search engine: the index fills it in from its own
analysers (:func:`digestdesk.core.index.text_analysis`), and a test keeps the two equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TextAnalysis:
    """A field's words are ``word_pattern``'s matches, lower-cased, then either stemmed
    (``stem``: words shorter than ``min_length`` or in ``stop_words`` are dropped first) or
    folded (``fold``, a :meth:`str.translate` table: "Müller" -> "muller")."""

    word_pattern: re.Pattern[str]
    stem: Callable[[str], str] | None = None
    stop_words: frozenset[str] = frozenset()
    min_length: int = 0
    fold: Mapping[int, str] | None = None

    def __post_init__(self) -> None:
        if self.stem is not None and self.fold is not None:
            raise ValueError("a field's words are stemmed or folded, not both")
