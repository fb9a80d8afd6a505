"""Exporting the library: Digest Desk JSON (lossless, re-importable), BibTeX, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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
        return to_bibtex(drafts)
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


_BIB_ESCAPE = re.compile(r"([{}\\&%$#_])")


def _bib(value: str) -> str:
    return _BIB_ESCAPE.sub(r"\\\1", clean_text(value))


def _bib_key(draft: EntryDraft, used: set[str]) -> str:
    first = draft.authors[0].split()[-1] if draft.authors else "anon"
    year = str(draft.published.year) if draft.published else "nd"
    word = next((w for w in re.findall(r"[A-Za-z]+", draft.title) if len(w) > 3), "paper")
    base = re.sub(r"[^A-Za-z0-9]", "", f"{first}{year}{word}").lower() or "entry"
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base}{n}"
    used.add(key)
    return key


def to_bibtex(drafts: Sequence[EntryDraft]) -> str:
    used: set[str] = set()
    out = []
    for draft in drafts:
        fields = [("title", "{" + _bib(draft.title) + "}")]
        if draft.authors:
            fields.append(("author", "{" + " and ".join(_bib(a) for a in draft.authors) + "}"))
        if draft.published:
            fields.append(("year", str(draft.published.year)))
            fields.append(("month", draft.published.strftime("%b").lower()))
        if draft.arxiv_id:
            fields += [
                ("eprint", "{" + draft.arxiv_id + "}"),
                ("archivePrefix", "{arXiv}"),
                ("url", "{https://arxiv.org/abs/" + draft.arxiv_id + "}"),
            ]
        if draft.categories:
            fields.append(("primaryClass", "{" + draft.categories[0] + "}"))
        if draft.abstract:
            fields.append(("abstract", "{" + _bib(draft.abstract) + "}"))
        state = draft.user_state
        if state and state.tags:
            fields.append(("keywords", "{" + ", ".join(state.tags) + "}"))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        out.append(f"@misc{{{_bib_key(draft, used)},\n{body}\n}}\n")
    return "\n".join(out)


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


def to_csv(drafts: Sequence[EntryDraft]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for d in drafts:
        state = d.user_state
        code = next((link.url for link in d.links if link.kind == "code"), "")
        writer.writerow(
            [
                d.arxiv_id or "",
                clean_text(d.title),
                "; ".join(d.authors),
                d.published.isoformat() if d.published else "",
                "" if d.votes is None else d.votes,
                state.status if state else "unread",
                ", ".join(state.tags) if state else "",
                code,
                (state.note or "") if state else "",
            ]
        )
    return buffer.getvalue()


def to_markdown(drafts: Sequence[EntryDraft]) -> str:
    lines = ["# Digest Desk export", ""]
    for d in drafts:
        state = d.user_state
        lines.append(f"## {clean_text(d.title)}")
        facts = []
        if d.arxiv_id:
            facts.append(f"[arXiv {d.arxiv_id}](https://arxiv.org/abs/{d.arxiv_id})")
        if d.published:
            facts.append(d.published.isoformat())
        if d.votes is not None:
            facts.append(f"{d.votes} votes")
        if state:
            facts.append(state.status)
            if state.tags:
                facts.append(" ".join(f"`{t}`" for t in state.tags))
        lines.append(" · ".join(facts))
        if d.authors:
            lines.append("")
            lines.append(", ".join(d.authors))
        code = [link.url for link in d.links if link.kind == "code"]
        if code:
            lines.append("")
            lines.append("Code: " + ", ".join(f"<{u}>" for u in code))
        lines.append("")
        lines.append(clean_text(d.abstract))
        if state and state.note:
            lines.append("")
            lines.extend("> " + line for line in state.note.splitlines())
        lines.append("")
    return "\n".join(lines)
