"""The reader's marks: shown text as HTML with the searched words in a styled ``<span>``.

Which words are marked is the core's decision (:class:`~digestdesk.core.query.TermMatcher`
on the text analysed as the index analyses it), so the reader marks what the search found:
"models" for a search on "model", "diffusion" for ``diffusio*``. Everything is escaped.
"""

from __future__ import annotations

import html

from digestdesk.core.index import text_analysis
from digestdesk.core.query import TermMatcher, matching_spans


def _spans(text: str, matcher: TermMatcher) -> list[tuple[int, int]]:
    if not matcher or not text:
        return []
    try:
        return matching_spans(text, matcher, text_analysis("abstract"))
    except Exception:  # noqa: BLE001 - highlighting is decoration; never fail the reader
        return []


def highlighted_html(text: str, matcher: TermMatcher, mark_style: str) -> str:
    """``text`` escaped, with searched words wrapped in a styled ``<span>``."""
    found = _spans(text, matcher)
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
