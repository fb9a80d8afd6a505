"""How the commands print: JSON, entry rows, an entry's text, sparklines and a progress bar."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from digestdesk.core.library.reader import LibraryReader


class TerminalText:
    """A text stream that drops terminal controls and bidi overrides from what it is given,
    as imports drop them (:func:`~digestdesk.core.validation.without_controls`): a library
    imported before they did may still hold a title with ESC sequences."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from digestdesk.core.validation import without_controls

        return self._stream.write(without_controls(text))

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty...: the stream's own
        return getattr(self._stream, name)


class ProgressBar:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, label: str, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.stream = stream
        self.enabled = stream.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        if total:
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        else:
            self.stream.write(f"\r{self.label} {done}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def print_json(value: Any, out: TextIO) -> None:
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


def print_rows(
    library: LibraryReader,
    ids: Sequence[int],
    out: TextIO,
    total: int | None = None,
    notes: Mapping[int, str] | None = None,
) -> None:
    """One line per entry; ``notes`` adds an indented line under an entry (why it is listed)."""
    rows = library.rows(ids)
    for entry_id in ids:
        row = rows[entry_id]
        published = row.published.isoformat() if row.published else "    -     "
        votes = "" if row.votes is None else str(row.votes)
        marks = ("</>" if row.has_code else "   ") + (" ✎" if row.has_note else "  ")
        tags = f"  [{', '.join(row.tags)}]" if row.tags else ""
        out.write(
            f"{row.id:>6}  {row.status:<7}  {published}  {votes:>4}  {marks}  {row.title}{tags}\n"
        )
        if notes and notes.get(entry_id):
            out.write(f"{'':>6}  {notes[entry_id]}\n")
    if total is not None and total > len(ids):
        out.write(f"({len(ids)} of {total} shown; use --limit)\n")


def show_text(detail: Any, out: TextIO) -> None:
    out.write(f"{detail.title}\n")
    if detail.authors:
        out.write(f"{', '.join(detail.authors)}\n")
    elif detail.authors_count:
        out.write(f"{detail.authors_count} authors\n")
    facts = [f"id {detail.id}", detail.status]
    if detail.arxiv_id:
        facts.append(f"arXiv {detail.arxiv_id}")
    if detail.published:
        inferred = " (year inferred)" if detail.published_year_inferred else ""
        facts.append(f"published {detail.published.isoformat()}{inferred}")
    if detail.votes is not None:
        facts.append(f"{detail.votes} votes")
    out.write(" · ".join(facts) + "\n")
    if detail.digests:
        out.write("digests: " + ", ".join(d.isoformat() for d in detail.digests) + "\n")
    if detail.tags:
        out.write("tags: " + ", ".join(detail.tags) + "\n")
    out.write("\n" + detail.abstract + "\n")
    if detail.ai_summary:
        out.write(f"\nAI summary: {detail.ai_summary}\n")
    if detail.ai_keywords:
        out.write("keywords: " + ", ".join(detail.ai_keywords) + "\n")
    if detail.links:
        out.write("\n")
        for link in detail.links:
            out.write(f"  {link.kind:<8} {link.url}\n")
    if detail.note:
        out.write(f"\nnote:\n{detail.note}\n")
    team = detail.colleagues
    if team is not None and team.states:
        out.write("\nalso: " + ", ".join(f"{s.member} {s.status}" for s in team.states) + "\n")
    if team is not None:
        for comment in team.comments:
            out.write(f"\n{comment.member} commented ({comment.at:%Y-%m-%d %H:%M}):\n")
            out.write(f"{comment.text}\n")


_SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if not top:
        return _SPARKS[0] * len(values)
    return "".join(_SPARKS[round(v / top * (len(_SPARKS) - 1))] for v in values)
