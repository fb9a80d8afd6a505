"""The fetcher against a hostile server on loopback: bombs, drips, redirects, bad headers, a
damaged cache and names that do not resolve.

Every server here is a real socket server in a thread on 127.0.0.1 (port 0) that writes raw
bytes, so it can break HTTP in ways ``http.server`` would not. Nothing reaches the internet: an
autouse guard refuses any connection to an address that is not loopback, and names under
``.invalid`` never resolve (RFC 6761; the client answers them without a query). Deadlines are
tested on a clock the server moves (one tick per byte it drips), never by sleeping; a test that
could hang runs in a thread with a generous guard and asserts that it finished.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestdesk import cli
from digestdesk.core import fetch
from digestdesk.core.fetch import DayReport, FetchCancelled, FetchError, HttpClient
from digestdesk.core.fetch import http as fetch_http
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core.test_fetch import hf_items

DAY = date(2025, 5, 2)
TLS = Path(__file__).resolve().parents[1] / "fixtures" / "tls"  # a self-signed loopback cert
GUARD = 60.0  # seconds a test that could hang gets before it is called hung


# ----------------------------------------------------------------------- the servers
Respond = Callable[[socket.socket, bytes, "RawServer"], None]


class RawServer:
    """Accepts connections on loopback; ``respond(conn, request, server)`` answers each one."""

    def __init__(self, respond: Respond, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.sent = 0
        self.ticks = 0  # moved by a dripping answer: the client's clock in the deadline tests
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = b""
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                self.requests.append(request)
                self.respond(conn, request, self)
            except OSError:
                pass  # the client hung up (what the limits are for), or refused our certificate

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Respond], RawServer]]:
    servers: list[RawServer] = []

    def start(respond: Respond) -> RawServer:
        server = RawServer(respond)
        servers.append(server)
        monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, server.url)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any connection to an address that is not loopback fails the test (and is not made)."""
    attempted: list[Any] = []
    real_connect_ex = socket.socket.connect_ex

    def guarded(self: socket.socket, address: Any) -> int:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempted.append(address)
            raise AssertionError(f"a test tried to connect to {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect_ex", guarded)
    return attempted


def answer(status: str = "200 OK", body: bytes = b"", headers: list[str] | None = None) -> Respond:
    """A fixed raw answer; ``Content-Length`` is added unless a header names a length or
    chunking."""

    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        lines = [f"HTTP/1.1 {status}", *(headers or [])]
        if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in lines):
            lines.append(f"Content-Length: {len(body)}")
        head = "\r\n".join([*lines, "Connection: close", "", ""]).encode("latin-1")
        server.send(conn, head + body)

    return respond


def day_json(n: int = 2, *, day: date = DAY, start: int = 1) -> bytes:
    return json.dumps(hf_items(n, day=day, start=start)).encode()


def quick_client(**kwargs: Any) -> HttpClient:
    """No waiting between retries (the sleeps are not real), a short idle timeout."""
    options: dict[str, Any] = {"cache_dir": None, "timeout": 5.0, "sleep": lambda s: None}
    options.update(kwargs)
    return HttpClient(**options)


def failure(report: DayReport) -> str:
    """The message of a day that failed (and it did fail)."""
    assert report.outcome == "failed" and report.error is not None, report
    return report.error


