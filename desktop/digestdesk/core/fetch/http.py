"""A small, polite HTTP client for the fetchers, on ``http.client`` and :mod:`.connection`.

A descriptive User-Agent, retries with exponential backoff on 429/5xx and passing network errors
honouring ``Retry-After``, conditional requests (ETag / Last-Modified remembered in a small cache
directory) and a per-host pause between requests (3 s for arXiv, as its API terms ask).

What a hostile or broken server cannot do to it: make it hold more than ``max_body`` bytes, sent
or unpacked (gzip is inflated a slice at a time with a cap); keep it busy past a request's or a
run's deadline (one byte every few seconds still ends); keep it from noticing a cancel (every wait
is a slice of at most a quarter second, mid-transfer too); send it anywhere but http(s), or round
in circles (at most ``max_redirects``); crash it with a malformed header or a damaged cache file
(both are treated as absent). A name that does not resolve stops the run at once, with no retries.

Sleeping and the clock are injectable so tests never wait; deadlines are on that clock. Why not
urllib3: its reads cannot be resumed after a short timeout, its resolver has no timeout and its
retry waits cannot be cancelled, so the deadline, cancel and DNS handling would be ours anyway;
what it would add (redirects, pooling) is a few lines here, and the bundle stays smaller.
"""

from __future__ import annotations

import email.message
import email.utils
import errno
import hashlib
import http
import http.client
import ipaddress
import json
import logging
import os
import re
import ssl
import stat
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digestdesk import __version__
from digestdesk.core.fetch.connection import (
    Connection,
    Limits,
    Resolved,
    Resolver,
    resolve,
    system_resolver,
)
from digestdesk.core.fetch.errors import FetchCancelled, FetchError

log = logging.getLogger(__name__)

USER_AGENT = f"DigestDesk/{__version__} (+https://github.com/digestdesk)"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_BODY = 64 * 1024 * 1024  # no digest page is near this, packed or unpacked; more is refused
MAX_REDIRECTS = 5
#: Seconds one request may take in all (connecting, redirects, every byte of the answer).
REQUEST_DEADLINE = 120.0
#: Seconds one fetch run may take in all (every day, every wait): it never runs forever.
RUN_DEADLINE = 30 * 60.0
#: Seconds the name server has to resolve a host before the run stops ("check the network").
RESOLVE_TIMEOUT = 5.0
#: Bytes read from the answer at a time, and the most a gzip answer unpacks in one step.
CHUNK = 64 * 1024
INFLATE_SLICE = 256 * 1024

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

_DELTA_SECONDS = re.compile(r"[0-9]+", re.ASCII)  # str.isdigit() also accepts "²"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None when unusable."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _duration(seconds: float) -> str:
    """A wait or a limit as people say it: "90 s", "30 min", "5 h", "more than a day"."""
    if seconds < 120:
        return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:g} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds <= 24 * 3600:
        return f"{seconds / 3600:.0f} h"
    return "more than a day"


def _size(count: int) -> str:
    return f"{count >> 20} MB" if count >= 1 << 20 else f"{count:,} bytes"


# A validator is sent back as a header: printable ASCII only, never a line break.
_VALIDATOR = re.compile(r"[\x20-\x7e]{1,1024}")
_BODY_NAME = re.compile(r"[0-9a-f]{32}\.body")
_MAX_INDEX_FILE = 16 * 1024 * 1024


