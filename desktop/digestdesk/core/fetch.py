"""Fetching digests from their sources: Hugging Face daily papers and arXiv API listings.

A fetcher turns "this source, this day" into the same :class:`ParseResult` the file parsers give;
:func:`fetch_days` imports each day through :meth:`Library.import_parsed` (one transaction per
day, identity and user state as for any file) and records the digest as ``hf-api`` or
``arxiv-api`` so later runs know which days are done.

The HTTP client is plain ``urllib`` and tries to be a good citizen: a descriptive User-Agent,
timeouts, retries with exponential backoff on 429/5xx and connection errors honouring
``Retry-After``, conditional requests (ETag / Last-Modified remembered in a small cache
directory) and a per-host pause between requests (3 s for arXiv, as its API terms ask). Sleeping
and the clock are injectable so tests never wait, and every wait checks ``cancelled``.

Nothing here imports Qt; :func:`fetch_days` may run on the app's writer thread.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import hashlib
import http
import http.client
import ipaddress
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from digestdesk import __version__
from digestdesk.core.drafts import EntryDraft, ParseProblem, ParseResult
from digestdesk.core.formats import arxiv_atom, hf_json
from digestdesk.core.formats._common import decode
from digestdesk.core.records import Changes, ImportReport
from digestdesk.errors import DigestDeskError

log = logging.getLogger(__name__)

USER_AGENT = f"DigestDesk/{__version__} (+https://github.com/digestdesk)"

ENV_HF_ENDPOINT = "HF_ENDPOINT"
ENV_ARXIV_ENDPOINT = "ARXIV_ENDPOINT"
HF_DEFAULT_ENDPOINT = "https://huggingface.co"
ARXIV_DEFAULT_ENDPOINT = "https://export.arxiv.org"
DEFAULT_CATEGORY = "cs.LG"

#: The ``--source`` names and the digest ``source_kind`` their fetches are recorded with.
SOURCES = {"hf": "hf-api", "arxiv": "arxiv-api"}

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY = 64 * 1024 * 1024  # no digest page is near this; a runaway response is refused
_CATEGORY = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")
_TOTAL_RESULTS = re.compile(rb"<(?:\w+:)?totalResults[^>]*>\s*(\d+)\s*<")

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Progress = Callable[[int, int | None], None]
Cancelled = Callable[[], bool]


# ---------------------------------------------------------------------------- errors
class FetchError(DigestDeskError):
    """A fetch failed; ``stop_all`` when later requests to the same source would fail too."""

    def __init__(self, user_message: str, *, stop_all: bool = False) -> None:
        super().__init__(user_message)
        self.stop_all = stop_all


class FetchCancelled(DigestDeskError):
    def __init__(self) -> None:
        super().__init__("The fetch was cancelled; days already imported stay imported.")


# ----------------------------------------------------------------------- rate limits
class RateLimiter:
    """At most one request per ``interval`` seconds per key (a host). Thread-safe."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.clock = clock
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, interval: float, sleep: Sleep | None = None) -> float:
        """Sleep until a request to ``key`` is allowed, then claim it; returns the time slept.

        ``sleep`` overrides the limiter's own (a client passes its cancellable pause).
        """
        waited = 0.0
        while True:
            with self._lock:
                last = self._last.get(key)
                due = last + interval - self.clock() if last is not None and interval > 0 else 0
                if due <= 0:
                    self._last[key] = self.clock()
                    return waited
            (sleep or self.sleep)(due)
            waited += due


