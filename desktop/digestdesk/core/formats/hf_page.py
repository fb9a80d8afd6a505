"""The Hugging Face papers page as text: a saved page or a copy of a browser selection.

Each entry is a title line, an abstract line, ``• N authors``, ``·`` and a date line such as
``Nov 25, 2021``, ``Jun 1`` or ``Mar 4 2`` (a year-less date, then the entry's vote count).
Browser copies add or drop blank lines, use CRLF and non-breaking spaces, lose the bullet or
the ``·`` line and carry navigation text around the entries. So the parser does not rely on
blank lines: the ``N authors`` and date lines are anchors, and an entry's title and abstract
are the last two text lines before its anchors. Year-less dates take the latest year that
does not put them after ``as_of`` (the day the page was viewed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from digestdesk.core.drafts import EntryDraft, ParseProblem, ParseResult
from digestdesk.core.formats._common import decode, display_name
from digestdesk.core.links import collect_links
from digestdesk.errors import NotADigestError

NAME = "hf-page"
TITLE = "Hugging Face papers page (text)"

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS: dict[str, int] = {}
for _number, _name in enumerate(_MONTH_NAMES, start=1):
    MONTHS[_name] = _number
    MONTHS[_name[:3]] = _number
MONTHS["Sept"] = 9

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Digit counts are bounded so no match can make int() refuse a huge number.
DATE_LINE = re.compile(rf"^({_MONTH})\.? (\d{{1,2}})(?:, ?(\d{{4}}))?(?: (\d{{1,9}}))?$")
AUTHORS_LINE = re.compile(r"^(?:[•·∙●▪*-] ?)?(\d{1,6}) authors?$", re.IGNORECASE)
_SEPARATOR_LINE = re.compile(r"^[·•∙]$")
# Some copies join the authors, `·` and date onto one line.
_JOINED_LINE = re.compile(r"^(.*\bauthors?) ?[·•] ?(.+)$", re.IGNORECASE)
HEADER_LINES = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "daily papers",
        "trending papers",
        "byak and the research community",
    }
)
# A leftover line this long is an abstract that lost its entry, not navigation text.
_ABSTRACT_LENGTH = 200


@dataclass
class _Line:
    number: int  # 1-based
    text: str  # stripped, as in the input


@dataclass
class _PendingEntry:
    """Text lines followed by an authors line, waiting for their date line."""

    authors_count: int
    authors_line: int
    block: list[_Line] = field(default_factory=list)


def _normalize(line: str) -> str:
    # `str.split()` splits on every Unicode space, so NBSPs and tabs collapse too.
    return " ".join(line.split())


def resolve_date(month: int, day: int, year: int | None, as_of: date) -> tuple[date, bool]:
    """The date of ``month``/``day`` in ``year``; without a year, the latest not after
    ``as_of`` (Feb 29 goes back to the latest leap year). Returns (date, year_inferred).

    Raises ``ValueError`` when no such date exists.
    """
    if year is not None:
        return date(year, month, day), False
    for candidate_year in range(as_of.year, as_of.year - 9, -1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if candidate <= as_of:
            return candidate, True
    raise ValueError(f"no date {month}/{day} on or before {as_of}")


def _split_anchor(normalized: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The authors and date matches of a line (either, both when joined, or neither)."""
    authors = AUTHORS_LINE.match(normalized)
    if authors:
        return authors, None
    date_match = DATE_LINE.match(normalized)
    if date_match:
        return None, date_match
    joined = _JOINED_LINE.match(normalized)
    if joined:
        authors = AUTHORS_LINE.match(joined.group(1).strip())
        date_match = DATE_LINE.match(joined.group(2).strip())
        if authors and date_match:
            return authors, date_match
    return None, None


def sniff(data: bytes | str, name: str | None = None) -> int:
    """Confidence (0..100) that ``data`` is a papers page text: it has the anchor lines."""
    text = decode(data)
    authors = dates = separators = 0
    for line in text.splitlines():
        normalized = _normalize(line)
        if not normalized or len(normalized) > 60:
            continue
        found_authors, found_date = _split_anchor(normalized)
        authors += found_authors is not None
        dates += found_date is not None
        separators += bool(_SEPARATOR_LINE.match(normalized))
    if authors and dates:
        return min(95, 60 + 5 * min(authors, dates))
    if dates >= 2 and separators:
        return 40
    return 0