# ----------------------------------------------------------------- conditional cache
class ConditionalCache:
    """ETag / Last-Modified per URL, with the body they validate, in ``directory``.

    ``cache.json`` maps URLs to validators and a body file; the oldest entries beyond
    ``max_entries`` are dropped. A damaged cache only saves less bandwidth: an unreadable file
    is ignored, and so is each entry that is not exactly what :meth:`store` writes (a body name
    other than the URL's own, a validator that could not be sent as a header...).
    """

    def __init__(
        self, directory: Path | None, *, max_entries: int = 200, max_body: int = MAX_BODY
    ) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self.max_body = max_body
        self._entries: dict[str, dict[str, Any]] = {}
        if directory is not None:
            self._entries = self._load()

    @property
    def _index_file(self) -> Path:
        assert self.directory is not None
        return self.directory / "cache.json"

    def _load(self) -> dict[str, dict[str, Any]]:
        data = self._read_regular(self._index_file, _MAX_INDEX_FILE)
        if data is None:
            return {}
        try:
            index = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            log.warning("ignoring the unreadable HTTP cache %s: %s", self._index_file, exc)
            return {}
        entries = index.get("entries") if isinstance(index, dict) else None
        if not isinstance(entries, dict):
            return {}
        kept = {url: entry for url, entry in entries.items() if self._valid(url, entry)}
        if len(kept) < len(entries):
            log.warning(
                "ignoring %d damaged entries of the HTTP cache %s",
                len(entries) - len(kept),
                self._index_file,
            )
        return kept

    @classmethod
    def _valid(cls, url: Any, entry: Any) -> bool:
        if not isinstance(url, str) or not isinstance(entry, dict):
            return False
        if entry.get("body") != cls._body_name(url):
            return False  # also keeps "../" out of the paths read and deleted
        validators = [entry.get("etag"), entry.get("last_modified")]
        if not any(validators):
            return False
        return all(
            v is None or (isinstance(v, str) and _VALIDATOR.fullmatch(v)) for v in validators
        )

    @staticmethod
    def _read_regular(path: Path, limit: int) -> bytes | None:
        """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes.

        Never follows a link and never opens a device or a pipe (which could block or never end).
        """
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                if path.exists() or path.is_symlink():
                    log.warning("ignoring %s in the HTTP cache: not a small regular file", path)
                return None
            with path.open("rb") as file:
                data = file.read(limit + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("ignoring the unreadable %s in the HTTP cache: %s", path, exc)
            return None
        return data if len(data) <= limit else None

    @staticmethod
    def _body_name(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".body"

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
        return self._read_regular(self.directory / self._body_name(url), self.max_body)

    def store(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        etag, modified = headers.get("ETag"), headers.get("Last-Modified")
        usable = [v for v in (etag, modified) if v and _VALIDATOR.fullmatch(v)]
        if self.directory is None or not usable:
            return
        name = self._body_name(url)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.directory / name, body)
            self._entries.pop(url, None)
            self._entries[url] = {
                "etag": etag if etag in usable else None,
                "last_modified": modified if modified in usable else None,
                "body": name,
                "stored": time.time(),
            }
            while len(self._entries) > self.max_entries:
                old_url = next(iter(self._entries))
                self._entries.pop(old_url)
                (self.directory / self._body_name(old_url)).unlink(missing_ok=True)
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


@dataclass
class _Answer:
    """One exchange's outcome before the retry logic reads it."""

    status: int
    reason: str
    headers: email.message.Message
    body: bytes


def _status_text(code: int, reason: str | None = None) -> str:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = reason or ""
    return f"{code} {phrase}".strip()


def _content_coding(value: str | None) -> str | None:
    """The one coding to undo ("gzip" or "deflate"), or None: identity, absent or malformed.

    A Content-Encoding we did not ask for or cannot read is treated as absent (logged); the body
    then fails in its parser with a message naming the day, if it is not readable as it is.
    """
    if not value:
        return None
    codings = [c.strip().lower() for c in value.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "deflate" if codings[0] == "deflate" else "gzip"
    log.warning("ignoring the Content-Encoding %r (not one Digest Desk asked for)", value[:100])
    return None


class _TooBig(Exception):
    pass


class _Inflater:
    """A body undone from its coding as it arrives, never holding more than ``cap`` bytes."""

    def __init__(self, coding: str | None, cap: int) -> None:
        self.coding = coding
        self.cap = cap
        self.out = bytearray()
        self.fed = False
        self._wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(self._wbits) if coding else None

    def feed(self, data: bytes) -> None:
        self.fed = self.fed or bool(data)
        if self._inflate is None:
            self.out += data
            if len(self.out) > self.cap:
                raise _TooBig()
            return
        while True:
            # Small slices: zlib builds each piece whole before it is appended.
            room = min(INFLATE_SLICE, self.cap + 1 - len(self.out))
            piece = self._inflate.decompress(data, room)
            self.out += piece
            if len(self.out) > self.cap:
                raise _TooBig()
            data = self._inflate.unconsumed_tail
            if self._inflate.eof:
                # gzip allows several members one after another; padding zeros end it.
                rest = self._inflate.unused_data + data
                if not rest.strip(b"\0"):
                    return
                self._inflate = zlib.decompressobj(self._wbits)
                data = rest
            elif not data and len(piece) < room:
                return  # all input used and no output held back

    def finish(self) -> bytes:
        if self._inflate is not None and self.fed and not self._inflate.eof:
            raise http.client.IncompleteRead(bytes(self.out[-16:]))  # the stream was cut short
        return bytes(self.out)


class HttpClient:
    """GET with a User-Agent, deadlines, retries, conditional requests and per-host pacing.

    ``sleep`` and ``clock`` are injectable (tests pass fakes); ``cancelled`` is checked before
    each request, between the slices of every network wait and during every pause, raising
    :class:`FetchCancelled`. :meth:`begin_run` starts a run's deadline.
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
        request_deadline: float | None = None,
        resolve_timeout: float | None = None,
        resolver: Resolver | None = None,
        max_redirects: int = MAX_REDIRECTS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout  # seconds one wait (connect, a read) may stay idle
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
        self.max_body = max_body  # bytes, sent or unpacked; a longer answer is refused
        self.request_deadline = REQUEST_DEADLINE if request_deadline is None else request_deadline
        self.resolve_timeout = RESOLVE_TIMEOUT if resolve_timeout is None else resolve_timeout
        self.resolver = resolver or system_resolver
        self.max_redirects = max_redirects
        self.run_deadline: float | None = None  # on clock; see begin_run
        self.run_limit = 0.0
        self.cache = ConditionalCache(cache_dir, max_body=max_body)
        self.limiter = _PROCESS_LIMITER if clock is time.monotonic else RateLimiter(clock=clock)
        self.requests = 0  # requests sent, for reports and tests
        self._addresses: dict[tuple[str, int], Resolved] = {}
        self._tls = tls_context  # the system's trusted certificates unless given

    def begin_run(self, seconds: float | None = None) -> None:
        """Every request and wait from now on ends by ``seconds`` from now (RUN_DEADLINE)."""
        self.run_limit = RUN_DEADLINE if seconds is None else seconds
        self.run_deadline = self.clock() + self.run_limit

    # The one blocking primitive: sleeps in slices so a cancel is noticed within ~0.2 s.
    def _pause(self, seconds: float, what: str = "") -> None:
        if self.run_deadline is not None and self.clock() + seconds > self.run_deadline:
            raise self._run_over(what)
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

    def _run_over(self, what: str) -> FetchError:
        return FetchError(
            f"The fetch reached its time limit of {_duration(self.run_limit)} and stopped"
            f"{' ' + what if what else ''}; days already fetched stay imported. Fetch again to "
            "go on.",
            stop_all=True,
        )

    def _delay(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2**attempt)))

    # ------------------------------------------------------------------ resolving
    def resolve(self, url: str) -> None:
        """Resolve ``url``'s host now (once per client), so a run without network stops at once.

        Raises :class:`FetchError` (``stop_all``) when the name does not resolve in time.
        """
        parts = self._proxy(self._split(url, url)) or self._split(url, url)
        self._resolved(parts.hostname or "", self._port(parts))

    def _proxy(self, parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult | None:
        """The http proxy the environment names for ``parts`` (``https_proxy``, ``no_proxy``...,
        as urllib reads them), or None to connect directly."""
        proxy = urllib.request.getproxies().get(parts.scheme)
        if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
            return None
        if "://" not in proxy:
            proxy = "http://" + proxy
        try:
            return self._split(proxy, proxy)
        except FetchError:
            log.warning("ignoring the proxy %r: not an http(s) address", proxy[:200])
            return None

    def _resolved(self, host: str, port: int) -> Resolved:
        key = (host, port)
        if key not in self._addresses:
            try:
                self._addresses[key] = resolve(
                    host,
                    port,
                    resolver=self.resolver,
                    timeout=self.resolve_timeout,
                    limits_check=self._check_cancelled,
                )
            except (OSError, UnicodeError) as error:
                reason = (
                    f"no answer within {_duration(self.resolve_timeout)}"
                    if isinstance(error, TimeoutError)
                    else (error.strerror if isinstance(error, OSError) else None) or str(error)
                )
                log.info("cannot resolve %s: %s", host, reason)
                raise FetchError(
                    f"Cannot resolve {host}: check the network ({reason}). Nothing was changed.",
                    stop_all=True,
                ) from None
        return self._addresses[key]

    @staticmethod
    def _split(url: str, shown: str) -> urllib.parse.SplitResult:
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number or out of range
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or not url.isascii()
            or any(c <= " " or c == "\x7f" for c in url)
        ):
            raise FetchError(
                f"{shown[:200]!r} is not an http(s) address Digest Desk can fetch.", stop_all=True
            )
        return parts

    @staticmethod
    def _port(parts: urllib.parse.SplitResult) -> int:
        return parts.port or (443 if parts.scheme == "https" else 80)

    # ------------------------------------------------------------------ requests
    def get(self, url: str, *, what: str, interval: float = 0.0) -> Response:
        """GET ``url``; ``what`` names the request in messages ("for 2025-05-02").

        Raises :class:`FetchError` with a message for the reader when it cannot succeed.
        """
        parts = self._split(url, url)
        host = parts.hostname or parts.netloc
        shown_host = parts.netloc or url
        attempt = 0
        conditional = True
        while True:
            self._check_cancelled()
            if self.run_deadline is not None and self.clock() >= self.run_deadline:
                raise self._run_over(what)
            if interval > 0 and (self.pace_loopback or not _is_loopback(host)):
                self.limiter.wait(host, interval, sleep=lambda s: self._pause(s, what))
            validators = self.cache.validators(url) if conditional else {}
            try:
                answer = self._exchange(url, what, validators)
            except (OSError, http.client.HTTPException) as error:
                decisive, message = self._network_failure(error, shown_host, what)
                if decisive or attempt >= self.retries:
                    raise FetchError(message, stop_all=True) from None
                delay = self._delay(attempt)
                log.info("%s: %s; retrying in %.1f s", url, error, delay)
                self._pause(delay, what)
                attempt += 1
                continue
            status, headers = answer.status, answer.headers
            if 200 <= status < 300:
                validating = {k: v for k in ("ETag", "Last-Modified") if (v := headers.get(k))}
                self.cache.store(url, validating, answer.body)
                return Response(url, status, answer.body, dict(headers.items()))
            if status == 304:
                cached = self.cache.body(url)
                if cached is not None:
                    log.debug("not modified, using the cached copy of %s", url)
                    return Response(url, 304, cached, dict(headers.items()), from_cache=True)
                if validators:  # the cached copy went away meanwhile: ask again, plainly
                    conditional = False
                    continue
            status_text = _status_text(status, answer.reason)
            if status in RETRY_STATUSES:
                wait = retry_after_seconds(headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise FetchError(
                        f"{shown_host} answered {status_text} {what} and asked to wait "
                        f"{f'{wait:.0f} s' if wait <= 86400 else 'more than a day'}; try again "
                        "later. Nothing was changed.",
                        stop_all=True,
                    )
                if attempt < self.retries:
                    delay = wait if wait is not None else self._delay(attempt)
                    log.info(
                        "%s answered %s for %s; retrying in %.1f s", host, status_text, url, delay
                    )
                    self._pause(delay, what)
                    attempt += 1
                    continue
                raise FetchError(
                    f"{shown_host} answered {status_text} {what}; try again later.", stop_all=True
                )
            raise FetchError(
                f"{shown_host} answered {status_text} {what} ({url}).",
                stop_all=status in (401, 403, 404, 410),
            )

    def _network_failure(
        self, error: BaseException, shown_host: str, what: str
    ) -> tuple[bool, str]:
        """(whether retrying is pointless, the message for the reader)."""
        if isinstance(error, ssl.SSLCertVerificationError):
            return True, (
                f"The certificate of {shown_host} could not be verified "
                f"({error.verify_message or error.reason}); nothing was changed."
            )
        if isinstance(error, TimeoutError):
            return False, (
                f"{shown_host} did not answer within {self.timeout:g} s {what}; try again "
                "later. Nothing was changed."
            )
        if isinstance(error, http.client.HTTPException):
            detail = (str(error) or type(error).__name__)[:200]
            return False, (
                f"{shown_host} sent a malformed or incomplete answer {what} ({detail}); try "
                "again later. Nothing was changed."
            )
        # Refused or no route: the server is not there now, and will not be in a few seconds.
        decisive = isinstance(error, ConnectionRefusedError) or getattr(error, "errno", None) in (
            errno.ENETUNREACH,
            errno.EHOSTUNREACH,
            errno.ENETDOWN,
        )
        reason = (error.strerror if isinstance(error, OSError) else None) or str(error)
        return decisive, (
            f"Could not reach {shown_host}: {reason}. Check your connection; nothing was changed."
        )

    def _exchange(self, url: str, what: str, validators: Mapping[str, str]) -> _Answer:
        """One request, following at most ``max_redirects`` redirects to http(s) addresses."""
        limits = Limits(
            cancelled=self.cancelled,
            clock=self.clock,
            request_deadline=self.clock() + self.request_deadline,
            run_deadline=self.run_deadline,
            idle_timeout=self.timeout,
            on_deadline=lambda kind: self._deadline_error(kind, url, what),
        )
        current, extra = url, dict(validators)
        with limits:
            for _hop in range(self.max_redirects + 1):
                answer = self._request(current, what, extra, limits)
                location = answer.headers.get("Location")
                if answer.status not in REDIRECT_STATUSES or not location:
                    return answer
                shown = urllib.parse.urlsplit(current).netloc
                try:
                    target = urllib.parse.urljoin(current, location.strip())
                except ValueError:
                    target = location
                try:
                    self._split(target, target)
                except FetchError:
                    raise FetchError(
                        f"{shown} redirected the request {what} to {target[:200]!r}, which is "
                        "not an http(s) address; refused.",
                        stop_all=True,
                    ) from None
                log.info("%s redirected %s to %s", shown, current, target)
                current, extra = target, {}  # validators belong to the address they came from
            raise FetchError(
                f"{urllib.parse.urlsplit(url).netloc} redirected the request {what} more than "
                f"{self.max_redirects} times (last to {current[:200]}); refused.",
                stop_all=True,
            )

    def _deadline_error(self, kind: str, url: str, what: str) -> FetchError:
        if kind == "run":
            return self._run_over(what)
        return FetchError(
            f"{urllib.parse.urlsplit(url).netloc} took longer than "
            f"{_duration(self.request_deadline)} to answer {what}; stopped. Nothing was changed "
            "for that day; try again later.",
            stop_all=True,
        )

    def _request(
        self, url: str, what: str, validators: Mapping[str, str], limits: Limits
    ) -> _Answer:
        parts = self._split(url, url)
        host, port = parts.hostname or "", self._port(parts)
        tls = None
        if parts.scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        proxy = self._proxy(parts)
        if proxy is None:
            connection = Connection(host, port, self._resolved(host, port), tls=tls, limits=limits)
        else:
            # Through the proxy: https in a CONNECT tunnel (TLS end to end), http as an
            # absolute URL. The proxy resolves the host.
            via = proxy.hostname or "", self._port(proxy)
            addresses = self._resolved(*via)
            connection = Connection(*via, addresses, tls=tls, limits=limits)
            if tls is not None:
                connection.set_tunnel(host, port)
            else:
                target = url
        if tls is not None:
            connection.default_port = 443  # the Host header leaves the default port out
        headers = {
            "User-Agent": self.user_agent,
            "Accept-Encoding": "gzip",
            "Connection": "close",
            **validators,
        }
        self.requests += 1
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            body = b""
            if 200 <= response.status < 300:
                body = self._read_body(response, url, parts.netloc, what)
            return _Answer(response.status, response.reason, response.msg, body)
        finally:
            connection.release()

    def _read_body(
        self, response: http.client.HTTPResponse, url: str, host: str, what: str
    ) -> bytes:
        coding = _content_coding(response.getheader("Content-Encoding"))
        too_big = FetchError(
            f"{host} sent more than {_size(self.max_body)} {what}; refused ({url})."
        )
        if response.length is not None and response.length > self.max_body:
            raise too_big
        inflater = _Inflater(coding, self.max_body)
        received = 0
        try:
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > self.max_body:
                    raise too_big
                inflater.feed(chunk)
            if response.length:  # the connection closed before the announced length
                raise http.client.IncompleteRead(b"", response.length)
            return inflater.finish()
        except _TooBig:
            raise FetchError(
                f"{host} sent an answer {what} that unpacks to more than "
                f"{_size(self.max_body)}; refused ({url})."
            ) from None
        except zlib.error as exc:
            raise FetchError(
                f"{host} sent a damaged {coding} answer {what} ({exc}); nothing was imported for "
                f"that day ({url})."
            ) from None
