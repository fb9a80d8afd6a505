"""The reader: the entry shown beside the list (abstract, links, note), read off the GUI thread.

Details are read on the reader thread and kept in a small cache; the neighbours of the current
entry are read ahead in the direction of travel, so j/k only renders. A write bumps an epoch:
details read before it are not trusted. After a search the entry kept is shown once the list
has painted the result, in a turn of its own, and not while the query is still being typed.
The links of the entry shown are opened and copied from here.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from digestdesk.core.library import Library
from digestdesk.core.records import Changes, EntryDetail, EntryRow
from digestdesk.ui.actions import handles
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.links_pane import entry_links, primary_link
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

log = logging.getLogger(__name__)

UrlOpener = Callable[[str], "bool | None"]  # False: nothing could open it


def _details(library: Library, ids: Sequence[int]) -> list[EntryDetail]:
    """Entries as the reader shows them: on a team library with what the others did."""
    return library.team.attach(library.entries(ids))


def open_in_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


class ReaderController(QObject):
    """Shows the current entry in the reader panes and keeps its neighbours read ahead."""

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        hub: ChangeHub,
        tuning: Tuning,
        url_opener: UrlOpener = open_in_browser,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.tuning = tuning
        self.url_opener = url_opener
        self.terms: Sequence[tuple[str, str]] = ()  # the query's words, highlighted
        self._detail: EntryDetail | None = None
        self._detail_wanted: int | None = None  # read on the reader thread, to be shown
        self._details: OrderedDict[int, EntryDetail] = OrderedDict()
        self._detail_epoch = 0
        self._changed_at: dict[int, int] = {}  # entry id -> epoch of its last change
        self._forgot_all_at = 0
        self._prefetching: set[int] = set()
        self._last_row = 0
        # After a search the reader shows the kept entry once the list has painted the
        # result (a few rows a turn), in a turn of its own, and not while the user is still
        # typing the query (a newer result is coming): laying out and painting an abstract is
        # 3-5 ms, which a key typed meanwhile would wait for on top of a part of the list.
        self._applying_search = False
        self._show_current_since = 0.0
        self._show_current_after_parts = False
        self._show_current_soon = QTimer(self)
        self._show_current_soon.setSingleShot(True)
        self._show_current_soon.setInterval(0)
        self._show_current_soon.timeout.connect(self._show_current)
        window.view.current_entry_changed.connect(self._current_entry_changed)
        window.abstract.link_activated.connect(self.open_url)
        window.links.link_activated.connect(self.open_url)
        reader.route("detail", lambda result: self._detail_read(*result))
        reader.route("prefetch", lambda result: self.keep_read(*result))
        reader.route("rows", self._rows_read)
        hub.changed.connect(self._changes_made)

    # ================================================================ following the list
    def follow_list(self, on: bool) -> None:
        """Show the list's current entry (off while a reading session chooses the entry)."""
        if on:
            self.window.view.current_entry_changed.connect(self._current_entry_changed)
        else:
            self.window.view.current_entry_changed.disconnect(self._current_entry_changed)
            self._show_current_soon.stop()

    @contextmanager
    def applying_search(self) -> Iterator[None]:
        """While a search's result goes into the list: the current entry is shown later."""
        self._applying_search = True
        try:
            yield
        finally:
            self._applying_search = False

    def showing_soon(self) -> bool:
        """The entry a search kept is about to be shown (in a turn of its own)."""
        return self._show_current_soon.isActive()

    def _current_entry_changed(self, entry_id: int) -> None:
        if self._applying_search:
            self._detail = None  # until shown, commands do not act on the entry shown before
            self._show_current_since = time.monotonic()
            self._show_current_after_parts = False
            self._show_current_soon.start(0)
            return
        self._show_current_soon.stop()
        self.show_entry(entry_id)

    def _show_current(self) -> None:
        view = self.window.view
        if time.monotonic() - self._show_current_since < self.tuning.show_after_search_max_s:
            if view.paint_in_parts_ahead():
                self._show_current_after_parts = True
                self._show_current_soon.start(0)  # the list's next part first
                return
            if self._show_current_after_parts:
                # The list's last part may have been painted in this very turn.
                self._show_current_after_parts = False
                self._show_current_soon.start(0)
                return
            if self.window.search_bar.debouncing():
                self._show_current_soon.start(self.tuning.show_while_typing_poll_ms)
                return
        current = view.current_id()
        self.show_entry(-1 if current is None else current)

    # ================================================================ showing an entry
    def show_entry(self, entry_id: int) -> None:
        """Show an entry in the reader (-1: none), from the cache or read for it."""
        window = self.window
        if entry_id < 0:
            self._detail = None
            self._detail_wanted = None
            window.abstract.show_placeholder(
                "No entry matches the query."
                if window.model.rowCount() == 0
                else "Select an entry to read its abstract."
            )
            window.links.show_links([])
            window.notes.load(None, None)
            return
        detail = self._details.get(entry_id)
        if detail is None:
            self._load_detail(entry_id)
            return
        self._present(detail)

    def _present(self, detail: EntryDetail) -> None:
        window = self.window
        self._detail_wanted = None
        self._detail = detail
        window.abstract.show_entry(detail, self.terms)
        window.links.show_links(entry_links(detail))
        window.notes.load(detail.id, detail.note)
        window.mark_note_tab(bool(detail.note))
        self._prefetch_around(detail.id)

    def _load_detail(self, entry_id: int) -> None:
        """An entry not read ahead (a held key outran the prefetch, or it just changed): read
        it on the reader thread, never here; the newest wanted entry wins."""
        window = self.window
        self._detail_wanted = entry_id
        if self._detail is None or self._detail.id != entry_id:
            self._detail = None
            row = window.model.row_of(entry_id)
            cached = window.model.cached_row(row) if row is not None else None
            window.abstract.show_loading(cached.title if cached is not None else "")
            window.links.show_links([])
            window.notes.load(None, None)
        epoch = self._detail_epoch
        self.reader.request("detail", lambda library: (epoch, _details(library, [entry_id])))

    def _detail_read(self, epoch: int, details: list[EntryDetail]) -> None:
        self.keep_read(epoch, details, clear=False)
        wanted = self._detail_wanted
        if wanted is None:
            return
        detail = next((d for d in details if d.id == wanted), None)
        if detail is None:
            self._detail_wanted = None
            self._detail = None
            self.window.abstract.show_placeholder("This entry is no longer in the library.")
            return
        self._present(detail)

    def current_detail(self) -> EntryDetail | None:
        """The entry shown in the reader (None while it is being read, or none is)."""
        return self._detail

    # ================================================================ the detail cache
    # The neighbours of the current entry are read ahead on the reader thread, so j/k only
    # renders. A write bumps the epoch: details read before it are not trusted.
    @property
    def epoch(self) -> int:
        """Details read from now on are newer than every change seen so far."""
        return self._detail_epoch

    def _remember(self, detail: EntryDetail) -> None:
        self._details[detail.id] = detail
        self._details.move_to_end(detail.id)
        while len(self._details) > self.tuning.detail_cache:
            self._details.popitem(last=False)

    def forget(self, entry_ids: Sequence[int] | frozenset[int]) -> None:
        """Entries being changed: their details read before now are stale."""
        self._detail_epoch += 1
        if len(entry_ids) > self.tuning.detail_cache:  # an import: forget everything before it
            self._details.clear()
            self._changed_at.clear()
            self._forgot_all_at = self._detail_epoch
            return
        for entry_id in entry_ids:
            self._details.pop(entry_id, None)
            self._changed_at[entry_id] = self._detail_epoch

    def read_ahead(self, entry_ids: Sequence[int]) -> None:
        """Read the details of entries about to be shown (a session's next ones)."""
        wanted = [i for i in entry_ids if i not in self._details]
        if wanted:
            epoch = self._detail_epoch
            self.reader.request("prefetch", lambda library: (epoch, _details(library, wanted)))

    def _prefetch_around(self, entry_id: int) -> None:
        """Read ahead in the direction of travel, a batch at a time (few reader wake-ups)."""
        model = self.window.model
        row = model.row_of(entry_id)
        if row is None:
            return
        step = -1 if row < self._last_row else 1
        self._last_row = row
        self._prefetch_rows(row, step)
        near = [model.id_at(row + step * n) for n in range(1, self.tuning.prefetch_near + 1)]
        if all(i is None or i in self._details or i in self._prefetching for i in near):
            return
        rows = [row + step * n for n in range(1, self.tuning.prefetch_ahead + 1)] + [row - step]
        wanted = [i for r in rows if (i := model.id_at(r)) is not None and i not in self._details]
        if not wanted:
            return
        epoch = self._detail_epoch
        self._prefetching = set(wanted)  # a newer request replaces the older one
        self.reader.request("prefetch", lambda library: (epoch, _details(library, wanted)))

    def _prefetch_rows(self, row: int, step: int) -> None:
        """List rows a screen ahead are read on the reader thread, so moving into the next
        page of the list does not wait for a query here."""
        model = self.window.model
        ahead = row + step * self.tuning.rows_ahead
        pages = model.pages_of(min(row, ahead), max(row, ahead))
        if not pages:
            return
        generation = model.generation
        ids = [i for page in pages for i in model.page_ids(page)]

        def job(library: Library) -> tuple[int, dict[int, EntryRow]]:
            return generation, library.rows(ids)

        self.reader.request("rows", job)

    def _rows_read(self, result: tuple[int, dict[int, EntryRow]]) -> None:
        generation, rows = result
        if generation == self.window.model.generation:
            self.window.model.add_rows(rows)

    def keep_read(self, epoch: int, details: list[EntryDetail], *, clear: bool = True) -> None:
        """Keep details read at ``epoch`` unless their entry changed after it."""
        if clear:
            self._prefetching = set()
        if epoch < self._forgot_all_at:
            return
        for detail in details:
            if self._changed_at.get(detail.id, 0) <= epoch:
                self._remember(detail)

    def _changes_made(self, changes: Changes) -> None:
        self.forget(changes.entry_ids)
        if changes.reset:
            return  # the search runs again and shows the current entry anew
        if self._detail is not None and self._detail.id in changes.entry_ids:
            self.show_entry(self._detail.id)

    # ================================================================ links
    def open_url(self, url: str, what: str = "") -> bool:
        """Open ``url`` in the browser; when none can, say so and copy the URL instead."""
        log.info("opening %s", url)
        status = self.window.statusBar()
        if self.url_opener(url) is False:
            QGuiApplication.clipboard().setText(url)
            log.warning("no browser opened %s", url)
            status.showMessage(
                f"Could not open a web browser (is one installed and set as the default?). "
                f"The link is copied instead: {url}",
                12000,
            )
            return False
        status.showMessage(f"{what}Opened {url}", 6000 if what else 4000)
        return True

    @handles("entry.open_code_link")
    def open_code_link(self) -> None:
        choice = primary_link(self.window.links.links)
        if choice is not None:
            what = "" if choice.kind == "code" else "No code repository: "
            self.open_url(choice.url, what)

    @handles(*(f"link.open_{n}" for n in range(1, 10)))
    def open_link_number(self, number: int) -> None:
        choice = self.window.links.nth(number)
        if choice is not None:
            self.open_url(choice.url)

    @handles("entry.copy_link")
    def copy_link(self) -> None:
        choice = self.window.links.chosen()
        if choice is not None:
            QGuiApplication.clipboard().setText(choice.url)
            self.window.statusBar().showMessage(f"Copied {choice.url}", 4000)
