# The methods annotate ``self: MainWindow`` (the window this is a base of), which mypy reports
# as "misc" for a class that is not MainWindow's supertype; it still checks the bodies.
# mypy: disable-error-code="misc"
"""The window's trends sidebar, related papers, reading sessions and fetching.

:class:`FeaturesMixin` is a base of :class:`~digestdesk.ui.main_window.MainWindow`: its public
methods are the handlers the action registry names (``start_session``, ``fetch_digests``...),
so they live on the window like every other command; the state and wiring of these features
stay here, next to each other, instead of in the window's core.

Threads as everywhere: trends and related papers are computed on the reader thread (newest
request wins), session steps and fetches run on the writer thread; results come back as
signals and the views react to the ``Changes`` they carry.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from digestdesk.core.library import Library
from digestdesk.core.records import Changes
from digestdesk.core.sessions import ReadingSession, Sessions, SessionSummary, SessionUpdate
from digestdesk.core.trends import Trends
from digestdesk.errors import DigestDeskError
from digestdesk.ui.actions import native
from digestdesk.ui.icons import icon
from digestdesk.ui.related_pane import RelatedPane
from digestdesk.ui.session_view import SessionSummaryDialog, SessionView
from digestdesk.ui.styles import inset
from digestdesk.ui.tag_editor import TagEditorDialog
from digestdesk.ui.tasks import WriterThread
from digestdesk.ui.trend_sidebar import TrendSidebar

if TYPE_CHECKING:
    from digestdesk.core.fetch import DayReport, HttpClient
    from digestdesk.ui.fetch_dialogs import FetchChoice
    from digestdesk.ui.main_window import MainWindow
    from digestdesk.ui.tasks import Task

log = logging.getLogger(__name__)

TRENDS_DEBOUNCE_MS = 350  # edits in a burst (triage) recompute trends once
RELATED_LIMIT = 5
SESSION_PREFETCH = 3
# Fetching (HTTP, the digest formats) is imported when first used, not at start.
ClientFactory = Callable[[Callable[[], bool]], "HttpClient"]


def default_client(cancelled: Callable[[], bool]) -> HttpClient:
    from digestdesk.core import fetch

    return fetch.HttpClient(cache_dir=fetch.default_cache_dir(), cancelled=cancelled)


RELATED_DELAY_MS = 150


class WriterImports:
    """The library as :func:`fetch.fetch_days` sees it from the network thread: reads run
    there, each day's import is handed to the writer thread and awaited."""

    def __init__(self, library: Library, writer: WriterThread, fetch_task: Task) -> None:
        self.library = library
        self.writer = writer
        self.fetch_task = fetch_task

    def fetched_days(self, *args: Any, **kwargs: Any) -> set[date]:
        return self.library.fetched_days(*args, **kwargs)

    def import_parsed(self, result: Any, **kwargs: Any) -> Any:
        outcome: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run(library: Library, _task: Task) -> None:
            try:
                outcome.set_result(library.import_parsed(result, **kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to the network thread
                outcome.set_exception(error)

        queued = self.writer.submit("Importing a fetched day", run)
        while True:
            try:
                return outcome.result(timeout=0.2)
            except concurrent.futures.TimeoutError:
                if queued.cancelled():  # the writer stopped (the window is closing)
                    raise DigestDeskError(
                        "The window closed before the day was imported."
                    ) from None

    def ensure_index(self, **kwargs: Any) -> str:
        return "deferred"  # the window indexes in the background after a fetch


class FetchSignals(QObject):
    day_finished = Signal(object)  # DayReport, emitted on the writer thread


class FeaturesMixin:
    """Trends, related papers, reading sessions and fetching, as window commands."""

    # ================================================================ building
    def _build_features(self: MainWindow) -> None:
        # ---- trends sidebar (replaces the dock's placeholder)
        self.trends = Trends(self.library)
        # The sidebar's "Latest": None is the newest day not after today; screenshots and tests
        # pin a day. A day chosen in the sidebar wins over it.
        self.trends_as_of: date | None = None
        self.trend_sidebar = TrendSidebar(self.trend_dock)
        self.trend_sidebar.use_settings(self.settings)
        self.trend_dock.setWidget(self.trend_sidebar)
        self.trend_sidebar.activated.connect(self._trend_activated)
        self.trend_sidebar.settings_changed.connect(self._schedule_trends)
        self.trend_sidebar.escaped.connect(self.focus_list)
        self.trend_dock.visibilityChanged.connect(self._trend_dock_visible)
        self._trends_stale = True
        self._trends_timer = QTimer(self)
        self._trends_timer.setSingleShot(True)
        self._trends_timer.setInterval(TRENDS_DEBOUNCE_MS)
        self._trends_timer.timeout.connect(self.compute_trends)
        self.reader.signals.result_ready.connect(self._feature_result)

        # ---- related papers: a tab of the lower area, between the links and the note
        self.related = RelatedPane(self)
        self.related.entry_activated.connect(self.jump_to_entry)
        self.lower_tabs.insertTab(1, self.related, icon("related"), "Related")
        inset(self.related)
        self.view.current_entry_changed.connect(self._request_related)
        self._related_wanted = -1
        self._related_timer = QTimer(self)
        self._related_timer.setSingleShot(True)
        self._related_timer.setInterval(RELATED_DELAY_MS)
        self._related_timer.timeout.connect(self._request_related_now)

        # ---- reading sessions: a page that borrows the reader while a session runs
        self.session: ReadingSession | None = None
        self.in_session = False
        self.last_session_summary: SessionSummary | None = None
        self.session_view = SessionView(self._key_text, self)
        self.session_view.hide()
        central_widget = self.centralWidget()
        central = central_widget.layout() if central_widget is not None else None
        assert central is not None
        central.addWidget(self.session_view)
        self._splitter_sizes: list[int] = []

        # ---- fetching
        self.fetch_client_factory: ClientFactory = default_client
        self.fetch_signals = FetchSignals()
        self.fetch_signals.day_finished.connect(self._fetch_day_finished)
        self.fetch_task: Task | None = None
        self.network: WriterThread | None = None
        self.last_fetch: list[DayReport] | None = None
        self.last_fetch_message = ""
        self.fetch_box: QMessageBox | None = None

    def _start_features(self: MainWindow) -> None:
        """After the registry exists: option states, key hints, an open session, fetch."""
        self._refresh_feature_hints()
        at_launch = self.registry.actions["fetch.at_launch"]
        at_launch.setChecked(str(self.settings.value("fetch/at_launch", "false")) == "true")
        self.reader.request("open_session", lambda library: Sessions(library).current())
        if at_launch.isChecked():
            self.fetch_digests()

    def _refresh_feature_hints(self: MainWindow) -> None:
        self.refresh_key_hints()

    def _feature_tab_hints(self: MainWindow) -> dict[QWidget, str]:
        first, last = self._key_text("related.open_1"), self._key_text("related.open_5")
        return {self.related: f"{first}–{last} jump · Enter jumps"}

    def _stop_features(self: MainWindow) -> None:
        """On close: cancel a fetch, and pause a running session (the writer runs it last)."""
        if self.fetch_task is not None:
            self.fetch_task.cancel()
        if self.network is not None:
            self.network.stop()  # a cancelled fetch ends at its next check (a fraction of a second)
        if self.in_session:
            self.notes.flush()
            self.session_view.stop_clock()
            self.writer.submit("Pause reading session", lambda library, _t: _pause(library))

    # ================================================================ reactions
    def _features_changed(self: MainWindow, changes: Changes) -> None:
        self._schedule_trends()

    def _features_searched(self: MainWindow) -> None:
        self._schedule_trends()

    def _feature_result(self: MainWindow, kind: str, generation: int, result: Any) -> None:
        if self._closing or not self.reader.is_current(kind, generation):
            return
        if kind == "trends":
            report, scope = result
            self.trend_sidebar.show_report(report, scope)
        elif kind == "related":
            entry_id, rows = result
            if self._detail is not None and self._detail.id == entry_id:
                keys = [self._key_text(f"related.open_{n}") for n in range(1, len(rows) + 1)]
                self.related.show_related(entry_id, rows, keys)
        elif kind == "open_session" and result is not None and not self.in_session:
            session: ReadingSession = result
            self.statusBar().showMessage(
                f"A reading session is open ({session.label or 'the list'}, at "
                f"{session.progress_text}): {self._key_text('session.resume')} resumes it.",
                15000,
            )

    # ================================================================ trends
    def _trend_dock_visible(self: MainWindow, visible: bool) -> None:
        if visible and self._trends_stale:
            self.compute_trends()

    def _schedule_trends(self: MainWindow) -> None:
        self._trends_stale = True
        if self.trend_dock.isVisible():
            self._trends_timer.start()

    def compute_trends(self: MainWindow) -> int:
        """Ask the reader thread for trends within the current search; returns the request."""
        self._trends_timer.stop()
        self._trends_stale = False
        text = self.query.text.strip()
        ids = list(self.model.ids()) if text else None
        sidebar = self.trend_sidebar
        window, by, as_of = sidebar.window(), sidebar.by(), sidebar.as_of() or self.trends_as_of
        trends = self.trends
        scope = f"Within “{text}”" if text else "Whole library"

        def job(_library: Library) -> tuple[Any, str]:
            return trends.report(window=window, by=by, as_of=as_of, ids=ids), scope

        return self.reader.request("trends", job)

    def _trend_activated(self: MainWindow, kind: str, payload: object) -> None:
        if kind == "query":
            query = str(payload)
            current = self.query.text.strip()
            # Within a search, a term narrows it (the sidebar showed trends of that search).
            if current and query not in current.split():
                query = f"{current} {query}"
            self.set_query(query)
        elif kind == "entry":
            self.jump_to_entry(int(str(payload)))
        elif kind == "repo":
            self.open_url(str(payload))

    def jump_to_entry(self: MainWindow, entry_id: int) -> None:
        """Select an entry in the list; when the query hides it, show everything first."""
        if self.in_session:
            self.leave_session()
        if self.view.select_id(entry_id):
            self.focus_list()
            return
        self.search_bar.set_text("", run=False)
        self.query.text = ""
        self.run_query(keep=entry_id)
        self.focus_list()

    # ================================================================ related
    def _request_related(self: MainWindow, entry_id: int) -> None:
        # Wait until the cursor rests: a "more like this" per j/k step would compete with
        # queries and the GUI thread for the GIL while the user is still moving.
        self.related.show_related(None, [])
        self._related_wanted = entry_id
        self._related_timer.start()

    def _request_related_now(self: MainWindow) -> None:
        entry_id = self._related_wanted
        if entry_id < 0:
            return

        def job(library: Library) -> tuple[int, list[Any]]:
            try:
                ids = library.related(entry_id, limit=RELATED_LIMIT)
            except DigestDeskError:
                return entry_id, []  # no index yet: nothing to suggest
            rows = library.rows(ids)
            return entry_id, [rows[i] for i in ids if i in rows]

        self.reader.request("related", job)

    def open_related(self: MainWindow, number: int) -> None:
        entry_id = self.related.nth(number)
        if entry_id is not None:
            self.jump_to_entry(entry_id)

    # ================================================================ sessions
    def start_session(self: MainWindow) -> None:
        """A session over the current list (or back into the open one)."""
        ids = list(self.model.ids())
        text = self.query.text.strip()

        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            sessions = Sessions(library)
            if sessions.current() is not None:
                return sessions.resume(), "Resumed the open reading session."
            label = text or "All entries"
            return sessions.start(ids, label=label, source_query=text or None), ""

        self.writer.submit(
            "Start reading session",
            job,
            on_done=self._session_entered,
            on_error=self._session_failed,
        )

    def start_queue_session(self: MainWindow) -> None:
        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            sessions = Sessions(library)
            if sessions.current() is not None:
                return (
                    sessions.resume(),
                    "Resumed the open reading session (stop it first to read the queue).",
                )
            return sessions.start_queue(), ""

        self.writer.submit(
            "Start reading the queue",
            job,
            on_done=self._session_entered,
            on_error=self._session_failed,
        )

    def resume_session(self: MainWindow) -> None:
        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            return Sessions(library).resume(), ""

        self.writer.submit(
            "Resume reading session",
            job,
            on_done=self._session_entered,
            on_error=self._session_failed,
        )

    def leave_session(self: MainWindow) -> None:
        """Esc: pause the session and go back to the list; outside a session, clear the
        search (the whole list again)."""
        if not self.in_session:
            if self.search_bar.text():
                self.leave_search()
            return
        self.notes.flush()
        self.writer.submit(
            "Pause reading session",
            lambda library, _t: _pause(library),
            on_error=self._session_failed,
        )
        self._exit_session_mode()
        self.statusBar().showMessage(
            f"Reading session paused: {self._key_text('session.resume')} resumes it.", 8000
        )

    def stop_session(self: MainWindow) -> None:
        self.notes.flush()

        def done(summary: SessionSummary) -> None:
            self.last_session_summary = summary
            if self.in_session:
                self._exit_session_mode()
            self._schedule_trends()
            self.statusBar().showMessage(f"Reading session finished: {summary.text()}.", 10000)
            if self.show_dialogs:
                SessionSummaryDialog(summary, self).open()

        self.writer.submit(
            "Stop reading session",
            lambda library, _t: Sessions(library).stop(),
            on_done=done,
            on_error=self._session_failed,
        )

    def _session_failed(self: MainWindow, error: BaseException) -> None:
        if isinstance(error, DigestDeskError):
            self.statusBar().showMessage(error.user_message, 8000)
            return
        raise error

    def _session_entered(self: MainWindow, result: tuple[ReadingSession, str]) -> None:
        session, message = result
        if self._closing:
            return
        self.session = session
        if not self.in_session:
            self.in_session = True
            self._splitter_sizes = self.splitter.sizes()
            self.view.current_entry_changed.disconnect(self._current_entry_changed)
            self.view.current_entry_changed.disconnect(self._request_related)
            self._show_current_soon.stop()  # the session, not the list, chooses the entry
            self.search_bar.hide()
            self.stack.hide()
            self.session_view.host_reader(self.reader_splitter)
            self.session_view.show()
        self._show_session_entry()
        if message:
            self.statusBar().showMessage(message, 6000)

    def _exit_session_mode(self: MainWindow) -> None:
        self.in_session = False
        self.session_view.stop_clock()
        self.session_view.hide()
        self.splitter.insertWidget(1, self.reader_splitter)
        if self._splitter_sizes:
            self.splitter.setSizes(self._splitter_sizes)
        self.search_bar.show()
        self.stack.show()
        self.view.current_entry_changed.connect(self._current_entry_changed)
        self.view.current_entry_changed.connect(self._request_related)
        last = self.session.current_entry_id if self.session is not None else None
        if last is not None:
            self.view.select_id(last)
        current = self.view.current_id()
        self._show_entry(current if current is not None else -1)
        self._request_related(current if current is not None else -1)
        self.focus_list()

    def _show_session_entry(self: MainWindow) -> None:
        session = self.session
        assert session is not None
        self.session_view.show_session(session)
        entry_id = session.current_entry_id
        if entry_id is None:
            self._show_entry(-1)
            self.related.show_related(None, [])
            self.abstract.show_placeholder(
                f"That was the last of {session.total}. {self._key_text('session.stop')} ends "
                f"the session with its summary; {self._key_text('go.previous')} goes back."
            )
        else:
            self._show_entry(entry_id)
            self._request_related(entry_id)
            ahead = [i.entry_id for i in session.items[session.position + 1 :]][:SESSION_PREFETCH]
            wanted = [i for i in ahead if i not in self._details]
            if wanted:
                epoch = self._detail_epoch
                self.reader.request("prefetch", lambda library: (epoch, library.entries(wanted)))
        if not self.notes.hasFocus():
            self.abstract.setFocus(Qt.FocusReason.OtherFocusReason)

    def _session_step(
        self: MainWindow, label: str, run: Callable[[Sessions], SessionUpdate | ReadingSession]
    ) -> None:
        """One step on the writer thread; the view follows the stored session."""
        self.notes.flush()  # a note typed on this entry is saved (and counted) first

        def job(
            library: Library, _task: Task
        ) -> tuple[ReadingSession, Changes, str | None, str | None]:
            result = run(Sessions(library))
            if isinstance(result, SessionUpdate):
                session, changes = result.session, result.changes
            else:
                session, changes = result, Changes()
            return session, changes, library.undo_label(), library.redo_label()

        def done(result: tuple[ReadingSession, Changes, str | None, str | None]) -> None:
            session, changes, undo_label, redo_label = result
            self._update_undo(undo_label, redo_label)
            self.apply_changes(changes)
            if self.in_session:
                self.session = session
                self._show_session_entry()

        self.writer.submit(label, job, on_done=done, on_error=self._session_failed)

    def session_mark(self: MainWindow, status: str) -> None:
        """r, s, q decide the entry and move on; u and i set the status and stay."""
        if status in ("read", "skipped", "queued"):
            self._session_step(f"Session: {status}", lambda s: s.record(status))
            return
        entry_id = self.session.current_entry_id if self.session is not None else None
        if entry_id is None:
            return

        def run(sessions: Sessions) -> SessionUpdate:
            changes = sessions.library.set_status([entry_id], status)
            return sessions.mark_current(changes=changes)

        self._session_step(f"Mark {status}", run)

    def session_next(self: MainWindow) -> None:
        """j: move on, keeping a decision made before (else the entry is passed over)."""
        session = self.session
        if session is None or session.is_done:
            return
        outcome = session.items[session.position].outcome or "passed"
        self._session_step("Session: next", lambda s: s.record(outcome))

    def session_back(self: MainWindow) -> None:
        self._session_step("Session: back", lambda s: s.back())

    def session_edit_tags(self: MainWindow) -> None:
        detail = self._detail
        if detail is None or self.session is None or self.session.current_entry_id != detail.id:
            return
        dialog = TagEditorDialog(detail.tags, self.known_tags, 1, self)
        accepted = dialog.exec() == TagEditorDialog.DialogCode.Accepted
        self.activateWindow()
        self.abstract.setFocus(Qt.FocusReason.OtherFocusReason)
        if accepted:
            add, remove = dialog.changes()
            self.session_change_tags(list(add), list(remove))

    def session_change_tags(self: MainWindow, add: list[str], remove: list[str]) -> None:
        if add or remove:
            self._session_step("Session: tags", lambda s: s.tag_current(add=add, remove=remove))

    def session_save_note(self: MainWindow, entry_id: int, text: str) -> None:
        session = self.session
        if session is not None and session.current_entry_id == entry_id:

            def job(library: Library, _task: Task) -> Changes:
                sessions = Sessions(library)
                current = sessions.current()
                if current is not None and current.current_entry_id == entry_id:
                    return sessions.note_current(text).changes
                return library.set_note(entry_id, text)

            self.writer.submit(
                "Save note", job, on_done=self.apply_changes, on_error=self._write_failed
            )
        else:
            self._submit("Save note", lambda library: library.set_note(entry_id, text))

    # ================================================================ fetching
    def fetch_choice(self: MainWindow) -> FetchChoice:
        from digestdesk.ui.fetch_dialogs import FetchChoice

        return FetchChoice.load(self.settings)

    def fetch_digests(self: MainWindow) -> Task | None:
        """Fetch the days not fetched yet, on the writer thread, with progress and cancel."""
        if self.fetch_task is not None:
            self.statusBar().showMessage("A fetch is already running.", 4000)
            return None
        from digestdesk.core import fetch

        choice = self.fetch_choice()
        factory = self.fetch_client_factory
        signals = self.fetch_signals

        writer = self.writer
        network = self._network_thread()

        def job(library: Library, task: Task) -> list[DayReport]:
            days = fetch.days_to_fetch(last=choice.days)

            def progress(done: int, total: int | None) -> None:
                network.signals.task_progress.emit(task, done, total or 0)

            # The network waits run here; each day's import runs on the writer thread, so
            # triage, tags and notes are never stuck behind a slow server.
            return fetch.fetch_days(
                WriterImports(library, writer, task),
                days,
                source=choice.source,
                category=choice.category,
                client=factory(task.cancelled),
                progress=progress,
                cancelled=task.cancelled,
                on_day=signals.day_finished.emit,
                index=False,  # the window builds the index after, in the background
            )

        def done(reports: list[DayReport]) -> None:
            self.fetch_task = None
            self._fetch_finished(choice.name, reports)

        def failed(error: BaseException) -> None:
            self.fetch_task = None
            if not isinstance(error, DigestDeskError):
                raise error
            self._fetch_message(True, f"Cannot fetch: {error.user_message}", [])

        self.fetch_task = network.submit(
            f"Fetching from {choice.name}", job, on_done=done, on_error=failed, show_progress=True
        )
        return self.fetch_task

    def _network_thread(self: MainWindow) -> WriterThread:
        """A serial worker for network waits (created on the first fetch)."""
        if self.network is None:
            self.network = WriterThread(self.library, self)
            self.network.signals.task_started.connect(self._task_started)
            self.network.signals.task_progress.connect(self._task_progress)
            self.network.signals.queue_drained.connect(self._tasks_idle)
        return self.network

    def _fetch_day_finished(self: MainWindow, report: DayReport) -> None:
        if self.fetch_task is not None and not self._closing:
            self.task_label.setText(f"Fetching… {report.day.isoformat()}: {report.summary()}")

    def _fetch_finished(self: MainWindow, name: str, reports: list[DayReport]) -> None:
        from digestdesk.core import fetch
        from digestdesk.ui.fetch_dialogs import day_lines, outcome_text

        self.last_fetch = reports
        if self._closing:
            return
        imported = [r for r in reports if r.outcome == "imported"]
        if imported:
            self.ensure_index(expect_work=True)
            self.apply_changes(fetch.combined_changes(imported))
        failed, text = outcome_text(name, reports)
        self._fetch_message(failed, text, day_lines(reports))

    def _fetch_message(self: MainWindow, failed: bool, text: str, lines: list[str]) -> None:
        """Status bar, and a notification that does not block the window."""
        self.last_fetch_message = text
        self.statusBar().showMessage(text, 20000 if failed else 8000)
        if not self.show_dialogs or not (failed or lines):
            return
        if self.fetch_box is not None:
            self.fetch_box.deleteLater()  # the newer outcome replaces it
        box = QMessageBox(
            QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information,
            "Fetch failed" if failed else "Fetched digests",
            text,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setWindowModality(Qt.WindowModality.NonModal)
        if lines:
            box.setDetailedText("\n".join(lines))
        box.show()
        self.fetch_box = box

    def toggle_fetch_at_launch(self: MainWindow) -> None:
        on = self.registry.actions["fetch.at_launch"].isChecked()
        self.settings.setValue("fetch/at_launch", "true" if on else "false")
        self.settings.sync()
        self.statusBar().showMessage(
            "New digests are fetched at launch." if on else "No fetching at launch.", 4000
        )

    def edit_fetch_settings(self: MainWindow) -> None:
        from digestdesk.ui.fetch_dialogs import FetchSettingsDialog

        dialog = FetchSettingsDialog(self.fetch_choice(), self)
        accepted = dialog.exec() == FetchSettingsDialog.DialogCode.Accepted
        self._back_from_dialog()
        if accepted:
            choice = dialog.choice()
            choice.save(self.settings)
            key = (
                native(self.registry.keys_of("fetch.run")[0])
                if self.registry.keys_of("fetch.run")
                else ""
            )
            self.statusBar().showMessage(f"{key} fetches from {choice.name}.", 5000)


def _pause(library: Library) -> ReadingSession | None:
    sessions = Sessions(library)
    return sessions.pause() if sessions.current() is not None else None
