"""What a paper is about, as terms: words and two-word phrases of its title, abstract and keywords.

Similarity and recommendations compare papers by these terms, so they decide what can make two
papers alike. Numbers, version strings ("2.0", "v3"), sizes ("2.6k", "7b"), URLs, e-mail
addresses and GitHub handles are never terms: "HY-World 2.0" must not resemble "WALL-E 2.0".
English stop words are dropped (a phrase spans them: "learning of robots" holds "learning
robot"); a phrase never spans punctuation or a number. Plurals fold into the singular ("models"
counts as "model"), hyphens go ("multi-modal" is "multimodal"), and each term remembers how it
was first written, to be shown as a reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

#: Title words count this many times (more made related papers worse on the samples).
TITLE_WEIGHT = 1
#: An AI keyword (a phrase someone chose to describe the paper) counts this many times.
KEYWORD_WEIGHT = 2

# Removed before words are read: links, e-mail addresses, @handles, GitHub "owner/repo" paths.
_NOISE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\S+@\S+\.\w+"
    r"|@[A-Za-z0-9_-]+"
    r"|\b[\w.-]+/[\w.-]+/?[\w./-]*",  # paths such as owner/repo or a/b/c
)
# A phrase ends at punctuation.
_SEGMENT = re.compile(r"[.,;:!?()\[\]{}\"“”'‘’/|=+*<>]+(?:\s|$)|[()\[\]{}\"“”|=<>]|\s[-–—]+\s")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
# Numbers, versions and sizes: 2, 2.0, 10.78, v3, v1.2, 2.6k, 7b, 1.5m, 3x, 2nd, 1e-4.
_NUMBERISH = re.compile(
    r"^(?:v?\d+(?:[.,]\d+)*(?:[kmbtx]|st|nd|rd|th|e\d+)?|\d+(?:[.,]\d+)*(?:e[-+]?\d+)?)$"
)

# English stop words (scikit-learn's list, trimmed of words that carry meaning in this domain,
# such as "system" and "interest"), and the connective words of abstracts.
_STOP_WORDS_TEXT = """
a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere
are around as at back be became because become becomes becoming been before beforehand behind
being below beside besides between beyond both but by can cannot could did do does doing done
down due during each eg either else elsewhere enough etc even ever every everyone everything
everywhere except few for former formerly from further had has have having he hence her here
hereafter hereby herein hereupon hers herself him himself his how however i ie if in indeed
into is it its itself just last latter latterly least less made many may me meanwhile might
mine more moreover most mostly much must my myself namely neither never nevertheless next no
nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own per perhaps please put rather re same see
seem seemed seeming seems several she should since so some somehow someone something sometime
sometimes somewhere still such than that the their theirs them themselves then thence there
thereafter thereby therefore therein thereupon these they this those though through throughout
thru thus to together too toward towards under until up upon us very via was we well were
what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever
whether which while whither who whoever whole whom whose why will with within without would
yet you your yours yourself yourselves
paper propose proposed present presents introduce introduces show shows shown demonstrate
demonstrates achieve achieves achieving based using use used uses new novel approach method
methods work results result existing including include includes respectively significantly
significant furthermore additionally specifically particular extensive experiments experiment
state art sota outperforms outperform performance task tasks able effectively effective
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


#: How a term names a topic, by where a paper uses it (see :attr:`Terms.named`): a phrase of
#: the AI keywords (someone chose it to describe the paper) says more than one of a title,
#: and that more than a word only an abstract's sentences use ("mitigate issue").
IN_TEXT, IN_TITLE, IN_KEYWORDS = 0, 1, 2


@dataclass(frozen=True)
class Terms:
    """One paper's terms with how often each occurs, and how each was first spelled."""

    counts: Counter[str]
    spelling: dict[str, str]
    #: The terms of the title (IN_TITLE) and of the keywords (IN_KEYWORDS); others IN_TEXT.
    named: dict[str, int] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return sum(self.counts.values())


def fold(word: str) -> str:
    """A word lower-cased with a plural folded into its singular ("policies" -> "policy");
    hyphens are dropped before (so "multi-modal" is "multimodal")."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def is_numberish(word: str) -> bool:
    """A number, version or size: never a term ("2.0", "v3", "2.6k", "7b", "10.78")."""
    return bool(_NUMBERISH.match(word.lower()))


_DIGIT = re.compile(r"\d")
_ALPHA = re.compile(r"[^\W\d_]")
_UPPER_AFTER_FIRST = re.compile(r".[A-Z]")
#: What :func:`_term` answers for a word that breaks a phrase, and for one that is skipped.
_BREAK, _SKIP = None, ""


@lru_cache(maxsize=1 << 18)  # a library's vocabulary repeats: each word is read once
def _term(raw: str) -> str | None:
    """The term of one word as written; ``_BREAK`` (a number, a version, a size) or ``_SKIP``
    (a stop word, a letter) where it is none."""
    lowered = raw.lower()
    if _DIGIT.search(raw) and (is_numberish(lowered) or not _ALPHA.search(raw)):
        return _BREAK
    term = fold(lowered.replace("-", ""))
    if len(term) < 2 or term in STOP_WORDS or lowered in STOP_WORDS:
        return _SKIP  # a stop word inside a phrase is skipped ("learning of robots")
    return term


def _shown(raw: str, term: str) -> str:
    """How a term is shown: "LLM", "DeltaNet", "HY-World" as written; "multi-modal" with its
    hyphen; else the term itself ("Models" -> "model")."""
    if _UPPER_AFTER_FIRST.search(raw):
        return raw
    return raw.lower() if "-" in raw else term


def _add_text(
    text: str,
    weight: int,
    counts: Counter[str],
    spelling: dict[str, str],
    named: dict[str, int] | None = None,
    level: int = IN_TEXT,
) -> None:
    text = _NOISE.sub(" . ", text)
    for segment in _SEGMENT.split(text):
        previous = ""
        spans_stop_word = False  # a phrase over a skipped word names nothing as written
        position = 0
        for match in _WORD.finditer(segment):
            # Anything but spaces between two words (a digit group, a symbol) breaks a phrase.
            if previous and segment[position : match.start()].strip():
                previous = ""
            position = match.end()
            raw = match.group()
            term = _term(raw)
            if not term:
                if term is _BREAK:
                    previous = ""
                spans_stop_word = True
                continue
            counts[term] += weight
            if term not in spelling:
                spelling[term] = _shown(raw, term)
            if named is not None and named.get(term, IN_TEXT) < level:
                named[term] = level
            if previous:
                phrase = f"{previous} {term}"
                counts[phrase] += weight
                if phrase not in spelling:
                    spelling[phrase] = f"{spelling[previous]} {spelling[term]}"
                # "learning verifiable" (of "learning with verifiable rewards") still counts
                # for likeness, but is no keyword's or title's phrase to show as a reason.
                if named is not None and not spans_stop_word and named.get(phrase, 0) < level:
                    named[phrase] = level
            previous = term
            spans_stop_word = False


def paper_terms(title: str, abstract: str, keywords: Sequence[str] = ()) -> Terms:
    """The terms of one paper: title, abstract and AI keywords (twice)."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    named: dict[str, int] = {}
    _add_text(title or "", TITLE_WEIGHT, counts, spelling, named, IN_TITLE)
    _add_text(abstract or "", 1, counts, spelling)
    for keyword in keywords:
        _add_text(keyword + ".", KEYWORD_WEIGHT, counts, spelling, named, IN_KEYWORDS)
    return Terms(counts, spelling, named)
