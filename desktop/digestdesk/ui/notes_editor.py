"""The note editor: plain text or Markdown, saved without a save button.

A note is saved ~800 ms after typing stops, when the editor loses focus, when another entry
is shown and when the window closes, so it is never lost. The editor only emits
``save_requested(entry_id, text)``; the window sends it to the writer thread.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

AUTOSAVE_MS = 800


class NotesEditor(QPlainTextEdit):
    """Edits the note of one entry at a time."""

    save_requested = Signal(int, str)  # entry id, text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notesEditor")
        self.setAccessibleName("Note")
        self.setPlaceholderText("Your note (Markdown welcome). Press n to write, Esc to go back.")
        self.setTabChangesFocus(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._entry_id: int | None = None
        self._saved_text = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.flush)
        self.textChanged.connect(self._changed)
        self._loading = False

    @property
    def entry_id(self) -> int | None:
        return self._entry_id

    def load(self, entry_id: int | None, text: str | None) -> None:
        """Show the note of ``entry_id`` (saving the previous entry's note first)."""
        if entry_id == self._entry_id and self.is_dirty():
            return  # a refresh of the entry being annotated: keep what is being typed
        self.flush()
        self._loading = True
        try:
            self._entry_id = entry_id
            self._saved_text = text or ""
            self.setPlainText(self._saved_text)
            self.setEnabled(entry_id is not None)
        finally:
            self._loading = False

    def saving_soon(self) -> bool:
        """Typing stopped less than the autosave delay ago: a save is coming."""
        return self._timer.isActive()

    def is_dirty(self) -> bool:
        return self._entry_id is not None and self.toPlainText() != self._saved_text

    def flush(self) -> None:
        """Save now if there is something unsaved."""
        self._timer.stop()
        if self.is_dirty() and self._entry_id is not None:
            text = self.toPlainText()
            self._saved_text = text
            self.save_requested.emit(self._entry_id, text)

    def _changed(self) -> None:
        if not self._loading:
            self._timer.start()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        self.flush()
        super().focusOutEvent(event)
