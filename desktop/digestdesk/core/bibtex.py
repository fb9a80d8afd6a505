"""BibTeX for Zotero, JabRef, BibTeX and LaTeX: escaped fields, protected case, stable keys.

Every field is written so that BibTeX reads it as the text it is and LaTeX typesets it:

- LaTeX's special characters become commands (``&`` → ``\\&``, ``^`` → ``\\textasciicircum{}``,
  ``\\`` → ``\\textbackslash{}``…). Braces in entry text become ``\\textbraceleft{}`` and
  ``\\textbraceright{}``: BibTeX counts every brace, escaped or not, so ``\\}`` would end a field
  early; here every brace written is one the exporter opened and closes, balanced by
  construction. Greek letters and a few mathematical signs become math commands (pdfLaTeX has
  no text glyph for them); other text stays UTF-8, which Zotero, JabRef and biber read.
- Title words whose case matters (``LLM``, ``DeepSeek``, ``T^2PO``: a capital after the first
  letter) are brace-protected, so styles that lower-case titles keep them.
- Keys are the first author's surname, the year and the first significant title word
  (``vaswani2017attention``); a paper without authors gets its first title words instead.
  A key that two papers of the *library* share is followed by each one's arXiv id (or, without
  one, a short digest of its title): a key depends on the paper and the library, never on what
  else is in an export or in which order, so a full export and a ``--query`` export agree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from digestdesk.core.drafts import EntryDraft
from digestdesk.core.text import clean_text, normalize_title

# What LaTeX (and BibTeX) give a meaning to, as commands that typeset the character itself.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_GREEK = (  # noqa: SIM905 (a sentence of names reads better than a column)
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "varsigma sigma tau upsilon phi chi psi omega"
).split()
_MATH = {chr(0x3B1 + n): "\\" + name for n, name in enumerate(_GREEK) if name != "omicron"}
_MATH.update(
    {
        chr(0x391 + n): "\\" + name.capitalize()
        for n, name in enumerate(_GREEK)
        if name.capitalize()
        in {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma"}
        | {"Upsilon", "Phi", "Psi", "Omega"}
    }
)
# Capitals that look like Latin letters have no command of their own.
_GREEK_LATIN = dict(
    zip(
        "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a7\u03bf",
        "ABEZHIKMNOPTXo",
        strict=True,
    )
)
_MATH.update(
    {
        "\u03b5": r"\varepsilon",
        "\u03c6": r"\varphi",
        "\u03d5": r"\phi",
        "\u03f5": r"\epsilon",
        "\u2212": "-",
        "\u2264": r"\leq",
        "\u2265": r"\geq",
        "\u2260": r"\neq",
        "\u2248": r"\approx",
        "\u223c": r"\sim",
        "\u221e": r"\infty",
        "\u2192": r"\rightarrow",
        "\u2190": r"\leftarrow",
        "\u2194": r"\leftrightarrow",
        "\u21d2": r"\Rightarrow",
        "\u2208": r"\in",
        "\u2211": r"\sum",
        "\u220f": r"\prod",
        "\u221a": r"\surd",
        "\u2202": r"\partial",
        "\u2207": r"\nabla",
        "\u2297": r"\otimes",
        "\u2295": r"\oplus",
        "\u22c5": r"\cdot",
        "\u2032": r"\prime",
    }
)
# Accented Latin letters as BibTeX's "special characters" ({\'e}): plain BibTeX is 8-bit and
# fails on UTF-8 bytes where it takes a name apart or counts letters; every reader knows these.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
}
_LETTERS = {
    "ß": r"\ss",
    "ø": r"\o",
    "Ø": r"\O",
    "ł": r"\l",
    "Ł": r"\L",
    "æ": r"\ae",
    "Æ": r"\AE",
    "œ": r"\oe",
    "Œ": r"\OE",
    "ı": r"\i",
    "å": r"\aa",
    "Å": r"\AA",
}
# Text symbols pdfLaTeX typesets with the standard packages (textcomp is part of the kernel).
_SYMBOLS = {
    "§": r"\S",
    "¶": r"\P",
    "°": r"\textdegree",
    "©": r"\textcopyright",
    "®": r"\textregistered",
    "™": r"\texttrademark",
    "·": r"\textperiodcentered",
    "×": r"\texttimes",
    "÷": r"\textdiv",
    "±": r"\textpm",
    "µ": r"\textmu",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "--",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "…": r"\ldots",
    "•": r"\textbullet",
    "€": r"\texteuro",
    "£": r"\pounds",
}
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7}")
_STOP_WORDS = frozenset(
    (  # noqa: SIM905
        "a an the of on in for to and or with via by from at as is are be do does can how what "
        "why when which who we you your our their its into onto over under toward towards "
        "beyond about through without within"
    ).split()
)


def _letter(char: str) -> str | None:
    """An accented Latin letter as ``{\\'e}``; None for anything else."""
    if char in _LETTERS:
        return "{" + _LETTERS[char] + "{}}"
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or not base.isascii() or not all(m in _ACCENTS for m in marks):
        return None
    if base == "i":
        base = r"\i{}"  # the dotless i takes the accent
    for mark in marks:
        accent = _ACCENTS[mark]
        base = f"\\{accent}{{{base}}}" if accent.isalpha() else f"\\{accent}{base}"
    return "{" + base + "}"


def _char(char: str) -> str:
    if char.isascii():
        return _SPECIAL.get(char, char) if char.isprintable() else ""
    if char in _MATH:
        return r"\ensuremath{" + _MATH[char] + "}"
    if char in _GREEK_LATIN:
        return _GREEK_LATIN[char]
    if char in _SYMBOLS:
        symbol = _SYMBOLS[char]
        return symbol + "{}" if symbol[-1].isalpha() else symbol
    letter = _letter(char)
    if letter is not None:
        return letter
    compatible = unicodedata.normalize("NFKC", char)  # "ﬁ" → "fi", "²" → "2", "％" → "%"
    if compatible != char and all(c.isascii() or _letter(c) for c in compatible):
        return "".join(map(_char, compatible))
    if unicodedata.category(char) in ("Lu", "Ll", "Lt", "Lo"):
        return char  # other scripts stay UTF-8 (biber, Zotero, JabRef, XeLaTeX read it)
    return ""  # emoji, symbols and marks no LaTeX font has: left out


def tex(text: str) -> str:
    """``text`` as one line of LaTeX that typesets it, with no brace of its own.

    pdfLaTeX compiles it whatever the text holds, except letters of scripts other than Latin
    and Greek (Cyrillic, CJK…), kept as UTF-8 for the readers and engines that take them.
    """
    return "".join(map(_char, clean_text(text)))


def _case_matters(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if len(letters) == 1:  # "I", "X" or a variable; not the article "A"
        return letters[0].isupper() and letters[0] != "A"
    return any(c.isupper() for c in letters[1:])


def title_field(title: str) -> str:
    """A title with the words whose case matters in braces (styles keep their case)."""
    words = []
    for word in clean_text(title).split(" "):
        escaped = tex(word)
        if escaped and _case_matters(word):
            # A group that starts with a command is a "special character" to BibTeX, whose
            # letters it would still change: a second pair of braces keeps it a plain group.
            escaped = ("{{" + escaped + "}}") if escaped.startswith("\\") else "{" + escaped + "}"
        words.append(escaped)
    return " ".join(w for w in words if w)


def _name(author: str) -> str:
    escaped = tex(author)
    # "and" separates names and a comma splits "Last, First": a name holding either is kept
    # whole (BibTeX then reads it as one name, like an organisation's).
    if re.search(r"(?i)(^|\s)and(\s|$)", escaped) or "," in escaped:
        return "{" + escaped + "}"
    return escaped


def _ascii_words(text: str) -> list[str]:
    """The words of ``text`` as lower-case ASCII letters and digits ("K-EXAONE" → "kexaone")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in (re.sub(r"[^a-z0-9]", "", w) for w in folded.split()) if w]


def _year(draft: EntryDraft) -> str:
    if draft.published:
        return str(draft.published.year)
    if draft.arxiv_id and re.fullmatch(r"\d{4}\.\d{4,5}", draft.arxiv_id):
        return "20" + draft.arxiv_id[:2]  # new-style ids start with YYMM (2007 onwards)
    return ""


def base_key(draft: EntryDraft) -> str:
    """The readable part of an entry's key: surname, year, first significant title word."""
    words = [w for w in _ascii_words(draft.title) if w not in _STOP_WORDS] or ["paper"]
    surname = next((_ascii_words(a)[-1:] for a in draft.authors[:1] if _ascii_words(a)), [])
    if surname:
        return f"{surname[0]}{_year(draft)}{words[0]}"
    return "".join(words[:3]) + _year(draft)  # no authors: the title's first words


def _suffix(draft: EntryDraft) -> str:
    if draft.arxiv_id:
        return re.sub(r"[^A-Za-z0-9.]", "-", draft.arxiv_id)
    return hashlib.sha1(normalize_title(draft.title).encode("utf-8")).hexdigest()[:6]


def citation_keys(drafts: Sequence[EntryDraft], library: Iterable[EntryDraft]) -> list[str]:
    """The key of each draft; a base key shared by two papers of ``library`` gets a suffix."""
    shared = Counter(base_key(d) for d in library)
    keys = []
    for draft in drafts:
        key = base_key(draft)
        keys.append(f"{key}-{_suffix(draft)}" if shared[key] > 1 else key)
    return keys


def _url(url: str) -> str:
    """A URL field: percent-encode what LaTeX or BibTeX would read as markup."""
    return re.sub(r"[\\{}%#~^&$_\s]", lambda m: f"%{ord(m.group()):02X}", url)


def entry(draft: EntryDraft, key: str) -> str:
    """One ``@misc`` entry."""
    fields: list[tuple[str, str]] = [("title", "{" + title_field(draft.title) + "}")]
    if draft.authors:
        fields.append(("author", "{" + " and ".join(_name(a) for a in draft.authors) + "}"))
    year = _year(draft)
    if year:
        fields.append(("year", "{" + year + "}"))
    if draft.published:
        fields.append(("month", draft.published.strftime("%b").lower()))  # a BibTeX macro
    arxiv_id = draft.arxiv_id or ""
    if _ARXIV_ID.fullmatch(arxiv_id):
        fields += [
            ("eprint", "{" + arxiv_id + "}"),
            ("archivePrefix", "{arXiv}"),
        ]
        if draft.categories:
            fields.append(("primaryClass", "{" + tex(draft.categories[0]) + "}"))
        fields += [
            ("doi", "{10.48550/arXiv." + arxiv_id + "}"),
            ("url", "{https://arxiv.org/abs/" + arxiv_id + "}"),
        ]
    else:
        if arxiv_id:
            fields.append(("note", "{arXiv id " + tex(arxiv_id) + "}"))
        paper = next((link.url for link in draft.links if link.kind == "paper"), None)
        page = paper or draft.project_page
        if page and page.lower().startswith(("http://", "https://")):
            fields.append(("url", "{" + _url(page) + "}"))
    if draft.abstract:
        fields.append(("abstract", "{" + tex(draft.abstract) + "}"))
    state = draft.user_state
    if state and state.tags:
        fields.append(("keywords", "{" + ", ".join(tex(t) for t in state.tags) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def to_bibtex(drafts: Sequence[EntryDraft], library: Iterable[EntryDraft] | None = None) -> str:
    """The entries as BibTeX; ``library`` (default: ``drafts``) is what keys must tell apart."""
    keys = citation_keys(drafts, drafts if library is None else library)
    return "\n".join(entry(d, k) for d, k in zip(drafts, keys, strict=True))


__all__ = ["base_key", "citation_keys", "entry", "tex", "title_field", "to_bibtex"]
