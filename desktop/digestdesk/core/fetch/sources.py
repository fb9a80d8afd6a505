"""The sources digests are fetched from: Hugging Face daily papers and arXiv API listings.

A fetcher turns "this source, this day" into the same :class:`ParseResult` the file parsers
give, through the file parsers themselves (:mod:`~digestdesk.core.formats.hf_json`,
:mod:`~digestdesk.core.formats.arxiv_atom`). Endpoints come from ``HF_ENDPOINT`` and
``ARXIV_ENDPOINT`` (a mirror or a test server), else the public services.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import urllib.parse
from datetime import date
from typing import Protocol

from digestdesk.core.drafts import EntryDraft, ParseProblem, ParseResult
from digestdesk.core.fetch.errors import FetchError
from digestdesk.core.fetch.http import HttpClient
from digestdesk.core.formats import arxiv_atom, hf_json
from digestdesk.core.formats._common import decode

log = logging.getLogger(__name__)

ENV_HF_ENDPOINT = "HF_ENDPOINT"
ENV_ARXIV_ENDPOINT = "ARXIV_ENDPOINT"
HF_DEFAULT_ENDPOINT = "https://huggingface.co"
ARXIV_DEFAULT_ENDPOINT = "https://export.arxiv.org"
DEFAULT_CATEGORY = "cs.LG"

#: The ``--source`` names and the digest ``source_kind`` their fetches are recorded with.
SOURCES = {"hf": "hf-api", "arxiv": "arxiv-api"}

#: Seconds between requests to a host: the Hub counts anonymous API calls per IP; the arXiv API
#: terms ask for no more than one request every three seconds.
HF_INTERVAL = 0.5
ARXIV_INTERVAL = 3.0
#: Results per page, and the most pages one day may take.
PAGE_SIZE = 100
MAX_PAGES = 50

_CATEGORY = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")
_TOTAL_RESULTS = re.compile(rb"<(?:\w+:)?totalResults[^>]*>\s*(\d+)\s*<")


class Fetcher(Protocol):
    """One source: what it is recorded as, and how to get one day of it."""

    name: str  # the --source name
    endpoint: str  # the base address its requests go to
    source_kind: str  # the digests.source_kind of its fetches
    label: str  # the digests.file_name of its fetches (e.g. the arXiv query)
    settled_after_days: int  # a day fetched sooner than this may still grow

    def fetch(self, day: date) -> ParseResult: ...


def hf_endpoint() -> str:
    return (os.environ.get(ENV_HF_ENDPOINT) or HF_DEFAULT_ENDPOINT).strip().rstrip("/")


def arxiv_endpoint() -> str:
    return (os.environ.get(ENV_ARXIV_ENDPOINT) or ARXIV_DEFAULT_ENDPOINT).strip().rstrip("/")


class HfDailyPapers:
    """``{endpoint}/api/daily_papers?date=D&limit=100&p=N``, paged until a short page."""

    name = "hf"
    source_kind = SOURCES["hf"]
    label = "daily_papers"
    settled_after_days = 1

    def __init__(
        self,
        client: HttpClient,
        endpoint: str | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        interval: float = HF_INTERVAL,
    ) -> None:
        self.client = client
        self.endpoint = (endpoint or hf_endpoint()).rstrip("/")
        self.page_size = page_size
        self.max_pages = max_pages
        self.interval = interval

    def page_url(self, day: date, page: int) -> str:
        query = urllib.parse.urlencode(
            {"date": day.isoformat(), "limit": self.page_size, "p": page}
        )
        return f"{self.endpoint}/api/daily_papers?{query}"

    def fetch(self, day: date) -> ParseResult:
        host = urllib.parse.urlsplit(self.endpoint).netloc or self.endpoint
        result = ParseResult(format=hf_json.NAME, digest_date=day, as_of=day)
        seen: set[str] = set()
        for page in range(self.max_pages):
            what = f"for {day.isoformat()}" + (f" (page {page + 1})" if page else "")
            response = self.client.get(self.page_url(day, page), what=what, interval=self.interval)
            try:
                items = json.loads(decode(response.body))
            except (ValueError, RecursionError) as exc:
                detail = (
                    f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
                    if isinstance(exc, json.JSONDecodeError)
                    else str(exc)
                )
                raise FetchError(
                    f"{host} sent malformed JSON {what} ({detail}); nothing was imported for "
                    "that day. Try again later."
                ) from None
            name = f"{host} daily papers {day.isoformat()}, page {page + 1}"
            parsed = hf_json.parse(response.body, name=name, as_of=day, today=day)
            count = len(items) if isinstance(items, list) else 1
            ids = {e.arxiv_id or e.title for e in parsed.entries}
            if page and ids and ids <= seen:
                # A server that ignores `p` would repeat the first page forever.
                log.warning("%s repeated page %d for %s; stopping", host, page + 1, day)
                break
            seen |= ids
            prefix = f"page {page + 1}, " if page else ""
            for entry in parsed.entries:
                entry.digest_date = day  # the requested day, whatever the item says
                entry.where = prefix + entry.where
            result.entries.extend(parsed.entries)
            result.problems.extend(
                ParseProblem(prefix + p.where, p.reason) for p in parsed.problems
            )
            if count < self.page_size:
                break
        return result


class ArxivListing:
    """arXiv API listing of one category, newest submissions first, paged.

    Pages are kept for the fetcher's lifetime, so fetching several days walks the listing once.
    """

    name = "arxiv"
    source_kind = SOURCES["arxiv"]
    settled_after_days = 4  # Friday's submissions are announced on Monday evening (ET)

    def __init__(
        self,
        client: HttpClient,
        category: str = DEFAULT_CATEGORY,
        endpoint: str | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        interval: float = ARXIV_INTERVAL,
    ) -> None:
        if not _CATEGORY.match(category):
            raise FetchError(
                f"{category!r} is not an arXiv category (such as cs.LG, cs.CL or stat.ML)."
            )
        self.client = client
        self.category = category
        self.label = f"cat:{category}"
        self.endpoint = (endpoint or arxiv_endpoint()).rstrip("/")
        self.page_size = page_size
        self.max_pages = max_pages
        self.interval = interval
        self._pages: dict[int, tuple[list[EntryDraft], int, int | None]] = {}

    def page_url(self, start: int) -> str:
        query = urllib.parse.urlencode(
            {
                "search_query": self.label,
                "sortBy": "submittedDate",
                "sortOrder": "descending",
                "start": start,
                "max_results": self.page_size,
            }
        )
        return f"{self.endpoint}/api/query?{query}"

    def _page(self, start: int, day: date) -> tuple[list[EntryDraft], int, int | None]:
        """The entries from ``start``, how many the page held, and the listing's total."""
        if start in self._pages:
            return self._pages[start]
        what = f"for {day.isoformat()} ({self.label}, from result {start})"
        response = self.client.get(self.page_url(start), what=what, interval=self.interval)
        host = urllib.parse.urlsplit(self.endpoint).netloc or self.endpoint
        parsed = arxiv_atom.parse(
            response.body, name=f"{host} listing {self.label}", as_of=day, today=day
        )
        for problem in parsed.problems:
            if problem.reason.startswith("arXiv reported an error"):
                raise FetchError(f"{host}: {problem.reason} ({what}).")
            log.warning("arXiv listing from %d: %s", start, problem)
        match = _TOTAL_RESULTS.search(response.body[:4096])
        total = int(match.group(1)) if match else None
        self._pages[start] = (parsed.entries, len(parsed.entries) + len(parsed.problems), total)
        return self._pages[start]

    def fetch(self, day: date) -> ParseResult:
        result = ParseResult(format=arxiv_atom.NAME, digest_date=day, as_of=day)
        for number in range(self.max_pages):
            start = number * self.page_size
            entries, count, total = self._page(start, day)
            for entry in entries:
                if entry.published == day:
                    result.entries.append(dataclasses.replace(entry, digest_date=day))
            dated = [e.published for e in entries if e.published is not None]
            if dated and min(dated) < day:
                return result  # sorted newest first: the rest is older
            if count < self.page_size or (total is not None and start + count >= total):
                return result
        raise FetchError(
            f"{day.isoformat()} is too far back in the arXiv listing of {self.category} (more "
            f"than {self.max_pages * self.page_size} newer papers); fetch more recent days."
        )


def make_fetcher(
    source: str, client: HttpClient, *, category: str = DEFAULT_CATEGORY
) -> HfDailyPapers | ArxivListing:
    if source == "hf":
        return HfDailyPapers(client)
    if source == "arxiv":
        return ArxivListing(client, category)
    raise FetchError(f"{source!r} is not a source Digest Desk fetches (use hf or arxiv).")
