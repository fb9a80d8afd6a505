"""The fetcher's sockets: every wait is short, so a cancel or a deadline is noticed at once.

``http.client`` parses the answers; this module gives it a connection whose waits all run in
slices of at most :data:`SLICE` seconds: name resolution (in a helper thread, with its own
timeout), connecting, the TLS handshake, sending and each read. Between slices a
:class:`Limits` says whether to go on: it raises :class:`FetchCancelled` when the user cancelled
and :class:`FetchError` past the request's or the run's deadline. A read that stays idle longer
than the per-read timeout raises :class:`TimeoutError` (a retriable network error).

Why not the socket's own timeout: after a timeout, a socket's file object refuses every later
read ("cannot read from timed out object"), so a short timeout could not be resumed; here the
socket is non-blocking and the waits go through a selector.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.client
import io
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from digestdesk.core.fetch.errors import FetchCancelled, FetchError

#: The longest single wait, in seconds: a cancel is noticed within this (plus a little).
SLICE = 0.25

Address = tuple[Any, ...]
Resolved = list[tuple[int, int, int, Address]]  # (family, type, proto, sockaddr)
Resolver = Callable[[str, int], Resolved]


def system_resolver(host: str, port: int) -> Resolved:
    """``getaddrinfo`` for TCP; names under ``.invalid`` never resolve (RFC 6761 asks resolver
    libraries to answer them at once, without a query)."""
    if host.rstrip(".").lower().rsplit(".", 1)[-1] == "invalid":
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, kind, proto, address) for family, kind, proto, _name, address in infos]


@dataclass
class Limits:
    """What bounds one request: cancel, the request's and the run's deadlines (on ``clock``),
    and how long one read may stay idle (real time)."""

    cancelled: Callable[[], bool] | None
    clock: Callable[[], float]
    request_deadline: float  # on clock
    run_deadline: float | None  # on clock
    idle_timeout: float  # seconds without progress on one wait
    #: The error for a passed deadline, given which one ("request" or "run").
    on_deadline: Callable[[str], FetchError] = field(repr=False, default=FetchError)
    _selector: selectors.BaseSelector | None = field(default=None, init=False, repr=False)
    _watching: tuple[socket.socket, int, int] | None = field(default=None, init=False, repr=False)

    def check(self) -> None:
        """Raise when the request must stop now (cancelled, or a deadline passed)."""
        if self.cancelled is not None and self.cancelled():
            raise FetchCancelled()
        now = self.clock()
        if self.run_deadline is not None and now >= self.run_deadline:
            raise self.on_deadline("run")
        if now >= self.request_deadline:
            raise self.on_deadline("request")

    def wait(self, events: int, sock: socket.socket, started: float) -> bool:
        """Wait up to one slice for ``sock`` to be ready for ``events``; whether it is.

        Raises when a limit is hit; ``started`` is when this wait began (``time.monotonic``):
        idle longer than the per-read timeout raises :class:`TimeoutError`.
        """
        self.check()
        if time.monotonic() - started >= self.idle_timeout:
            raise TimeoutError(errno.ETIMEDOUT, "timed out")
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
        # One selector per request, kept between waits. Compared by the socket object, not its
        # number: a redirect's next socket often gets the number of the one just closed.
        watching = self._watching
        if watching is None or watching[0] is not sock or watching[2] != events:
            if watching is not None:
                self._selector.unregister(watching[1])
            self._selector.register(sock.fileno(), events)
            self._watching = (sock, sock.fileno(), events)
        return bool(self._selector.select(SLICE))

    def __enter__(self) -> Limits:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._selector is not None:
            self._selector.close()
            self._selector, self._watching = None, None


def resolve(
    host: str, port: int, *, resolver: Resolver, timeout: float, limits_check: Callable[[], None]
) -> Resolved:
    """``resolver(host, port)`` in a helper thread, given at most ``timeout`` seconds.

    Raises :class:`socket.gaierror` when the name does not resolve and :class:`TimeoutError`
    when the resolver does not answer in time (the helper thread is left to finish on its own;
    ``getaddrinfo`` cannot be interrupted). ``limits_check`` runs between slices.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = resolver(host, port)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = error
        done.set()

    threading.Thread(target=run, name=f"resolve {host}", daemon=True).start()
    started = time.monotonic()
    while not done.wait(min(SLICE, max(0.0, timeout - (time.monotonic() - started)))):
        limits_check()
        if time.monotonic() - started >= timeout:
            raise TimeoutError(errno.ETIMEDOUT, f"no answer from the resolver in {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    value: Resolved = outcome["value"]
    if not value:
        raise socket.gaierror(socket.EAI_NONAME, "no addresses")
    return value


def connect(
    addresses: Resolved, host: str, *, tls: ssl.SSLContext | None, limits: Limits
) -> socket.socket:
    """A connected non-blocking socket to the first of ``addresses`` that answers (TLS done)."""
    last: OSError | None = None
    for family, kind, proto, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                started = time.monotonic()
                while not limits.wait(selectors.EVENT_WRITE, sock, started):
                    pass
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))  # OSError picks the subclass (refused...)
        except OSError as error:
            sock.close()
            last = error
            continue
        except BaseException:
            sock.close()
            raise
        if tls is None:
            return sock
        try:
            wrapped = tls.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            return _handshake(wrapped, limits)
        except BaseException:
            sock.close()
            raise
    assert last is not None
    raise last


