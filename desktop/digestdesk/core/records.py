"""Read-side records the library hands to the CLI and the views, and the ``Changes`` it reports.

Views never query each other; after every write they get a :class:`Changes` and re-query what
it touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from digestdesk.core.drafts import Link, ParseProblem


@dataclass(frozen=True)
class Changes:
    """What one write changed, so views can refresh only that."""

    entry_ids: frozenset[int] = frozenset()
    added: frozenset[int] = frozenset()
    kinds: frozenset[str] = frozenset()  # "status", "tags", "note", "entries", "digests", "all"
    label: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.entry_ids and not self.added and not self.kinds

    @property
    def reset(self) -> bool:
        """True when views should re-run their query rather than patch rows."""
        return bool(self.added) or "all" in self.kinds or "entries" in self.kinds


@dataclass(frozen=True)
class EntryRow:
    """The few fields a list row shows; cheap to load for the visible rows only."""

    id: int
    title: str
    published: date | None
    votes: int | None
    status: str
    has_code: bool
    has_note: bool
    tags: tuple[str, ...]


@dataclass(frozen=True)
class StatusEvent:
    status: str
    at: datetime


@dataclass(frozen=True)
class MemberState:
    """Another member's reading status of a paper (a team library)."""

    member: str
    status: str
    at: datetime | None


@dataclass(frozen=True)
class Comment:
    """A member's shared note on a paper (a team library)."""

    member: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Colleagues:
    """What the other members of a team library did with one paper."""

    states: list[MemberState] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.states or self.comments)

    def to_json(self) -> dict[str, Any]:
        return {
            "others": [
                {"member": s.member, "status": s.status, "at": s.at.isoformat() if s.at else None}
                for s in self.states
            ],
            "comments": [
                {"member": c.member, "text": c.text, "at": c.at.isoformat()} for c in self.comments
            ],
        }


@dataclass
class EntryDetail:
    """Everything about one entry, for the reader pane, `show` and the JSON output."""

    id: int
    arxiv_id: str | None
    title: str
    title_raw: str
    abstract: str
    abstract_raw: str
    authors: list[str]
    authors_count: int | None
    published: date | None
    published_year_inferred: bool
    votes: int | None
    links: list[Link]
    categories: list[str]
    ai_summary: str | None
    ai_keywords: list[str]
    github_repo: str | None
    github_stars: int | None
    project_page: str | None
    organization: str | None
    num_comments: int | None
    status: str
    status_changed_at: datetime | None
    added_at: datetime
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    note_edited_at: datetime | None = None
    digests: list[date] = field(default_factory=list)
    history: list[StatusEvent] = field(default_factory=list)
    #: On a team library: the other members' statuses and everyone's comments (else None).
    colleagues: Colleagues | None = None

    def to_json(self) -> dict[str, Any]:
        """The public JSON record (`--json` output); fields are never removed, only added."""
        return {
            "id": self.id,
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": list(self.authors),
            "authors_count": self.authors_count,
            "published": self.published.isoformat() if self.published else None,
            "published_year_inferred": self.published_year_inferred,
            "votes": self.votes,
            "links": [{"url": link.url, "kind": link.kind} for link in self.links],
            "status": self.status,
            "tags": list(self.tags),
            "note": self.note,
            "digests": [d.isoformat() for d in self.digests],
            "categories": list(self.categories),
            "ai_summary": self.ai_summary,
            "ai_keywords": list(self.ai_keywords),
            "github_repo": self.github_repo,
            "github_stars": self.github_stars,
            "project_page": self.project_page,
            "organization": self.organization,
            "num_comments": self.num_comments,
            "added_at": self.added_at.isoformat(),
            "status_changed_at": (
                self.status_changed_at.isoformat() if self.status_changed_at else None
            ),
            **({"team": self.colleagues.to_json()} if self.colleagues is not None else {}),
        }


@dataclass
class ImportedItem:
    """One line of an import summary: what happened to which entry."""

    where: str
    title: str
    outcome: str  # "new" | "updated" | "unchanged"
    entry_id: int


@dataclass
class ImportReport:
    """The result of importing one input (one transaction)."""

    source: str
    format: str
    digest_id: int | None
    digest_date: date | None
    as_of: date | None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[ParseProblem] = field(default_factory=list)
    items: list[ImportedItem] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    cancelled: bool = False
    #: where ``as_of`` came from, for page text: "given" (chosen by the user), "file" (the
    #: file's modification date, what a browser's "Save page" leaves) or "today"
    as_of_source: str | None = None
    #: the same file content was imported before: its digest was updated, not added again
    reimported: bool = False
    #: entries whose year-inferred published date this import corrected
    dates_corrected: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    def as_of_note(self) -> str:
        """How year-less dates were read ("" when the input had none to read): the day,
        and where it came from."""
        if self.format != "hf-page" or self.as_of is None:
            return ""
        why = {
            "file": ", the file's modification date",
            "today": " (today)",
        }.get(self.as_of_source or "", "")
        return f"year-less dates read as of {self.as_of.isoformat()}{why}"

    @property
    def partial(self) -> bool:
        return bool(self.skipped)

    def summary(self) -> str:
        parts = [f"{self.new} new", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        if self.dates_corrected:
            n = self.dates_corrected
            parts.append(f"{n} date{'s' if n != 1 else ''} corrected")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "digest_date": self.digest_date.isoformat() if self.digest_date else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_source": self.as_of_source,
            "reimported": self.reimported,
            "dates_corrected": self.dates_corrected,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": [{"where": p.where, "reason": p.reason} for p in self.skipped],
        }


#: What to tell the reader when ``for_you_fell_back``.
FOR_YOU_FELL_BACK = "For you needs more triage to learn your taste: sorted by date"


@dataclass
class SearchResult:
    """The ids a query matched, in order, and how many matched in all."""

    ids: list[int]
    total: int  # how many entries matched in all
    query: str
    sort: str
    terms: list[tuple[str, str]] = field(default_factory=list)
    capped: bool = False  # a word query matched more entries than the ids hold (total > ids)
    #: sort:foryou was asked, but there is too little triage to learn from: sorted by date
    for_you_fell_back: bool = False
