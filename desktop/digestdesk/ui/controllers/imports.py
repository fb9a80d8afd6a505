"""Importing: digest files (chosen, dropped or handed over by a second launch), the clipboard,
the demo library, and building the search index in the background.

Imports run on the job lane with progress and cancel; their ``Changes`` go to the change
hub. A large import is indexed afterwards, in the background: the list reads SQL, so it shows
the entries at once, and word searches say the index is being built until it is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog

from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library, modified_day
from digestdesk.core.records import ImportReport
from digestdesk.errors import DigestDeskError
from digestdesk.ui.actions import handles
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.controllers.search import SearchController
from digestdesk.ui.controllers.writes import Writes
from digestdesk.ui.import_dialogs import (
    FileCheck,
    FileImportDialog,
    ImportSummaryDialog,
    PasteImportDialog,
)
from digestdesk.ui.tasks import IndexLane, ReaderThread, Task, WriterThread
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

PasteParsed = tuple[bytes, ParseResult | None, str | None]  # the text, parsed, or why not
SNIFF_BYTES = 256 * 1024  # enough of a file to tell page text from the other formats


@dataclass
class ImportOutcome:
    reports: list[ImportReport]
    failures: list[tuple[str, str]]
    cancelled: bool = False
    index_deferred: bool = False  # imported with index=False: ensure_index follows


class ImportController(QObject):
    """Imports on the job lane, their summary, and the index build on the index lane."""

    def __init__(
        self,
        window: WindowLayout,
        reader: ReaderThread,
        jobs: WriterThread,
        index_lane: IndexLane,
        hub: ChangeHub,
        search: SearchController,
        writes: Writes,
        tuning: Tuning,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.reader = reader
        self.jobs = jobs
        self.index_lane = index_lane
        self.hub = hub
        self.search = search
        self.writes = writes
        self.large_import_bytes = tuning.large_import_bytes
        self.last_import: ImportOutcome | None = None
        self._index_task: Task | None = None
        index_lane.signals.task_progress.connect(self._task_progress)
        # A write left the index further behind than a quiet catch-up takes (or it is gone):
        # build it with its progress shown.
        index_lane.signals.needs_build.connect(self._index_needs_build)
        reader.route("paste", lambda result: self._paste_parsed(*result))
        reader.route("file_check", self._files_checked)
        self.file_dialog: FileImportDialog | None = None  # open while the reader chooses
        # A search found the index damaged (the library recorded it): rebuilt as a missing one.
        search.index_damage_found.connect(lambda _file: self._index_needs_build())

    def stop(self) -> None:
        """The window is closing: the index is rebuilt at the next start (queued writes
        still run first)."""
        if self._index_task is not None:
            self._index_task.cancel()

    # ================================================================ files
    @handles("library.import_files")
    def import_files(self) -> None:
        settings = self.window.settings
        paths, _ = QFileDialog.getOpenFileNames(
            self.window,
            "Import Digests",
            str(settings.value("import/last_dir", str(Path.home()))),
            "Digests (*.json *.txt *.xml *.atom);;All files (*)",
        )
        if paths:
            settings.setValue("import/last_dir", str(Path(paths[0]).parent))
            self.check_then_import(paths)

    def check_then_import(self, paths: Sequence[str | Path]) -> None:
        """Look at the files first (on the reader thread): when page text is among them, the
        window asks for the as-of dates (each file's modification day, editable) before the
        import; other files are imported at once."""
        files = [Path(p) for p in paths]

        def job(_library: Library) -> list[FileCheck]:
            from digestdesk.core import formats

            checks = []
            for path in files:
                try:
                    with path.open("rb") as stream:
                        head = stream.read(SNIFF_BYTES)
                    name: str | None = formats.detect(head, path.name).NAME
                except (OSError, DigestDeskError):
                    name = None  # the import itself says what is wrong with it
                checks.append(FileCheck(path, name, modified_day(path)))
            return checks

        self.reader.request("file_check", job)

    def _files_checked(self, checks: list[FileCheck]) -> None:
        window = self.window
        paths = [check.path for check in checks]
        if window.closing:
            return
        if not window.show_dialogs or not any(c.format == "hf-page" for c in checks):
            self.import_paths(paths)
            return
        dialog = FileImportDialog(checks, window)
        self.file_dialog = dialog

        def finished(result: int) -> None:
            self.file_dialog = None
            dialog.deleteLater()
            window.back_from_dialog()
            if result == FileImportDialog.DialogCode.Accepted:
                self.import_paths(paths, as_of=dialog.as_of())

        dialog.finished.connect(finished)
        dialog.open()

    def import_paths(
        self, paths: Sequence[str | Path], *, as_of: Mapping[Path, date] | None = None
    ) -> Task:
        """Import files one after the other on the job lane, then show the summary.
        ``as_of`` gives page-text files a day other than their modification day."""
        files = [Path(p) for p in paths]
        chosen = dict(as_of or {})
        index_now = not self._large_import(files)
        signals = self.jobs.signals

        def job(library: Library, task: Task) -> ImportOutcome:
            outcome = ImportOutcome([], [], index_deferred=not index_now)
            for number, path in enumerate(files):
                if task.cancelled():
                    outcome.cancelled = True
                    break

                def progress(done: int, total: int | None, _n: int = number) -> None:
                    whole = max(len(files), 1)
                    fraction = (done / total) if total else 0.0
                    signals.task_progress.emit(task, int((_n + fraction) * 1000 / whole), 1000)

                try:
                    report = library.import_file(
                        path,
                        as_of=chosen.get(path),
                        progress=progress,
                        cancelled=task.cancelled,
                        index=index_now,
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
        return self.jobs.submit(
            label,
            job,
            on_done=self._import_finished,
            on_error=self.writes.failed,
            show_progress=True,
        )

    def _large_import(self, files: Sequence[Path]) -> bool:
        size = 0
        for path in files:
            try:
                size += path.stat().st_size
            except OSError:
                continue  # the import reports it
        return size > self.large_import_bytes

    def import_data(
        self, data: bytes, name: str, fmt: str = "auto", as_of: date | None = None
    ) -> Task:
        index_now = len(data) <= self.large_import_bytes
        signals = self.jobs.signals

        def job(library: Library, task: Task) -> ImportOutcome:
            def progress(done: int, total: int | None) -> None:
                signals.task_progress.emit(task, done, total or 0)

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

        return self.jobs.submit(
            f"Importing {name}",
            job,
            on_done=self._import_finished,
            on_error=self.writes.failed,
            show_progress=True,
        )

    def fill_demo(self, count: int) -> Task:
        """Fill the (temporary) library with generated entries, in the background."""
        signals = self.jobs.signals

        def job(library: Library, task: Task) -> ImportOutcome:
            from digestdesk.core.demo import demo_result

            def progress(done: int, total: int | None) -> None:
                signals.task_progress.emit(task, done, total or 0)

            # The list reads SQL, so it shows the entries at once; the index follows.
            report = library.import_parsed(
                demo_result(count),
                source="demo",
                progress=progress,
                cancelled=task.cancelled,
                index=False,
            )
            return ImportOutcome([report], [], index_deferred=True)

        def done(outcome: ImportOutcome) -> None:
            self.last_import = outcome
            for report in outcome.reports:
                self.hub.publish(report.changes)
            self.window.statusBar().showMessage(f"Demo library: {count:,} generated entries.", 6000)
            self.ensure_index(expect_work=True)

        return self.jobs.submit(
            f"Generating {count:,} demo entries",
            job,
            on_done=done,
            on_error=self.writes.failed,
            show_progress=True,
        )

    def _import_finished(self, outcome: ImportOutcome) -> None:
        window = self.window
        self.last_import = outcome
        if outcome.reports:
            # The index lane catches up with every import; this shows it (and searches again
            # when it is done), with the progress of a deferred import's build.
            self.ensure_index(expect_work=outcome.index_deferred)
        for report in outcome.reports:
            self.hub.publish(report.changes)
        if not outcome.reports:
            self.search.refresh_counts()
        if outcome.cancelled:
            window.statusBar().showMessage(
                "Import cancelled; the file being read was not changed.", 6000
            )
        if window.show_dialogs and not (outcome.cancelled and not outcome.reports):
            ImportSummaryDialog(outcome.reports, outcome.failures, window).open()
        elif outcome.reports:
            said = [
                r.summary() + (f" ({r.as_of_note()})" if r.as_of_note() else "")
                for r in outcome.reports
            ]
            window.statusBar().showMessage("Imported: " + "; ".join(said), 6000)

    # ================================================================ clipboard and drops
    @handles("library.import_clipboard")
    def import_clipboard(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.window.show_problem(
                "Nothing to import",
                "The clipboard holds no text. Copy a papers page or a JSON digest first.",
            )
            return
        self.import_text(text)

    def import_text(self, text: str) -> None:
        """Parse pasted text off the GUI thread, then confirm (and date) it before importing."""
        data = text.encode("utf-8")

        def job(_library: Library) -> PasteParsed:
            from digestdesk.core import formats

            today = date.today()
            try:
                return data, formats.parse(data, name="clipboard", as_of=today, today=today), None
            except DigestDeskError as error:
                return data, None, error.user_message

        self.reader.request("paste", job)

    def _paste_parsed(self, data: bytes, parsed: ParseResult | None, message: str | None) -> None:
        window = self.window
        if parsed is None:
            window.show_problem("Cannot import the clipboard", message or "")
            return
        if not window.show_dialogs:
            self.import_data(data, "clipboard", parsed.format, parsed.as_of)
            return
        dialog = PasteImportDialog(parsed, window)
        accepted = dialog.exec() == PasteImportDialog.DialogCode.Accepted
        window.back_from_dialog()
        if accepted:
            self.import_data(data, "clipboard", parsed.format, dialog.as_of() or parsed.as_of)

    def drag_entered(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())) or mime.hasText():
            event.acceptProposedAction()

    def dropped(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if files:
            self.check_then_import(files)
        elif mime.hasText():
            self.import_text(mime.text())
        event.acceptProposedAction()

    # ================================================================ the search index
    def ensure_index(self, *, expect_work: bool = False) -> Task:
        """Build or catch up the search index in the background (the window stays usable).

        While it runs, word searches say the index is being built (with its progress) rather
        than showing stale results; filters, which run in SQL, keep working. ``expect_work``
        says so at once (after an import that left the index behind)."""
        signals = self.index_lane.signals

        def job(library: Library, task: Task) -> str:
            if library.index_status() == "ok":
                return "ok"
            signals.task_progress.emit(task, 0, 1000)

            def progress(done: int, total: int | None) -> None:
                signals.task_progress.emit(task, done, total or 0)

            return library.ensure_index(progress=progress, cancelled=task.cancelled)

        def finished() -> None:
            if self._index_task is task:
                self._index_task = None
            self.search.index_built()

        def done(result: str) -> None:
            finished()
            # A routine catch-up after an import says nothing: it would replace the import's
            # own message ("3 new ..."), which says more. A rebuild is worth saying.
            if result not in ("ok", "caught up", "cancelled"):
                self.window.statusBar().showMessage(f"Search index {result}.", 4000)

        def failed(error: BaseException) -> None:
            finished()
            self.writes.failed(error)

        if expect_work:
            self.search.index_building(0)
        task = self.index_lane.submit(
            "Building the search index",
            job,
            on_done=done,
            on_error=failed,
            show_progress=True,
        )
        self._index_task = task
        return task

    def _index_needs_build(self) -> None:
        if self._index_task is None and not self.window.closing:
            self.ensure_index(expect_work=True)

    def _task_progress(self, task: Task, done: int, total: int) -> None:
        if task is self._index_task and not self.window.closing:
            percent = min(99, done * 100 // total) if total else 0
            self.window.task_indicator.label.setText(f"Building the search index… {percent}%")
            self.search.index_building(percent)