class _PageParser:
    """One pass over the lines; collects entries and problems."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.entries: list[EntryDraft] = []
        self.problems: list[ParseProblem] = []
        self.digest_date: date | None = None
        self.buffer: list[_Line] = []
        self.pending: _PendingEntry | None = None
        self.seen_header = False
        self.seen_authors = False

    @property
    def started(self) -> bool:
        return bool(self.entries or self.problems)

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(ParseProblem(where=f"line {line}", reason=reason))

    def feed(self, number: int, raw: str) -> None:
        normalized = _normalize(raw)
        if not normalized:
            return
        if normalized.casefold() in HEADER_LINES:
            self.seen_header = True
            return
        if _SEPARATOR_LINE.match(normalized):
            return
        authors, date_match = _split_anchor(normalized)
        if authors is not None:
            self.on_authors(number, int(authors.group(1)))
        if date_match is not None:
            self.on_date(number, date_match)
        if authors is None and date_match is None:
            if self.pending is not None:
                self.finish_without_date(self.pending)
                self.pending = None
            self.buffer.append(_Line(number, raw.strip()))

    def on_authors(self, number: int, count: int) -> None:
        self.seen_authors = True
        if self.pending is not None:
            self.finish_without_date(self.pending)
        self.pending = _PendingEntry(count, number, self.buffer)
        self.buffer = []

    def on_date(self, number: int, match: re.Match[str]) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.make_entry(pending.block, pending.authors_count, pending.authors_line, match)
            return
        block, self.buffer = self.buffer, []
        is_page_date = match.group(3) is None and match.group(4) is None
        if not self.started and is_page_date:
            # The page's own date, after the header (and whatever navigation was copied).
            try:
                self.digest_date, _ = resolve_date(
                    MONTHS[match.group(1)], int(match.group(2)), None, self.as_of
                )
            except ValueError:
                self.problem(number, f"the page date “{match.group(0)}” is not a real date")
            return
        if len(block) >= 2 or (len(block) == 1 and self.started):
            # An entry whose authors line was lost in the copy.
            self.make_entry(block, None, number, match)

    def finish_without_date(self, pending: _PendingEntry) -> None:
        block = pending.block
        if not block:
            self.problem(pending.authors_line, "an authors line with no title or abstract")
            return
        title = block[-2] if len(block) >= 2 else block[-1]
        self.problem(title.number, f"“{_short(title.text)}” has no date line after its authors")

    def make_entry(
        self,
        block: list[_Line],
        authors_count: int | None,
        anchor_line: int,
        match: re.Match[str],
    ) -> None:
        if not block:
            self.problem(anchor_line, "an entry with no title or abstract")
            return
        if len(block) == 1:
            self.problem(
                block[0].number,
                f"“{_short(block[0].text)}” has no abstract (or no title)",
            )
            return
        leftovers, (title, abstract) = block[:-2], block[-2:]
        # One short stray line (a vote count, "Submitted by ...") is page furniture; a title
        # and abstract that lost their anchors are a skipped entry the reader should hear of.
        lost = len(leftovers) >= 2 or any(len(x.text) >= _ABSTRACT_LENGTH for x in leftovers)
        if lost and self.started:
            self.problem(
                leftovers[0].number,
                f"skipped “{_short(leftovers[0].text)}”: it has no authors or date line",
            )
        year = int(match.group(3)) if match.group(3) else None
        try:
            published, inferred = resolve_date(
                MONTHS[match.group(1)], int(match.group(2)), year, self.as_of
            )
        except ValueError:
            self.problem(title.number, f"the date “{match.group(0)}” is not a real date")
            return
        self.entries.append(
            EntryDraft(
                title=title.text,
                abstract=abstract.text,
                authors_count=authors_count,
                published=published,
                published_year_inferred=inferred,
                votes=int(match.group(4)) if match.group(4) else None,
                links=collect_links(abstract.text),
                where=f"line {title.number}",
            )
        )

    def close(self) -> None:
        if self.pending is not None:
            self.finish_without_date(self.pending)
            self.pending = None
        # Trailing navigation text is expected; an abstract-length line is a lost entry.
        for line in self.buffer:
            if len(line.text) >= _ABSTRACT_LENGTH:
                self.problem(line.number, "an abstract with no authors or date line after it")
                break
        self.buffer = []


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse(data: bytes | str, *, name: str | None = None, as_of: date, today: date) -> ParseResult:
    """Parse a papers page text. Malformed entries become problems; the rest still parse."""
    text = decode(data)
    parser = _PageParser(as_of)
    for number, line in enumerate(text.splitlines(), start=1):
        parser.feed(number, line)
    parser.close()
    if not parser.started and not parser.seen_authors and not parser.seen_header:
        raise NotADigestError(
            f"{display_name(name)} is not a Hugging Face papers page: it has no "
            "“N authors” lines and no paper dates such as “Nov 25, 2021”."
        )
    for entry in parser.entries:
        entry.digest_date = parser.digest_date
    return ParseResult(
        format=NAME,
        entries=parser.entries,
        problems=parser.problems,
        digest_date=parser.digest_date,
        as_of=as_of,
    )
