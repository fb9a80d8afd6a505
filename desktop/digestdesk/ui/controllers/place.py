"""The reading place: the entry, search, sort, scroll position and reader tab of this library,
saved when the window closes and restored when it opens the library again (see
:mod:`digestdesk.ui.library_place` for where they are kept).

Restoring runs the saved search keeping the saved entry; once its result is in the list, the
list is scrolled back to where it was (the entry stays in sight). A word search made while the
index is still being built waits for the index: the place is restored from the result that
follows.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings

from digestdesk.paths import LibraryPaths
from digestdesk.ui.controllers.search import SORTS, SearchController
from digestdesk.ui.library_place import ReadingPlace, library_group
from digestdesk.ui.window_layout import WindowLayout


class PlaceController(QObject):
    """Saves and restores where the reader was in this library."""

    def __init__(
        self,
        window: WindowLayout,
        search: SearchController,
        settings: QSettings,
        paths: LibraryPaths,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.search = search
        self.settings = settings
        self.paths = paths
        self.group = library_group(paths)
        self._pending: ReadingPlace | None = None

    def key(self, name: str) -> str:
        """A settings key of this library's own (the trends sidebar keeps its pinned day)."""
        return f"{self.group}/{name}"

    def restore(self) -> None:
        """Put back the saved search, sort and reader tab, and run the search keeping the
        saved entry; without a saved place, list everything from the top."""
        place = ReadingPlace.load(self.settings, self.group)
        if place is None:
            self.search.run_query()
            return
        window, query = self.window, self.search.query
        if place.sort in SORTS:
            query.sort, query.ascending = place.sort, place.ascending
            window.view.show_sort_key(place.sort, place.ascending)
        if place.query:
            window.search_bar.set_text(place.query, run=False)
            query.text = place.query
        tab = place.reader_tab
        if tab is not None and 0 <= tab < window.lower_tabs.count():
            window.lower_tabs.setCurrentIndex(tab)
        self._pending = place
        self.search.result_shown.connect(self._result_shown)
        self.search.run_query(keep=place.entry_id)

    def pending(self) -> bool:
        """The saved place waits for its search's result."""
        return self._pending is not None

    def _result_shown(self) -> None:
        place = self._pending
        window = self.window
        if place is None:
            return
        if window.model.rowCount() == 0 and self.search.index_progress is not None:
            return  # a word search waits for the index; the next result is the one
        self._pending = None
        self.search.result_shown.disconnect(self._result_shown)
        view = window.view
        if place.entry_id is not None and view.current_id() != place.entry_id:
            view.select_id(place.entry_id)
        view.updateGeometries()  # the scroll range of the new rows
        view.verticalScrollBar().setValue(place.scroll)
        current = view.currentIndex()
        if current.isValid():
            view.scrollTo(current)  # a smaller window: the entry stays in sight

    def save(self) -> None:
        window, query = self.window, self.search.query
        place = self._pending or ReadingPlace(
            entry_id=window.view.current_id(),
            query=query.text,
            sort=query.sort,
            ascending=query.ascending,
            scroll=window.view.verticalScrollBar().value(),
            reader_tab=window.lower_tabs.currentIndex(),
        )
        place.save(self.settings, self.group, self.paths.describe())
