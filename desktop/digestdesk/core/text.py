"""Text cleanup for display and indexing: white space, TeX left-overs, title identity.

Digest inputs carry hard line wraps (API JSON), non-breaking spaces (browser copies) and TeX
left-overs (arXiv abstracts). :func:`clean_text` turns them into one readable line;
:func:`normalize_title` reduces a title to a key that two copies of the same title share.
Both are total: they accept any ``str`` and never raise.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "TAG_MAX",
    "clean_text",
    "normalize_tag",
    "normalize_title",
    "tag_forms",
    "tag_label",
]

#: The longest tag name (the ``tags.name`` column).
TAG_MAX = 200

# Any run of white space, including NBSP, CR/LF and the other Unicode spaces (`\s` on str).
_WHITESPACE = re.compile(r"\s+")

# Spans left untouched by the TeX cleanup: inline/display math and URLs (a `~` in a URL is
# part of the address, not a TeX tie). A `$` escaped as `\$` does not open math.
_PROTECTED = re.compile(
    r"(?<!\\)\$\$(?:\\.|[^$\\])+?\$\$"  # $$display$$
    r"|(?<!\\)\$(?:\\.|[^$\\])+?\$"  # $inline$
    r"|https?://[^\s<>\"{}|\\^`]+",  # a URL
    re.IGNORECASE,
)
_URL_START = re.compile(r"https?://", re.IGNORECASE)

# `{\em words}`: old-style font switches inside a group.
_FONT_SWITCH = re.compile(r"\{\\(?:em|it|bf|sl|sc|tt|rm|sf|bfseries|itshape|ttfamily)\s+([^{}]*)\}")
# `\emph{words}` and friends.
_FONT_COMMAND = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textsc|textsl|textrm|textsf|textup|textnormal|underline)"
    r"\s*\{([^{}]*)\}"
)
_ESCAPES = {"\\&": "&", "\\%": "%", "\\_": "_", "\\$": "$", "\\#": "#"}
_ESCAPE = re.compile(r"\\[&%_$#]")
_QUOTES = re.compile(r"``(.*?)''", re.DOTALL)
# Symbols and abbreviations written as commands outside math (`2.3\times faster`, `\eg`);
# a command is its letters up to the next non-letter (`\timesheet` is another command).
_SYMBOLS = {
    "times": "×",
    "pm": "±",
    "approx": "≈",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "cdot": "·",
    "ldots": "…",
    "dots": "…",
    "eg": "e.g.",
    "ie": "i.e.",
    "nobreakdash": "",
}
_SYMBOL = re.compile(r"\\(" + "|".join(sorted(_SYMBOLS, key=len, reverse=True)) + r")(?![A-Za-z])")
_TEX_SPACE = re.compile(r"\\([,;:!])")  # thin to thick spaces; \! takes one back
_TIE = re.compile(r"(?<!\\)~")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)


def _clean_tex(text: str) -> str:
    """Clean TeX left-overs in text that holds no math and no URL."""
    # Nested groups (`{\bf \emph{x}}`) are peeled from the inside out; the bound keeps
    # pathological input linear enough.
    for _ in range(8):
        cleaned = _FONT_COMMAND.sub(r"\1", _FONT_SWITCH.sub(r"\1", text))
        if cleaned == text:
            break
        text = cleaned
    text = _QUOTES.sub("\u201c\\1\u201d", text)
    text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(1)], text)
    text = _TEX_SPACE.sub(lambda m: "" if m.group(1) == "!" else " ", text)
    text = _TIE.sub(" ", text)
    return _unescape(text)


def clean_text(raw: str) -> str:
    """Return ``raw`` as one clean line for display and indexing.

    White space of any kind (line wraps, CRLF, NBSP) collapses to single spaces; TeX font
    commands lose their markup, escapes (``\\&``, ``\\%``, ``\\_``, ``\\$``) become the
    character, ``~`` and ``\\,`` become a space, ````x''`` becomes “x” and a few symbols
    written as commands (``\\times``, ``\\pm``, ``\\approx``, ``\\eg``...) their character.
    Math (``$...$``) and URLs are kept as they are, except that TeX escapes inside a URL are
    undone.
    """
    if not raw:
        return ""
    text = _WHITESPACE.sub(" ", raw).strip()
    if "\\" not in text and "~" not in text and "``" not in text:
        return text
    parts: list[str] = []
    position = 0
    for match in _PROTECTED.finditer(text):
        parts.append(_clean_tex(text[position : match.start()]))
        span = match.group(0)
        parts.append(_unescape(span) if _URL_START.match(span) else span)
        position = match.end()
    parts.append(_clean_tex(text[position:]))
    # Cleanup can join or open spaces (`a~ b`): collapse once more.
    return _WHITESPACE.sub(" ", "".join(parts)).strip()


def _is_separator(char: str) -> bool:
    # Punctuation (P*) and symbols (S*) do not distinguish one title from another.
    return unicodedata.category(char)[0] in "PS"


def normalize_title(title: str) -> str:
    """Return the identity key of a title: NFKC, cleaned, casefolded, no punctuation.

    ``"Read-ME: Refactorizing LLMs"`` and ``"read me  refactorizing llms"`` share a key.
    """
    text = unicodedata.normalize("NFKC", title)
    text = clean_text(text)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join(" " if _is_separator(char) else char for char in text)
    return _WHITESPACE.sub(" ", text).strip()


def normalize_tag(name: str, *, team: bool = False) -> str:
    """Tags are lower-case words joined by hyphens; spaces and commas are not allowed; the
    ``+``/``-`` of an edit's ``+tag -tag`` and a ``#`` in front are not part of a name. On a
    team library (``team``) one leading ``#`` is kept: it makes a team tag
    (``#reading-group``), seen by every member."""
    cleaned = "-".join(name.strip().lower().replace(",", " ").split()).lstrip("+-")
    marked = team and cleaned.startswith("#")
    cleaned = cleaned.lstrip("#-")
    if marked and cleaned:
        cleaned = "#" + cleaned
    return cleaned[:TAG_MAX]


def tag_label(name: str) -> str:
    """A tag as lists show it: ``#name``; a team tag's name has its ``#`` already."""
    return name if name.startswith("#") else f"#{name}"


def tag_forms(name: str) -> list[str]:
    """The stored names a ``tag:`` search for ``name`` means: ``#x`` is the team tag ``#x``
    on a team library and the tag ``x`` elsewhere (which has no ``#`` names)."""
    plain = normalize_tag(name)
    marked = normalize_tag(name, team=True)
    return [plain] if marked == plain else [marked, plain]
