"""The reader on a team library (issue 17): who else read the paper and the members' comments,
rendered safely; and the key that shares a note says what it needs on a library of one."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from digestdesk.core.records import Colleagues, Comment, EntryRow, MemberState
from digestdesk.core.text import normalize_tag
from digestdesk.ui.abstract_pane import COMMENT_SHOWN
from digestdesk.ui.entry_model import row_cells
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tag_editor import TagEditorDialog

from .conftest import wait_idle


def test_the_reader_shows_the_team(qtbot: QtBot, loaded_window: MainWindow) -> None:
    window = loaded_window
    detail = window.reading.current_detail()
    assert detail is not None
    at = datetime(2026, 12, 3, 10, 4, tzinfo=UTC)
    team = Colleagues(
        states=[MemberState("ada", "read", at), MemberState("alan", "queued", None)],
        comments=[
            Comment("ada", "<script>alert(1)</script> worth presenting", at),
            Comment("alan", "x" * (COMMENT_SHOWN + 500), at),
        ],
    )
    window.abstract.show_entry(replace(detail, colleagues=team, tags=["#reading-group", "mine"]))
    text = window.abstract.toPlainText()
    assert "TEAM" in text
    assert "Also: ada read 03 Dec, alan queued" in text
    assert "ada · 03 Dec 2026 10:04" in text
    assert "<script>alert(1)</script> worth presenting" in text  # shown as text
    assert "x" * COMMENT_SHOWN + " …" in text and "x" * (COMMENT_SHOWN + 1) not in text
    assert "#reading-group" in text and "##reading-group" not in text and "#mine" in text
    # Without a team nothing of it shows.
    window.abstract.show_entry(detail)
    assert "TEAM" not in window.abstract.toPlainText()


def test_sharing_a_note_on_a_library_of_one_says_so(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    window.focus_list()
    qtbot.keyClick(window.view, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "team library" in window.statusBar().currentMessage(), timeout=5000)


def test_the_tag_editor_keeps_a_team_tag(qtbot: QtBot) -> None:
    """On a team library the editor's text holds ``#reading-group`` as it is: accepting it
    unchanged changes nothing (it once came back as the personal tag ``reading-group``)."""
    team = functools.partial(normalize_tag, team=True)
    dialog = TagEditorDialog(["#reading-group", "mine"], [], 1, normalize=team)
    qtbot.addWidget(dialog)
    assert dialog.changes() == ([], [])
    dialog.edit.setText("#reading-group new")
    assert dialog.changes() == (["new"], ["mine"])
    # A library of one: "#ml" typed for the tag "ml" is the same tag.
    solo = TagEditorDialog(["ml"], [], 1)
    qtbot.addWidget(solo)
    solo.edit.setText("#ml")
    assert solo.changes() == ([], [])


def test_a_team_tag_shows_with_its_one_hash_in_the_list(qtbot: QtBot) -> None:
    row = EntryRow(1, "A paper", None, None, "unread", False, False, ("#reading-group", "mine"))
    cells = row_cells(row, QFont())
    tags = next(c for c in cells if any(v == "#reading-group #mine" for v in c.values()))
    assert tags  # not "##reading-group"
