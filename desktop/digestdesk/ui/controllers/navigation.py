"""Moving around: the next and previous entry (or session step), paging through the abstract,
the keyboard focus from pane to pane, and jumping to an entry named elsewhere (a related paper,
a trend) even when the query hides it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from digestdesk.ui.actions import handles
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.sessions import SessionController
from digestdesk.ui.window_layout import WindowLayout


class NavigationController:
    """Where the cursor and the keyboard go."""

    def __init__(
        self, window: WindowLayout, search: SearchController, sessions: SessionController
    ) -> None:
        self.window = window
        self.search = search
        self.sessions = sessions
        window.related.entry_activated.connect(self.jump_to_entry)

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
