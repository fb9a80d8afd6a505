"""Related papers of the entry shown, in the reader's "Related" tab, each with why.

Asked of the library's similarity model on the window's "similar" lane (a thread of its own:
the first question may build the model) once the cursor rests (a "more like this" per j/k step
would compete with queries and the GUI thread for the GIL while the user is still moving); the
answer is shown only if its entry is still the one in the reader.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from digestdesk.core.library import Library
from digestdesk.core.similarity.storage import BuildAbandoned
from digestdesk.errors import DigestDeskError
from digestdesk.ui.controllers.reader import ReaderController
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout


class RelatedController(QObject):
    """Fills the related papers pane for the entry the reader shows."""

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        reading: ReaderController,
        tuning: Tuning,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.reading = reading
        self.limit = tuning.related_limit
        self._wanted = -1
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(tuning.related_delay_ms)
        self._timer.timeout.connect(self._request_now)
        window.view.current_entry_changed.connect(self.request)
        reader.route("related", self._answered)

    def follow_list(self, on: bool) -> None:
        """Follow the list's current entry (off while a reading session chooses the entry)."""
        if on:
            self.window.view.current_entry_changed.connect(self.request)
        else:
            self.window.view.current_entry_changed.disconnect(self.request)

    def pending(self) -> bool:
        """A request waits for the cursor to rest."""
        return self._timer.isActive()

    def request(self, entry_id: int) -> None:
        """The related papers of ``entry_id`` (-1: none), once the cursor rests on it."""
        self.window.related.show_related(None, [])
        self._wanted = entry_id
        self._timer.start()

    def _request_now(self) -> None:
        entry_id = self._wanted
        if entry_id < 0:
            return
        limit = self.limit
        if not self.reader.library.similarity.loaded():
            self.window.related.show_note(
                "Comparing the library's papers (once per library; this takes a while "
                "in a large one)…"
            )

        def job(library: Library) -> tuple[int, list[Any], list[tuple[str, ...]]]:
            try:
                matches = library.related(entry_id, limit=limit)
            except (DigestDeskError, BuildAbandoned):
                return entry_id, [], []  # closing, or no library to compare with
            rows = library.rows([m.entry_id for m in matches])
            found = [m for m in matches if m.entry_id in rows]
            return entry_id, [rows[m.entry_id] for m in found], [m.shared for m in found]

        self.reader.request("related", job)

    def _answered(self, result: tuple[int, list[Any], list[tuple[str, ...]]]) -> None:
        entry_id, rows, reasons = result
        detail = self.reading.current_detail()
        if detail is not None and detail.id == entry_id:
            keys = [self.window.key_text(f"related.open_{n}") for n in range(1, len(rows) + 1)]
            self.window.related.show_related(entry_id, rows, keys, reasons)
