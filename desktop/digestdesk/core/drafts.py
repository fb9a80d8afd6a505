"""What parsers produce: plain data describing entries as found in one input.

Parsers are pure (bytes in, :class:`ParseResult` out); the library normalises, dedupes and
stores drafts. Dates are ``datetime.date`` in UTC; times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

STATUSES = ("unread", "queued", "reading", "read", "skipped")
LINK_KINDS = ("code", "project", "paper", "other")


@dataclass(frozen=True)
class Link:
    """An openable http(s) link and its kind (one of :data:`LINK_KINDS`)."""

    url: str
    kind: str


@dataclass
class StatusChange:
    status: str
    at: datetime


@dataclass
class UserState:
    """The user's own data on an entry; only Digest Desk's export carries it."""

    status: str = "unread"
    history: list[StatusChange] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    note_edited_at: datetime | None = None
    added_at: datetime | None = None


@dataclass
class Appearance:
    """An entry seen in a digest (export format only), with the counts at that time."""

    digest_key: str
    votes: int | None = None
    stars: int | None = None
    comments: int | None = None


@dataclass
class DigestDraft:
    """A digest as recorded in an export (the key is the export's own reference)."""

    key: str
    source_kind: str
    file_name: str | None
    digest_date: date | None
    imported_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class EntryDraft:
    """One paper as found in an input. Text fields are raw (as in the input)."""

    title: str
    abstract: str = ""
    arxiv_id: str | None = None  # without version, e.g. "2405.15738" or "cond-mat/0102536"
    authors: list[str] = field(default_factory=list)
    authors_count: int | None = None  # when only a count is known (page text)
    published: date | None = None
    published_year_inferred: bool = False
    votes: int | None = None
    links: list[Link] = field(default_factory=list)  # classified, http(s) only, deduplicated
    categories: list[str] = field(default_factory=list)
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    num_comments: int | None = None
    digest_date: date | None = None  # the digest day this entry was listed on, when known
    where: str = ""  # "line 12" (text) or "item 3" (JSON): for messages
    # Only the Digest Desk export fills these:
    user_state: UserState | None = None
    appearances: list[Appearance] = field(default_factory=list)


@dataclass
class ParseProblem:
    """A malformed entry that was skipped: where it is and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class ParseResult:
    """Everything one input held."""

    format: str  # registry name: "hf-page", "hf-json", "arxiv", "digestdesk"
    entries: list[EntryDraft] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    digest_date: date | None = None  # the digest's day when the input tells it
    as_of: date | None = None  # the as-of date used to infer years (page text)
    digests: list[DigestDraft] = field(default_factory=list)  # export format only
