"""Moving around: the next and previous entry (or session step), the next and previous unread
entry, back and forward through the entries visited, paging through the abstract, the keyboard
focus from pane to pane, and jumping to an entry named elsewhere (a related paper, a trend)
even when the query hides it.

The list holds ids only (its rows are read a page at a time), so the next unread entry is
looked up on the reader thread: the ids after the cursor, a chunk at a time, in list order.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from digestdesk.core.library import Library
from digestdesk.ui.actions import handles
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.sessions import SessionController
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.window_layout import WindowLayout

HISTORY_LIMIT = 200  # entries remembered for Back; the oldest are forgotten first


class VisitHistory:
    """The entries visited, oldest first, and where Back and Forward stand, as a browser
    keeps pages: visiting an entry after going back forgets the entries ahead."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self.limit = limit
        self._ids: list[int] = []
        self._at = -1

    def visit(self, entry_id: int) -> None:
        if self._at >= 0 and self._ids[self._at] == entry_id:
            return  # the same entry again (a search kept it, Back arrived at it)
        del self._ids[self._at + 1 :]
        self._ids.append(entry_id)
        if len(self._ids) > self.limit:
            del self._ids[: len(self._ids) - self.limit]
        self._at = len(self._ids) - 1

    def back(self) -> int | None:
        if self._at <= 0:
            return None
        self._at -= 1
        return self._ids[self._at]

    def forward(self) -> int | None:
        if self._at + 1 >= len(self._ids):
            return None
        self._at += 1
        return self._ids[self._at]

    def ids(self) -> list[int]:
        return list(self._ids)


class NavigationController:
    """Where the cursor and the keyboard go."""

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        search: SearchController,
        sessions: SessionController,
    ) -> None:
        self.window = window
        self.reader = reader
        self.search = search
        self.sessions = sessions
        self.history = VisitHistory()
        window.related.entry_activated.connect(self.jump_to_entry)
        window.view.current_entry_changed.connect(self._visited)
        reader.route("unread", self._unread_found)

    # ------------------------------------------------------------ the list
    @handles("go.next")
    def go_next(self) -> None:
        if self.window.in_session:
            return self.sessions.next()
        self.window.view.move_by(1)

    @handles("go.previous")
    def go_previous(self) -> None:
        if self.window.in_session:
            return self.sessions.back()
        self.window.view.move_by(-1)

    @handles("go.first")
    def go_first(self) -> None:
        self.window.view.move_to(0)

    @handles("go.last")
    def go_last(self) -> None:
        self.window.view.move_to(self.window.model.rowCount() - 1)

    # ------------------------------------------------------------ unread
    @handles("go.next_unread")
    def next_unread(self) -> None:
        self._find_unread(1)

    @handles("go.previous_unread")
    def previous_unread(self) -> None:
        self._find_unread(-1)

    def _find_unread(self, step: int) -> None:
        """Ask the reader thread for the first unread entry after (before) the cursor."""
        if self.window.in_session:
            # A session walks its own list, one entry at a time.
            return self.sessions.next() if step > 0 else self.sessions.back()
        view = self.window.view
        ids = self.window.model.ids()
        row = view.currentIndex().row()
        if step > 0:
            ahead = list(ids[row + 1 :]) if row >= 0 else list(ids)
        else:
            ahead = list(reversed(ids[:row])) if row > 0 else []
        where = "below" if step > 0 else "above"

        def job(library: Library) -> tuple[int | None, str]:
            return library.first_with_status(ahead, "unread"), where

        self.reader.request("unread", job)

    def _unread_found(self, result: tuple[int | None, str]) -> None:
        found, where = result
        if self.window.closing:
            return
        if found is None or not self.window.view.select_id(found):
            self.window.statusBar().showMessage(f"No unread entry {where} in this list.", 4000)

    # ------------------------------------------------------------ history
    def _visited(self, entry_id: int) -> None:
        if entry_id >= 0 and not self.window.in_session:
            self.history.visit(entry_id)

    @handles("go.back")
    def go_back(self) -> None:
        self._return_to(self.history.back(), "Nothing to go back to.")

    @handles("go.forward")
    def go_forward(self) -> None:
        self._return_to(self.history.forward(), "Nothing to go forward to.")

    def _return_to(self, entry_id: int | None, otherwise: str) -> None:
        if entry_id is None:
            self.window.statusBar().showMessage(otherwise, 3000)
        else:
            self.jump_to_entry(entry_id)

    @handles("go.page_abstract")
    def page_abstract(self) -> None:
        if not self.window.abstract.page_down():
            self.go_next()

    @handles("go.page_abstract_back")
    def page_abstract_back(self) -> None:
        self.window.abstract.page_up()

    def jump_to_entry(self, entry_id: int) -> None:
        """Select an entry in the list; when the query hides it, show everything first."""
        window = self.window
        if window.in_session:
            self.sessions.leave_session()
        if window.view.select_id(entry_id):
            window.focus_list()
            return
        self.search.show_everything(keep=entry_id)
        window.focus_list()

    @handles(*(f"related.open_{n}" for n in range(1, 6)))
    def open_related(self, number: int) -> None:
        entry_id = self.window.related.nth(number)
        if entry_id is not None:
            self.jump_to_entry(entry_id)

    # ------------------------------------------------------------ panes
    def _panes(self) -> list[QWidget]:
        """Tab order: the list, the abstract, then each pane of the lower tabs in turn."""
        window = self.window
        lower = [window.lower_tabs.widget(i) for i in range(window.lower_tabs.count())]
        panes = [window.view, window.abstract, *(w for w in lower if w is not window.notes)]
        if not window.reader_splitter.isVisible():
            return [window.view] if window.view.isVisible() else []
        return [w for w in panes if w is not None and (w is not window.view or w.isVisible())]

    @handles("go.cycle_panes")
    def cycle_panes(self, step: int = 1) -> None:
        panes = self._panes()
        if not panes:
            return
        focus = QGuiApplication.focusObject()
        index = panes.index(focus) if focus in panes else -1
        pane = panes[(index + step) % len(panes)]
        self.window.show_lower_tab(pane)
        pane.setFocus(Qt.FocusReason.TabFocusReason)

    @handles("go.cycle_panes_back")
    def cycle_panes_back(self) -> None:
        self.cycle_panes(-1)
