"""A small, polite HTTP client on plain ``urllib`` for the fetchers.

A descriptive User-Agent, timeouts, retries with exponential backoff on 429/5xx and connection
errors honouring ``Retry-After``, conditional requests (ETag / Last-Modified remembered in a
small cache directory) and a per-host pause between requests (3 s for arXiv, as its API terms
ask). Sleeping and the clock are injectable so tests never wait, and every wait checks
``cancelled``.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http
import http.client
import ipaddress
import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digestdesk import __version__
from digestdesk.core.fetch.errors import FetchCancelled, FetchError

log = logging.getLogger(__name__)

USER_AGENT = f"DigestDesk/{__version__} (+https://github.com/digestdesk)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY = 64 * 1024 * 1024  # no digest page is near this; a runaway response is refused

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Cancelled = Callable[[], bool]


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
    """One successful answer; ``from_cache`` when a 304 gave back the body cached before."""

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
        max_body: int = MAX_BODY,
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
        self.max_body = max_body  # bytes; a longer answer is refused
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

    def _read(self, answer: Any, host: str, what: str) -> bytes:
        body: bytes = answer.read(self.max_body + 1)
        if len(body) > self.max_body:
            raise FetchError(f"{host} sent more than {self.max_body >> 20} MB {what}; refused.")
        if (answer.headers.get("Content-Encoding") or "").lower() == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise http.client.IncompleteRead(body) from exc
        return body
