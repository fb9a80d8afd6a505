"""Exporting the library: Digest Desk JSON (lossless, re-importable), BibTeX, CSV and Markdown.

Every export is safe for the program that opens it, whatever an entry's text holds: CSV text
cells cannot start a spreadsheet formula (:func:`csv_cell`, OWASP's rule), Markdown carries no
HTML and no markup from entry text (:func:`md_text`), and BibTeX fields are escaped so that
BibTeX and LaTeX read them as the text they are (:mod:`digestdesk.core.bibtex`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from digestdesk.core import bibtex
from digestdesk.core.drafts import DigestDraft, EntryDraft
from digestdesk.core.formats import digestdesk_json
from digestdesk.core.text import clean_text

if TYPE_CHECKING:
    from digestdesk.core.library import Library

EXPORT_FORMATS = ("json", "bibtex", "csv", "markdown")


def export_text(library: Library, fmt: str, *, ids: Sequence[int] | None = None) -> str:
    drafts, digests = library.export_drafts(ids)
    if fmt == "json":
        return to_json(drafts, digests)
    if fmt == "bibtex":
        # Keys tell apart the papers of the whole library, so a query's export gives each
        # paper the key the full export gives it.
        return bibtex.to_bibtex(drafts, drafts if ids is None else library.key_drafts())
    if fmt == "csv":
        return to_csv(drafts)
    if fmt == "markdown":
        return to_markdown(drafts)
    raise ValueError(f"unknown export format {fmt!r}")


def to_json(drafts: Sequence[EntryDraft], digests: Sequence[DigestDraft]) -> str:
    document = digestdesk_json.export_document(
        digests=digests, entries=drafts, exported_at=datetime.now(UTC)
    )
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


CSV_COLUMNS = (
    "arxiv_id",
    "title",
    "authors",
    "published",
    "votes",
    "status",
    "tags",
    "code",
    "note",
)


#: What makes a spreadsheet read a cell as a formula (OWASP's list, and the full-width forms
#: that some spreadsheets also accept).
_FORMULA_STARTS = tuple("=+-@\t\r") + ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that could start a formula gets a ``'``."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(drafts: Sequence[EntryDraft]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for d in drafts:
        state = d.user_state
        code = next((link.url for link in d.links if link.kind == "code"), "")
        text_cells = [
            d.arxiv_id or "",
            clean_text(d.title),
            "; ".join(d.authors),
            d.published.isoformat() if d.published else "",
        ]
        user_cells = [
            state.status if state else "unread",
            ", ".join(state.tags) if state else "",
            code,
            (state.note or "") if state else "",
        ]
        votes = "" if d.votes is None else d.votes  # a number, never a formula
        writer.writerow([*map(csv_cell, text_cells), votes, *map(csv_cell, user_cells)])
    return buffer.getvalue()


# Markdown: HTML's three characters become entities (no tag, no entity of the input's own);
# the punctuation that makes links, images, code and emphasis is backslash-escaped, so entry
# text stays text in every CommonMark renderer; so does what would start a block at a line's
# start (a heading, a quote, a list, a table or a rule).
_MD_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START = re.compile(r"^(\s*)(?:([#+=-])|(\d+)([.)]))")
# A URL in a link: what could end the link or the autolink is percent-encoded.
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"


def md_text(text: str) -> str:
    """``text`` as Markdown that renders as exactly this text (one line or many)."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = "".join(_MD_HTML.get(char, char) for char in text)
    return "\n".join(_MD_BLOCK_START.sub(_escape_block_start, line) for line in text.split("\n"))


def _escape_block_start(match: re.Match[str]) -> str:
    indent, marker, number, delimiter = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{delimiter}"


def md_url(url: str) -> str:
    """``url`` usable as a Markdown link target (``<``, ``>``, spaces and quotes encoded)."""
    return urllib.parse.quote(url, safe=_URL_SAFE)


def _md_link(label: str, url: str) -> str:
    """A link for an http(s) URL; anything else (``javascript:``…) stays plain text."""
    if not url.lower().startswith(("http://", "https://")):
        return md_text(label)
    return f"[{md_text(label)}](<{md_url(url)}>)"


def _md_tag(tag: str) -> str:
    return f"`{tag}`" if "`" not in tag else md_text(tag)  # a code span shows HTML as text


def to_markdown(drafts: Sequence[EntryDraft]) -> str:
    lines = ["# Digest Desk export", ""]
    for d in drafts:
        state = d.user_state
        lines.append(f"## {md_text(clean_text(d.title))}")
        facts = []
        if d.arxiv_id:
            facts.append(_md_link(f"arXiv {d.arxiv_id}", f"https://arxiv.org/abs/{d.arxiv_id}"))
        if d.published:
            facts.append(d.published.isoformat())
        if d.votes is not None:
            facts.append(f"{d.votes} votes")
        if state:
            facts.append(state.status)
            if state.tags:
                facts.append(" ".join(map(_md_tag, state.tags)))
        lines.append(" · ".join(facts))
        if d.authors:
            lines.append("")
            lines.append(md_text(", ".join(d.authors)))
        code = [link.url for link in d.links if link.kind == "code"]
        if code:
            lines.append("")
            lines.append("Code: " + ", ".join(_md_link(u, u) for u in code))
        lines.append("")
        lines.append(md_text(clean_text(d.abstract)))
        if state and state.note:
            lines.append("")
            lines.extend("> " + md_text(line) for line in state.note.splitlines())
        lines.append("")
    return "\n".join(lines)
