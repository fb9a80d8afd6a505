"""Fetching new digests from the network (Hugging Face daily papers or an arXiv category).

The network waits run on a serial thread of their own; each fetched day's import is handed to
the job lane and awaited there, so triage, tags and notes are never stuck behind a slow
server. The status bar shows progress and cancel; the outcome is a message that does not block
the window, the imported days' ``Changes`` go to the change hub, and the index follows in the
background. Fetching (HTTP, the digest formats) is imported when first used, not at start.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from digestdesk.core.library import Library
from digestdesk.errors import DigestDeskError
from digestdesk.ui.actions import handles, native
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.controllers.imports import ImportController
from digestdesk.ui.safe_text import plain_message_box
from digestdesk.ui.tasks import Task, WriterThread
from digestdesk.ui.window_layout import WindowLayout

if TYPE_CHECKING:
    from digestdesk.core.fetch import DayReport, HttpClient
    from digestdesk.ui.fetch_dialogs import FetchChoice

ClientFactory = Callable[[Callable[[], bool]], "HttpClient"]


def default_client(cancelled: Callable[[], bool]) -> HttpClient:
    from digestdesk.core import fetch

    return fetch.HttpClient(cache_dir=fetch.default_cache_dir(), cancelled=cancelled)


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
        from digestdesk.core.fetch import FetchCancelled

        outcome: concurrent.futures.Future[Any] = concurrent.futures.Future()
        claim = threading.Lock()  # whoever takes it first decides: the import runs, or not

        def run(library: Library, _task: Task) -> None:
            if not claim.acquire(blocking=False):
                return  # the fetch was cancelled while this waited in the writer's queue
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
                # Cancel is honoured at once even when the writer is busy with a long job; an
                # import already running sees the cancel itself and rolls back.
                if self.fetch_task.cancelled() and claim.acquire(blocking=False):
                    raise FetchCancelled() from None

    def ensure_index(self, **kwargs: Any) -> str:
        return "deferred"  # the window indexes in the background after a fetch


class FetchSignals(QObject):
    day_finished = Signal(object)  # DayReport, emitted on the network thread


class FetchController(QObject):
    """Fetches the days not fetched yet, with progress, cancel and a remembered option."""

    def __init__(
        self,
        window: WindowLayout,
        library: Library,
        writer: WriterThread,
        hub: ChangeHub,
        imports: ImportController,
        at_launch: QAction,
        client_factory: ClientFactory = default_client,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.library = library
        self.writer = writer
        self.hub = hub
        self.imports = imports
        self.at_launch = at_launch
        self.client_factory = client_factory
        self.signals = FetchSignals()
        self.signals.day_finished.connect(self._day_finished)
        self.fetch_task: Task | None = None
        self.network: WriterThread | None = None
        self.last_fetch: list[DayReport] | None = None
        self.last_fetch_message = ""
        self.fetch_box: QMessageBox | None = None

    def start(self) -> None:
        """At start: the remembered option's state, and a fetch if it is on."""
        self.at_launch.setChecked(
            str(self.window.settings.value("fetch/at_launch", "false")) == "true"
        )
        if self.at_launch.isChecked():
            self.fetch_digests()

    def stop(self) -> None:
        """The window is closing: cancel a fetch and stop the network thread."""
        if self.fetch_task is not None:
            self.fetch_task.cancel()
        if self.network is not None:
            self.network.stop()  # a cancelled fetch ends at its next check (a fraction of a second)

    def pending(self) -> int:
        return self.network.pending() if self.network is not None else 0

    def fetch_choice(self) -> FetchChoice:
        from digestdesk.ui.fetch_dialogs import FetchChoice

        return FetchChoice.load(self.window.settings)

    @handles("fetch.run")
    def fetch_digests(self) -> Task | None:
        """Fetch the days not fetched yet, on the network thread, with progress and cancel."""
        if self.fetch_task is not None:
            self.window.statusBar().showMessage("A fetch is already running.", 4000)
            return None
        from digestdesk.core import fetch

        choice = self.fetch_choice()
        factory = self.client_factory
        signals = self.signals
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
            self._finished(choice.name, reports)

        def failed(error: BaseException) -> None:
            self.fetch_task = None
            if not isinstance(error, DigestDeskError):
                raise error
            self._message(True, f"Cannot fetch: {error.user_message}", [])

        self.fetch_task = network.submit(
            f"Fetching from {choice.name}", job, on_done=done, on_error=failed, show_progress=True
        )
        return self.fetch_task

    def _network_thread(self) -> WriterThread:
        """A serial worker for network waits (created on the first fetch)."""
        if self.network is None:
            self.network = WriterThread(self.library, self.window)
            self.window.task_indicator.watch(self.network.signals)
        return self.network

    def _day_finished(self, report: DayReport) -> None:
        if self.fetch_task is not None and not self.window.closing:
            self.window.task_indicator.label.setText(
                f"Fetching… {report.day.isoformat()}: {report.summary()}"
            )

    def _finished(self, name: str, reports: list[DayReport]) -> None:
        from digestdesk.core import fetch
        from digestdesk.ui.fetch_dialogs import day_lines, outcome_text

        self.last_fetch = reports
        if self.window.closing:
            return
        imported = [r for r in reports if r.outcome == "imported"]
        if imported:
            self.imports.ensure_index(expect_work=True)
            self.hub.publish(fetch.combined_changes(imported))
        failed, text = outcome_text(name, reports)
        self._message(failed, text, day_lines(reports))

    def _message(self, failed: bool, text: str, lines: list[str]) -> None:
        """Status bar, and a notification that does not block the window."""
        window = self.window
        self.last_fetch_message = text
        window.statusBar().showMessage(text, 20000 if failed else 8000)
        if not window.show_dialogs or not (failed or lines):
            return
        if self.fetch_box is not None:
            self.fetch_box.deleteLater()  # the newer outcome replaces it
        box = QMessageBox(
            QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information,
            "Fetch failed" if failed else "Fetched digests",
            text,
            QMessageBox.StandardButton.Close,
            window,
        )
        plain_message_box(box)  # a server's message is text
        box.setWindowModality(Qt.WindowModality.NonModal)
        if lines:
            box.setDetailedText("\n".join(lines))
        box.show()
        self.fetch_box = box

    @handles("fetch.at_launch")
    def toggle_fetch_at_launch(self) -> None:
        on = self.at_launch.isChecked()
        settings = self.window.settings
        settings.setValue("fetch/at_launch", "true" if on else "false")
        settings.sync()
        self.window.statusBar().showMessage(
            "New digests are fetched at launch." if on else "No fetching at launch.", 4000
        )

    @handles("fetch.settings")
    def edit_fetch_settings(self) -> None:
        from digestdesk.ui.fetch_dialogs import FetchSettingsDialog

        window = self.window
        dialog = FetchSettingsDialog(self.fetch_choice(), window)
        accepted = dialog.exec() == FetchSettingsDialog.DialogCode.Accepted
        window.back_from_dialog()
        if accepted:
            choice = dialog.choice()
            choice.save(window.settings)
            keys = window.registry.keys_of("fetch.run")
            key = native(keys[0]) if keys else ""
            window.statusBar().showMessage(f"{key} fetches from {choice.name}.", 5000)
