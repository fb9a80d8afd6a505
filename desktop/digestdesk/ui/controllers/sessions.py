"""Reading sessions: the current list (or the queue) read one entry at a time on a page of its
own, which borrows the reader; r, s and q decide and move on, Esc pauses, a summary ends it.

Every step runs on the writer thread against the stored session (it survives a restart); the
page follows the session the step returns, and the ``Changes`` it made go to the change hub.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication

from digestdesk.core.library import Library
from digestdesk.core.records import Changes
from digestdesk.core.sessions import ReadingSession, Sessions, SessionSummary, SessionUpdate
from digestdesk.errors import DigestDeskError
from digestdesk.ui.actions import handles
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.controllers.reader import ReaderController
from digestdesk.ui.controllers.related import RelatedController
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.tags import KnownTags
from digestdesk.ui.controllers.writes import Writes
from digestdesk.ui.session_view import SessionSummaryDialog
from digestdesk.ui.tag_editor import TagEditorDialog
from digestdesk.ui.tasks import ReaderThread, Task, WriterThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

StepResult = tuple[ReadingSession, Changes, str | None, str | None]


class SessionController(QObject):
    """Starts, steps through, pauses and stops reading sessions."""

    stopped = Signal(object)  # SessionSummary: a session ended

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        writer: WriterThread,
        hub: ChangeHub,
        reading: ReaderController,
        related: RelatedController,
        search: SearchController,
        tags: KnownTags,
        writes: Writes,
        tuning: Tuning,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.writer = writer
        self.hub = hub
        self.reading = reading
        self.related = related
        self.search = search
        self.tags = tags
        self.writes = writes
        self.prefetch = tuning.session_prefetch
        self.session: ReadingSession | None = None
        self.last_session_summary: SessionSummary | None = None
        #: Whether a reading session is open (shown or paused); None until known.
        self.session_open: bool | None = None
        reader.route("open_session", self._open_session_found)
        reader.route("session_state", lambda found: self._show_open(found is not None))
        # A session may be started or stopped from the command line meanwhile: look again
        # when the user comes back to the window.
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._application_state_changed)

    # ================================================================ start and stop
    def announce_open(self) -> None:
        """At start: say so in the status bar when a session is open (paused)."""
        self.reader.request("open_session", lambda library: Sessions(library).current())

    def _application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and not self.window.closing:
            self.refresh_open()

    def refresh_open(self) -> None:
        """Find out again whether a session is open (for which commands apply)."""
        self.reader.request("session_state", lambda library: Sessions(library).current())

    def _show_open(self, is_open: bool) -> None:
        self.session_open = is_open

    def not_applicable(self) -> dict[str, str]:
        """The session commands that would do nothing now, with why (the command palette
        lists them last, greyed; their keys still run and say so)."""
        window = self.window
        found: dict[str, str] = {}
        if not (window.in_session or window.view.marking or window.search_bar.text()):
            found["session.leave"] = "There is no session on screen, no mark and no search."
        if self.session_open is None:
            return found  # whether a session is open is not known yet
        if not self.session_open:
            none = "No reading session is open."
            found.update({"session.stop": none, "session.resume": none})
            if self.search.counts.get("queued", 1) == 0:
                found["session.start_queue"] = "The queue is empty: mark entries queued first."
        elif window.in_session:
            found["session.resume"] = "The reading session is on screen."
        return found

    def _open_session_found(self, session: ReadingSession | None) -> None:
        self._show_open(session is not None)
        if session is not None and not self.window.in_session:
            self.window.statusBar().showMessage(
                f"A reading session is open ({session.label or 'the list'}, at "
                f"{session.progress_text}): {self.window.key_text('session.resume')} "
                "resumes it.",
                15000,
            )

    @handles("session.start")
    def start_session(self) -> None:
        """A session over the current search's list, or with no search its unread entries
        (as ``digestdesk session start``), in the list's order; or back into the open one."""
        if self.search.query_error is not None:
            # The list shows the search before the one typed: neither is what to read.
            self.window.statusBar().showMessage(
                f"The search has an error: {self.search.query_error} Fix it, or clear it "
                f"with {self.window.key_text('search.leave')}, to start a reading session.",
                8000,
            )
            return
        ids = list(self.window.model.ids())
        text = self.search.shown_text.strip()

        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            sessions = Sessions(library)
            if sessions.current() is not None:
                return sessions.resume(), "Resumed the open reading session."
            if not text:
                return sessions.start_unread(ids, label="Unread entries"), ""
            return sessions.start(ids, label=text, source_query=text), ""

        self.writer.submit(
            "Start reading session", job, on_done=self._entered, on_error=self._failed
        )

    @handles("session.start_queue")
    def start_queue_session(self) -> None:
        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            sessions = Sessions(library)
            if sessions.current() is not None:
                return (
                    sessions.resume(),
                    "Resumed the open reading session (stop it first to read the queue).",
                )
            return sessions.start_queue(), ""

        self.writer.submit(
            "Start reading the queue", job, on_done=self._entered, on_error=self._failed
        )

    @handles("session.resume")
    def resume_session(self) -> None:
        def job(library: Library, _task: Task) -> tuple[ReadingSession, str]:
            return Sessions(library).resume(), ""

        self.writer.submit(
            "Resume reading session", job, on_done=self._entered, on_error=self._failed
        )

    @handles("session.leave")
    def leave_session(self) -> None:
        """Esc: pause the session and go back to the list; outside a session, clear the
        search (the whole list again)."""
        window = self.window
        if not window.in_session:
            if window.view.clear_marks():
                return  # the entries marked with x first, the search with the next Esc
            if window.search_bar.text():
                self.search.leave_search()
            return
        window.notes.flush()
        self.writer.submit(
            "Pause reading session", lambda library, _t: _pause(library), on_error=self._failed
        )
        self._exit_session_mode()
        window.statusBar().showMessage(
            f"Reading session paused: {window.key_text('session.resume')} resumes it.", 8000
        )

    @handles("session.stop")
    def stop_session(self) -> None:
        self.window.notes.flush()

        def done(summary: SessionSummary) -> None:
            self.last_session_summary = summary
            if self.window.in_session:
                self._exit_session_mode()
            self._show_open(False)
            self.stopped.emit(summary)
            self.window.statusBar().showMessage(
                f"Reading session finished: {summary.text()}.", 10000
            )
            if self.window.show_dialogs:
                SessionSummaryDialog(summary, self.window).open()

        self.writer.submit(
            "Stop reading session",
            lambda library, _t: Sessions(library).stop(),
            on_done=done,
            on_error=self._failed,
        )

    def stop(self) -> None:
        """The window is closing: a running session is paused (the writer runs it last)."""
        if self.window.in_session:
            self.window.notes.flush()
            self.window.session_view.stop_clock()
            self.writer.submit("Pause reading session", lambda library, _t: _pause(library))

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, DigestDeskError):
            self.refresh_open()  # the session may have been stopped elsewhere
            self.window.statusBar().showMessage(error.user_message, 8000)
            return
        raise error

    # ================================================================ the session page
    def _entered(self, result: tuple[ReadingSession, str]) -> None:
        session, message = result
        window = self.window
        if window.closing:
            return
        self.session = session
        if not window.in_session:
            # The session, not the list, chooses the entry shown.
            self.reading.follow_list(False)
            self.related.follow_list(False)
            window.show_session_page()
            self._show_open(True)
        self._show_session_entry()
        if message:
            window.statusBar().showMessage(message, 6000)

    def _exit_session_mode(self) -> None:
        window = self.window
        window.show_list_page()
        self._show_open(True)  # paused; a stop says otherwise after
        self.reading.follow_list(True)
        self.related.follow_list(True)
        last = self.session.current_entry_id if self.session is not None else None
        if last is not None:
            window.view.select_id(last)
        current = window.view.current_id()
        self.reading.show_entry(current if current is not None else -1)
        self.related.request(current if current is not None else -1)
        window.focus_list()

    def _show_session_entry(self) -> None:
        window = self.window
        session = self.session
        assert session is not None
        window.session_view.show_session(session)
        entry_id = session.current_entry_id
        if entry_id is None:
            self.reading.show_entry(-1)
            window.related.show_related(None, [])
            window.abstract.show_placeholder(
                f"That was the last of {session.total}. {window.key_text('session.stop')} "
                f"ends the session with its summary; {window.key_text('go.previous')} goes back."
            )
        else:
            self.reading.show_entry(entry_id)
            self.related.request(entry_id)
            ahead = [i.entry_id for i in session.items[session.position + 1 :]][: self.prefetch]
            self.reading.read_ahead(ahead)
        if not window.notes.hasFocus():
            window.abstract.setFocus(Qt.FocusReason.OtherFocusReason)

    # ================================================================ steps
    def _step(self, label: str, run: Callable[[Sessions], SessionUpdate | ReadingSession]) -> None:
        """One step on the writer thread; the view follows the stored session."""
        self.window.notes.flush()  # a note typed on this entry is saved (and counted) first

        def job(library: Library, _task: Task) -> StepResult:
            result = run(Sessions(library))
            if isinstance(result, SessionUpdate):
                session, changes = result.session, result.changes
            else:
                session, changes = result, Changes()
            return session, changes, library.undo_label(), library.redo_label()

        def done(result: StepResult) -> None:
            session, changes, undo_label, redo_label = result
            self.writes.show_undo(undo_label, redo_label)
            self.hub.publish(changes)
            if self.window.in_session:
                self.session = session
                self._show_session_entry()

        self.writer.submit(label, job, on_done=done, on_error=self._failed)

    def mark(self, status: str) -> None:
        """r, s, q decide the entry and move on; u and i set the status and stay."""
        if status in ("read", "skipped", "queued"):
            self._step(f"Session: {status}", lambda s: s.record(status))
            return
        entry_id = self.session.current_entry_id if self.session is not None else None
        if entry_id is None:
            return

        def run(sessions: Sessions) -> SessionUpdate:
            changes = sessions.library.set_status([entry_id], status)
            return sessions.mark_current(changes=changes)

        self._step(f"Mark {status}", run)

    def next(self) -> None:
        """j: move on, keeping a decision made before (else the entry is passed over)."""
        session = self.session
        if session is None or session.is_done:
            return
        outcome = session.items[session.position].outcome or "passed"
        self._step("Session: next", lambda s: s.record(outcome))

    def back(self) -> None:
        self._step("Session: back", lambda s: s.back())

    def edit_tags(self) -> None:
        window = self.window
        detail = self.reading.current_detail()
        if detail is None or self.session is None or self.session.current_entry_id != detail.id:
            return
        dialog = TagEditorDialog(detail.tags, self.tags.tags, 1, window)
        accepted = dialog.exec() == TagEditorDialog.DialogCode.Accepted
        window.activateWindow()
        window.abstract.setFocus(Qt.FocusReason.OtherFocusReason)
        if accepted:
            add, remove = dialog.changes()
            self.change_tags(list(add), list(remove))

    def change_tags(self, add: list[str], remove: list[str]) -> None:
        if add or remove:
            self._step("Session: tags", lambda s: s.tag_current(add=add, remove=remove))

    def save_note(self, entry_id: int, text: str) -> None:
        session = self.session
        if session is not None and session.current_entry_id == entry_id:

            def job(library: Library, _task: Task) -> Changes:
                sessions = Sessions(library)
                current = sessions.current()
                if current is not None and current.current_entry_id == entry_id:
                    return sessions.note_current(text).changes
                return library.set_note(entry_id, text)

            self.writer.submit(
                "Save note", job, on_done=self.hub.publish, on_error=self.writes.failed
            )
        else:
            self.writes.submit("Save note", lambda library: library.set_note(entry_id, text))


def _pause(library: Library) -> ReadingSession | None:
    sessions = Sessions(library)
    return sessions.pause() if sessions.current() is not None else None
