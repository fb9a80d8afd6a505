"""The registry of input formats: detection by sniffing, and one entry point to parse.

Every format module exposes ``NAME``, ``TITLE`` (for messages), ``sniff(data, name) -> int``
(0..100; 0 means certainly not this format) and ``parse(data, *, name, as_of, today) ->
ParseResult``, raising :class:`~digestdesk.errors.NotADigestError` when the input is not
that format at all. Parsers are pure: bytes in, drafts out; nothing is written anywhere.
"""

from __future__ import annotations

import re
from datetime import date
from types import ModuleType

from digestdesk.core.drafts import ParseResult
from digestdesk.core.formats import arxiv_atom, digestdesk_json, hf_json, hf_page
from digestdesk.core.formats._common import decode, display_name
from digestdesk.errors import NotADigestError

__all__ = ["FORMATS", "detect", "format_names", "get_format", "parse"]

# Order breaks ties between equal confidences: the most specific format first.
FORMATS: tuple[ModuleType, ...] = (digestdesk_json, hf_json, arxiv_atom, hf_page)

_HTML = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


def format_names() -> list[str]:
    """The registry names, in detection order (for ``--format`` choices)."""
    return [module.NAME for module in FORMATS]


def get_format(name: str) -> ModuleType:
    """The format module called ``name``; :class:`NotADigestError` if there is none."""
    for module in FORMATS:
        if name == module.NAME:
            return module
    raise NotADigestError(
        f"There is no input format called “{name}”; the formats are: "
        f"{', '.join(format_names())} (or auto)."
    )


def _tried() -> str:
    titles = [module.TITLE for module in FORMATS]
    return ", ".join(titles[:-1]) + " or " + titles[-1]


def detect(data: bytes | str, name: str | None = None) -> ModuleType:
    """The format module most confident it can read ``data``.

    Raises :class:`NotADigestError` naming the formats tried when none is.
    """
    who = display_name(name)
    text = decode(data)
    if not text.strip():
        raise NotADigestError(f"{who} is empty: there is nothing to import.")
    best: ModuleType | None = None
    best_score = 0
    for module in FORMATS:
        score = module.sniff(data, name)
        if score > best_score:
            best, best_score = module, score
    if best is None:
        hint = ""
        if _HTML.match(text):
            hint = (
                " It looks like a web page (HTML): copy the page's text, or save it "
                "as text, and import that."
            )
        raise NotADigestError(
            f"{who} is not a digest Digest Desk can read: it is not a {_tried()}.{hint}"
        )
    return best


def parse(
    data: bytes | str,
    *,
    name: str | None = None,
    format: str = "auto",
    as_of: date | None = None,
    today: date | None = None,
) -> ParseResult:
    """Parse ``data`` in ``format`` (``"auto"`` detects it).

    ``today`` defaults to the local date; ``as_of`` (the day a page was viewed, which
    settles year-less dates) defaults to ``today``. Raises :class:`NotADigestError` when the
    input is not a digest (or not in the forced format); malformed entries are
    ``ParseResult.problems``, not exceptions.
    """
    today = today or date.today()
    as_of = as_of or today
    module = detect(data, name) if format == "auto" else get_format(format)
    result: ParseResult = module.parse(data, name=name, as_of=as_of, today=today)
    return result
