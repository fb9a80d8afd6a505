"""Hearing other members' changes as they commit: PostgreSQL ``LISTEN``, a periodic fallback.

Every write transaction on PostgreSQL ends with ``NOTIFY`` on
:data:`~digestdesk.core.library.database.CHANGES_CHANNEL` (see :mod:`.database`), sent by the
server when it commits. A :class:`ChangeListener` holds one connection of its own in
``LISTEN`` on a plain thread and calls ``on_change()`` for each (a burst of them once): whoever
it wakes (the window's index lane) catches the index up from the change sequence, which is what
makes the catch-up correct; the notification only makes it prompt. So nothing is lost when a
notification is: ``on_change()`` is also called when the listener (re)connects and every
``fallback_s`` without one (a dropped connection, a proxy that swallows notifications). A lost
server is retried with growing pauses; ``stop()`` ends the thread within about a second.

SQLite needs none of this: its one writer is this process, which knows its own writes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import URL

from digestdesk.core.library.database import CHANGES_CHANNEL

log = logging.getLogger(__name__)

#: How often the thread looks whether it should stop while it waits for a notification.
POLL_S = 0.5
#: The listening connection's name on the server (``pg_stat_activity.application_name``).
APPLICATION_NAME = "digestdesk changes"


def libpq_conninfo(url: URL) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg (service files and
    ``.pgpass`` apply as they do for the engine)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeListener:
    """Calls ``on_change()`` on its thread when another connection commits a change (and
    every ``fallback_s`` in any case)."""

    def __init__(
        self,
        url: URL,
        on_change: Callable[[], None],
        *,
        fallback_s: float = 30.0,
        channel: str = CHANGES_CHANNEL,
    ) -> None:
        self._conninfo = libpq_conninfo(url)
        self._on_change = on_change
        self._fallback_s = fallback_s
        self._channel = channel
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        #: Notifications received (for tests and the log).
        self.heard = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="changes", daemon=True)
            self._thread.start()

    def wait_listening(self, timeout_s: float) -> bool:
        """Whether the listener is connected and listening (within ``timeout_s``)."""
        return self._listening.wait(timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                self._listen()
                pause = 1.0
            except Exception as exc:  # a lost or refused connection: try again later
                self._listening.clear()
                log.warning("listening for other members' changes failed (%s); retrying", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, 60.0)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(
            self._conninfo, autocommit=True, application_name=APPLICATION_NAME
        ) as conn:
            conn.execute(f'LISTEN "{self._channel}"')
            self._listening.set()
            self._call()  # what committed while nobody listened
            last = time.monotonic()
            while not self._stop.is_set():
                heard = 0
                for _ in conn.notifies(timeout=POLL_S, stop_after=1):
                    heard += 1
                if heard:
                    self.heard += heard
                    self._call()
                    last = time.monotonic()
                elif time.monotonic() - last >= self._fallback_s:
                    self._call()
                    last = time.monotonic()

    def _call(self) -> None:
        try:
            self._on_change()
        except Exception:  # the callback's own failure must not end the listening
            log.exception("handling other members' changes failed")