def run_guarded(job: Callable[[], Any]) -> Any:
    """Run ``job`` in a thread; fail (instead of hanging the suite) if it does not end."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = job()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(GUARD)
    assert not thread.is_alive(), f"still running after {GUARD:g} s: the limit did not trigger"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def fetch_days(library: Library, client: HttpClient, *days: date, **kwargs: Any) -> list[DayReport]:
    return run_guarded(lambda: fetch.fetch_days(library, list(days), client=client, **kwargs))


# ---------------------------------------------------------------------- gzip bombs
def gzip_bomb(unpacked_mb: int) -> bytes:
    """A valid gzip stream of ``unpacked_mb`` MB of zeros, built without holding them: one MB
    compressed once and repeated (a full flush makes each copy stand alone)."""
    mb = b"\0" * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = packer.compress(mb) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(unpacked_mb):
        crc = zlib.crc32(mb, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = (crc & 0xFFFFFFFF).to_bytes(4, "little") + (
        (unpacked_mb << 20) & 0xFFFFFFFF
    ).to_bytes(4, "little")
    return header + block * unpacked_mb + packer.flush(zlib.Z_FINISH) + trailer


def test_the_bomb_builder_makes_real_gzip() -> None:
    assert gzip.decompress(gzip_bomb(3)) == b"\0" * (3 << 20)


@pytest.mark.parametrize("unpacked_mb", [300, 2000], ids=["300KB-to-300MB", "2MB-to-2GB"])
def test_a_gzip_bomb_is_refused_at_the_cap(
    library: Library, serve: Callable[[Respond], RawServer], unpacked_mb: int
) -> None:
    bomb = gzip_bomb(unpacked_mb)
    assert len(bomb) < (unpacked_mb << 20) // 900  # packed about a thousand times
    serve(answer(body=bomb, headers=["Content-Encoding: gzip", "Content-Type: application/json"]))
    [report] = fetch_days(library, quick_client(), DAY)
    assert "for 2025-05-02 that unpacks to more than 64 MB; refused" in failure(report)
    assert "/api/daily_papers?date=2025-05-02" in report.error  # names the URL
    assert library.counts()["total"] == 0


def test_the_inflater_never_holds_more_than_the_cap() -> None:
    inflater = fetch_http._Inflater("gzip", cap=1000)
    bomb = gzip_bomb(2)
    with pytest.raises(fetch_http._TooBig):
        for start in range(0, len(bomb), 7):
            inflater.feed(bomb[start : start + 7])
            assert len(inflater.out) <= 1001
    assert len(inflater.out) <= 1001


def test_a_bomb_between_good_days_keeps_the_good_days(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        if b"date=2025-05-03" in request:
            answer(body=gzip_bomb(100), headers=["Content-Encoding: gzip"])(conn, request, server)
        else:
            day = date.fromisoformat(request.split(b"date=")[1][:10].decode())
            body = gzip.compress(day_json(2, day=day, start=day.day * 10))
            answer(body=body, headers=["Content-Encoding: gzip"])(conn, request, server)

    serve(respond)
    reports = fetch_days(library, quick_client(), DAY, DAY + timedelta(1), DAY + timedelta(2))
    assert [r.outcome for r in reports] == ["imported", "failed", "imported"]
    assert library.fetched_days("hf-api") == {DAY, DAY + timedelta(2)}


def test_a_gzip_answer_cut_short_is_a_network_error_not_a_traceback(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    body = gzip.compress(day_json(3))
    server = serve(answer(body=body[: len(body) // 2], headers=["Content-Encoding: gzip"]))
    [report] = fetch_days(library, quick_client(retries=1), DAY)
    assert "malformed or incomplete answer for 2025-05-02" in failure(report)
    assert len(server.requests) == 2  # retried once: a cut can be the network's


def test_a_damaged_gzip_body_fails_that_day_plainly(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    serve(answer(body=b"\x1f\x8b\x08\x00garbage" * 10, headers=["Content-Encoding: gzip"]))
    [report] = fetch_days(library, quick_client(), DAY)
    assert "sent a damaged gzip answer for 2025-05-02" in failure(report)


# ---------------------------------------------------------------- drips and deadlines
def drip(every_tick: float = 0.02, *, before: bytes = b"[") -> Respond:
    """Headers at once, then one byte per tick for ever (until the client hangs up); each byte
    moves ``server.ticks``, the clock the client is given."""

    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        server.send(conn, head + before)
        while not server.stop.is_set():
            server.send(conn, b" ")
            server.ticks += 1
            server.stop.wait(every_tick)

    return respond


def test_a_dripping_server_meets_the_request_deadline(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    server = serve(drip())
    client = quick_client(clock=lambda: float(server.ticks), request_deadline=20)
    [report] = fetch_days(library, client, DAY, deadline=10_000)
    assert "took longer than 20 s to answer for 2025-05-02; stopped" in failure(report)
    assert len(server.requests) == 1  # a deadline is not retried
    assert server.ticks >= 20


def test_a_dripping_server_meets_the_run_deadline_and_earlier_days_stay(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        if b"date=2025-05-02" in request:
            answer(body=day_json(2))(conn, request, server)
        else:
            drip()(conn, request, server)

    server = serve(respond)
    client = quick_client(clock=lambda: float(server.ticks), request_deadline=10_000)
    reports = fetch_days(library, client, DAY, DAY + timedelta(1), DAY + timedelta(2), deadline=50)
    assert [r.outcome for r in reports] == ["imported", "failed", "not tried"]
    assert reports[1].error is not None
    assert "reached its time limit of 50 s and stopped for 2025-05-03" in reports[1].error
    assert "days already fetched stay imported" in reports[1].error
    assert library.fetched_days("hf-api") == {DAY}


def test_cancel_is_honoured_mid_transfer(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    server = serve(drip())
    # Cancel after 5 bytes of body: the read in progress must notice it.
    client = quick_client(cancelled=lambda: server.ticks >= 5)
    [report] = fetch_days(library, client, DAY)
    assert report.outcome == "cancelled"
    assert library.counts()["total"] == 0


def test_cancel_is_honoured_while_waiting_for_the_first_byte() -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # listens, never accepts nor answers
    port = listener.getsockname()[1]
    flag = threading.Event()
    timer = threading.Timer(0.3, flag.set)
    timer.start()
    client = quick_client(cancelled=flag.is_set, timeout=3600)
    try:
        with pytest.raises(FetchCancelled):
            run_guarded(lambda: client.get(f"http://127.0.0.1:{port}/x", what="for a test"))
    finally:
        timer.cancel()
        listener.close()


def test_an_idle_server_times_out_and_is_retried(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        server.stop.wait(30)  # says nothing

    server = serve(respond)
    [report] = fetch_days(library, quick_client(timeout=0.3, retries=1), DAY)
    assert "did not answer within 0.3 s for 2025-05-02" in failure(report)
    assert len(server.requests) == 2


def test_a_huge_retry_after_is_not_waited_for_and_a_long_one_honours_cancel(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    serve(answer("429 Too Many Requests", headers=["Retry-After: " + "9" * 400]))
    slept: list[float] = []
    [report] = fetch_days(library, quick_client(sleep=slept.append), DAY)
    assert report.error is not None and "asked to wait more than a day" in report.error
    assert slept == []
    serve(answer("503 Service Unavailable", headers=["Retry-After: 100"]))
    waited: list[float] = []
    client = quick_client(sleep=waited.append, cancelled=lambda: sum(waited) >= 1)
    [report] = fetch_days(library, client, DAY)
    assert report.outcome == "cancelled" and sum(waited) < 2


def test_a_retry_after_past_the_run_deadline_stops_at_once(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    serve(answer("503 Service Unavailable", headers=["Retry-After: 100"]))
    slept: list[float] = []
    [report] = fetch_days(library, quick_client(sleep=slept.append), DAY, deadline=60)
    assert report.error is not None and "reached its time limit of 60 s" in report.error
    assert slept == []


# ------------------------------------------------------------------------ redirects
def test_a_redirect_to_ftp_is_refused_and_nothing_reaches_the_ftp_port(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    ftp = socket.create_server(("127.0.0.1", 0))
    ftp.setblocking(False)
    try:
        port = ftp.getsockname()[1]
        serve(answer("302 Found", headers=[f"Location: ftp://127.0.0.1:{port}/day.json"]))
        reports = fetch_days(library, quick_client(), DAY, DAY + timedelta(1))
        assert [r.outcome for r in reports] == ["failed", "not tried"]
        assert reports[0].error is not None
        assert f"to 'ftp://127.0.0.1:{port}/day.json', which is not an http(s) address" in (
            reports[0].error
        )
        with pytest.raises(BlockingIOError):
            ftp.accept()  # nobody came
    finally:
        ftp.close()


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "http://[::1",
        "http://127.0.0.1:99999/",
        "mailto:a@b.c",
    ],
)
def test_other_bad_redirects_are_refused(
    library: Library, serve: Callable[[Respond], RawServer], location: str
) -> None:
    server = serve(answer("301 Moved Permanently", headers=[f"Location: {location}"]))
    [report] = fetch_days(library, quick_client(), DAY)
    assert "redirected the request for 2025-05-02" in failure(report)
    assert len(server.requests) == 1


def test_a_redirect_loop_ends_after_the_limit(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        hop = len(server.requests)
        answer("307 Temporary Redirect", headers=[f"Location: /loop/{hop}"])(conn, request, server)

    server = serve(respond)
    [report] = fetch_days(library, quick_client(), DAY)
    assert report.error is not None
    assert "redirected the request for 2025-05-02 more than 5 times" in report.error
    assert len(server.requests) == 6  # the request and five redirects, no retries


def test_a_relative_redirect_within_http_is_followed(
    library: Library, serve: Callable[[Respond], RawServer]
) -> None:
    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        if request.startswith(b"GET /api/"):
            answer("301 Moved Permanently", headers=["Location: /mirror/today"])(
                conn, request, server
            )
        else:
            answer(body=day_json(2))(conn, request, server)

    server = serve(respond)
    [report] = fetch_days(library, quick_client(), DAY)
    assert report.outcome == "imported"
    assert [r.split(b" ")[1] for r in server.requests] == [
        b"/api/daily_papers?date=2025-05-02&limit=100&p=0",
        b"/mirror/today",
    ]


# ------------------------------------------------------------------- Retry-After
@pytest.mark.parametrize(
    "value",
    [
        "²",
        "³",
        "-5",
        "1e9",
        "1.5",
        "",
        " ",
        "\x00",
        "soon",
        "Thu, 01 Jan 99999 00:00:00 GMT",
        "Mon, 32 Foo 2025 25:61:61 GMT",
        "٣",
    ],
)
def test_a_bad_retry_after_is_treated_as_absent(
    library: Library, serve: Callable[[Respond], RawServer], value: str
) -> None:
    first = True

    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        nonlocal first
        if first:
            first = False
            # As the bytes a server would send: Latin-1 where it can, else UTF-8.
            latin = all(ord(c) < 256 for c in value)
            encoded = value if latin else value.encode("utf-8").decode("latin-1")
            answer("429 Too Many Requests", headers=[f"Retry-After: {encoded}"])(
                conn, request, server
            )
        else:
            answer(body=day_json(2))(conn, request, server)

    serve(respond)
    slept: list[float] = []
    client = quick_client(sleep=slept.append, backoff=0.5)
    [report] = fetch_days(library, client, DAY)
    assert report.outcome == "imported"
    assert sum(slept) == pytest.approx(0.5)  # the backoff, as if there were no Retry-After


def test_retry_after_values() -> None:
    assert fetch.retry_after_seconds("²") is None
    assert fetch.retry_after_seconds(" 7 ") == 7.0
    assert fetch.retry_after_seconds("9" * 400) == float("inf")
    assert fetch.retry_after_seconds("Thu, 01 Jan 99999 00:00:00 GMT") is None
    assert fetch.retry_after_seconds("\x00\xff") is None


# --------------------------------------------------------------- garbage headers
GOOD_AFTER_ALL = [
    ["Content-Length: abc"],
    ["Content-Length: -1"],
    ["Content-Length: ²"],
    ["Content-Length: 10, 20"],
    ["Content-Encoding: br"],
    ["Content-Encoding: gzip, gzip, gzip"],
    ["Content-Encoding: \x00\xff"],
    ["Content-Encoding: identity"],
    ["Content-Type: \xff\xfe"],
    ["ETag: \x01\x02bad etag"],
    ["Last-Modified: " + "x" * 5000],
    ["X-Long: " + "y" * 60000],
    ["Set-Cookie: a=b"] * 90,
]


@pytest.mark.parametrize("headers", GOOD_AFTER_ALL, ids=lambda h: h[0][:24])
def test_garbage_headers_are_treated_as_absent(
    library: Library, serve: Callable[[Respond], RawServer], headers: list[str], tmp_path: Path
) -> None:
    serve(answer(body=day_json(2), headers=headers))
    [report] = fetch_days(library, quick_client(cache_dir=tmp_path / "cache"), DAY)
    assert report.outcome == "imported", report.error
    cache = tmp_path / "cache" / "cache.json"
    if cache.exists():
        for entry in json.loads(cache.read_text(encoding="utf-8"))["entries"].values():
            assert all(
                v is None or (v.isascii() and v.isprintable())
                for v in (entry["etag"], entry["last_modified"])
            )


FAILS_PLAINLY = {
    "header line over 64 KB": (["X-Long: " + "y" * 70000], "malformed or incomplete answer"),
    "too many headers": (["X-Many: 1"] * 150, "malformed or incomplete answer"),
    "huge Content-Length": (["Content-Length: " + "9" * 30], "sent more than 64 MB"),
    "short body": (["Content-Length: 100000"], "malformed or incomplete answer"),
    "bad chunk size": (["Transfer-Encoding: chunked"], "malformed or incomplete answer"),
}


@pytest.mark.parametrize("case", sorted(FAILS_PLAINLY))
def test_broken_framing_fails_that_day_plainly(
    library: Library, serve: Callable[[Respond], RawServer], case: str
) -> None:
    headers, expected = FAILS_PLAINLY[case]
    serve(answer(body=b"zz\r\nnot a chunk" if "chunk" in case else day_json(1), headers=headers))
    [report] = fetch_days(library, quick_client(retries=1), DAY)
    assert expected in failure(report) and "2025-05-02" in report.error


@pytest.mark.parametrize(
    "raw",
    [b"garbage\r\n\r\n", b"HTTP/1.1 abc Bad\r\n\r\n", b"\x00\xff\x00\r\n\r\n", b""],
    ids=["not-http", "bad-status", "binary", "closed"],
)
def test_a_status_line_that_is_not_http_fails_plainly(
    library: Library, serve: Callable[[Respond], RawServer], raw: bytes
) -> None:
    serve(lambda conn, request, server: server.send(conn, raw))
    [report] = fetch_days(library, quick_client(retries=1), DAY)
    assert "for 2025-05-02" in failure(report) and "Traceback" not in report.error


# ------------------------------------------------------------------ the damaged cache
def _cache_entry(url: str, **fields: Any) -> dict[str, Any]:
    entry = {
        "etag": '"abc"',
        "last_modified": None,
        "body": fetch.ConditionalCache._body_name(url),
        "stored": 1.0,
    }
    entry.update(fields)
    return entry


def _cached_server(
    serve: Callable[[Respond], RawServer], tmp_path: Path
) -> tuple[RawServer, Path, str]:
    """A server whose answers carry an ETag, an empty cache folder, and the URL of DAY."""
    server = serve(answer(body=day_json(2), headers=['ETag: "fresh"']))
    cache = tmp_path / "cache"
    cache.mkdir()
    return server, cache, f"{server.url}/api/daily_papers?date=2025-05-02&limit=100&p=0"


DAMAGED_CACHES: dict[str, Callable[[str], Any]] = {
    "entry is a string": lambda url: {"version": 1, "entries": {url: "oops"}},
    "entries is a list": lambda url: {"version": 1, "entries": [url]},
    "entry is a list": lambda url: {"version": 1, "entries": {url: [1, 2]}},
    "index is a string": lambda url: "cache",
    "etag is a number": lambda url: {"version": 1, "entries": {url: _cache_entry(url, etag=7)}},
    "etag with a line break": lambda url: {
        "version": 1,
        "entries": {url: _cache_entry(url, etag='"a"\r\nX-Injected: 1')},
    },
    "body outside the cache": lambda url: {
        "version": 1,
        "entries": {url: _cache_entry(url, body="../victim.txt")},
    },
    "body is a number": lambda url: {"version": 1, "entries": {url: _cache_entry(url, body=5)}},
    "no validators": lambda url: {
        "version": 1,
        "entries": {url: _cache_entry(url, etag=None, last_modified=None)},
    },
    "deeply nested": lambda url: "[" * 100_000,
}


@pytest.mark.parametrize("case", sorted(DAMAGED_CACHES))
def test_a_damaged_cache_entry_is_treated_as_absent(
    library: Library, serve: Callable[[Respond], RawServer], tmp_path: Path, case: str
) -> None:
    server, cache, url = _cached_server(serve, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (cache / fetch.ConditionalCache._body_name(url)).write_bytes(b"[]")
    content = DAMAGED_CACHES[case](url)
    text = content if isinstance(content, str) else json.dumps(content)
    (cache / "cache.json").write_text(text, encoding="utf-8")
    client = quick_client(cache_dir=cache)
    client.cache.max_entries = 1
    [report] = fetch_days(library, client, DAY)
    assert report.outcome == "imported", report.error
    assert b"If-None-Match" not in server.requests[0] and b"X-Injected" not in server.requests[0]
    client.cache.store("http://127.0.0.1/other", {"ETag": '"x"'}, b"[]")  # evicts the first
    assert victim.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("kind", ["directory", "fifo", "link to /dev/zero"])
def test_cache_files_that_are_not_files_are_ignored(
    library: Library, serve: Callable[[Respond], RawServer], tmp_path: Path, kind: str
) -> None:
    server, cache, url = _cached_server(serve, tmp_path)
    body = cache / fetch.ConditionalCache._body_name(url)
    index = cache / "cache.json"
    if kind == "directory":
        index.mkdir()
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this system")
        os.mkfifo(index)
    else:
        index.write_text(json.dumps({"version": 1, "entries": {url: _cache_entry(url)}}))
        body.symlink_to("/dev/zero")
    [report] = fetch_days(library, quick_client(cache_dir=cache), DAY)
    assert report.outcome == "imported", report.error


# ---------------------------------------------------------------- names and refusals
def test_a_name_that_does_not_resolve_stops_the_run_at_once(
    library: Library, monkeypatch: pytest.MonkeyPatch, _loopback_only: list[Any]
) -> None:
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, "https://digestdesk-test.invalid")
    client = quick_client(resolve_timeout=2.0)
    reports = fetch_days(library, client, DAY, DAY + timedelta(1), DAY + timedelta(2))
    assert [r.outcome for r in reports] == ["failed", "not tried", "not tried"]
    assert reports[0].error is not None
    assert reports[0].error.startswith("Cannot resolve digestdesk-test.invalid: check the network")
    assert client.requests == 0 and _loopback_only == []


def test_a_resolver_that_never_answers_is_given_up_on(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, "https://huggingface.co")
    release = threading.Event()
    calls: list[str] = []

    def stalled(host: str, port: int) -> Any:
        calls.append(host)
        release.wait(GUARD)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    client = quick_client(resolver=stalled, resolve_timeout=0.3)
    try:
        reports = fetch_days(library, client, DAY, DAY + timedelta(1))
    finally:
        release.set()
    assert [r.outcome for r in reports] == ["failed", "not tried"]
    assert reports[0].error == (
        "Cannot resolve huggingface.co: check the network (no answer within 0.3 s). "
        "Nothing was changed."
    )
    assert calls == ["huggingface.co"]  # once for the run, not once per day


def test_cancel_is_honoured_while_resolving(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, "https://huggingface.co")
    release, asked = threading.Event(), threading.Event()

    def stalled(host: str, port: int) -> Any:
        asked.set()
        release.wait(GUARD)
        raise socket.gaierror(socket.EAI_AGAIN, "late")

    client = quick_client(resolver=stalled, resolve_timeout=3600, cancelled=asked.is_set)
    try:
        reports = fetch_days(library, client, DAY)
    finally:
        release.set()
    assert [r.outcome for r in reports] == ["cancelled"]


# ------------------------------------------------------------------------------- CLI
def _cli(library_dir: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run_guarded(lambda: cli.run(["--library", str(library_dir), "fetch", *argv], out=out))
    return code, out.getvalue()


def test_cli_fetch_without_a_resolvable_host_says_so_once(
    library_paths: LibraryPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, "https://huggingface.invalid")
    code, text = _cli(tmp_path / "library", "--days", "3")
    assert code == cli.EXIT_FAILED
    lines = text.splitlines()
    assert len(lines) == 4 and text.count("Cannot resolve huggingface.invalid") == 1
    assert lines[0].endswith(
        "failed: Cannot resolve huggingface.invalid: check the network (Name or service not "
        "known). Nothing was changed."
    )
    assert lines[1].endswith(": not tried") and lines[2].endswith(": not tried")
    assert lines[3] == "total: 0 new, 0 updated, 0 unchanged in 0 of 3 days"
    assert "Traceback" not in capsys.readouterr().err


def test_cli_fetch_keeps_the_days_before_a_failure(
    library_paths: LibraryPaths,
    tmp_path: Path,
    serve: Callable[[Respond], RawServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    today = fetch.today_utc()
    bomb_day = (today - timedelta(1)).isoformat().encode()

    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        day = date.fromisoformat(request.split(b"date=")[1][:10].decode())
        if day.isoformat().encode() == bomb_day:
            answer(body=gzip_bomb(100), headers=["Content-Encoding: gzip"])(conn, request, server)
        elif day == today:
            drip()(conn, request, server)
        else:
            answer(body=day_json(2, day=day, start=day.day * 10))(conn, request, server)

    serve(respond)
    code, text = _cli(tmp_path / "library", "--days", "3", "--json", "--timeout", "1")
    assert code == cli.EXIT_FAILED
    days = json.loads(text)["days"]
    assert [d["outcome"] for d in days] == ["imported", "failed", "failed"]
    assert "unpacks to more than 64 MB" in days[1]["error"]
    assert "took longer than 1 s to answer" in days[2]["error"]
    assert "Traceback" not in capsys.readouterr().err
    with Library.open(library_paths) as library:
        assert library.fetched_days("hf-api") == {today - timedelta(2)}
        assert library.counts()["total"] == 2


def test_fetch_timeout_help_names_the_real_default() -> None:
    from digestdesk.cli.commands import COMMANDS_BY_NAME

    (timeout,) = [a for a in COMMANDS_BY_NAME["fetch"].arguments if a.names == ("--timeout",)]
    assert f"(default {int(fetch_http.REQUEST_DEADLINE)})" in (timeout.help or "")


# ------------------------------------------------------------------------------- TLS
@pytest.fixture
def tls_serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Respond], RawServer]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "loopback.crt", TLS / "loopback.key")
    servers: list[RawServer] = []

    def start(respond: Respond) -> RawServer:
        server = RawServer(respond, tls=context)
        servers.append(server)
        monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, server.url)
        return server

    yield start
    for server in servers:
        server.close()


def trusting() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(TLS / "loopback.crt"))


def test_https_answers_are_read(
    library: Library, tls_serve: Callable[[Respond], RawServer]
) -> None:
    body = gzip.compress(day_json(3))
    server = tls_serve(answer(body=body, headers=["Content-Encoding: gzip"]))
    [report] = fetch_days(library, quick_client(tls_context=trusting()), DAY)
    assert report.outcome == "imported" and report.report is not None and report.report.new == 3
    assert f"Host: 127.0.0.1:{server.port}".encode() in server.requests[0]


def test_an_untrusted_certificate_stops_at_once(
    library: Library, tls_serve: Callable[[Respond], RawServer]
) -> None:
    server = tls_serve(answer(body=day_json(1)))
    reports = fetch_days(library, quick_client(), DAY, DAY + timedelta(1))  # the system's CAs
    assert "could not be verified" in failure(reports[0])
    assert [r.outcome for r in reports] == ["failed", "not tried"]
    assert server.requests == []  # nothing was sent over it


def test_cancel_is_honoured_mid_transfer_over_tls(
    library: Library, tls_serve: Callable[[Respond], RawServer]
) -> None:
    server = tls_serve(drip())
    client = quick_client(tls_context=trusting(), cancelled=lambda: server.ticks >= 5)
    [report] = fetch_days(library, client, DAY)
    assert report.outcome == "cancelled"


def test_a_dripping_tls_server_meets_the_request_deadline(
    library: Library, tls_serve: Callable[[Respond], RawServer]
) -> None:
    server = tls_serve(drip())
    client = quick_client(
        tls_context=trusting(), clock=lambda: float(server.ticks), request_deadline=20
    )
    [report] = fetch_days(library, client, DAY)
    assert "took longer than 20 s to answer for 2025-05-02" in failure(report)


# ------------------------------------------------------------- the real command line
def _digestdesk(library_dir: Path, *argv: str, endpoint: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "HF_ENDPOINT": endpoint}
    env.pop("DIGESTDESK_DATABASE_URL", None)  # its own SQLite library, also in the PostgreSQL job
    return subprocess.Popen(
        [sys.executable, "-m", "digestdesk", "--library", str(library_dir), "fetch", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_the_command_without_a_resolvable_host_exits_1_without_a_traceback(
    tmp_path: Path,
) -> None:
    process = _digestdesk(tmp_path / "lib", "--days", "5", endpoint="https://hub.invalid")
    out, err = process.communicate(timeout=GUARD)
    assert process.returncode == cli.EXIT_FAILED
    assert out.count("Cannot resolve hub.invalid: check the network") == 1
    assert len(out.splitlines()) == 6 and "Traceback" not in err


def test_ctrl_c_mid_transfer_exits_130_and_keeps_the_days_before(
    tmp_path: Path, serve: Callable[[Respond], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    today = fetch.today_utc()

    def respond(conn: socket.socket, request: bytes, server: RawServer) -> None:
        if today.isoformat().encode() in request:
            drip()(conn, request, server)
        else:
            answer(body=day_json(2, day=today - timedelta(1)))(conn, request, server)

    server = serve(respond)
    process = _digestdesk(tmp_path / "lib", "--days", "2", endpoint=server.url)
    try:
        run_guarded(lambda: _until(lambda: server.ticks >= 3))  # today's answer is dripping
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=GUARD)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == cli.EXIT_INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    assert out.startswith(f"{(today - timedelta(1)).isoformat()}: 2 new")
    monkeypatch.delenv("DIGESTDESK_DATABASE_URL", raising=False)  # the command's SQLite library
    with Library.open(resolve_library(tmp_path / "lib")) as library:
        assert library.fetched_days("hf-api") == {today - timedelta(1)}


def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        threading.Event().wait(0.05)


# ---------------------------------------------------------------------------- proxies
def _tunnel(conn: socket.socket, request: bytes, server: RawServer) -> None:
    """A CONNECT proxy: "CONNECT host:port", then bytes both ways until either side closes."""
    target = request.split(b" ")[1].decode()
    host, port = target.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as upstream:
        server.send(conn, b"HTTP/1.1 200 Connection established\r\n\r\n")
        conn.settimeout(None)
        upstream.settimeout(None)

        def pump(source: socket.socket, sink: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := source.recv(65536):
                    sink.sendall(data)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join(GUARD)


def test_an_http_proxy_from_the_environment_gets_absolute_urls(
    library: Library, serve: Callable[[Respond], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(answer(body=day_json(2)))
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, "http://hub.invalid")  # only the proxy resolves it
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    [report] = fetch_days(library, quick_client(), DAY)
    assert report.outcome == "imported", report.error
    assert proxy.requests[0].startswith(b"GET http://hub.invalid/api/daily_papers?date=2025-05-02")


def test_https_goes_through_a_connect_tunnel(
    library: Library,
    serve: Callable[[Respond], RawServer],
    tls_serve: Callable[[Respond], RawServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    origin = tls_serve(answer(body=day_json(3)))
    proxy = serve(_tunnel)
    monkeypatch.setenv(fetch.ENV_HF_ENDPOINT, origin.url)
    monkeypatch.setenv("https_proxy", proxy.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    [report] = fetch_days(library, quick_client(tls_context=trusting()), DAY)
    assert report.outcome == "imported", report.error
    assert proxy.requests[0].startswith(f"CONNECT 127.0.0.1:{origin.port} ".encode())
    assert origin.requests[0].startswith(b"GET /api/daily_papers?date=2025-05-02")


def test_no_proxy_connects_directly(
    library: Library, serve: Callable[[Respond], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = serve(answer(body=day_json(1)))
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    [report] = fetch_days(library, quick_client(), DAY)
    assert report.outcome == "imported", report.error
    assert len(origin.requests) == 1


# --------------------------------------------------------------------- fuzzed answers
_LATIN = st.characters(min_codepoint=0, max_codepoint=255, exclude_characters="\r\n")
_HEADER_NAMES = [
    "Content-Length",
    "Transfer-Encoding",
    "Content-Encoding",
    "Retry-After",
    "Location",
    "ETag",
    "Last-Modified",
    "Content-Type",
    "X-Junk",
]
_VALUES = st.one_of(
    st.text(_LATIN, max_size=40),
    st.from_regex(r"-?[0-9]{1,25}", fullmatch=True),
    st.sampled_from(["gzip", "deflate", "chunked", "br", "identity", "/loop", "ftp://x/"]),
)


@st.composite
def raw_answers(draw: st.DrawFn) -> bytes:
    status = draw(
        st.one_of(
            st.sampled_from([200, 204, 301, 302, 304, 307, 404, 429, 500, 503]).map(
                lambda code: f"HTTP/1.1 {code} Reason"
            ),
            st.text(_LATIN, max_size=30),
        )
    )
    headers = draw(st.lists(st.tuples(st.sampled_from(_HEADER_NAMES), _VALUES), max_size=6))
    body = draw(st.binary(max_size=300))
    if draw(st.booleans()):
        body = gzip.compress(body)[: draw(st.integers(1, 400))]
    head = "\r\n".join([status, *(f"{n}: {v}" for n, v in headers), "", ""])
    return head.encode("latin-1") + body


def _loopback_resolver(host: str, port: int) -> Any:
    if host not in ("127.0.0.1", "localhost"):
        raise socket.gaierror(socket.EAI_NONAME, "not in this test")
    return fetch_http.system_resolver(host, port)


def test_fuzzed_answers_give_a_response_or_a_plain_error(
    serve: Callable[[Respond], RawServer],
) -> None:
    """Whatever bytes come back, get() returns a Response or raises FetchError: no other
    exception, no hang."""
    current = [b""]
    server = serve(lambda conn, request, srv: srv.send(conn, current[0]))
    client = quick_client(retries=0, timeout=2.0, resolver=_loopback_resolver)
    outcomes: dict[str, int] = {}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(raw_answers())
    def one(raw: bytes) -> None:
        current[0] = raw
        try:
            response = run_guarded(lambda: client.get(f"{server.url}/day", what="for a fuzz"))
            assert isinstance(response, fetch.Response)
            kind = "answer"
        except FetchError as error:
            assert error.user_message and "Traceback" not in error.user_message
            kind = "plain error"
        outcomes[kind] = outcomes.get(kind, 0) + 1

    one()
    assert sum(outcomes.values()) >= 100
