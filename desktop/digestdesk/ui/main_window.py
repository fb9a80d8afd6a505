"""The main window: the layout's widgets, the worker threads, the change hub and the
controllers, wired together; saved state and a clean close.

Queries go to the reader thread and come back to the controller that asked (each kind of
request has one); writes go to the edit lane or the job lane and come back as ``Changes``,
which are published to the :class:`~digestdesk.ui.change_hub.ChangeHub` the views' controllers
subscribe to; the index lane follows the database on its own. Every command is a controller
method bound to its action id (see :mod:`digestdesk.ui.actions`); keys come only from the
registry.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent

from digestdesk import APP_NAME
from digestdesk.core.library import Library
from digestdesk.core.records import Changes
from digestdesk.errors import DigestDeskError
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.controllers.fetching import FetchController
from digestdesk.ui.controllers.for_you import ForYouController
from digestdesk.ui.controllers.imports import ImportController
from digestdesk.ui.controllers.navigation import NavigationController
from digestdesk.ui.controllers.place import PlaceController
from digestdesk.ui.controllers.reader import ReaderController, UrlOpener, open_in_browser
from digestdesk.ui.controllers.related import RelatedController
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.sessions import SessionController
from digestdesk.ui.controllers.tags import KnownTags
from digestdesk.ui.controllers.trends import TrendsController
from digestdesk.ui.controllers.triage import TriageController
from digestdesk.ui.controllers.window_commands import WindowCommands
from digestdesk.ui.controllers.writes import Writes
from digestdesk.ui.entry_model import EntryModel
from digestdesk.ui.geometry import fitted_size
from digestdesk.ui.icons import icon
from digestdesk.ui.safe_text import tooltip
from digestdesk.ui.tasks import IndexLane, ReaderThread, WriterThread
from digestdesk.ui.trend_sidebar import SETTING_AS_OF
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

#: Seconds closing waits for a cancelled job (an import rolls back within one chunk) and for
#: the index lane (a build stops within a batch) before leaving them to the process's exit;
#: and for the queued edits on logout (they take milliseconds each).
JOIN_JOBS_S = 1.0
JOIN_INDEX_S = 0.3
JOIN_EDITS_S = 5.0


class MainWindow(WindowLayout):
    """The reading window over one open library."""

    def __init__(
        self,
        library: Library,
        settings: QSettings,
        *,
        url_opener: UrlOpener = open_in_browser,
        confirm_bulk: Callable[[str], bool] | None = None,
        show_dialogs: bool = True,
        tuning: Tuning | None = None,
    ) -> None:
        super().__init__(show_dialogs=show_dialogs)
        tuning = tuning or Tuning()
        self.library = library
        # Qt appends the application name to a title not ending with it (on X11, Wayland).
        # The library's name, not its path (the counts in the status bar tell the path).
        self.setWindowTitle(f"{library.paths.display_name()} — {APP_NAME}")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.resize(fitted_size(QSize(1280, 800), self.screen()))

        self.hub = ChangeHub(self)
        # Three lanes of work that never wait for each other (see ui/tasks.py): edits commit
        # within milliseconds whatever a long job or the index is doing.
        self.edits = WriterThread(library, self, maintain_after_s=None, name="edits")
        self.jobs = WriterThread(library, self, maintain_after_s=None, name="jobs")
        in_child_from = tuning.index_in_child_from
        self.index_lane = IndexLane(
            library,
            self,
            maintain_after_s=tuning.maintain_after_s,
            changes_fallback_s=tuning.changes_fallback_s,
            # A catch-up that large is a build in the child process (needs_build), not a
            # quiet one on the lane's thread.
            quiet_catch_up=None
            if in_child_from is None
            else max(1, min(in_child_from - 1, library.tuning.index_bulk)),
        )
        # A large index build or similarity model runs in a child process: on a thread here
        # it would starve the window and the edit lane of the interpreter lock.
        library.build_caches_in_child(tuning.index_in_child_from)
        library.import_large_files_in_child(tuning.import_in_child_from)
        self.index_lane.follow()
        #: Set by :meth:`shutdown` when a lane did not end in time (the process should exit
        #: without waiting for it: its unfinished transaction is rolled back by SQLite).
        self.abandoned_work = False
        self.reader = ReaderThread(library, self, on_problem=self._read_problem)
        # Similar papers and recommendations on a lane of their own: building the similarity
        # model of a large library takes a while, and searches must not wait behind it.
        self.similar = ReaderThread(library, self, on_problem=self._read_problem)
        self.similar.setObjectName("similar")
        self.build_layout(EntryModel(library.rows, dispose=self.reader.dispose), settings)
        self.counts_label.setToolTip(tooltip(f"Library: {library.paths.describe()}"))
        for lane in (self.edits.signals, self.jobs.signals, self.index_lane.signals):
            self.task_indicator.watch(lane)

        # The controllers, lower layers first. The order they are made in is also the order
        # they see a job's Changes: the reader's cache forgets what changed before the list
        # reads again, then the list and counts, the known tags, the status bar, the trends.
        hub, reader, edits = self.hub, self.reader, self.edits
        self.reading = ReaderController(self, reader, hub, tuning, url_opener)
        self.search = SearchController(self, reader, hub, self.reading, tuning)
        self.tags = KnownTags(self, reader, hub, library.normalize_tag)
        self.place = PlaceController(self, self.search, settings, library.paths)
        # The trends' pinned day belongs to this library (another's would show nothing).
        self.trend_sidebar.use_settings(settings, self.place.key(SETTING_AS_OF))
        hub.changed.connect(self._say_what_changed)
        # On a server, what the index caught up with (another member's import, tag, comment)
        # reaches the views as any write's Changes do.
        self._newest_known_id = (
            0
            if library.paths.is_sqlite
            else max(library.list_ids(sort="added", limit=1), default=0)
        )
        self.index_lane.signals.entries_caught_up.connect(self._changed_elsewhere)
        actions = self.registry.actions
        self.writes = Writes(
            edits,
            hub,
            actions["edit.undo"],
            actions["edit.redo"],
            self.show_problem,
            self.search.run_query,
        )
        self.related_papers = RelatedController(self, self.similar, self.reading, tuning)
        self.sessions = SessionController(
            self,
            reader,
            edits,
            hub,
            self.reading,
            self.related_papers,
            self.search,
            self.tags,
            self.writes,
            tuning,
        )
        self.navigation = NavigationController(self, reader, self.search, self.sessions)
        self.triage = TriageController(
            self,
            self.writes,
            self.reading,
            self.tags,
            self.sessions,
            confirm_bulk or self.ask_bulk,
            tuning,
        )
        self.imports = ImportController(
            self, reader, self.jobs, self.index_lane, hub, self.search, self.writes, tuning
        )
        self.fetching = FetchController(
            self, library, self.jobs, hub, self.imports, actions["fetch.at_launch"]
        )
        self.trends = TrendsController(
            self,
            library,
            reader,
            hub,
            self.search,
            self.navigation,
            self.reading,
            self.sessions,
            tuning,
            actions["trends.pin"],
        )
        self.for_you = ForYouController(
            self,
            self.similar,
            hub,
            tuning,
            lambda: self.trend_sidebar.as_of() or self.trends.as_of,
        )
        self.commands = WindowCommands(self, self.sessions.not_applicable)
        self.registry.bind(
            self.reading,
            self.search,
            self.sessions,
            self.navigation,
            self.triage,
            self.imports,
            self.fetching,
            self.trends,
            self.commands,
        )

        self.refresh_key_hints()
        self.restore_layout(settings)
        self.search.restore_sort(settings)
        # Start in the list, ready for j/k; the search bar is one key away.
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.place.restore()  # the saved search and entry of this library, or everything
        self.tags.refresh()
        self.sessions.announce_open()
        self.fetching.start()
        self.for_you.compute()  # also builds the similarity model if it is missing

    def _changed_elsewhere(self, ids: list[int]) -> None:
        """Entries the index caught up with on a server: the views re-read them, and re-run
        their query when there are new ones (ids only grow). Our own writes come back this
        way too; re-reading a few rows again is the cheaper side of telling them apart."""
        newest = max(ids)
        added = frozenset(i for i in ids if i > self._newest_known_id)
        self._newest_known_id = max(newest, self._newest_known_id)
        self.hub.publish(
            Changes(
                entry_ids=frozenset(ids),
                added=added,
                kinds=frozenset({"status", "tags", "note"}),
            )
        )

    def _say_what_changed(self, changes: Changes) -> None:
        if changes.label:
            self.statusBar().showMessage(changes.label, 3000)

    def _read_problem(self, error: DigestDeskError) -> None:
        self.show_problem("Cannot do that", error.user_message)

    def follow_color_scheme(self) -> None:
        """Redraw what holds drawn icons or colours after the palette changed (the system
        switched between light and dark)."""
        self.registry.refresh_icons()
        self.model.restyle()  # the list's status, note and code icons
        self.abstract.rerender()

    # ================================================================ idle, close
    def pending_work(self) -> int:
        """Work started and not finished: writes and reads whose result has not been applied
        here yet (a result queued for the GUI thread counts until its handlers ran), and
        timers that will start work (the search debounce, related papers, trends, note
        autosave), the reader's turn after a search, and rows the list has yet to paint (it
        paints many rows a few at a time). Zero means the window shows the outcome of
        everything asked so far."""
        timers = (
            self.search_bar.debouncing(),
            self.related_papers.pending(),
            self.for_you.pending(),
            self.trends.pending(),
            self.notes.saving_soon(),
            self.view.painting_in_parts(),
            self.reading.showing_soon(),
        )
        lanes = self.edits.pending() + self.jobs.pending() + self.index_lane.pending()
        threads = lanes + self.reader.pending() + self.similar.pending()
        return threads + self.fetching.pending() + sum(timers)

    def save_state(self) -> None:
        self.save_layout(self.settings)
        self.search.save_sort(self.settings)
        self.place.save()
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)

    def commit_data(self) -> None:
        """Store everything the user did (the note being typed, every queued edit) and the
        window's state, and keep running (the desktop session's logout asks this first; it
        may be cancelled)."""
        if self.closing:
            return
        self.notes.flush()
        self.save_state()
        self.edits.wait_idle(JOIN_EDITS_S)

    def shutdown(self) -> None:
        """Save what is being typed and every queued edit, cancel long jobs (an import rolls
        back whole), leave the index behind (a cache: it catches up at the next start), save
        the layout and settings, stop the threads. Idempotent; about a second at most."""
        if self.closing:
            return
        self.closing = True
        self.hub.close()
        self.jobs.abandon()  # an import in progress rolls back; the edits go first
        self.imports.stop()
        self.notes.flush()
        self.fetching.stop()
        self.sessions.stop()
        self.save_state()
        ended = self.edits.stop()
        ended = self.jobs.stop(int(JOIN_JOBS_S * 1000), give_up=True) and ended
        ended = self.index_lane.stop(JOIN_INDEX_S) and ended
        self.abandoned_work = not ended
        self.reader.stop()
        self.library.similarity.abandon()  # a model being built is not waited for
        self.similar.stop()

    # ================================================================ drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        self.imports.drag_entered(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        self.imports.dropped(event)