def _handshake(sock: ssl.SSLSocket, limits: Limits) -> ssl.SSLSocket:
    _until_done(sock.do_handshake, sock, limits, selectors.EVENT_READ)
    return sock


def _until_done(op: Callable[[], Any], sock: socket.socket, limits: Limits, blocked: int) -> Any:
    """``op()`` on a non-blocking socket, waiting in slices while it would block.

    ``blocked`` is what a plain "would block" waits for (reading or writing); TLS says which.
    """
    started = time.monotonic()
    while True:
        limits.check()
        try:
            return op()
        except ssl.SSLWantReadError:
            limits.wait(selectors.EVENT_READ, sock, started)
        except ssl.SSLWantWriteError:
            limits.wait(selectors.EVENT_WRITE, sock, started)
        except BlockingIOError:
            limits.wait(blocked, sock, started)


class Channel:
    """What ``http.client`` sees as the socket: ``sendall`` and ``makefile`` with sliced waits.

    ``close`` is left to the client that opened it (``http.client`` closes its socket when an
    answer says ``Connection: close``, before the body is read).
    """

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self.sock = sock
        self.limits = limits
        self.received = 0  # bytes read off the socket (before any decoding)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            send = functools.partial(self.sock.send, view)
            sent = _until_done(send, self.sock, self.limits, selectors.EVENT_WRITE)
            view = view[sent:]

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_ChannelReader(self))

    def close(self) -> None:
        pass

    def really_close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _ChannelReader(io.RawIOBase):
    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        channel = self.channel
        count: int = _until_done(
            lambda: channel.sock.recv_into(buffer),
            channel.sock,
            channel.limits,
            selectors.EVENT_READ,
        )
        channel.received += count
        return count


class Connection(http.client.HTTPConnection):
    """``http.client``'s request writing and answer parsing over a :class:`Channel`."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: Resolved,
        *,
        tls: ssl.SSLContext | None,
        limits: Limits,
    ) -> None:
        super().__init__(host, port)
        self.addresses = addresses
        self.tls = tls
        self.limits = limits
        self.channel: Channel | None = None

    def connect(self) -> None:
        tunnel_host: str | None = getattr(self, "_tunnel_host", None)  # set by set_tunnel
        if not tunnel_host:
            sock = connect(self.addresses, self.host, tls=self.tls, limits=self.limits)
            self.channel = Channel(sock, self.limits)
            self.sock = self.channel
            return
        # To a proxy: CONNECT in the clear, then TLS with the host inside the tunnel.
        sock = connect(self.addresses, self.host, tls=None, limits=self.limits)
        self.channel = Channel(sock, self.limits)
        self.sock = self.channel
        self._tunnel()  # type: ignore[attr-defined]  # http.client's own CONNECT exchange
        if self.tls is not None:
            wrapped = self.tls.wrap_socket(
                sock, server_hostname=tunnel_host, do_handshake_on_connect=False
            )
            self.channel = Channel(_handshake(wrapped, self.limits), self.limits)
            self.sock = self.channel

    def close(self) -> None:
        super().close()  # forgets the channel; the socket is closed by release()

    def release(self) -> None:
        super().close()
        if self.channel is not None:
            self.channel.really_close()
            self.channel = None
