"""Window state, import flow, safe rendering, crash reporting and the single instance."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.errors import LibraryLockedError
from digestdesk.paths import resolve_library
from digestdesk.ui import application
from digestdesk.ui.abstract_pane import AbstractPane
from digestdesk.ui.import_dialogs import ImportSummaryDialog, PasteImportDialog
from digestdesk.ui.main_window import MainWindow

from .conftest import Opened, make_window, wait_idle

PAGE_TEXT = """Daily Papers

byAK and the research community

Mar 6

Invented Paper About Sparse Lattices

We study lattices. Code at https://github.com/example/lattices.

  • 3 authors
·
Mar 4 12
"""


def test_window_state_is_restored(
    qtbot: QtBot,
    loaded_window: MainWindow,
    library: Library,
    settings: QSettings,
    opened: Opened,
) -> None:
    window = loaded_window
    window.search.set_sort("votes")
    wait_idle(qtbot, window)
    votes = [window.model.entry_row(r).votes for r in range(window.model.rowCount())]
    assert votes == sorted(votes, reverse=True)
    window.splitter.setSizes([300, 900])
    window.view.setColumnWidth(5, 222)
    window.commands.toggle_trends()
    window.close()

    again = make_window(qtbot, library, settings, opened)
    assert again.search.query.sort == "votes"
    assert again.view.columnWidth(5) == 222
    assert again.trend_dock.isVisible()
    sizes = again.splitter.sizes()
    assert sizes[0] < sizes[1]
    again.close()


def test_import_summary_lists_skipped_entries_with_reasons(
    qtbot: QtBot, window: MainWindow, sample: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "2026-03-06.json"
    broken.write_bytes(b'[{"paper": {"id": "2603.09999", "title": ""}}, ' + sample.read_bytes()[1:])
    not_a_digest = tmp_path / "notes.txt"
    not_a_digest.write_text("just some words\n")
    window.imports.import_paths([broken, not_a_digest])
    wait_idle(qtbot, window)
    outcome = window.imports.last_import
    assert outcome is not None
    assert [r.new for r in outcome.reports] == [8]
    assert len(outcome.reports[0].skipped) == 1
    assert outcome.failures and outcome.failures[0][0] == "notes.txt"
    dialog = ImportSummaryDialog(outcome.reports, outcome.failures, window)
    qtbot.addWidget(dialog)
    top = dialog.tree.topLevelItem(0)
    reasons = [top.child(i).text(1) for i in range(top.childCount())]
    assert "skipped" in reasons and reasons.count("new") == 8
    assert dialog.tree.topLevelItem(1).text(1) == "not imported"


def test_import_can_be_cancelled(qtbot: QtBot, window: MainWindow, sample: Path) -> None:
    task = window.imports.import_paths([sample, sample])
    task.cancel()
    wait_idle(qtbot, window)
    assert window.imports.last_import is not None and window.imports.last_import.cancelled
    assert window.library.counts()["total"] == 0


def test_pasted_page_text_shows_the_assumed_year(qtbot: QtBot, window: MainWindow) -> None:
    from datetime import date

    from digestdesk.core import formats

    parsed = formats.parse(PAGE_TEXT.encode(), name="clipboard", as_of=date(2025, 11, 20))
    dialog = PasteImportDialog(parsed, window)
    qtbot.addWidget(dialog)
    labels = {label.text() for label in dialog.findChildren(QLabel)}
    assert "Hugging Face papers page (text)" in labels  # not "hf-page"
    assert dialog.as_of_edit is not None
    assert dialog.as_of() == date(2025, 11, 20)
    dialog.as_of_edit.setDate(dialog.as_of_edit.date().addYears(-1))
    chosen = dialog.as_of()
    assert chosen == date(2024, 11, 20)
    window.imports.import_data(PAGE_TEXT.encode(), "clipboard", parsed.format, chosen)
    wait_idle(qtbot, window)
    entry = window.library.entry(window.library.search("").ids[0])
    assert entry.published == date(2024, 3, 4)


def test_reader_never_loads_resources_or_runs_links(qtbot: QtBot) -> None:
    pane = AbstractPane()
    qtbot.addWidget(pane)
    assert not pane.openLinks() and not pane.openExternalLinks()
    assert pane.loadResource(2, QUrl("https://tracker.example/pixel.png")) is None
    clicked: list[str] = []
    pane.link_activated.connect(clicked.append)
    pane.anchorClicked.emit(QUrl("javascript:alert(1)"))
    pane.anchorClicked.emit(QUrl("file:///etc/passwd"))
    pane.anchorClicked.emit(QUrl("https://github.com/a/b"))
    assert clicked == ["https://github.com/a/b"]


def test_imported_markup_is_shown_as_text(qtbot: QtBot, window: MainWindow) -> None:
    data = (
        b'[{"paper": {"id": "2603.07777", "title": "<img src=x onerror=alert(1)> Title",'
        b' "summary": "<script>alert(1)</script> and <a href=\\"javascript:x\\">link</a>",'
        b' "authors": [], "upvotes": 1, "publishedAt": "2026-03-01T00:00:00.000Z"}}]'
    )
    window.imports.import_data(data, "evil.json")
    wait_idle(qtbot, window)
    window.focus_list()
    wait_idle(qtbot, window)
    text = window.abstract.toPlainText()
    assert "<img src=x onerror=alert(1)>" in text
    assert "<script>alert(1)</script>" in text
    assert "javascript" not in window.abstract.toHtml().split("<body")[1].split("href=")[0]


def test_crash_hook_shows_the_report_and_keeps_running(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from digestdesk.ui import crash_dialog

    log = tmp_path / "digestdesk.log"
    log.write_text("line one\nline two\n")
    shown: list[str] = []
    monkeypatch.setattr(crash_dialog.CrashDialog, "exec", lambda self: shown.append(self.report))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    crash_dialog.install_excepthook(str(log))
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    assert shown and "ValueError: boom" in shown[0] and "line two" in shown[0]


def test_second_instance_on_the_same_library_is_refused(
    qtbot: QtBot, library: Library, library_dir: Path
) -> None:
    with pytest.raises(LibraryLockedError):
        Library.open(resolve_library(library_dir), writer=True)
    raised: list[application.Request] = []
    paths = resolve_library(library_dir)
    server = application._listen_for_second_launch(paths, raised.append)
    assert server is not None
    assert application._raise_running_instance(paths)
    qtbot.waitUntil(lambda: bool(raised), timeout=3000)
    assert raised == [application.Request([])]


def test_second_launch_with_files_hands_them_to_the_open_window(
    qtbot: QtBot, window: MainWindow, library_dir: Path, sample: Path, tmp_path: Path
) -> None:
    """`digestdesk FILE` on a library already open: the open window imports FILE."""
    paths = resolve_library(library_dir)
    received: list[list[str]] = []

    def second_launch(request: application.Request) -> None:
        received.append(request.files)
        application._second_launch(window, request)

    server = application._listen_for_second_launch(paths, second_launch)
    assert server is not None
    missing = tmp_path / "gone.json"
    assert application._raise_running_instance(paths, [sample, missing])
    qtbot.waitUntil(lambda: bool(received), timeout=3000)
    assert received == [[str(sample.resolve()), str(missing.resolve())]]
    wait_idle(qtbot, window)
    assert window.imports.last_import is not None and window.imports.last_import.reports
    assert window.model.rowCount() == 8
    assert [name for name, _message in window.imports.last_import.failures] == ["gone.json"]


def test_idle_counts_a_result_until_the_window_applied_it(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    """The reader thread being done is not idle: its answer may still wait in the event queue.
    The idle wait the tests (and screenshots) use holds until every listener handled it."""
    window = loaded_window
    pending_in_listener: list[int] = []
    window.reader.signals.result_ready.connect(
        lambda kind, _generation, _result: (
            pending_in_listener.append(window.pending_work()) if kind == "tags" else None
        )
    )
    answered = threading.Event()  # set on the reader thread as it hands the answer over
    window.reader.signals.answered.connect(
        lambda kind, _generation, _result: answered.set() if kind == "tags" else None,
        Qt.ConnectionType.DirectConnection,
    )
    window.tags.refresh()
    assert window.pending_work() >= 1
    # Let the thread answer without running the event loop: the answer is queued, not applied.
    assert answered.wait(10)
    assert not application.window_idle(window)
    wait_idle(qtbot, window)
    assert pending_in_listener and pending_in_listener[-1] >= 1  # counted while being applied
    assert window.pending_work() == 0


def test_idle_counts_the_search_debounce(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    window.search.focus_search()
    qtbot.keyClicks(window.search_bar.edit, "lattice")
    assert not application.window_idle(window)  # the query has not even started
    wait_idle(qtbot, window)
    assert window.search.query.text == "lattice" and window.model.rowCount() >= 1
