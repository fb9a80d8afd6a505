"""Search: the query typed or chosen, run on the reader thread, its result put in the list.

A query runs off the GUI thread and comes back with everything the first paint needs (the
result, its first rows, the counts, the first entries' details). A result typed over is not
shown: a newer one is on its way. While the search index is being built, a word search says
so (with the progress) instead of showing stale results; filters, which run in SQL, work.
Python's garbage collections wait while a query is being typed (see
:func:`~digestdesk.ui.collector.postpone_collections_while`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, Qt, Signal

from digestdesk.core.library import Library
from digestdesk.core.records import (
    FOR_YOU_FELL_BACK,
    Changes,
    EntryDetail,
    EntryRow,
    SearchResult,
)
from digestdesk.errors import (
    DigestDeskError,
    IndexNotReadyError,
    QueryError,
    SearchIndexDamagedError,
)
from digestdesk.ui.actions import handles
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.collector import postpone_collections_while
from digestdesk.ui.controllers.reader import ReaderController
from digestdesk.ui.entry_model import PAGE
from digestdesk.ui.search_bar import word_being_typed
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

FIRST_ROWS = PAGE  # list rows a search hands over with its result (the first paint)
SORTS = ("date", "votes", "relevance")


@dataclass
class QueryState:
    text: str = ""
    sort: str | None = None  # None: the query's own (relevance with words, else date)
    ascending: bool = False


@dataclass
class SearchOutcome:
    """What the reader thread hands back for a query: enough for the first paint."""

    search: SearchResult
    row_of: dict[int, int]
    counts: dict[str, int]
    rows: dict[int, EntryRow]
    epoch: int
    details: list[EntryDetail]
    completed: str | None = None  # nothing matched the word typed last: its prefix did
    text: str = ""  # the query that found it


class SearchController(QObject):
    """The query, its result in the list, and the counts in the status bar."""

    result_shown = Signal()  # a search's result went into the list
    index_damage_found = Signal(str)  # a search found the index damaged: rebuild it

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        hub: ChangeHub,
        reading: ReaderController,
        tuning: Tuning,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.reading = reading
        self.tuning = tuning
        self.query = QueryState()
        self.counts: dict[str, int] = {}
        self.index_progress: int | None = None  # percent while the index is being built
        #: Why the query typed last could not run (the list still shows the one before).
        self.query_error: str | None = None
        #: The query whose result the list shows (the one typed may have an error).
        self.shown_text = ""
        self._showing_index_message = False
        self._pending_select: int | None = None
        window.search_bar.query_changed.connect(self._query_typed)
        window.model.sort_requested.connect(self.set_sort)
        reader.route("search", self._searched, self._search_failed)
        reader.route("counts", self._show_counts)
        hub.changed.connect(self._changes_made)
        postpone_collections_while(self.typing_a_query)

    # ================================================================ running a query
    def _query_typed(self, text: str) -> None:
        self.query.text = text
        self.run_query()

    def run_query(self, *, keep: int | None = None) -> None:
        """Run the current query on the reader thread; results replace the list."""
        text, sort, ascending = self.query.text, self.query.sort, self.query.ascending
        self._pending_select = keep if keep is not None else self.window.view.current_id()
        selected, epoch = self._pending_select, self.reading.epoch
        indexing = self.index_progress
        rows_ahead = self.tuning.rows_ahead

        def job(library: Library) -> SearchOutcome:
            chosen = sort
            plan = library.plan(text)
            if plan.text is not None and indexing is not None:
                raise IndexNotReadyError(indexing)
            if chosen == "relevance" and plan.text is None:
                chosen = "date"
            result = library.search(text, sort=chosen)
            completed = word_being_typed(text) if result.total == 0 else None
            if completed is not None:
                # Typed as far as "diffusio": the words it begins are what the user wants.
                try:
                    begun = library.search(f"{text}*", sort=chosen)
                except QueryError:
                    begun = result
                if begun.total:
                    result = begun
                else:
                    completed = None
            if ascending:
                result.ids.reverse()
            # Built here so the GUI thread never walks a 100k-long result, and the first
            # paint and the first abstract need no query on the GUI thread.
            row_of = {entry_id: row for row, entry_id in enumerate(result.ids)}
            first = [i for i in (selected, *result.ids[:3]) if i is not None and i in row_of]
            shown = result.ids[:FIRST_ROWS]
            kept = row_of.get(selected) if selected is not None else None
            if kept is not None and kept >= FIRST_ROWS:
                # The list scrolls to the kept entry: its pages come along too.
                low = (max(kept - rows_ahead, 0) // PAGE) * PAGE
                high = ((kept + rows_ahead) // PAGE + 1) * PAGE
                shown = shown + result.ids[low:high]
            return SearchOutcome(
                result,
                row_of,
                library.counts(),
                library.rows(shown),
                epoch,
                library.entries(list(dict.fromkeys(first))),
                completed,
                text,
            )

        self.reader.request("search", job)

    @handles("view.show_unread", "view.show_queued", "view.show_with_code", "view.show_all")
    def set_query(self, text: str) -> None:
        """Search for ``text`` (as if typed) and give the keys to the list."""
        self.window.search_bar.set_text(text, run=False)
        self.query.text = text
        self.run_query()
        self.window.focus_list()

    def show_everything(self, *, keep: int) -> None:
        """Clear the query and list every entry, ``keep`` current."""
        self.window.search_bar.set_text("", run=False)
        self.query.text = ""
        self.run_query(keep=keep)

    @handles("view.sort_date", "view.sort_votes", "view.sort_relevance")
    def set_sort(self, key: str, ascending: bool = False) -> None:
        self.query.sort = key
        self.query.ascending = ascending
        self.window.view.show_sort_key(key, ascending)
        self.run_query()

    def typing_a_query(self) -> bool:
        """The user is typing a query (a key in the last second, or its search still under
        way), or its result is still being shown (the list paints it in parts, the reader
        follows): a garbage collection waits for the pause."""
        window = self.window
        return (
            window.search_bar.debouncing()
            or window.search_bar.typed_within(self.tuning.typing_pause_s)
            or self.reader.answering("search")
            or window.view.paint_in_parts_ahead()
            or self.reading.showing_soon()
        )

    # ================================================================ results
    def _searched(self, result: SearchOutcome) -> None:
        self.reading.keep_read(result.epoch, result.details)
        search_bar = self.window.search_bar
        if search_bar.debouncing() and search_bar.text() != self.query.text:
            # Typed on since this query was sent: a newer one is on its way, and showing
            # this one would hold up the keys typed meanwhile (a reset list's paint).
            return
        self._apply_search(result.search, result.row_of, result.rows, result.completed)
        self.shown_text = result.text
        self._show_counts(result.counts)

    def _search_failed(self, error: DigestDeskError) -> None:
        if isinstance(error, IndexNotReadyError):
            self._show_index_not_ready()
            return
        if isinstance(error, SearchIndexDamagedError):
            # The library recorded the damage; the rebuild says how far along it is, and
            # the query runs again when it is done (index_built).
            self.window.search_bar.show_error(error.user_message)
            self.index_damage_found.emit(error.file)
            return
        self.query_error = error.user_message
        self.window.search_bar.show_error(error.user_message)  # a QueryError says where

    def _apply_search(
        self,
        result: SearchResult,
        row_of: dict[int, int] | None = None,
        rows: dict[int, EntryRow] | None = None,
        completed: str | None = None,
    ) -> None:
        window = self.window
        self._showing_index_message = False
        self.query_error = None
        window.search_bar.show_error(None)
        self.reading.terms = list(result.terms)
        # The order the search used: relevance (no column) for words unless one was asked.
        window.view.show_sort_key(result.sort, self.query.ascending)
        keep = self._pending_select
        had_focus = window.view.hasFocus()
        with self.reading.applying_search():
            window.model.set_ids(result.ids, result.total, row_of, rows)
            if not (keep is not None and window.view.select_id(keep)) and result.ids:
                window.view.move_to(0)
        if had_focus:
            window.view.setFocus()
        self.result_shown.emit()
        shown = len(result.ids)
        text = f"{shown:,} match{'es' if shown != 1 else ''}" if self.query.text.strip() else ""
        if completed is not None:
            text += f" for words starting with “{completed}”"
        if result.for_you_fell_back:
            text += f" · {FOR_YOU_FELL_BACK}"
        window.search_bar.set_result_text(text)

    def refresh_counts(self) -> None:
        self.reader.request("counts", lambda library: library.counts())

    def _show_counts(self, counts: dict[str, int]) -> None:
        window = self.window
        self.counts = counts
        total = counts.get("total", 0)
        window.stack.setCurrentWidget(window.empty_state if total == 0 else window.splitter)
        window.counts_label.setText(
            f"  {window.model.rowCount():,} shown  ·  {counts.get('unread', 0):,} unread  ·  "
            f"{total:,} total  "
        )

    def _changes_made(self, changes: Changes) -> None:
        """New entries (or all changed): search again; else patch the rows changed."""
        if changes.reset:
            self.run_query()
        else:
            self.window.model.refresh(sorted(changes.entry_ids))
            self.refresh_counts()

    # ================================================================ the index being built
    def index_building(self, percent: int) -> None:
        """The search index is being built: word searches say so, with ``percent``."""
        starting = self.index_progress is None
        self.index_progress = percent
        if starting and self.query.text.strip():
            self.run_query()  # a word query shown now may be stale: say so instead
        elif self._showing_index_message:
            self._show_index_not_ready()

    def index_built(self) -> None:
        was_building = self.index_progress is not None
        self.index_progress = None
        if was_building and not self.window.closing:
            self.run_query()

    def _show_index_not_ready(self) -> None:
        """The list is emptied (not stale) and the search bar says why and how far along."""
        window = self.window
        percent = self.index_progress if self.index_progress is not None else 0
        message = IndexNotReadyError(percent).user_message
        self._showing_index_message = True
        window.search_bar.show_error(message)
        window.search_bar.set_result_text("")
        if window.model.rowCount():
            window.model.set_ids([])
        self.reading.show_entry(-1)
        window.abstract.show_placeholder(message)

    # ================================================================ the search bar
    @handles("search.focus", "search.find")
    def focus_search(self) -> None:
        edit = self.window.search_bar.edit
        edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        edit.selectAll()

    @handles("search.leave")
    def leave_search(self) -> None:
        """Clear the query and go back to the list."""
        self.window.search_bar.clear()
        self.window.focus_list()

    @handles("search.to_list")
    def to_list(self) -> None:
        """Keep the query and move into the result list."""
        self.window.focus_list()

    # ================================================================ saved sort order
    def restore_sort(self, s: QSettings) -> None:
        sort = s.value("list/sort")
        if isinstance(sort, str) and sort in SORTS:
            self.query.sort = sort
            self.query.ascending = str(s.value("list/ascending", "false")) == "true"
        self.window.view.show_sort_key(self.query.sort or "date", self.query.ascending)

    def save_sort(self, s: QSettings) -> None:
        if self.query.sort:
            s.setValue("list/sort", self.query.sort)
            s.setValue("list/ascending", "true" if self.query.ascending else "false")
        else:
            s.remove("list/sort")
