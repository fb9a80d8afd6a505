"""Terms of an entry: the words and phrases trends count.

An entry's terms are its Hugging Face AI keywords, where it has them, and phrases of its title
(content words and runs of two to four words, not broken at a stop word inside: "chain of
thought"). They only propose topics: the counts a report shows are recounted from the
papers' text as a search would find them (:mod:`.topics`). Each term counts once per entry,
grouped by :func:`term_key` (its last word without a plural "s"); :class:`Vocabulary`
remembers the most used spelling of each group.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and the words of title templates ("Towards ...", "... Is All You Need").
STOP_WORDS = _word_set(
    """
    a about above across after again against all almost along also although am among an and
    another any are around as at be because been before being below beyond both but by can
    could did do does doing done down during each either else even ever every few for from
    further get gets give given go going had has have having he her here hers how however i if
    in into is it its itself just least less let like made make makes many may me might more
    most much must my near need needs neither new no nor not now of off often on once one only
    onto or other our ours out over own per rather same see she should since so some still such
    than that the their theirs them themselves then there these they this those though through
    thus to too toward towards two under until up upon us use used uses using very via was we
    well were what when where whether which while who whom whose why will with within without
    would yet you your vs versus revisited rethinking revisiting beyond really truly first
    second third
    """
)

# Words every research title and abstract uses: they say nothing about the topic alone.
GENERIC_WORDS = _word_set(
    """
    model models modeling modelling method methods approach approaches result results paper
    papers propose proposed proposes proposing performance framework frameworks novel task
    tasks data study studies analysis analyses system systems technique techniques improve
    improved improving improves improvement improvements efficient effective effectively
    better best towards toward simple scalable general generalized unified learning learn
    learned learns network networks neural deep based problem problems application
    applications solution solutions evaluation evaluating evaluate benchmark benchmarks
    dataset datasets experiments experiment empirical investigation case large small high low
    via new work works state art sota state-of-the-art strong robust fast faster accurate
    towards aware guided driven enhanced enhancing enhance leveraging leverage exploring explore
    understanding beyond toward survey review overview introduction technical report tool
    tools way ways challenge challenges process use across role power scale scaling
    """
)

_SEGMENT_SPLIT = re.compile(r"[:;,.!?()\[\]{}\"“”‘’'`/|–—]+|\s-\s")
_TOKEN_STRIP = "-+*_#@&%$~^=<>"
_SPACES = re.compile(r"\s+")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


def normalize_keyword(text: str) -> str:
    """Casefold, drop a spelled-out acronym and collapse white space.

    "Large Language Models (LLMs) " -> "large language models".
    """
    text = _PARENTHESES.sub(" ", text.casefold()) if "(" in text else text.casefold()
    return _SPACES.sub(" ", text).strip(" .,;:-")


def term_key(term: str) -> str:
    """The grouping key of a term: its last word without a plural "s" ("diffusion model")."""
    head, _, last = term.rpartition(" ")
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ics")):
        last = last[:-1]
    return f"{head} {last}" if head else last


_SKIP, _PLAIN, _CONTENT = 0, 1, 2
#: The longest title phrase counted, in words (stop words inside included).
MAX_PHRASE_WORDS = 4


class Vocabulary:
    """Memoised term extraction: each distinct token and keyword is classified once, and each
    entry's terms are kept (checked against its ``seq``) so later reports only count."""

    def __init__(self) -> None:
        self.words: dict[str, tuple[str, int, str]] = {}
        self.keywords: dict[str, tuple[str, str] | None] = {}
        # grouping key -> how often each spelling was seen (one per entry)
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)
        self._strings: dict[str, str] = {}

    def entry_terms(self, raw_keywords: Any, title: str) -> tuple[bool, tuple[str, ...]]:
        """(from keywords, grouping keys) of one entry."""
        spelled: dict[str, str] = {}
        values = _loads_or_empty(raw_keywords) if isinstance(raw_keywords, str) else raw_keywords
        for value in values if isinstance(values, list) else ():
            pair = self.keyword(value)
            if pair is not None:
                spelled.setdefault(pair[0], pair[1])
        from_keywords = bool(spelled)
        # The title's phrases always count too: a paper with AI keywords still proposes the
        # topics of its title (the counts shown are checked against the papers' text anyway).
        self.title(title, spelled)
        intern = self._strings.setdefault
        keys = tuple(intern(key, key) for key in spelled)
        for key, spelling in spelled.items():
            self.spellings[key][spelling] += 1
        return from_keywords, keys

    def spelling(self, key: str) -> str:
        """The most used spelling of a grouped term ("diffusion models" over "... model")."""
        found = self.spellings.get(key)
        return found.most_common(1)[0][0] if found else key

    def word(self, token: str) -> tuple[str, int, str]:
        """(cleaned word, kind, its singular) for a casefolded title token."""
        found = self.words.get(token)
        if found is None:
            word = token.strip(_TOKEN_STRIP)
            if not word or len(word) < 2 or word in STOP_WORDS:
                kind = _SKIP
            elif (
                len(word) < 3
                or word in GENERIC_WORDS
                or word.replace("-", "").replace(".", "").isdigit()
            ):
                kind = _PLAIN  # may start or end a phrase, never stands alone
            else:
                kind = _CONTENT
            found = (word, kind, term_key(word))
            if len(self.words) < 500_000:
                self.words[token] = found
        return found

    def keyword(self, value: object) -> tuple[str, str] | None:
        """(grouping key, normalised spelling) of one AI keyword, or None to leave it out."""
        if not isinstance(value, str):
            return None
        if value in self.keywords:
            return self.keywords[value]
        term = normalize_keyword(value)
        found = (
            None
            if not term or term in STOP_WORDS or term in GENERIC_WORDS
            else (term_key(term), term)
        )
        if len(self.keywords) < 500_000:
            self.keywords[value] = found
        return found

    def title(self, title: str, spelled: dict[str, str]) -> None:
        """Add a title's content words and its phrases of two to four words with a content
        word among them: without stop words, or with one inside between two content words
        ("chain of thought")."""
        word_of = self.word
        for segment in _SEGMENT_SPLIT.split(title.casefold()):
            run: list[tuple[str, int, str]] = []  # the last words of the segment, stop words too
            for token in segment.split():
                found = word_of(token)
                run.append(found)
                if len(run) > MAX_PHRASE_WORDS:
                    del run[0]
                word, kind, singular = found
                if kind == _SKIP:
                    continue
                if kind == _CONTENT:
                    spelled.setdefault(singular, word)
                for size in range(2, len(run) + 1):
                    phrase = run[-size:]
                    if phrase[0][1] == _SKIP:
                        continue
                    kinds = [k for _w, k, _s in phrase]
                    if _CONTENT not in kinds or kinds.count(_SKIP) > 1:
                        continue
                    # Around a stop word both ends are content words: "chain of thought",
                    # not "framework for sparse".
                    if _SKIP in kinds and (size == 2 or kinds[0] != _CONTENT or kind != _CONTENT):
                        continue
                    head = " ".join(w for w, _k, _s in phrase[:-1])
                    spelled.setdefault(f"{head} {singular}", f"{head} {word}")


def title_terms(title: str) -> set[str]:
    """Key phrases of a title as spelled: content words and adjacent pairs (not both generic)."""
    spelled: dict[str, str] = {}
    Vocabulary().title(title, spelled)
    return set(spelled.values())


def _loads_or_empty(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return []
