"""The main window: search bar, entry list, reader, trends dock and status bar, wired up.

The window owns the two worker threads. Queries go to the reader thread and come back as
results; writes go to the writer thread and come back as ``Changes``, to which the views
react (patch rows, or re-run the query when entries were added). Every command is a method
named by an :class:`~digestdesk.ui.actions.ActionSpec`; keys come only from the registry.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digestdesk import APP_NAME
from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.core.records import Changes, EntryDetail, EntryRow, ImportReport, SearchResult
from digestdesk.errors import DigestDeskError, IndexNotReadyError, QueryError
from digestdesk.ui.abstract_pane import AbstractPane
from digestdesk.ui.actions import ACTIONS, ActionRegistry, native
from digestdesk.ui.collector import postpone_collections_while
from digestdesk.ui.command_palette import CommandPalette
from digestdesk.ui.empty_state import EmptyState
from digestdesk.ui.entry_model import PAGE, EntryModel
from digestdesk.ui.entry_view import EntryView
from digestdesk.ui.help_overlay import HelpOverlay
from digestdesk.ui.icons import icon
from digestdesk.ui.import_dialogs import ImportSummaryDialog, PasteImportDialog
from digestdesk.ui.keymap_dialog import KeymapDialog
from digestdesk.ui.links_pane import LinksPane, entry_links, primary_link
from digestdesk.ui.notes_editor import NotesEditor
from digestdesk.ui.reader_tabs import ReaderTabs
from digestdesk.ui.search_bar import SearchBar, word_being_typed
from digestdesk.ui.styles import PANE_MARGINS, inset
from digestdesk.ui.tag_editor import TagEditorDialog
from digestdesk.ui.tasks import ReaderThread, Task, WriterThread
from digestdesk.ui.window_features import FeaturesMixin

log = logging.getLogger(__name__)

BULK_CONFIRM = 50  # bulk changes of more entries than this ask first
DETAIL_CACHE = 64  # entry details kept for instant j/k
PREFETCH_AHEAD = 10  # details read ahead in the direction of travel, one query
PREFETCH_NEAR = 3  # ...when one of this many next entries is not read yet
FIRST_ROWS = PAGE  # list rows a search hands over with its result (the first paint)
ROWS_AHEAD = 60  # list rows read ahead of the cursor (about two screens)
LARGE_IMPORT_BYTES = 256 * 1024  # larger imports are indexed afterwards, in the background
LOWER_HEIGHT = 150  # the links / related / note tabs under the abstract, px
SHOW_AFTER_SEARCH_MAX_S = 0.5  # longest the reader waits to show a search's entry
SHOW_WHILE_TYPING_POLL_MS = 20  # ...checking this often whether the typing paused
TYPING_PAUSE_S = 1.0  # no key in the search bar for this long: the user paused
LOWER_MIN_HEIGHT = 96
NOTE_TAB = "Note"
NOTE_TAB_WRITTEN = "Note •"  # the entry has a note: said on the tab, so it is not missed
UrlOpener = Callable[[str], "bool | None"]  # False: nothing could open it


def open_in_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


@dataclass
class QueryState:
    text: str = ""
    sort: str | None = None  # None: the query's own (relevance with words, else date)
    ascending: bool = False
    terms: Sequence[tuple[str, str]] = ()


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


@dataclass
class ImportOutcome:
    reports: list[ImportReport]
    failures: list[tuple[str, str]]
    cancelled: bool = False
    index_deferred: bool = False  # imported with index=False: ensure_index follows


class MainWindow(FeaturesMixin, QMainWindow):
    """The reading window over one open library."""

    def __init__(
        self,
        library: Library,
        settings: QSettings,
        *,
        url_opener: UrlOpener = open_in_browser,
        confirm_bulk: Callable[[str], bool] | None = None,
        show_dialogs: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.library = library
        self.settings = settings
        self.url_opener = url_opener
        self.show_dialogs = show_dialogs
        self._confirm_bulk = confirm_bulk or self._ask_bulk
        self.query = QueryState()
        self.counts: dict[str, int] = {}
        self.known_tags: list[tuple[str, int]] = []
        self.last_import: ImportOutcome | None = None
        self._detail: EntryDetail | None = None
        self._detail_wanted: int | None = None  # read on the reader thread, to be shown
        self._details: OrderedDict[int, EntryDetail] = OrderedDict()
        self._detail_epoch = 0
        self._changed_at: dict[int, int] = {}  # entry id -> epoch of its last change
        self._forgot_all_at = 0
        self._prefetching: set[int] = set()
        self._last_row = 0
        self._index_progress: int | None = None  # percent while the index is being built
        self._index_task: Task | None = None
        self._showing_index_message = False
        self._pending_select: int | None = None
        self._tasks_running: list[Task] = []
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
        postpone_collections_while(self.typing_a_query)
        self._closing = False
        self._tab_before_note: QWidget | None = None  # the lower tab `n` replaced
        # Qt appends the application name to a title not ending with it (on X11, Wayland).
        self.setWindowTitle(f"{library.paths.describe()} — {APP_NAME}")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        self.writer = WriterThread(library, self)
        self.writer.signals.task_started.connect(self._task_started)
        self.writer.signals.task_progress.connect(self._task_progress)
        self.writer.signals.queue_drained.connect(self._tasks_idle)
        self.reader = ReaderThread(library, self)
        self.reader.signals.result_ready.connect(self._read_result)
        self.reader.signals.request_failed.connect(self._read_failed)

        self._build_widgets()
        self._build_features()  # trends sidebar, related papers, sessions, fetching
        self.registry = ActionRegistry(
            self,
            self,
            settings,
            {
                "list": [self.view, self.abstract, self.links, self.related],
                "search": [self.search_bar.edit],
                "note": [self.notes],
            },
        )
        self.menus = self.registry.populate_menus(self.menuBar())
        self._build_toolbar()
        self.refresh_key_hints()
        self._restore_state()
        # Start in the list, ready for j/k; the search bar is one key away.
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.run_query()
        self.refresh_tags()
        self._start_features()

    # ================================================================ building
    def _build_widgets(self) -> None:
        self.search_bar = SearchBar(self)
        self.search_bar.query_changed.connect(self._query_typed)

        self.model = EntryModel(self.library.rows, dispose=self.reader.dispose)
        self.model.sort_requested.connect(self.set_sort)
        self.view = EntryView(self.model, self)
        self.view.current_entry_changed.connect(self._current_entry_changed)

        self.abstract = AbstractPane(self)
        self.abstract.link_activated.connect(self.open_url)
        self.links = LinksPane(self)
        self.links.link_activated.connect(self.open_url)
        self.notes = NotesEditor(self)
        self.notes.save_requested.connect(self.save_note)

        # Below the abstract, one compact area with a tab per helper pane (links, related
        # papers, note): the abstract, which is what is read, keeps the height. A hidden tab
        # costs nothing on j/k; its pane is brought up to date when it is shown.
        self.lower_tabs = ReaderTabs(self)
        self.lower_tabs.setMinimumHeight(LOWER_MIN_HEIGHT)
        self.lower_tabs.addTab(self.links, icon("link.other"), "Links")
        self.lower_tabs.addTab(self.notes, icon("note"), NOTE_TAB)
        inset(self.links)
        self.notes.document().setDocumentMargin(PANE_MARGINS[0] - 2)

        self.reader_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.reader_splitter.setObjectName("readerSplitter")
        self.reader_splitter.addWidget(self.abstract)
        self.reader_splitter.addWidget(self.lower_tabs)
        self.reader_splitter.setStretchFactor(0, 1)
        self.reader_splitter.setStretchFactor(1, 0)
        self.reader_splitter.setSizes([600, LOWER_HEIGHT])
        self.reader_splitter.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.reader_splitter)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([700, 560])

        self.empty_state = EmptyState(
            self.import_files, self.import_clipboard, self._key_text, self
        )
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_state)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.search_bar)
        line = QFrame(central)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        # The dock's content, the trend sidebar, is set by _build_features (window_features).
        self.trend_dock = QDockWidget("Trends", self)
        self.trend_dock.setObjectName("trendDock")
        placeholder = QWidget(self.trend_dock)
        placeholder.setObjectName("trendSidebarPlaceholder")
        placeholder.setMinimumWidth(200)
        self.trend_dock.setWidget(placeholder)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.trend_dock)
        self.trend_dock.hide()

        status = self.statusBar()
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("countsLabel")
        self.task_label = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(200)
        self.progress.setMaximumHeight(16)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setToolTip("Cancel the running import")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel_tasks)
        for widget in (self.task_label, self.progress, self.cancel_button):
            widget.hide()
            status.addPermanentWidget(widget)
        status.addPermanentWidget(self.counts_label)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.registry.populate_toolbar(toolbar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def refresh_key_hints(self) -> None:
        """The tab hints and the welcome page name the keys; they follow the keymap."""
        k = self._key_text
        hints: dict[QWidget, str] = {
            self.links: f"{k('entry.open_code_link')} opens code · "
            f"{k('link.open_1')}–{k('link.open_9')} open · {k('entry.copy_link')} copies",
            self.notes: f"{k('entry.edit_note')} writes · {k('note.leave')} back · "
            f"{k('entry.edit_tags')} edits tags",
        }
        if hasattr(self, "related"):
            hints.update(self._feature_tab_hints())
        self.lower_tabs.set_hints(hints)
        self.empty_state.refresh_keys()

    def show_lower_tab(self, pane: QWidget) -> None:
        """Bring a helper pane (links, related, note) to the front of the lower area."""
        self.lower_tabs.bring_forward(pane)

    def _key_text(self, action_id: str) -> str:
        if not hasattr(self, "registry"):
            return ""
        keys = self.registry.keys_of(action_id)
        return native(keys[0]) if keys else ""

    # ================================================================ state
    def _restore_state(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for key, splitter in (
            ("window/splitter", self.splitter),
            ("window/reader_splitter2", self.reader_splitter),  # 2: abstract over tabs
        ):
            value = s.value(key)
            if isinstance(value, QByteArray):
                splitter.restoreState(value)
        tab = s.value("window/reader_tab")
        if tab is not None and str(tab).isdigit():
            self.lower_tabs.setCurrentIndex(int(str(tab)))
        header = s.value("list/header")
        if isinstance(header, QByteArray):
            self.view.horizontalHeader().restoreState(header)
        sort = s.value("list/sort")
        if isinstance(sort, str) and sort in ("date", "votes", "relevance"):
            self.query.sort = sort
            self.query.ascending = str(s.value("list/ascending", "false")) == "true"
        self.view.show_sort_key(self.query.sort or "date", self.query.ascending)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/reader_splitter2", self.reader_splitter.saveState())
        s.setValue("window/reader_tab", self.lower_tabs.currentIndex())
        s.setValue("list/header", self.view.horizontalHeader().saveState())
        if self.query.sort:
            s.setValue("list/sort", self.query.sort)
            s.setValue("list/ascending", "true" if self.query.ascending else "false")
        else:
            s.remove("list/sort")
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save what is being typed, finish queued writes, stop the threads (idempotent)."""
        if self._closing:
            return
        self._closing = True
        if self._index_task is not None:
            self._index_task.cancel()  # rebuilt at the next start; the queued writes run first
        self.notes.flush()
        self._stop_features()
        self.save_state()
        self.writer.stop()
        self.reader.stop()

    def pending_work(self) -> int:
        """Work started and not finished: writes and reads whose result has not been applied
        here yet (a result queued for the GUI thread counts until its handlers ran), and
        timers that will start work (the search debounce, related papers, trends, note
        autosave), the reader's turn after a search, and rows the list has yet to paint (it
        paints many rows a few at a time). Zero means the window shows the outcome of
        everything asked so far."""
        timers = (
            self.search_bar.debouncing(),
            self._related_timer.isActive(),
            self._trends_timer.isActive(),
            self.notes.saving_soon(),
            self.view.painting_in_parts(),
            self._show_current_soon.isActive(),
        )
        network = self.network.pending() if self.network is not None else 0
        return self.writer.pending() + self.reader.pending() + network + sum(timers)

    def typing_a_query(self) -> bool:
        """The user is typing a query (a key in the last second, or its search still under
        way), or its result is still being shown (the list paints it in parts, the reader
        follows): a garbage collection waits for the pause."""
        return (
            self.search_bar.debouncing()
            or self.search_bar.typed_within(TYPING_PAUSE_S)
            or self.reader.answering("search")
            or self.view.paint_in_parts_ahead()
            or self._show_current_soon.isActive()
        )

    # ================================================================ queries
    def _query_typed(self, text: str) -> None:
        self.query.text = text
        self.run_query()

    def run_query(self, *, keep: int | None = None) -> None:
        """Run the current query on the reader thread; results replace the list."""
        text, sort, ascending = self.query.text, self.query.sort, self.query.ascending
        self._pending_select = keep if keep is not None else self.view.current_id()
        selected, epoch = self._pending_select, self._detail_epoch
        indexing = self._index_progress

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
                low = (max(kept - ROWS_AHEAD, 0) // PAGE) * PAGE
                high = ((kept + ROWS_AHEAD) // PAGE + 1) * PAGE
                shown = shown + result.ids[low:high]
            return SearchOutcome(
                result,
                row_of,
                library.counts(),
                library.rows(shown),
                epoch,
                library.entries(list(dict.fromkeys(first))),
                completed,
            )

        self.reader.request("search", job)

    def set_query(self, text: str) -> None:
        self.search_bar.set_text(text, run=False)
        self.query.text = text
        self.run_query()
        self.focus_list()

    def set_sort(self, key: str, ascending: bool = False) -> None:
        self.query.sort = key
        self.query.ascending = ascending
        self.view.show_sort_key(key, ascending)
        self.run_query()

    def follow_color_scheme(self) -> None:
        """Redraw what holds drawn icons or colours after the palette changed (the system
        switched between light and dark)."""
        self.registry.refresh_icons()
        self.model.restyle()  # the list's status, note and code icons
        self.abstract.rerender()

    def refresh_counts(self) -> None:
        self.reader.request("counts", lambda library: library.counts())

    def refresh_tags(self) -> None:
        self.reader.request("tags", lambda library: library.all_tags())

    def _read_result(self, kind: str, generation: int, result: Any) -> None:
        if self._closing or not self.reader.is_current(kind, generation):
            return  # a newer request of this kind is on its way
        if kind == "search":
            self._prefetched(result.epoch, result.details)
            if self.search_bar.debouncing() and self.search_bar.text() != self.query.text:
                # Typed on since this query was sent: a newer one is on its way, and showing
                # this one would hold up the keys typed meanwhile (a reset list's paint).
                return
            self._apply_search(result.search, result.row_of, result.rows, result.completed)
            self._set_counts(result.counts)
        elif kind == "counts":
            self._set_counts(result)
        elif kind == "tags":
            self.known_tags = list(result)
        elif kind == "paste":
            self._paste_parsed(*result)
        elif kind == "prefetch":
            self._prefetched(*result)
        elif kind == "detail":
            self._detail_read(*result)
        elif kind == "rows":
            generation, rows = result
            if generation == self.model.generation:
                self.model.add_rows(rows)

    def _read_failed(self, kind: str, generation: int, error: BaseException, tb: str) -> None:
        if self._closing or not self.reader.is_current(kind, generation):
            return
        if kind == "search" and isinstance(error, QueryError):
            self.search_bar.show_error(error.user_message)
            return
        if kind == "search" and isinstance(error, IndexNotReadyError):
            self._show_index_not_ready()
            return
        if isinstance(error, DigestDeskError):
            if kind == "search":
                self.search_bar.show_error(error.user_message)
            else:
                self.show_problem("Cannot do that", error.user_message)
            return
        raise RuntimeError(f"{kind} failed:\n{tb}")

    def _apply_search(
        self,
        result: SearchResult,
        row_of: dict[int, int] | None = None,
        rows: dict[int, EntryRow] | None = None,
        completed: str | None = None,
    ) -> None:
        self._showing_index_message = False
        self.search_bar.show_error(None)
        self.query.terms = list(result.terms)
        # The order the search used: relevance (no column) for words unless one was asked.
        self.view.show_sort_key(result.sort, self.query.ascending)
        keep = self._pending_select
        had_focus = self.view.hasFocus()
        self._applying_search = True
        try:
            self.model.set_ids(result.ids, result.total, row_of, rows)
            if not (keep is not None and self.view.select_id(keep)) and result.ids:
                self.view.move_to(0)
        finally:
            self._applying_search = False
        if had_focus:
            self.view.setFocus()
        self._features_searched()
        shown = len(result.ids)
        text = f"{shown:,} match{'es' if shown != 1 else ''}" if self.query.text.strip() else ""
        if completed is not None:
            text += f" for words starting with “{completed}”"
        self.search_bar.set_result_text(text)

    def _set_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        total = counts.get("total", 0)
        self.stack.setCurrentWidget(self.empty_state if total == 0 else self.splitter)
        self.counts_label.setText(
            f"  {self.model.rowCount():,} shown  ·  {counts.get('unread', 0):,} unread  ·  "
            f"{total:,} total  "
        )

    # ================================================================ reader
    def _current_entry_changed(self, entry_id: int) -> None:
        if self._applying_search:
            self._detail = None  # until shown, commands do not act on the entry shown before
            self._show_current_since = time.monotonic()
            self._show_current_after_parts = False
            self._show_current_soon.start(0)
            return
        self._show_current_soon.stop()
        self._show_entry(entry_id)

    def _show_current(self) -> None:
        if time.monotonic() - self._show_current_since < SHOW_AFTER_SEARCH_MAX_S:
            if self.view.paint_in_parts_ahead():
                self._show_current_after_parts = True
                self._show_current_soon.start(0)  # the list's next part first
                return
            if self._show_current_after_parts:
                # The list's last part may have been painted in this very turn.
                self._show_current_after_parts = False
                self._show_current_soon.start(0)
                return
            if self.search_bar.debouncing():
                self._show_current_soon.start(SHOW_WHILE_TYPING_POLL_MS)
                return
        current = self.view.current_id()
        self._show_entry(-1 if current is None else current)

    def _show_entry(self, entry_id: int) -> None:
        if entry_id < 0:
            self._detail = None
            self._detail_wanted = None
            self.abstract.show_placeholder(
                "No entry matches the query."
                if self.model.rowCount() == 0
                else "Select an entry to read its abstract."
            )
            self.links.show_links([])
            self.notes.load(None, None)
            return
        detail = self._details.get(entry_id)
        if detail is None:
            self._load_detail(entry_id)
            return
        self._present(detail)

    def _present(self, detail: EntryDetail) -> None:
        self._detail_wanted = None
        self._detail = detail
        self.abstract.show_entry(detail, self.query.terms)
        self.links.show_links(entry_links(detail))
        self.notes.load(detail.id, detail.note)
        self._mark_note_tab(bool(detail.note))
        self._prefetch_around(detail.id)

    def _mark_note_tab(self, written: bool) -> None:
        self.lower_tabs.set_tab_label(self.notes, NOTE_TAB_WRITTEN if written else NOTE_TAB)

    def _load_detail(self, entry_id: int) -> None:
        """An entry not read ahead (a held key outran the prefetch, or it just changed): read
        it on the reader thread, never here; the newest wanted entry wins."""
        self._detail_wanted = entry_id
        if self._detail is None or self._detail.id != entry_id:
            self._detail = None
            row = self.model.row_of(entry_id)
            cached = self.model.cached_row(row) if row is not None else None
            self.abstract.show_loading(cached.title if cached is not None else "")
            self.links.show_links([])
            self.notes.load(None, None)
        epoch = self._detail_epoch
        self.reader.request("detail", lambda library: (epoch, library.entries([entry_id])))

    def _detail_read(self, epoch: int, details: list[EntryDetail]) -> None:
        self._prefetched(epoch, details, clear=False)
        wanted = self._detail_wanted
        if wanted is None:
            return
        detail = next((d for d in details if d.id == wanted), None)
        if detail is None:
            self._detail_wanted = None
            self._detail = None
            self.abstract.show_placeholder("This entry is no longer in the library.")
            return
        self._present(detail)

    def current_detail(self) -> EntryDetail | None:
        return self._detail

    # The neighbours of the current entry are read ahead on the reader thread, so j/k only
    # renders. A write bumps the epoch: details read before it are not trusted.
    def _remember(self, detail: EntryDetail) -> None:
        self._details[detail.id] = detail
        self._details.move_to_end(detail.id)
        while len(self._details) > DETAIL_CACHE:
            self._details.popitem(last=False)

    def _forget(self, entry_ids: Sequence[int] | frozenset[int]) -> None:
        self._detail_epoch += 1
        if len(entry_ids) > DETAIL_CACHE:  # an import: forget everything read before it
            self._details.clear()
            self._changed_at.clear()
            self._forgot_all_at = self._detail_epoch
            return
        for entry_id in entry_ids:
            self._details.pop(entry_id, None)
            self._changed_at[entry_id] = self._detail_epoch

    def _prefetch_around(self, entry_id: int) -> None:
        """Read ahead in the direction of travel, a batch at a time (few reader wake-ups)."""
        row = self.model.row_of(entry_id)
        if row is None:
            return
        step = -1 if row < self._last_row else 1
        self._last_row = row
        self._prefetch_rows(row, step)
        near = [self.model.id_at(row + step * n) for n in range(1, PREFETCH_NEAR + 1)]
        if all(i is None or i in self._details or i in self._prefetching for i in near):
            return
        rows = [row + step * n for n in range(1, PREFETCH_AHEAD + 1)] + [row - step]
        wanted = [
            i for r in rows if (i := self.model.id_at(r)) is not None and i not in self._details
        ]
        if not wanted:
            return
        epoch = self._detail_epoch
        self._prefetching = set(wanted)  # a newer request replaces the older one
        self.reader.request("prefetch", lambda library: (epoch, library.entries(wanted)))

    def _prefetch_rows(self, row: int, step: int) -> None:
        """List rows a screen ahead are read on the reader thread, so moving into the next
        page of the list does not wait for a query here."""
        ahead = row + step * ROWS_AHEAD
        pages = self.model.pages_of(min(row, ahead), max(row, ahead))
        if not pages:
            return
        generation = self.model.generation
        ids = [i for page in pages for i in self.model.page_ids(page)]
        self.reader.request("rows", lambda library: (generation, library.rows(ids)))

    def _prefetched(self, epoch: int, details: list[EntryDetail], *, clear: bool = True) -> None:
        """Keep details read at ``epoch`` unless their entry changed after it."""
        if clear:
            self._prefetching = set()
        if epoch < self._forgot_all_at:
            return
        for detail in details:
            if self._changed_at.get(detail.id, 0) <= epoch:
                self._remember(detail)

    # ================================================================ writes
    def _submit(
        self,
        label: str,
        run: Callable[[Library], Changes],
        *,
        on_done: Callable[[Changes], None] | None = None,
    ) -> Task:
        def job(library: Library, _task: Task) -> tuple[Changes, str | None, str | None]:
            changes = run(library)
            return changes, library.undo_label(), library.redo_label()

        def done(result: tuple[Changes, str | None, str | None]) -> None:
            changes, undo_label, redo_label = result
            self._update_undo(undo_label, redo_label)
            self.apply_changes(changes)
            if on_done is not None:
                on_done(changes)

        return self.writer.submit(label, job, on_done=done, on_error=self._write_failed)

    def _write_failed(self, error: BaseException) -> None:
        if isinstance(error, DigestDeskError):
            self.show_problem("Not done", error.user_message)
            # An optimistic patch may show a state that was not stored: reload it.
            self.run_query()
            return
        raise error

    def apply_changes(self, changes: Changes) -> None:
        """React to a write: re-run the query for new entries, else patch the rows."""
        if self._closing or changes.is_empty:
            return
        self._forget(changes.entry_ids)
        if changes.reset:
            self.run_query()
        else:
            self.model.refresh(sorted(changes.entry_ids))
            self.refresh_counts()
            if self._detail is not None and self._detail.id in changes.entry_ids:
                self._show_entry(self._detail.id)
        if "tags" in changes.kinds or changes.reset:
            self.refresh_tags()
        if changes.label:
            self.statusBar().showMessage(changes.label, 3000)
        self._features_changed(changes)

    def _update_undo(self, undo_label: str | None, redo_label: str | None) -> None:
        undo = self.registry.actions["edit.undo"]
        redo = self.registry.actions["edit.redo"]
        undo.setText(f"Undo {undo_label}" if undo_label else "Undo")
        redo.setText(f"Redo {redo_label}" if redo_label else "Redo")

    # ------------------------------------------------------------ commands
    def mark_status(self, status: str) -> None:
        if self.in_session:
            return self.session_mark(status)
        ids = self.view.selected_ids()
        if not ids:
            return
        if len(ids) > BULK_CONFIRM and not self._confirm_bulk(
            f"Mark {len(ids):,} entries as {status}?"
        ):
            return
        last_row = max(r for r in (self.model.row_of(i) for i in ids) if r is not None)
        self.model.patch_status(ids, status)
        self._forget(ids)
        self._submit(f"Mark {status}", lambda library: library.set_status(ids, status))
        # Triage: move on to the entry after the ones just handled.
        self.view.move_to(last_row + 1)

    def edit_tags(self) -> None:
        if self.in_session:
            return self.session_edit_tags()
        ids = self.view.selected_ids()
        if not ids:
            return
        current = self._detail.tags if self._detail is not None and len(ids) == 1 else []
        dialog = TagEditorDialog(current, self.known_tags, len(ids), self)
        accepted = dialog.exec() == TagEditorDialog.DialogCode.Accepted
        self._back_from_dialog()
        if not accepted:
            return
        add, remove = dialog.changes()
        self.change_tags(ids, add, remove)

    def change_tags(self, ids: Sequence[int], add: Sequence[str], remove: Sequence[str]) -> None:
        if not add and not remove:
            return
        if len(ids) > BULK_CONFIRM and not self._confirm_bulk(
            f"Change the tags of {len(ids):,} entries?"
        ):
            return
        ids, add, remove = list(ids), list(add), list(remove)
        self._submit("Tags", lambda library: library.change_tags(ids, add=add, remove=remove))

    def edit_note(self) -> None:
        if self._detail is None:
            return
        if self.lower_tabs.currentWidget() is not self.notes:
            self._tab_before_note = self.lower_tabs.currentWidget()
        self.show_lower_tab(self.notes)
        self.notes.setFocus(Qt.FocusReason.ShortcutFocusReason)
        cursor = self.notes.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.notes.setTextCursor(cursor)

    def _back_from_dialog(self) -> None:
        """Give the keyboard back to the list after a modal dialog (no WM may do it)."""
        self.activateWindow()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def save_note(self, entry_id: int, text: str) -> None:
        if self.in_session:
            return self.session_save_note(entry_id, text)
        self._submit("Save note", lambda library: library.set_note(entry_id, text))

    def leave_note(self) -> None:
        self.notes.flush()
        if self._tab_before_note is not None:
            # Back to the tab shown before `n` (the links, with their keys' hint): the note
            # tab says "Note •" for entries that have one.
            self.show_lower_tab(self._tab_before_note)
            self._tab_before_note = None
        self.focus_list()

    def undo(self) -> None:
        editor = self._text_editor_with_focus()
        if editor is not None:
            editor.undo()  # Ctrl+Z in the search bar or a note is about its text
            return
        self.notes.flush()
        self._submit("Undo", lambda library: library.undo())

    def redo(self) -> None:
        editor = self._text_editor_with_focus()
        if editor is not None:
            editor.redo()
            return
        self._submit("Redo", lambda library: library.redo())

    def _text_editor_with_focus(self) -> QLineEdit | QPlainTextEdit | QTextEdit | None:
        """The editable text field with the keyboard focus, if any. Its own Ctrl+Z does not
        reach the window while it has something to undo; with nothing left, the key would
        otherwise undo a library change the user cannot see from there."""
        widget = QApplication.focusWidget()
        if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit) and not widget.isReadOnly():
            return widget
        return None

    def toggle_selection(self) -> None:
        self.view.toggle_current_selection()

    # ------------------------------------------------------------ moving
    def go_next(self) -> None:
        if self.in_session:
            return self.session_next()
        self.view.move_by(1)

    def go_previous(self) -> None:
        if self.in_session:
            return self.session_back()
        self.view.move_by(-1)

    def go_first(self) -> None:
        self.view.move_to(0)

    def go_last(self) -> None:
        self.view.move_to(self.model.rowCount() - 1)

    def page_abstract(self) -> None:
        if not self.abstract.page_down():
            self.go_next()

    def page_abstract_back(self) -> None:
        self.abstract.page_up()

    def _panes(self) -> list[QWidget]:
        """Tab order: the list, the abstract, then each pane of the lower tabs in turn."""
        lower = [self.lower_tabs.widget(i) for i in range(self.lower_tabs.count())]
        panes = [self.view, self.abstract, *(w for w in lower if w is not self.notes)]
        if not self.reader_splitter.isVisible():
            return [self.view] if self.view.isVisible() else []
        return [w for w in panes if w is not None and (w is not self.view or w.isVisible())]

    def cycle_panes(self, step: int = 1) -> None:
        panes = self._panes()
        if not panes:
            return
        focus = QGuiApplication.focusObject()
        index = panes.index(focus) if focus in panes else -1
        pane = panes[(index + step) % len(panes)]
        self.show_lower_tab(pane)
        pane.setFocus(Qt.FocusReason.TabFocusReason)

    def cycle_panes_back(self) -> None:
        self.cycle_panes(-1)

    def focus_search(self) -> None:
        self.search_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.edit.selectAll()

    def leave_search(self) -> None:
        self.search_bar.clear()
        self.focus_list()

    def focus_list(self) -> None:
        if self.in_session:  # the list is hidden: the reader has the keys
            self.abstract.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.view.currentIndex().isValid():
            self.view.move_to(0)

    # ------------------------------------------------------------ links
    def open_url(self, url: str, what: str = "") -> bool:
        """Open ``url`` in the browser; when none can, say so and copy the URL instead."""
        log.info("opening %s", url)
        if self.url_opener(url) is False:
            QGuiApplication.clipboard().setText(url)
            log.warning("no browser opened %s", url)
            self.statusBar().showMessage(
                f"Could not open a web browser (is one installed and set as the default?). "
                f"The link is copied instead: {url}",
                12000,
            )
            return False
        self.statusBar().showMessage(f"{what}Opened {url}", 6000 if what else 4000)
        return True

    def open_code_link(self) -> None:
        choice = primary_link(self.links.links)
        if choice is not None:
            what = "" if choice.kind == "code" else "No code repository: "
            self.open_url(choice.url, what)

    def open_link_number(self, number: int) -> None:
        choice = self.links.nth(number)
        if choice is not None:
            self.open_url(choice.url)

    def copy_link(self) -> None:
        choice = self.links.chosen()
        if choice is not None:
            QGuiApplication.clipboard().setText(choice.url)
            self.statusBar().showMessage(f"Copied {choice.url}", 4000)

    # ------------------------------------------------------------ view
    def toggle_trends(self) -> None:
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self.trend_dock.isAncestorOf(focused)
        self.trend_dock.setVisible(not self.trend_dock.isVisible())
        if self.trend_dock.isVisible():
            self.trend_sidebar.focus_list()
        elif had_focus:
            # Qt would hand the focus to the next widget, the search bar with its text
            # selected: the next triage key would replace the query.
            self.focus_list()

    def toggle_reader(self) -> None:
        self.reader_splitter.setVisible(not self.reader_splitter.isVisible())

    def show_palette(self) -> CommandPalette:
        palette = CommandPalette(ACTIONS, self.registry.actions, self)
        if self.show_dialogs:
            palette.open()
        return palette

    def show_help(self) -> HelpOverlay:
        overlay = HelpOverlay(ACTIONS, self.registry.keymap.current(), self)
        if self.show_dialogs:
            overlay.open()
        return overlay

    def edit_keymap(self) -> None:
        dialog = KeymapDialog(ACTIONS, self.registry.keymap, self)
        accepted = dialog.exec() == KeymapDialog.DialogCode.Accepted
        self._back_from_dialog()
        if accepted:
            keymap = dialog.result_keymap()
            self.registry.keymap.save(keymap)
            self.registry.apply_keymap()
            self.refresh_key_hints()
            self._refresh_feature_hints()

    # ================================================================ import
    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import Digests",
            str(self.settings.value("import/last_dir", str(Path.home()))),
            "Digests (*.json *.txt *.xml *.atom);;All files (*)",
        )
        if paths:
            self.settings.setValue("import/last_dir", str(Path(paths[0]).parent))
            self.import_paths(paths)

    def import_paths(self, paths: Sequence[str | Path]) -> Task:
        """Import files one after the other on the writer thread, then show the summary."""
        files = [Path(p) for p in paths]
        index_now = not self._large_import(files)

        def job(library: Library, task: Task) -> ImportOutcome:
            outcome = ImportOutcome([], [], index_deferred=not index_now)
            for number, path in enumerate(files):
                if task.cancelled():
                    outcome.cancelled = True
                    break

                def progress(done: int, total: int | None, _n: int = number) -> None:
                    whole = max(len(files), 1)
                    fraction = (done / total) if total else 0.0
                    self.writer.signals.task_progress.emit(
                        task, int((_n + fraction) * 1000 / whole), 1000
                    )

                try:
                    report = library.import_file(
                        path, progress=progress, cancelled=task.cancelled, index=index_now
                    )
                except DigestDeskError as error:
                    if task.cancelled():
                        outcome.cancelled = True
                        break
                    outcome.failures.append((path.name, error.user_message))
                else:
                    outcome.reports.append(report)
            return outcome

        label = f"Importing {files[0].name}" if len(files) == 1 else f"Importing {len(files)} files"
        return self.writer.submit(
            label,
            job,
            on_done=self._import_finished,
            on_error=self._write_failed,
            show_progress=True,
        )

    @staticmethod
    def _large_import(files: Sequence[Path]) -> bool:
        size = 0
        for path in files:
            try:
                size += path.stat().st_size
            except OSError:
                continue  # the import reports it
        return size > LARGE_IMPORT_BYTES

    def import_data(
        self, data: bytes, name: str, fmt: str = "auto", as_of: date | None = None
    ) -> Task:
        index_now = len(data) <= LARGE_IMPORT_BYTES

        def job(library: Library, task: Task) -> ImportOutcome:
            def progress(done: int, total: int | None) -> None:
                self.writer.signals.task_progress.emit(task, done, total or 0)

            try:
                report = library.import_bytes(
                    data,
                    name=name,
                    format=fmt,
                    as_of=as_of,
                    progress=progress,
                    cancelled=task.cancelled,
                    index=index_now,
                )
            except DigestDeskError as error:
                return ImportOutcome([], [(name, error.user_message)], task.cancelled())
            return ImportOutcome([report], [], index_deferred=not index_now)

        return self.writer.submit(
            f"Importing {name}",
            job,
            on_done=self._import_finished,
            on_error=self._write_failed,
            show_progress=True,
        )

    def ensure_index(self, *, expect_work: bool = False) -> Task:
        """Build or catch up the search index in the background (the window stays usable).

        While it runs, word searches say the index is being built (with its progress) rather
        than showing stale results; filters, which run in SQL, keep working. ``expect_work``
        says so at once (after an import that left the index behind)."""

        def job(library: Library, task: Task) -> str:
            if library.index_status() == "ok":
                return "ok"
            self.writer.signals.task_progress.emit(task, 0, 1000)

            def progress(done: int, total: int | None) -> None:
                self.writer.signals.task_progress.emit(task, done, total or 0)

            return library.ensure_index(progress=progress, cancelled=task.cancelled)

        def finished() -> None:
            if self._index_task is task:
                self._index_task = None
            was_building = self._index_progress is not None
            self._index_progress = None
            if was_building and not self._closing:
                self.run_query()

        def done(result: str) -> None:
            finished()
            if result != "ok":
                self.statusBar().showMessage(f"Search index {result}.", 4000)

        def failed(error: BaseException) -> None:
            finished()
            self._write_failed(error)

        if expect_work:
            self._set_index_progress(0)
        task = self.writer.submit(
            "Building the search index",
            job,
            on_done=done,
            on_error=failed,
            show_progress=True,
        )
        self._index_task = task
        return task

    def _set_index_progress(self, percent: int) -> None:
        starting = self._index_progress is None
        self._index_progress = percent
        if starting and self.query.text.strip():
            self.run_query()  # a word query shown now may be stale: say so instead
        elif self._showing_index_message:
            self._show_index_not_ready()

    def _show_index_not_ready(self) -> None:
        """The list is emptied (not stale) and the search bar says why and how far along."""
        percent = self._index_progress if self._index_progress is not None else 0
        message = IndexNotReadyError(percent).user_message
        self._showing_index_message = True
        self.search_bar.show_error(message)
        self.search_bar.set_result_text("")
        if self.model.rowCount():
            self.model.set_ids([])
        self._show_entry(-1)
        self.abstract.show_placeholder(message)

    def fill_demo(self, count: int) -> Task:
        """Fill the (temporary) library with generated entries, in the background."""

        def job(library: Library, task: Task) -> ImportOutcome:
            from digestdesk.core.demo import generate_entries

            entries = list(generate_entries(count))

            def progress(done: int, total: int | None) -> None:
                self.writer.signals.task_progress.emit(task, done, total or 0)

            # The list reads SQL, so it shows the entries at once; the index follows.
            report = library.import_parsed(
                ParseResult(format="digestdesk", entries=entries),
                source="demo",
                progress=progress,
                cancelled=task.cancelled,
                index=False,
            )
            return ImportOutcome([report], [], index_deferred=True)

        def done(outcome: ImportOutcome) -> None:
            self.last_import = outcome
            for report in outcome.reports:
                self.apply_changes(report.changes)
            self.statusBar().showMessage(f"Demo library: {count:,} generated entries.", 6000)
            self.ensure_index(expect_work=True)

        return self.writer.submit(
            f"Generating {count:,} demo entries",
            job,
            on_done=done,
            on_error=self._write_failed,
            show_progress=True,
        )

    def _import_finished(self, outcome: ImportOutcome) -> None:
        self.last_import = outcome
        if outcome.index_deferred and outcome.reports:
            self.ensure_index(expect_work=True)
        for report in outcome.reports:
            self.apply_changes(report.changes)
        if not outcome.reports:
            self.refresh_counts()
        if outcome.cancelled:
            self.statusBar().showMessage(
                "Import cancelled; the file being read was not changed.", 6000
            )
        if self.show_dialogs and not (outcome.cancelled and not outcome.reports):
            ImportSummaryDialog(outcome.reports, outcome.failures, self).open()
        elif outcome.reports:
            self.statusBar().showMessage(
                "Imported: " + "; ".join(r.summary() for r in outcome.reports), 6000
            )

    def import_clipboard(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.show_problem(
                "Nothing to import",
                "The clipboard holds no text. Copy a papers page or a JSON digest first.",
            )
            return
        self.import_text(text)

    def import_text(self, text: str) -> None:
        """Parse pasted text off the GUI thread, then confirm (and date) it before importing."""
        data = text.encode("utf-8")

        def job(_library: Library) -> tuple[bytes, ParseResult | None, str | None]:
            from digestdesk.core import formats

            today = date.today()
            try:
                return data, formats.parse(data, name="clipboard", as_of=today, today=today), None
            except DigestDeskError as error:
                return data, None, error.user_message

        self.reader.request("paste", job)

    def _paste_parsed(self, data: bytes, parsed: ParseResult | None, message: str | None) -> None:
        if parsed is None:
            self.show_problem("Cannot import the clipboard", message or "")
            return
        if not self.show_dialogs:
            self.import_data(data, "clipboard", parsed.format, parsed.as_of)
            return
        dialog = PasteImportDialog(parsed, self)
        accepted = dialog.exec() == PasteImportDialog.DialogCode.Accepted
        self._back_from_dialog()
        if accepted:
            self.import_data(data, "clipboard", parsed.format, dialog.as_of() or parsed.as_of)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData()
        if (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())) or mime.hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData()
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if files:
            self.import_paths(files)
        elif mime.hasText():
            self.import_text(mime.text())
        event.acceptProposedAction()

    # ================================================================ task display
    def _task_started(self, task: Task) -> None:
        if not task.show_progress:
            return
        self._tasks_running.append(task)
        self.task_label.setText(task.label + "…")
        self.progress.setRange(0, 0)
        for widget in (self.task_label, self.progress, self.cancel_button):
            widget.show()

    def _task_progress(self, task: Task, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if task is self._index_task and not self._closing:
            percent = min(99, done * 100 // total) if total else 0
            self.task_label.setText(f"Building the search index… {percent}%")
            self._set_index_progress(percent)

    def _tasks_idle(self) -> None:
        self._tasks_running.clear()
        for widget in (self.task_label, self.progress, self.cancel_button):
            widget.hide()

    def cancel_tasks(self) -> None:
        for task in self._tasks_running:
            task.cancel()
        self.task_label.setText("Cancelling…")

    # ================================================================ messages
    def show_problem(self, title: str, message: str) -> None:
        log.info("%s: %s", title, message)
        if self.show_dialogs:
            QMessageBox.warning(self, title, message)
        else:
            self.statusBar().showMessage(f"{title}: {message}", 8000)

    def _ask_bulk(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Change many entries?",
            question + " You can undo it with " + native(QKeySequence("Ctrl+Z").toString()) + ".",
        )
        return answer == QMessageBox.StandardButton.Yes
