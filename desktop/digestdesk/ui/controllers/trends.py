"""The trends sidebar: rising terms, most voted entries and repositories, within the search.

Computed on the reader thread (the newest request wins) while the dock is shown, again after
a search or a burst of edits (debounced); activating a row filters the list by its term, jumps
to its entry or opens its repository.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from digestdesk.core.library import Library
from digestdesk.core.trends import Trends
from digestdesk.ui.actions import handles
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.controllers.navigation import NavigationController
from digestdesk.ui.controllers.reader import ReaderController
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.sessions import SessionController
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout


class TrendsController(QObject):
    """Keeps the trends sidebar in step with the library and the search while it shows."""

    def __init__(
        self,
        window: WindowLayout,
        library: Library,
        reader: ReaderThread,
        hub: ChangeHub,
        search: SearchController,
        navigation: NavigationController,
        reading: ReaderController,
        sessions: SessionController,
        tuning: Tuning,
        pin: QAction,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.search = search
        self.navigation = navigation
        self.reading = reading
        self.library_trends = Trends(library)
        # The sidebar's "Latest": None is the newest day not after today; screenshots and tests
        # pin a day. A day chosen in the sidebar wins over it.
        self.as_of: date | None = None
        sidebar = window.trend_sidebar
        self.pin = pin  # the palette's and menu's "Pin Trends Date", in step with the button
        pin.setChecked(sidebar.pinned())
        sidebar.pin_button.toggled.connect(pin.setChecked)
        sidebar.activated.connect(self._activated)
        sidebar.settings_changed.connect(self.schedule)
        sidebar.escaped.connect(window.focus_list)
        window.trend_dock.visibilityChanged.connect(self._dock_visible)
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(tuning.trends_debounce_ms)
        self._timer.timeout.connect(self.compute)
        reader.route("trends", lambda result: sidebar.show_report(*result))
        hub.changed.connect(self.schedule)
        search.result_shown.connect(self.schedule)
        sessions.stopped.connect(self.schedule)

    @handles("trends.pin")
    def toggle_pin(self) -> None:
        """Pin the date the sidebar shows, or follow the newest day again."""
        self.window.trend_sidebar.pin_button.setChecked(self.pin.isChecked())

    def pending(self) -> bool:
        """A recomputation waits for a burst of edits to end."""
        return self._timer.isActive()

    def _dock_visible(self, visible: bool) -> None:
        if visible and self._stale:
            self.compute()

    def schedule(self, *_why: object) -> None:
        """The trends may have changed: recompute them soon if the sidebar shows."""
        self._stale = True
        if self.window.trend_dock.isVisible():
            self._timer.start()

    def compute(self) -> int:
        """Ask the reader thread for trends within the current search; returns the request."""
        self._timer.stop()
        self._stale = False
        text = self.search.shown_text.strip()  # the list's, not a query with an error
        ids = list(self.window.model.ids()) if text else None
        sidebar = self.window.trend_sidebar
        window, by, as_of = sidebar.window(), sidebar.by(), sidebar.as_of() or self.as_of
        trends = self.library_trends
        scope = f"Within “{text}”" if text else "Whole library"

        def job(_library: Library) -> tuple[Any, str]:
            return trends.report(window=window, by=by, as_of=as_of, ids=ids), scope

        return self.reader.request("trends", job)

    def _activated(self, kind: str, payload: object) -> None:
        if kind == "query":
            query = str(payload)
            current = self.search.shown_text.strip()
            # Within a search, a term narrows it (the sidebar showed trends of that search).
            if current and query not in current.split():
                query = f"{current} {query}"
            self.search.set_query(query)
        elif kind == "entry":
            self.navigation.jump_to_entry(int(str(payload)))
        elif kind == "repo":
            self.reading.open_url(str(payload))
