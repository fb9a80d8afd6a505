"""Fetching from Hugging Face daily papers and the arXiv API against a local replay server.

Nothing here touches the internet: a threaded ``http.server`` on 127.0.0.1 (port 0) answers like
the real APIs, replaying the captured responses in ``../shared/samples/hf-daily-api/`` (those tests
skip when the samples are absent) and small invented days and Atom feeds (always available).
Sleeping and the clock are fakes, so retries and pacing cost no time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from digestdesk import __version__, cli
from digestdesk.core import fetch, schema
from digestdesk.core.fetch import DayReport, FetchError, HttpClient
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories

DAY = date(2025, 5, 2)


# ------------------------------------------------------------------------- the server
@dataclass
class Scripted:
    """One canned answer, used once, before the normal replay."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Answered only once this is set (a hang guard of a minute): the test decides when the
    #: server answers, whatever the machine's speed.
    held: threading.Event | None = None


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class Replay:
    """Answers ``/api/daily_papers`` from ``days`` and ``/api/query`` from ``arxiv`` entries."""

    def __init__(self) -> None:
        self.days: dict[str, list[Any] | bytes] = {}  # ISO day -> items, or raw bytes as is
        self.arxiv: list[dict[str, str]] = []  # newest first, like sortOrder=descending
        self.scripts: dict[str, list[Scripted]] = {}  # ISO day or "arxiv" -> answers to use first
        self.requests: list[Seen] = []
        self.etags = True
        self.gzip = False
        self._lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                replay.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, key: str, *answers: Scripted) -> None:
        self.scripts.setdefault(key, []).extend(answers)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        with self._lock:
            self.requests.append(Seen(parts.path, query, dict(request.headers.items())))
            key = "arxiv" if parts.path == "/api/query" else query.get("date", "")
            scripted = self.scripts.get(key)
            answer = scripted.pop(0) if scripted else None
        if answer is not None:
            if answer.held is not None:
                answer.held.wait(60)
            time.sleep(answer.delay)
            return self._send(request, answer.status, answer.body, answer.headers)
        if parts.path == "/api/daily_papers":
            body = self._daily(query)
        elif parts.path == "/api/query":
            body = self._atom(query)
        else:
            return self._send(request, 404, b'{"error":"not found"}', {})
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.etags and request.headers.get("If-None-Match") == etag:
            return self._send(request, 304, b"", {"ETag": etag})
        headers = {"ETag": etag} if self.etags else {}
        self._send(request, 200, body, headers)

    def _daily(self, query: dict[str, str]) -> bytes:
        held = self.days.get(query["date"], [])
        if isinstance(held, bytes):
            return held
        limit = int(query.get("limit", 50))
        page = int(query.get("p", 0))
        return json.dumps(held[page * limit : (page + 1) * limit]).encode()

    def _atom(self, query: dict[str, str]) -> bytes:
        start = int(query.get("start", 0))
        size = int(query.get("max_results", 10))
        return atom_feed(self.arxiv[start : start + size], total=len(self.arxiv), start=start)

    def _send(
        self, request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
    ) -> None:
        if self.gzip and body and "gzip" in (request.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body)
            headers = {**headers, "Content-Encoding": "gzip"}
        try:
            request.send_response(status)
            for name, value in headers.items():
                request.send_header(name, value)
            if status != 304:
                request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            if status != 304:
                request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def of(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


def atom_feed(entries: list[dict[str, str]], *, total: int, start: int = 0) -> bytes:
    """A small arXiv-API-shaped Atom feed (invented; the shape follows the API manual)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
        "  <title>arXiv Query: search_query=cat:cs.LG</title>\n"
        "  <id>http://arxiv.org/api/invented</id>\n"
        "  <updated>2025-05-03T00:00:00-04:00</updated>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
    ]
    for entry in entries:
        parts.append(
            "  <entry>\n"
            f"    <id>http://arxiv.org/abs/{entry['id']}v1</id>\n"
            f"    <published>{entry['published']}</published>\n"
            f"    <updated>{entry['published']}</updated>\n"
            f"    <title>{escape(entry['title'])}</title>\n"
            f"    <summary>{escape(entry.get('summary', 'An invented abstract.'))}</summary>\n"
            "    <author><name>Ada Lovelace</name></author>\n"
            f'    <link href="http://arxiv.org/abs/{entry["id"]}v1" rel="alternate" '
            'type="text/html"/>\n'
            '    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>\n'
            '    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>\n'
            "  </entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts).encode()


def arxiv_entries(day: date, count: int, *, first: int) -> list[dict[str, str]]:
    """``count`` invented entries published on ``day``, latest first."""
    return [
        {
            "id": f"2505.{first + n:05d}",
            "published": f"{day.isoformat()}T{23 - n % 24:02d}:00:00Z",
            "title": f"Invented arXiv Paper {first + n} on Sparse Attention",
        }
        for n in range(count)
    ]


def hf_items(n: int, *, day: date = DAY, start: int = 1, upvotes: int = 5) -> list[Any]:
    items: list[Any] = json.loads(
        factories.api_day(n, day=day.isoformat(), start=start, upvotes=upvotes)
    )
    return items


class FakeTime:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replay]:
    server = Replay()
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, server.url)
    monkeypatch.setenv(fetch.ENV_ARXIV_ENDPOINT, server.url)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(tmp_path: Path, fake_time: FakeTime) -> HttpClient:
    return HttpClient(
        cache_dir=tmp_path / "http-cache",
        timeout=5.0,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )


def _digests(library: Library) -> list[Any]:
    with library.engine.connect() as conn:
        return list(conn.execute(select(schema.digests).order_by(schema.digests.c.id)).mappings())


def _fetch(library: Library, client: HttpClient, *days: date, **kwargs: Any) -> list[DayReport]:
    return fetch.fetch_days(library, list(days), client=client, **kwargs)


# ------------------------------------------------------------------------ Hugging Face
def test_one_day_is_imported_as_an_hf_api_digest(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(3, day=DAY - timedelta(1))  # items say "yesterday"
    [report] = _fetch(library, client, DAY)
    assert report.outcome == "imported" and report.report is not None
    assert (report.report.new, report.report.updated) == (3, 0)
    assert report.summary() == "3 new, 0 updated, 0 unchanged"
    [digest] = _digests(library)
    assert digest["source_kind"] == "hf-api"
    assert digest["digest_date"] == DAY  # the requested day wins over submittedOnDailyAt
    assert library.fetched_days("hf-api") == {DAY}
    assert library.search("efficient").total == 3  # indexed at the end
    [seen] = replay.requests
    assert seen.query == {"date": "2025-05-02", "limit": "100", "p": "0"}
    assert (
        seen.headers["User-Agent"] == f"DigestDesk/{__version__} (+https://github.com/digestdesk)"
    )
    assert seen.headers["User-Agent"] == fetch.USER_AGENT


def test_a_busy_day_is_paged_until_a_short_page(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(230)
    [report] = _fetch(library, client, DAY)
    assert report.report is not None and report.report.new == 230
    assert [r.query["p"] for r in replay.requests] == ["0", "1", "2"]
    assert library.counts()["total"] == 230


def test_a_day_of_exactly_two_pages_asks_for_an_empty_third(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(200)
    [report] = _fetch(library, client, DAY)
    assert report.report is not None and report.report.new == 200
    assert [r.query["p"] for r in replay.requests] == ["0", "1", "2"]


def test_a_server_that_ignores_paging_does_not_loop(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = json.dumps(hf_items(100)).encode()  # same 100 on every page
    [report] = _fetch(library, client, DAY)
    assert report.report is not None and report.report.new == 100
    assert len(replay.requests) == 2


def test_429_with_retry_after_is_honoured_then_succeeds(
    library: Library, replay: Replay, client: HttpClient, fake_time: FakeTime
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), Scripted(429, b"slow down", {"Retry-After": "7"}))
    [report] = _fetch(library, client, DAY)
    assert report.outcome == "imported"
    assert len(replay.requests) == 2
    assert fake_time.slept == pytest.approx(7.0)


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2025, 5, 2, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert fetch.retry_after_seconds(later, now) == pytest.approx(42)
    assert fetch.retry_after_seconds("Thu, 01 Jan 2004 00:00:00 GMT", now) == 0.0
    assert fetch.retry_after_seconds("120") == 120.0
    assert fetch.retry_after_seconds("soon") is None
    assert fetch.retry_after_seconds(None) is None


def test_a_retry_after_beyond_the_cap_fails_at_once(
    library: Library, replay: Replay, client: HttpClient, fake_time: FakeTime
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), Scripted(429, b"", {"Retry-After": "3600"}))
    [report] = _fetch(library, client, DAY)
    assert report.outcome == "failed" and report.error is not None
    assert "429 Too Many Requests" in report.error and "3600 s" in report.error
    assert fake_time.slept == 0 and len(replay.requests) == 1


def test_500_then_success_backs_off(
    library: Library, replay: Replay, client: HttpClient, fake_time: FakeTime
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), Scripted(500), Scripted(502))
    [report] = _fetch(library, client, DAY)
    assert report.outcome == "imported"
    assert fake_time.slept == pytest.approx(client.backoff + client.backoff * 2)  # exponential


def test_a_server_that_keeps_refusing_reads_plainly_and_stops_the_rest(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), *[Scripted(503)] * 10)
    reports = _fetch(library, client, DAY, DAY + timedelta(1))
    assert reports[0].error == (
        f"127.0.0.1:{replay.url.rsplit(':', 1)[1]} answered 503 Service Unavailable for "
        "2025-05-02; try again later."
    )
    assert [r.outcome for r in reports] == ["failed", "not tried"]
    assert len(replay.requests) == client.retries + 1
    assert _digests(library) == []


def test_a_timeout_reads_plainly(library: Library, replay: Replay, tmp_path: Path) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), *[Scripted(200, b"[]", delay=1.0)] * 2)
    quick = HttpClient(cache_dir=None, timeout=0.2, retries=1, sleep=lambda s: None)
    [report] = _fetch(library, quick, DAY)
    assert report.outcome == "failed"
    assert report.error is not None and "did not answer within 0.2 s for 2025-05-02" in report.error
    assert "Nothing was changed" in report.error


def test_a_timeout_then_an_answer_succeeds(
    library: Library, replay: Replay, tmp_path: Path
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    replay.script(DAY.isoformat(), Scripted(200, b"[]", delay=1.0))
    quick = HttpClient(cache_dir=None, timeout=0.2, retries=1, sleep=lambda s: None)
    [report] = _fetch(library, quick, DAY)
    assert report.outcome == "imported"


def test_a_runaway_answer_is_refused(library: Library, replay: Replay) -> None:
    replay.days[DAY.isoformat()] = hf_items(3)
    small = HttpClient(cache_dir=None, max_body=100, sleep=lambda s: None)
    [report] = _fetch(library, small, DAY)
    assert report.outcome == "failed"
    assert (
        report.error is not None
        and "sent more than 100 bytes for 2025-05-02; refused" in report.error
    )
    assert "/api/daily_papers?date=2025-05-02" in report.error  # the URL is named
    assert _digests(library) == []


def test_offline_reads_plainly_and_changes_nothing(library: Library, client: HttpClient) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = fetch.HfDailyPapers(client, endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(DAY)
    message = caught.value.user_message
    assert message.startswith(f"Could not reach 127.0.0.1:{port}: ")
    assert message.endswith("Check your connection; nothing was changed.")
    assert caught.value.stop_all
    assert client.requests == 1  # refused is not retried: nobody listens there now


def test_offline_days_after_the_first_are_not_tried(
    library: Library, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, f"http://127.0.0.1:{port}")
    reports = _fetch(library, client, DAY, DAY + timedelta(1), DAY + timedelta(2))
    assert [r.outcome for r in reports] == ["failed", "not tried", "not tried"]
    assert client.requests == 1
    assert _digests(library) == []


def test_malformed_json_fails_that_day_only(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = b'[{"paper": {"id": "2505.00001", "title": "Cut'
    replay.days[(DAY + timedelta(1)).isoformat()] = hf_items(2, day=DAY + timedelta(1))
    reports = _fetch(library, client, DAY, DAY + timedelta(1))
    assert [r.outcome for r in reports] == ["failed", "imported"]
    assert reports[0].error is not None
    assert "malformed JSON for 2025-05-02 (line 1, column" in reports[0].error
    assert "nothing was imported for that day" in reports[0].error
    assert library.fetched_days("hf-api") == {DAY + timedelta(1)}


def test_json_that_is_not_papers_fails_with_the_parser_message(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = b'{"error": "Invalid date"}'
    [report] = _fetch(library, client, DAY)
    assert report.outcome == "failed" and report.error is not None
    assert "holds no papers" in report.error


def test_an_empty_day_has_no_papers_and_is_not_recorded(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    [report] = _fetch(library, client, DAY)
    assert (report.outcome, report.summary()) == ("no papers", "no papers")
    assert _digests(library) == [] and library.fetched_days("hf-api") == set()


def test_malformed_items_are_skipped_and_reported(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = [*hf_items(2), {"paper": {"id": "2505.99999"}}]
    [report] = _fetch(library, client, DAY)
    assert report.report is not None and report.report.new == 2
    assert [p.where for p in report.report.skipped] == ["item 2"]


def test_a_day_already_fetched_is_skipped_without_a_request(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    _fetch(library, client, DAY)
    [again] = _fetch(library, client, DAY)
    assert again.outcome == "already fetched"
    assert len(replay.requests) == 1


def test_today_is_fetched_again_until_it_is_over(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    today = fetch.today_utc()
    replay.days[today.isoformat()] = hf_items(2, day=today)
    _fetch(library, client, today)
    replay.days[today.isoformat()] = hf_items(3, day=today)  # a third paper arrived
    [again] = _fetch(library, client, today)
    assert again.outcome == "imported" and again.report is not None
    assert (again.report.new, again.report.unchanged) == (1, 2)


def test_refresh_with_an_etag_reuses_the_cached_body(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(2)
    _fetch(library, client, DAY)
    [again] = _fetch(library, client, DAY, refresh=True)
    first, second = replay.requests
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"].startswith('"')
    assert again.outcome == "imported" and again.report is not None
    assert (again.report.new, again.report.unchanged) == (0, 2)
    assert [d["digest_date"] for d in _digests(library)] == [DAY, DAY]


def test_refresh_records_new_vote_snapshots(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    replay.days[DAY.isoformat()] = hf_items(1, upvotes=5)
    _fetch(library, client, DAY)
    replay.days[DAY.isoformat()] = hf_items(1, upvotes=40)
    [again] = _fetch(library, client, DAY, refresh=True)
    assert again.report is not None and again.report.updated == 1
    with library.engine.connect() as conn:
        votes = list(
            conn.execute(
                select(schema.digest_entries.c.votes).order_by(schema.digest_entries.c.digest_id)
            ).scalars()
        )
    assert votes == [5, 40]
    [entry_id] = library.list_ids()
    assert library.entry(entry_id).votes == 40


def test_gzip_answers_are_decoded(library: Library, replay: Replay, client: HttpClient) -> None:
    replay.gzip = True
    replay.days[DAY.isoformat()] = hf_items(4)
    [report] = _fetch(library, client, DAY)
    assert report.report is not None and report.report.new == 4
    assert replay.requests[0].headers["Accept-Encoding"] == "gzip"


def test_a_damaged_cache_file_is_ignored(
    library: Library, replay: Replay, tmp_path: Path, fake_time: FakeTime
) -> None:
    cache = tmp_path / "http-cache"
    cache.mkdir()
    (cache / "cache.json").write_text("{not json", encoding="utf-8")
    replay.days[DAY.isoformat()] = hf_items(1)
    damaged = HttpClient(cache_dir=cache, sleep=fake_time.sleep, clock=fake_time.clock)
    [report] = _fetch(library, damaged, DAY)
    assert report.outcome == "imported"
    assert json.loads((cache / "cache.json").read_text(encoding="utf-8"))["version"] == 1


def test_cancel_stops_between_days_and_keeps_what_was_imported(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    for n in range(3):
        replay.days[(DAY + timedelta(n)).isoformat()] = hf_items(1, start=n + 1)
    heard: list[DayReport] = []
    reports = _fetch(
        library,
        client,
        DAY,
        DAY + timedelta(1),
        DAY + timedelta(2),
        cancelled=lambda: len(heard) >= 1,
        on_day=heard.append,
    )
    assert [r.outcome for r in reports] == ["imported", "cancelled", "cancelled"]
    assert library.fetched_days("hf-api") == {DAY}
    assert fetch.combined_changes(reports).added == reports[0].changes.added


def test_cancel_interrupts_a_wait(library: Library, replay: Replay, fake_time: FakeTime) -> None:
    replay.days[DAY.isoformat()] = hf_items(1)
    replay.script(DAY.isoformat(), Scripted(429, b"", {"Retry-After": "100"}))
    waiting = HttpClient(cache_dir=None, sleep=fake_time.sleep, clock=fake_time.clock)
    [report] = _fetch(library, waiting, DAY, cancelled=lambda: fake_time.slept >= 1.0)
    assert report.outcome == "cancelled"
    assert fake_time.slept < 2.0
    assert _digests(library) == []


def test_progress_counts_days(library: Library, replay: Replay, client: HttpClient) -> None:
    seen: list[tuple[int, int | None]] = []
    _fetch(library, client, DAY, DAY + timedelta(1), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]


# ----------------------------------------------------------------------- pacing
def test_rate_limiter_spaces_requests_per_key(fake_time: FakeTime) -> None:
    limiter = fetch.RateLimiter(clock=fake_time.clock, sleep=fake_time.sleep)
    assert limiter.wait("export.arxiv.org", 3.0) == 0
    assert limiter.wait("export.arxiv.org", 3.0) == pytest.approx(3.0)
    assert limiter.wait("huggingface.co", 0.5) == 0  # another host has its own pace
    fake_time.now += 10
    assert limiter.wait("export.arxiv.org", 3.0) == 0


def test_the_client_paces_requests_to_a_host(
    replay: Replay, tmp_path: Path, fake_time: FakeTime
) -> None:
    replay.days[DAY.isoformat()] = hf_items(1)
    paced = HttpClient(
        cache_dir=None, sleep=fake_time.sleep, clock=fake_time.clock, pace_loopback=True
    )
    for _ in range(3):
        paced.get(f"{replay.url}/api/daily_papers?date=2025-05-02", what="", interval=3.0)
    assert fake_time.slept == pytest.approx(6.0)


def test_arxiv_is_paced_at_three_seconds(client: HttpClient) -> None:
    assert fetch.ArxivListing(client).interval >= 3.0
    assert fetch.HfDailyPapers(client).interval >= 0.25  # "a few requests per second" at most


# ------------------------------------------------------------------------------ arXiv
def _arxiv_listing(replay: Replay) -> None:
    newest = date(2025, 5, 3)
    replay.arxiv = [
        *arxiv_entries(newest, 3, first=300),
        *arxiv_entries(DAY, 4, first=200),
        *arxiv_entries(DAY - timedelta(1), 4, first=100),
        *arxiv_entries(DAY - timedelta(2), 4, first=1),
    ]


def test_arxiv_listing_collects_one_day_and_stops_once_past_it(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    _arxiv_listing(replay)
    fetcher = fetch.ArxivListing(client, "cs.LG", page_size=2)
    result = fetcher.fetch(DAY)
    assert sorted(e.arxiv_id or "" for e in result.entries) == [
        "2505.00200",
        "2505.00201",
        "2505.00202",
        "2505.00203",
    ]
    assert {e.digest_date for e in result.entries} == {DAY}
    assert result.digest_date == DAY
    # 3 newer + 4 of the day + the first older one: entries 0..7 -> pages at 0, 2, 4, 6.
    assert [r.query["start"] for r in replay.requests] == ["0", "2", "4", "6"]
    first = replay.requests[0].query
    assert first["search_query"] == "cat:cs.LG"
    assert (first["sortBy"], first["sortOrder"], first["max_results"]) == (
        "submittedDate",
        "descending",
        "2",
    )
    # An older day reuses the pages already read.
    older = fetcher.fetch(DAY - timedelta(1))
    assert len(older.entries) == 4
    assert [r.query["start"] for r in replay.requests] == ["0", "2", "4", "6", "8", "10"]


def test_arxiv_days_are_imported_and_recorded_per_category(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    _arxiv_listing(replay)
    reports = _fetch(library, client, DAY - timedelta(1), DAY, source="arxiv", category="cs.LG")
    assert [r.report.new if r.report else None for r in reports] == [4, 4]
    assert len(replay.requests) == 1  # one page of 100 held it all
    assert library.fetched_days("arxiv-api") == {DAY, DAY - timedelta(1)}
    assert library.fetched_days("arxiv-api", file_name="cat:cs.LG") == {DAY, DAY - timedelta(1)}
    assert library.fetched_days("arxiv-api", file_name="cat:cs.CL") == set()
    [entry_id] = library.search("arxiv:2505.00200").ids
    assert library.entry(entry_id).digests == [DAY]


def test_an_arxiv_day_with_no_submissions_has_no_papers(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    _arxiv_listing(replay)
    [report] = _fetch(library, client, DAY - timedelta(10), source="arxiv")
    assert report.outcome == "no papers"


def test_an_arxiv_error_feed_reads_plainly(
    library: Library, replay: Replay, client: HttpClient
) -> None:
    error = atom_feed([], total=1).replace(
        b"</feed>",
        b"<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id>"
        b"<title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>",
    )
    replay.script("arxiv", Scripted(200, error))
    [report] = _fetch(library, client, DAY, source="arxiv")
    assert report.outcome == "failed" and report.error is not None
    assert "arXiv reported an error: incorrect id format for 1234" in report.error


def test_an_unknown_category_is_refused(client: HttpClient) -> None:
    with pytest.raises(FetchError, match="not an arXiv category"):
        fetch.ArxivListing(client, "cs.LG OR all:x")


def test_the_shared_atom_example_parses_through_the_listing(
    library: Library, replay: Replay, client: HttpClient, shared_samples: Path
) -> None:
    replay.script(
        "arxiv", Scripted(200, (shared_samples / "arxiv" / "atom_example_entry.xml").read_bytes())
    )
    result = fetch.ArxivListing(client).fetch(date(2001, 2, 28))
    assert [e.arxiv_id for e in result.entries] == ["cond-mat/0102536"]


# ------------------------------------------------------------------------------- days
def test_days_to_fetch() -> None:
    today = date(2025, 5, 4)
    assert fetch.days_to_fetch(today=today) == [today]
    assert fetch.days_to_fetch(day=DAY, today=today) == [DAY]
    assert fetch.days_to_fetch(since=DAY, today=today) == [DAY, date(2025, 5, 3), today]
    assert fetch.days_to_fetch(last=2, today=today) == [date(2025, 5, 3), today]
    with pytest.raises(FetchError, match="2025-05-05 is in the future"):
        fetch.days_to_fetch(day=date(2025, 5, 5), today=today)
    with pytest.raises(FetchError, match="in the future"):
        fetch.days_to_fetch(since=date(2025, 6, 1), today=today)


def test_fetch_days_refuses_the_future(library: Library, client: HttpClient) -> None:
    with pytest.raises(FetchError, match="in the future"):
        _fetch(library, client, fetch.today_utc() + timedelta(1))


# -------------------------------------------------------------------------------- CLI
def _cli(library_dir: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["--library", str(library_dir), "fetch", *argv], out=out)
    return code, out.getvalue()


def _replayed_days(replay: Replay, days: list[date]) -> None:
    for n, day in enumerate(days):
        replay.days[day.isoformat()] = hf_items(3, day=day, start=10 * n + 1)


def test_cli_fetch_since_imports_exactly_the_replayed_days(
    replay: Replay, library_paths: LibraryPaths, tmp_path: Path
) -> None:
    today = fetch.today_utc()
    replayed = [today - timedelta(9), today - timedelta(5), today - timedelta(4)]
    _replayed_days(replay, replayed)
    code, text = _cli(tmp_path / "library", "--since", (today - timedelta(9)).isoformat())
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0] == f"{replayed[0].isoformat()}: 3 new, 0 updated, 0 unchanged"
    assert lines[1] == f"{(today - timedelta(8)).isoformat()}: no papers"
    assert lines[-1] == "total: 9 new, 0 updated, 0 unchanged in 3 of 10 days"
    with Library.open(library_paths) as library:
        assert library.fetched_days("hf-api") == set(replayed)
        assert library.counts()["total"] == 9
        assert library.check() == []
    code, text = _cli(tmp_path / "library", "--since", (today - timedelta(9)).isoformat())
    assert code == 0
    assert f"{replayed[0].isoformat()}: already fetched" in text.splitlines()


def test_cli_fetch_json_and_exit_code_1_when_a_day_fails(
    replay: Replay, library_paths: LibraryPaths, tmp_path: Path
) -> None:
    today = fetch.today_utc()
    replay.days[(today - timedelta(1)).isoformat()] = b"[{broken"
    replay.days[today.isoformat()] = hf_items(2, day=today)
    code, text = _cli(tmp_path / "library", "--days", "2", "--json")
    assert code == 1
    days = json.loads(text)["days"]
    assert [d["outcome"] for d in days] == ["failed", "imported"]
    assert days[1]["new"] == 2 and "malformed JSON" in days[0]["error"]


def test_fetched_entries_that_cannot_be_stored_are_skipped_with_exit_3(
    replay: Replay, library_paths: LibraryPaths, tmp_path: Path
) -> None:
    today = fetch.today_utc()
    items = hf_items(3, day=today)
    items[1]["paper"]["title"] = items[1]["title"] = "Bad \ud800 title"
    items[2]["paper"]["upvotes"] = 2**63
    replay.days[today.isoformat()] = items
    code, text = _cli(tmp_path / "library")
    assert code == cli.EXIT_PARTIAL, text
    assert "2 new, 0 updated, 0 unchanged, 1 skipped" in text
    assert "skipped item 2: not imported: votes 9223372036854775808 is out of range" in text
    code, text = _cli(tmp_path / "library", "--refresh", "--json")
    [day] = json.loads(text)["days"]
    assert code == cli.EXIT_PARTIAL and (day["unchanged"], len(day["skipped"])) == (2, 1)
    with Library.open(resolve_library(tmp_path / "library")) as library:
        assert library.search("title").total == 1
        [entry_id] = library.search("title").ids
        assert library.entry(entry_id).title == "Bad \ufffd title"


def test_cli_fetch_default_is_today(
    replay: Replay, library_paths: LibraryPaths, tmp_path: Path
) -> None:
    code, text = _cli(tmp_path / "library")
    assert (code, text) == (0, f"{fetch.today_utc().isoformat()}: no papers\n")
    [seen] = replay.requests
    assert seen.query["date"] == fetch.today_utc().isoformat()


def test_cli_fetch_usage_errors(
    library_paths: LibraryPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tomorrow = (fetch.today_utc() + timedelta(1)).isoformat()
    assert _cli(tmp_path / "library", "--date", tomorrow)[0] == cli.EXIT_USAGE
    assert "is in the future" in capsys.readouterr().err
    assert _cli(tmp_path / "library", "--category", "cs.CL")[0] == cli.EXIT_USAGE
    assert _cli(tmp_path / "library", "--date", "2025-05-01", "--days", "2")[0] == cli.EXIT_USAGE
    assert _cli(tmp_path / "library", "--source", "rss")[0] == cli.EXIT_USAGE
    assert "fetch" in cli.COMMANDS


def test_cli_fetch_arxiv(replay: Replay, library_paths: LibraryPaths, tmp_path: Path) -> None:
    _arxiv_listing(replay)
    code, text = _cli(
        tmp_path / "library", "--source", "arxiv", "--category", "cs.LG", "--date", "2025-05-02"
    )
    assert (code, text) == (0, "2025-05-02: 4 new, 0 updated, 0 unchanged\n")


# ---------------------------------------------------------- the shared real responses
def _shared_days(shared_samples: Path) -> dict[date, Path]:
    return {
        date.fromisoformat(path.stem): path
        for path in sorted((shared_samples / "hf-daily-api").glob("*.json"))
    }


@pytest.fixture
def shared_replay(replay: Replay, shared_samples: Path) -> dict[date, Path]:
    days = _shared_days(shared_samples)
    for day, path in days.items():
        replay.days[day.isoformat()] = json.loads(path.read_bytes())
    return days


def test_real_responses_fetch_like_their_files(
    library: Library, replay: Replay, client: HttpClient, shared_replay: dict[date, Path]
) -> None:
    from digestdesk.core.formats import hf_json

    for day, path in list(shared_replay.items())[::9]:
        fetcher = fetch.HfDailyPapers(client, page_size=20)  # page the real days too
        fetched = fetcher.fetch(day)
        direct = hf_json.parse(path.read_bytes(), name=path.name, as_of=day, today=day)
        assert [e.arxiv_id for e in fetched.entries] == [e.arxiv_id for e in direct.entries]
        assert len(fetched.problems) == len(direct.problems)
        assert {e.digest_date for e in fetched.entries} <= {day}


def test_done_when_fetch_since_imports_exactly_the_replayed_days(
    replay: Replay, shared_replay: dict[date, Path], library_paths: LibraryPaths, tmp_path: Path
) -> None:
    since = date(2025, 5, 1)
    expected = {day for day in shared_replay if day >= since}
    code, text = _cli(tmp_path / "library", "--since", since.isoformat())
    assert code in (cli.EXIT_OK, cli.EXIT_PARTIAL), text
    with Library.open(library_paths) as library:
        assert library.fetched_days("hf-api") == expected
        assert {d["source_kind"] for d in _digests(library)} == {"hf-api"}
        assert library.check() == []
    assert len(text.splitlines()) == (fetch.today_utc() - since).days + 2  # + the total line


def test_done_when_in_a_new_process(
    replay: Replay,
    shared_replay: dict[date, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    since = date(2025, 5, 1)
    monkeypatch.delenv("DIGESTDESK_DATABASE_URL", raising=False)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "HF_ENDPOINT": replay.url,
    }
    library_dir = tmp_path / "lib"  # its own SQLite library, also in the PostgreSQL job
    done = subprocess.run(
        [sys.executable, "-m", "digestdesk", "--library", str(library_dir)]
        + ["fetch", "--since", since.isoformat(), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode in (cli.EXIT_OK, cli.EXIT_PARTIAL), done.stderr
    days = json.loads(done.stdout)["days"]
    imported = {date.fromisoformat(d["day"]) for d in days if d["outcome"] == "imported"}
    assert imported == {day for day in shared_replay if day >= since}
    with Library.open(resolve_library(library_dir)) as library:
        assert library.fetched_days("hf-api") == imported
    assert all(r.headers["User-Agent"] == fetch.USER_AGENT for r in replay.requests)
