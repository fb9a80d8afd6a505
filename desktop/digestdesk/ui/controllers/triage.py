"""Triage: marking entries (and moving on), their tags and notes, undo and redo, selection.

A status key patches the rows at once and moves on; the write runs on the writer thread and
its ``Changes`` reach the views through the change hub. Changes to many entries ask first.
During a reading session the same keys are the session's steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from digestdesk.ui.actions import handles
from digestdesk.ui.controllers.reader import ReaderController
from digestdesk.ui.controllers.sessions import SessionController
from digestdesk.ui.controllers.tags import KnownTags
from digestdesk.ui.controllers.writes import Writes
from digestdesk.ui.tag_editor import TagEditorDialog
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

STATUS_ACTIONS = tuple(
    f"entry.mark_{status}" for status in ("read", "unread", "queued", "reading", "skipped")
)


class TriageController:
    """Status, tags, notes, undo and redo of the selected entries."""

    def __init__(
        self,
        window: WindowLayout,
        writes: Writes,
        reading: ReaderController,
        tags: KnownTags,
        sessions: SessionController,
        confirm_bulk: Callable[[str], bool],
        tuning: Tuning,
    ) -> None:
        self.window = window
        self.writes = writes
        self.reading = reading
        self.tags = tags
        self.sessions = sessions
        self.confirm_bulk = confirm_bulk
        self.bulk_confirm = tuning.bulk_confirm
        self._tab_before_note: QWidget | None = None  # the lower tab `n` replaced
        window.notes.save_requested.connect(self.save_note)

    def _confirmed(self, count: int, question: str) -> bool:
        """Changes to more entries than the tuning's bulk_confirm ask first."""
        return count <= self.bulk_confirm or self.confirm_bulk(question)

    # ------------------------------------------------------------ status
    @handles(*STATUS_ACTIONS)
    def mark_status(self, status: str) -> None:
        window = self.window
        if window.in_session:
            return self.sessions.mark(status)
        ids = window.view.selected_ids()
        if not ids:
            return
        if not self._confirmed(len(ids), f"Mark {len(ids):,} entries as {status}?"):
            return
        last_row = max(r for r in (window.model.row_of(i) for i in ids) if r is not None)
        window.model.patch_status(ids, status)
        self.reading.forget(ids)
        self.writes.submit(f"Mark {status}", lambda library: library.set_status(ids, status))
        # Triage: move on to the entry after the ones just handled (the marks are done with).
        window.view.set_marking(False)
        window.view.move_to(last_row + 1)

    @handles("entry.toggle_selection")
    def toggle_selection(self) -> None:
        self.window.view.toggle_current_selection()

    # ------------------------------------------------------------ tags
    @handles("entry.edit_tags")
    def edit_tags(self) -> None:
        window = self.window
        if window.in_session:
            return self.sessions.edit_tags()
        ids = window.view.selected_ids()
        if not ids:
            return
        detail = self.reading.current_detail()
        current = detail.tags if detail is not None and len(ids) == 1 else []
        dialog = TagEditorDialog(
            current, self.tags.tags, len(ids), window, normalize=self.tags.normalize
        )
        accepted = dialog.exec() == TagEditorDialog.DialogCode.Accepted
        window.back_from_dialog()
        if not accepted:
            return
        add, remove = dialog.changes()
        self.change_tags(ids, add, remove)

    def change_tags(self, ids: Sequence[int], add: Sequence[str], remove: Sequence[str]) -> None:
        if not add and not remove:
            return
        if not self._confirmed(len(ids), f"Change the tags of {len(ids):,} entries?"):
            return
        ids, add, remove = list(ids), list(add), list(remove)
        self.writes.submit("Tags", lambda library: library.change_tags(ids, add=add, remove=remove))

    # ------------------------------------------------------------ notes
    @handles("entry.edit_note")
    def edit_note(self) -> None:
        window = self.window
        if self.reading.current_detail() is None:
            return
        if window.lower_tabs.currentWidget() is not window.notes:
            self._tab_before_note = window.lower_tabs.currentWidget()
        window.show_lower_tab(window.notes)
        window.notes.setFocus(Qt.FocusReason.ShortcutFocusReason)
        cursor = window.notes.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        window.notes.setTextCursor(cursor)

    def save_note(self, entry_id: int, text: str) -> None:
        if self.window.in_session:
            return self.sessions.save_note(entry_id, text)
        self.writes.submit("Save note", lambda library: library.set_note(entry_id, text))

    @handles("entry.share_note")
    def share_note(self) -> None:
        detail = self.reading.current_detail()
        if detail is None:
            return
        self.window.notes.flush()
        entry_id = detail.id
        self.writes.submit("Share note", lambda library: library.team.share_note(entry_id))

    @handles("note.leave")
    def leave_note(self) -> None:
        window = self.window
        window.notes.flush()
        if self._tab_before_note is not None:
            # Back to the tab shown before `n` (the links, with their keys' hint): the note
            # tab says "Note •" for entries that have one.
            window.show_lower_tab(self._tab_before_note)
            self._tab_before_note = None
        window.focus_list()

    # ------------------------------------------------------------ undo
    @handles("edit.undo")
    def undo(self) -> None:
        editor = _text_editor_with_focus()
        if editor is not None:
            editor.undo()  # Ctrl+Z in the search bar or a note is about its text
            return
        self.window.notes.flush()
        self.writes.submit("Undo", lambda library: library.undo())

    @handles("edit.redo")
    def redo(self) -> None:
        editor = _text_editor_with_focus()
        if editor is not None:
            editor.redo()
            return
        self.writes.submit("Redo", lambda library: library.redo())


def _text_editor_with_focus() -> QLineEdit | QPlainTextEdit | QTextEdit | None:
    """The editable text field with the keyboard focus, if any. Its own Ctrl+Z does not
    reach the window while it has something to undo; with nothing left, the key would
    otherwise undo a library change the user cannot see from there."""
    widget = QApplication.focusWidget()
    if isinstance(widget, QLineEdit | QPlainTextEdit | QTextEdit) and not widget.isReadOnly():
        return widget
    return None
