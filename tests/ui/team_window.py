"""One member's Digest Desk window in a process of its own, for the two-window team tests.

Run as ``python tests/ui/team_window.py --library DIR`` with ``DIGESTDESK_DATABASE_URL``
naming the member's connection and ``QT_QPA_PLATFORM=offscreen``. It opens the real window
(:class:`~digestdesk.ui.main_window.MainWindow`) and talks on its standard streams, one line
each way:

- it prints ``ready`` once the window shows the library and listens for changes;
- ``tag ID NAME`` tags an entry as the tag editor does (the edit lane, the hub) and prints
  ``tagged ID NAME TIME`` once the window has the result;
- ``watch ID NAME`` prints ``seen ID NAME TIME`` as soon as the list shows the entry with the
  tag (its row as the view draws it), checked every 20 ms on the GUI thread;
- ``comment ID WORD`` writes the note WORD on an entry and shares it (``Shift+N``'s call), then
  prints ``commented ID WORD TIME``;
- ``read ID WORD`` shows the entry in the reader and prints ``read ID WORD TIME`` as soon as
  the reader's text holds WORD (a colleague's comment shown), checked every 20 ms;
- ``rows N`` prints ``rows COUNT TIME`` as soon as the list shows N entries or more;
- ``quit`` closes the window as a user would.

``--fallback-s`` sets how often the window looks for changes without a notification.

TIME is ``time.time()``, so the test compares two processes' clocks on one machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "desktop"))

from PySide6.QtCore import QObject, QSettings, QTimer, Signal  # noqa: E402

from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402
from digestdesk.ui.application import make_application  # noqa: E402
from digestdesk.ui.main_window import MainWindow  # noqa: E402
from digestdesk.ui.tuning import Tuning  # noqa: E402


class Commands(QObject):
    """Lines from standard input, delivered on the GUI thread."""

    received = Signal(str)

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            self.received.emit(line.strip())
        self.received.emit("quit")


def say(*words: object) -> None:
    print(*words, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--settings", required=True)
    parser.add_argument("--fallback-s", type=float, default=Tuning.changes_fallback_s)
    options = parser.parse_args()
    app = make_application([])
    library = Library.open(resolve_library(options.library))
    settings = QSettings(options.settings, QSettings.Format.IniFormat)
    tuning = Tuning(changes_fallback_s=options.fallback_s)
    window = MainWindow(library, settings, show_dialogs=False, tuning=tuning)
    window.show()
    watched: dict[tuple[int, str], None] = {}

    def shows(entry_id: int, name: str) -> bool:
        row = window.model.row_of(entry_id)
        cached = window.model.cached_row(row) if row is not None else None
        return cached is not None and name in cached.tags

    rows_wanted: list[int] = []
    reading: dict[tuple[int, str], None] = {}

    def in_reader(entry_id: int, word: str) -> bool:
        detail = window.reading.current_detail()
        return (
            detail is not None and detail.id == entry_id and word in window.abstract.toPlainText()
        )

    def look() -> None:
        for key in list(watched):
            if shows(*key):
                del watched[key]
                say("seen", key[0], key[1], time.time())
        for key in list(reading):
            if in_reader(*key):
                del reading[key]
                say("read", key[0], key[1], time.time())
        if rows_wanted and window.model.rowCount() >= rows_wanted[0]:
            say("rows", window.model.rowCount(), time.time())
            rows_wanted.clear()

    def ready() -> bool:
        listener = window.index_lane._listener
        return (
            listener is not None
            and listener.wait_listening(0)
            and window.model.rowCount() > 0
            and window.pending_work() == 0
        )

    def announce_when_ready() -> None:
        if ready():
            say("ready")
        else:
            QTimer.singleShot(50, announce_when_ready)

    def command(line: str) -> None:
        verb, *args = line.split()
        if verb == "tag":
            entry_id, name = int(args[0]), args[1]
            window.writes.submit(
                "Tags",
                lambda lib: lib.change_tags([entry_id], add=[name]),
                on_done=lambda _changes: say("tagged", entry_id, name, time.time()),
            )
        elif verb == "comment":
            entry_id, word = int(args[0]), args[1]

            def share(lib: Library) -> object:
                lib.set_note(entry_id, word)
                return lib.team.share_note(entry_id, True)

            window.writes.submit(
                "Share note",
                share,
                on_done=lambda _changes: say("commented", entry_id, word, time.time()),
            )
        elif verb == "read":
            entry_id, word = int(args[0]), args[1]
            window.reading.show_entry(entry_id)
            reading[(entry_id, word)] = None
            look()
        elif verb == "watch":
            watched[(int(args[0]), args[1])] = None
            look()
        elif verb == "rows":
            rows_wanted[:] = [int(args[0])]
            look()
        elif verb == "quit":
            window.close()
            app.quit()

    commands = Commands()
    commands.received.connect(command)
    commands.start()
    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(20)
    announce_when_ready()
    try:
        return app.exec()
    finally:
        window.shutdown()
        library.close()


if __name__ == "__main__":
    sys.exit(main())
