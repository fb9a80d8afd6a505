"""The window on a damaged library: a dialog that names the file and what to do, never a
crash (the command line's side is in ``tests/core/test_faults.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from digestdesk.app import build_gui_parser
from digestdesk.ui import application, crash_dialog


@pytest.mark.parametrize("damage", ["truncated", "empty", "text"])
def test_opening_a_damaged_library_shows_a_dialog_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library

    folder = tmp_path / "library"
    with Library.open(resolve_library(folder)) as library:
        library.import_file(application.sample_path())
    database = folder / "library.sqlite3"
    if damage == "truncated":
        os.truncate(database, database.stat().st_size // 2)
    elif damage == "empty":
        database.write_bytes(b"")
    else:
        database.write_text("not a library\n", encoding="utf-8")
    before = database.read_bytes()

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        application.QMessageBox,
        "critical",
        lambda _parent, title, text: shown.append((title, text)),
    )
    monkeypatch.setattr(application, "route_qt_messages", lambda: None)
    monkeypatch.setattr(crash_dialog, "install_excepthook", lambda _log: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    options = build_gui_parser().parse_args(["--library", str(folder)])

    assert application.run_app(options) == 1
    [(title, text)] = shown
    assert title == "Cannot open the library"
    assert str(database) in text and str(folder / "backups") in text
    assert database.read_bytes() == before
