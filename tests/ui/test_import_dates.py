"""Importing page-text files in the window: the dialog shows the as-of date each file will be
read with (its modification day), a date typed there is used, the summary says where the date
came from; files with dates of their own import without asking."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.ui.import_dialogs import FileImportDialog, ImportSummaryDialog
from digestdesk.ui.main_window import MainWindow
from tests.core import factories

from .conftest import wait_idle

SAVED = date(2025, 11, 20)


def _saved_page(folder: Path, day: date = SAVED) -> Path:
    path = folder / "papers-page.txt"
    path.write_text(factories.page_text(), encoding="utf-8")
    noon = datetime(day.year, day.month, day.day, 12).timestamp()
    os.utime(path, (noon, noon))
    return path


def _dialog(qtbot: QtBot, window: MainWindow, paths: list[Path]) -> FileImportDialog:
    window.show_dialogs = True  # this test answers the dialogs itself
    window.imports.check_then_import(paths)
    qtbot.waitUntil(lambda: window.imports.file_dialog is not None, timeout=10_000)
    dialog = window.imports.file_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _close_summaries() -> list[ImportSummaryDialog]:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ImportSummaryDialog)]
    found = [w for w in found if w.isVisible()]
    for summary in found:
        summary.accept()
    return found


def test_the_dialog_shows_the_file_day_and_takes_a_typed_date(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    page = _saved_page(tmp_path)
    dialog = _dialog(qtbot, window, [page])
    field = dialog.date_fields[page]
    assert field.day() == SAVED
    assert "modification date" in field.toolTip()
    field.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClicks(field, "2026-11-20")  # viewed a year later than it was saved
    assert field.day() == date(2026, 11, 20)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    outcome = window.imports.last_import
    assert outcome is not None
    (report,) = outcome.reports
    assert (report.as_of, report.as_of_source) == (date(2026, 11, 20), "given")
    assert report.digest_date == date(2026, 11, 20)
    (summary,) = _close_summaries()
    where = summary.tree.topLevelItem(0).text(2)
    assert where.startswith("Hugging Face papers page (text), year-less dates read as of ")
    assert "2026-11-20" in where

    # The same file again with its own day: that import is corrected, no second digest.
    dialog = _dialog(qtbot, window, [page])
    qtbot.keyClick(dialog.import_button, Qt.Key.Key_Space)
    wait_idle(qtbot, window)
    (report,) = window.imports.last_import.reports  # type: ignore[union-attr]
    assert (report.as_of, report.as_of_source) == (SAVED, "file")
    assert report.reimported and report.dates_corrected == 2
    assert window.library.digest_dates() == [SAVED]
    (summary,) = _close_summaries()
    assert "the file's modification date" in summary.tree.topLevelItem(0).text(2)


def test_cancel_imports_nothing_and_dated_formats_do_not_ask(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, window, [_saved_page(tmp_path)])
    dialog.reject()
    wait_idle(qtbot, window)
    assert window.library.counts()["total"] == 0

    day = tmp_path / "2025-11-20.json"
    day.write_bytes(factories.api_day(3))
    window.imports.check_then_import([day])
    wait_idle(qtbot, window)
    assert window.imports.file_dialog is None
    assert window.library.counts()["total"] == 3
    _close_summaries()


def test_without_dialogs_the_status_bar_says_where_the_date_came_from(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.imports.check_then_import([_saved_page(tmp_path)])  # no dialog in this window
    wait_idle(qtbot, window)
    assert window.imports.file_dialog is None
    message = window.statusBar().currentMessage()
    assert "3 new" in message
    assert "read as of 2025-11-20, the file's modification date" in message
