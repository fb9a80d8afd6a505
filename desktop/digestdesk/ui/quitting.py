"""Quitting on every path: SIGTERM, SIGINT and SIGHUP end the app the way Ctrl+Q and the
window's close do (:meth:`MainWindow.shutdown <digestdesk.ui.main_window.MainWindow.shutdown>`:
the note being typed and every queued edit stored, long jobs cancelled, layout and settings
saved, background index work left to the next start).

Python runs a signal handler only when the interpreter gets control, and Qt's event loop is
C++: a signal could wait for the next key press. So the signal numbers are written to a socket
pair (:func:`signal.set_wakeup_fd`, at the C level, the moment the signal arrives) whose reading
end a :class:`~PySide6.QtCore.QSocketNotifier` watches; the loop wakes at once and the quit runs
on the GUI thread, between two events, never inside a half-done one (qutebrowser's quitter
does the same).
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)

#: The signals that ask a program to end: ``kill``, Ctrl+C in a terminal, a closed terminal.
QUIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


class SignalQuitter(QObject):
    """Calls ``on_signal(signum)`` on the GUI thread when one of :data:`QUIT_SIGNALS` arrives.

    Install it on the main thread (Python's rule for signal handlers); :meth:`uninstall` puts
    back what was there before.
    """

    def __init__(self, on_signal: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno())
        self._previous = {sig: signal.signal(sig, _noted) for sig in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)

    def _woken(self) -> None:
        try:
            data = self._read.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        wanted = {int(sig) for sig in QUIT_SIGNALS}
        for signum in data:
            if signum in wanted:
                self._on_signal(signum)

    def uninstall(self) -> None:
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._read.close()
        self._write.close()


def _noted(_signum: int, _frame: object) -> None:
    """The Python-level handler: nothing to do, the wakeup socket carries the signal (and
    replacing the default handler is what keeps the process from ending on the spot)."""


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
