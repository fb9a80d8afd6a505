"""The search bar: the query as you type (debounced), and the query's error under it.

Typing restarts a ~150 ms timer; when it fires, ``query_changed`` carries the text and the
window hands it to the reader thread. A malformed query shows the parser's message inline
instead of a dialog, and the previous results stay.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from digestdesk.ui.icons import icon
from digestdesk.ui.safe_text import plain_label

DEBOUNCE_MS = 150

#: the word at the end of a query, being typed: letters and digits only, four or more (the
#: query language's shortest prefix: shorter ones match too many words)
_WORD_BEING_TYPED = re.compile(r"(?:^|\s)(\w{4,})$")
_OPERATORS = {"AND", "OR", "NOT"}


def word_being_typed(text: str) -> str | None:
    """The unfinished word a query ends with, if searching it as a prefix makes sense: a
    plain word of four or more letters right at the end (not a field like ``tag:x``, not
    inside a "phrase", not an operator). ``diffusio`` matches nothing; ``diffusio*`` does."""
    match = _WORD_BEING_TYPED.search(text)
    if match is None or text.count('"') % 2 or match.group(1) in _OPERATORS:
        return None
    return match.group(1)


class SearchBar(QWidget):
    """A line edit with a debounce timer and an error line."""

    query_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.edit = QLineEdit(self)
        self.edit.setObjectName("searchEdit")
        self.edit.setAccessibleName("Search")
        self.edit.setClearButtonEnabled(True)
        self.edit.setPlaceholderText(
            'Search  ( / )   words, "phrases", author:name, tag:x, status:unread, '
            "year:2025, has:code, sort:votes"
        )
        self.edit.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.error = plain_label(QLabel(self))  # the message may quote the query
        self.error.setObjectName("searchError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #dc2626;")
        self.error.hide()
        self.result_label = plain_label(QLabel(self))
        self.result_label.setObjectName("resultLabel")
        self.result_label.setMinimumWidth(110)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.edit, 1)
        row.addWidget(self.result_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._fire)
        self._typed_at = float("-inf")
        self.edit.textEdited.connect(self._restart)
        self.edit.textChanged.connect(self._cleared_by_button)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str, *, run: bool = True) -> None:
        self.edit.setText(text)
        if run:
            self._timer.stop()
            self._fire()

    def clear(self) -> None:
        changed = bool(self.edit.text())
        self.edit.clear()
        if changed:
            self._timer.stop()
            self._fire()

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def set_result_text(self, text: str) -> None:
        self.result_label.setText(text)

    def debouncing(self) -> bool:
        """Typed text is waiting for the debounce to run its query."""
        return self._timer.isActive()

    def typed_within(self, seconds: float) -> bool:
        """A key changed the text less than ``seconds`` ago (the user is still typing)."""
        return time.monotonic() - self._typed_at < seconds

    def _restart(self, _text: str) -> None:
        self._typed_at = time.monotonic()
        self._timer.start()

    def _cleared_by_button(self, text: str) -> None:
        if not text and not self._timer.isActive():
            self._timer.start()

    def _fire(self) -> None:
        self.query_changed.emit(self.edit.text())