# Clients on the real clock share one limiter, so two fetches in a row (or at once, from the app
# and a script's thread) still keep to each host's pace.
_PROCESS_LIMITER = RateLimiter()


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None when unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ----------------------------------------------------------------- conditional cache
class ConditionalCache:
    """ETag / Last-Modified per URL, with the body they validate, in ``directory``.

    ``cache.json`` maps URLs to validators and a body file; the oldest entries beyond
    ``max_entries`` are dropped. A damaged cache is ignored (it only saves bandwidth).
    """

    def __init__(self, directory: Path | None, *, max_entries: int = 200) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self._entries: dict[str, dict[str, Any]] = {}
        if directory is not None:
            self._entries = self._load()

    @property
    def _index_file(self) -> Path:
        assert self.directory is not None
        return self.directory / "cache.json"

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._index_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable HTTP cache %s: %s", self._index_file, exc)
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    @staticmethod
    def _body_name(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32] + ".body"

    def validators(self, url: str) -> dict[str, str]:
        """Request headers that make a request conditional, when a cached body exists."""
        entry = self._entries.get(url)
        if not entry or self.body(url) is None:
            return {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = str(entry["etag"])
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = str(entry["last_modified"])
        return headers

    def body(self, url: str) -> bytes | None:
        entry = self._entries.get(url)
        if not entry or self.directory is None:
            return None
        try:
            return (self.directory / str(entry["body"])).read_bytes()
        except (OSError, KeyError):
            return None

    def store(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        etag, modified = headers.get("ETag"), headers.get("Last-Modified")
        if self.directory is None or not (etag or modified):
            return
        name = self._body_name(url)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.directory / name, body)
            self._entries.pop(url, None)
            self._entries[url] = {
                "etag": etag,
                "last_modified": modified,
                "body": name,
                "stored": time.time(),
            }
            while len(self._entries) > self.max_entries:
                old_url = next(iter(self._entries))
                old = self._entries.pop(old_url)
                (self.directory / str(old.get("body", ""))).unlink(missing_ok=True)
            payload = json.dumps({"version": 1, "entries": self._entries})
            _write_atomic(self._index_file, payload.encode("utf-8"))
        except OSError as exc:
            log.warning("could not update the HTTP cache in %s: %s", self.directory, exc)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


# ---------------------------------------------------------------------- HTTP client
@dataclass
class Response:
    url: str
    status: int
    body: bytes
    headers: dict[str, str]
    from_cache: bool = False


def _status_text(code: int, reason: str | None = None) -> str:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = reason or ""
    return f"{code} {phrase}".strip()


class HttpClient:
    """GET with a User-Agent, timeouts, retries, conditional requests and per-host pacing.

    ``sleep`` and ``clock`` are injectable (tests pass fakes); ``cancelled`` is checked before
    each request and during every wait, raising :class:`FetchCancelled`.
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 120.0,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        cancelled: Cancelled | None = None,
        user_agent: str = USER_AGENT,
        pace_loopback: bool = False,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.clock = clock
        self.cancelled = cancelled
        self.user_agent = user_agent
        # Politeness is for other people's servers; a local mirror or test server needs none.
        self.pace_loopback = pace_loopback
        self.cache = ConditionalCache(cache_dir)
        self.limiter = _PROCESS_LIMITER if clock is time.monotonic else RateLimiter(clock=clock)
        self.requests = 0  # requests sent, for reports and tests
        self._opener = urllib.request.build_opener()

    # The one blocking primitive: sleeps in slices so a cancel is noticed within ~0.2 s.
    def _pause(self, seconds: float) -> None:
        remaining = seconds
        while remaining > 0:
            self._check_cancelled()
            step = min(remaining, 0.2)
            self.sleep(step)
            remaining -= step
        self._check_cancelled()

    def _check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise FetchCancelled()

    def _delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2**attempt)))

    def get(self, url: str, *, what: str, interval: float = 0.0) -> Response:
        """GET ``url``; ``what`` names the request in messages ("for 2025-05-02").

        Raises :class:`FetchError` with a message for the reader when it cannot succeed.
        """
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or parts.netloc
        shown_host = parts.netloc or url
        attempt = 0
        while True:
            self._check_cancelled()
            if interval > 0 and (self.pace_loopback or not _is_loopback(host)):
                self.limiter.wait(host, interval, sleep=self._pause)
            headers = {
                "User-Agent": self.user_agent,
                "Accept-Encoding": "gzip",
                **self.cache.validators(url),
            }
            request = urllib.request.Request(url, headers=headers, method="GET")
            self.requests += 1
            try:
                with self._opener.open(request, timeout=self.timeout) as answer:
                    body = self._read(answer, shown_host, what)
                    answer_headers = dict(answer.headers.items())
                    status = answer.status
            except urllib.error.HTTPError as error:
                error_headers = dict(error.headers.items()) if error.headers else {}
                error.close()
                if error.code == 304:
                    cached = self.cache.body(url)
                    if cached is not None:
                        log.debug("not modified, using the cached copy of %s", url)
                        return Response(url, 304, cached, error_headers, from_cache=True)
                status_text = _status_text(error.code, error.reason)
                if error.code in RETRY_STATUSES:
                    wait = retry_after_seconds(error_headers.get("Retry-After"))
                    if wait is not None and wait > self.max_retry_after:
                        raise FetchError(
                            f"{shown_host} answered {status_text} {what} and asked to wait "
                            f"{wait:.0f} s; try again later. Nothing was changed.",
                            stop_all=True,
                        ) from None
                    if attempt < self.retries:
                        delay = wait if wait is not None else self._delay(attempt)
                        log.info(
                            "%s answered %s for %s; retrying in %.1f s",
                            host,
                            status_text,
                            url,
                            delay,
                        )
                        self._pause(delay)
                        attempt += 1
                        continue
                    raise FetchError(
                        f"{shown_host} answered {status_text} {what}; try again later.",
                        stop_all=True,
                    ) from None
                raise FetchError(
                    f"{shown_host} answered {status_text} {what} ({url}).",
                    stop_all=error.code in (401, 403, 404, 410),
                ) from None
            except (OSError, http.client.HTTPException) as error:
                # URLError (DNS, refused), timeouts, resets, truncated answers.
                reason = getattr(error, "reason", error)
                timed_out = isinstance(error, TimeoutError | socket.timeout) or isinstance(
                    reason, TimeoutError | socket.timeout
                )
                if attempt < self.retries:
                    delay = self._delay(attempt)
                    log.info("%s: %s; retrying in %.1f s", url, reason, delay)
                    self._pause(delay)
                    attempt += 1
                    continue
                if timed_out:
                    raise FetchError(
                        f"{shown_host} did not answer within {self.timeout:g} s {what}; try "
                        "again later. Nothing was changed.",
                        stop_all=True,
                    ) from None
                raise FetchError(
                    f"Could not reach {shown_host}: {reason}. Check your connection; nothing "
                    "was changed.",
                    stop_all=True,
                ) from None
            self.cache.store(url, answer_headers, body)
            return Response(url, status, body, answer_headers)

    @staticmethod
    def _read(answer: Any, host: str, what: str) -> bytes:
        body: bytes = answer.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise FetchError(f"{host} sent more than {MAX_BODY >> 20} MB {what}; refused.")
        if (answer.headers.get("Content-Encoding") or "").lower() == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise http.client.IncompleteRead(body) from exc
        return body


# -------------------------------------------------------------------------- fetchers
class Fetcher(Protocol):
    """One source: what it is recorded as, and how to get one day of it."""

    name: str  # the --source name
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
    page_size = 100
    max_pages = 50
    interval = 0.5  # seconds between requests: the Hub counts anonymous API calls per IP

    def __init__(self, client: HttpClient, endpoint: str | None = None) -> None:
        self.client = client
        self.endpoint = (endpoint or hf_endpoint()).rstrip("/")

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
    page_size = 100
    max_pages = 50
    interval = 3.0  # the arXiv API terms: no more than one request every three seconds

    def __init__(
        self, client: HttpClient, category: str = DEFAULT_CATEGORY, endpoint: str | None = None
    ) -> None:
        if not _CATEGORY.match(category):
            raise FetchError(
                f"{category!r} is not an arXiv category (such as cs.LG, cs.CL or stat.ML)."
            )
        self.client = client
        self.category = category
        self.label = f"cat:{category}"
        self.endpoint = (endpoint or arxiv_endpoint()).rstrip("/")
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


# ---------------------------------------------------------------------------- days
def today_utc() -> date:
    return datetime.now(UTC).date()


def days_to_fetch(
    *,
    day: date | None = None,
    since: date | None = None,
    last: int | None = None,
    today: date | None = None,
) -> list[date]:
    """The days a request names, oldest first: one day, ``since`` through today, or the last N.

    Raises :class:`FetchError` for a day after today (UTC): no source lists the future.
    """
    today = today or today_utc()
    if day is not None:
        days = [day]
    elif since is not None:
        days = [since + timedelta(n) for n in range((today - since).days + 1)]
        if not days:
            days = [since]
    elif last is not None:
        days = [today - timedelta(n) for n in range(last - 1, -1, -1)]
    else:
        days = [today]
    future = [d for d in days if d > today]
    if future:
        raise FetchError(
            f"{future[0].isoformat()} is in the future (today is {today.isoformat()}, UTC); "
            "there is nothing to fetch yet."
        )
    return days


@dataclass
class DayReport:
    """What happened to one day of one source."""

    day: date
    source: str
    outcome: str  # "imported", "already fetched", "no papers", "failed", "cancelled", "not tried"
    report: ImportReport | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "not tried")

    @property
    def changes(self) -> Changes:
        return self.report.changes if self.report is not None else Changes()

    def summary(self) -> str:
        if self.outcome == "imported" and self.report is not None:
            return self.report.summary()
        if self.error:
            return f"{self.outcome}: {self.error}"
        return self.outcome

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "day": self.day.isoformat(),
            "source": self.source,
            "outcome": self.outcome,
            "error": self.error,
        }
        if self.report is not None:
            value.update(
                new=self.report.new,
                updated=self.report.updated,
                unchanged=self.report.unchanged,
                skipped=[{"where": p.where, "reason": p.reason} for p in self.report.skipped],
            )
        return value


def combined_changes(reports: Iterable[DayReport]) -> Changes:
    """One :class:`Changes` for all the days imported (for the views after a fetch)."""
    ids: set[int] = set()
    added: set[int] = set()
    kinds: set[str] = set()
    for report in reports:
        ids |= report.changes.entry_ids
        added |= report.changes.added
        kinds |= report.changes.kinds
    return Changes(frozenset(ids), frozenset(added), frozenset(kinds), label="Fetch digests")


def default_cache_dir() -> Path:
    from digestdesk.paths import user_cache_dir

    return user_cache_dir() / "http"


def fetch_days(
    library: Any,
    days: Sequence[date],
    *,
    source: str = "hf",
    category: str = DEFAULT_CATEGORY,
    refresh: bool = False,
    client: HttpClient | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    on_day: Callable[[DayReport], None] | None = None,
    index: bool = True,
    today: date | None = None,
) -> list[DayReport]:
    """Fetch and import each day that is not done yet; one transaction per day.

    A day is done when it was fetched after it settled (see ``settled_after_days``), unless
    ``refresh``, which fetches again and records new vote snapshots. A failing day does not stop
    the others, except when the source is unreachable or refusing (the rest are "not tried").
    ``progress(done, total)`` counts days; ``on_day`` hears each day as it finishes;
    ``cancelled`` is checked between requests and during waits (a cancelled day is rolled back).
    The index is brought up to date once at the end. ``library`` is a writer
    :class:`~digestdesk.core.library.Library`; call this on the writer thread.
    """
    days = sorted(set(days))
    if days:
        days_to_fetch(day=days[-1], today=today)  # refuses a day in the future
    if client is None:
        client = HttpClient(cache_dir=default_cache_dir(), cancelled=cancelled)
    elif cancelled is not None and client.cancelled is None:
        client.cancelled = cancelled
    fetcher = make_fetcher(source, client, category=category)
    done: set[date] = set()
    if not refresh:
        done = library.fetched_days(
            fetcher.source_kind,
            file_name=fetcher.label,
            settled_after_days=fetcher.settled_after_days,
        )
    reports: list[DayReport] = []
    stopped: str | None = None
    was_cancelled = False
    for number, day in enumerate(days, start=1):
        if not was_cancelled and cancelled is not None and cancelled():
            was_cancelled = True
        if was_cancelled:
            report = DayReport(day, source, "cancelled")
        elif day in done:
            report = DayReport(day, source, "already fetched")
        elif stopped is not None:
            report = DayReport(day, source, "not tried", error=stopped)
        else:
            report, stop_all = _fetch_one(library, fetcher, day, source, cancelled)
            if report.outcome == "cancelled":
                was_cancelled = True
            elif stop_all:
                stopped = report.error
        reports.append(report)
        if progress is not None:
            progress(number, len(days))
        if on_day is not None:
            on_day(report)
    if index and any(r.outcome == "imported" for r in reports):
        library.ensure_index()
    return reports


def _fetch_one(
    library: Any, fetcher: Fetcher, day: date, source: str, cancelled: Cancelled | None
) -> tuple[DayReport, bool]:
    """One day's report, and whether the source is failing as a whole."""
    from digestdesk.core.library import ImportCancelled

    try:
        result = fetcher.fetch(day)
        if not result.entries and not result.problems:
            return DayReport(day, source, "no papers"), False
        imported = library.import_parsed(
            result,
            source=fetcher.label,
            source_kind=fetcher.source_kind,
            cancelled=cancelled,
            index=False,
        )
    except (FetchCancelled, ImportCancelled):
        return DayReport(day, source, "cancelled"), False
    except FetchError as exc:
        log.info("fetching %s %s failed: %s", source, day, exc.user_message)
        return DayReport(day, source, "failed", error=exc.user_message), exc.stop_all
    except DigestDeskError as exc:
        log.info("fetching %s %s failed: %s", source, day, exc.user_message)
        return DayReport(day, source, "failed", error=exc.user_message), False
    imported.source = f"{source} {day.isoformat()}"
    return DayReport(day, source, "imported", report=imported), False


__all__ = [
    "USER_AGENT",
    "SOURCES",
    "FetchError",
    "FetchCancelled",
    "RateLimiter",
    "ConditionalCache",
    "HttpClient",
    "Response",
    "HfDailyPapers",
    "ArxivListing",
    "make_fetcher",
    "days_to_fetch",
    "DayReport",
    "combined_changes",
    "fetch_days",
    "retry_after_seconds",
]
