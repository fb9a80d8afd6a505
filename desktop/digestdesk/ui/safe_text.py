"""Text from outside the app (entry titles, file names, queries, server messages) shown by Qt as
text, never as markup.

Qt takes any string that *might* be rich text (a tag-like ``<b>`` in it) for HTML in tooltips,
labels and message boxes: a title of nested tables lays out for minutes on the GUI thread, and an
``<img src=...>`` makes Qt open that file (a FIFO blocks the thread for good). Tooltips therefore
carry markup the app builds itself with every piece of outside text escaped, and labels that show
outside text are switched to plain text.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

#: Longer outside text is cut in a tooltip (a 100 kB "title" is not read in a tooltip).
TOOLTIP_CHARS = 1000


def tooltip(*lines: str) -> str:
    """A tooltip of ``lines`` (outside text, escaped); Qt lays it out as the markup it is."""
    text = "\n".join(line for line in lines if line)
    if not text:
        return ""
    if len(text) > TOOLTIP_CHARS:
        text = text[:TOOLTIP_CHARS] + "…"
    return "<qt>" + html.escape(text, quote=False).replace("\n", "<br>") + "</qt>"


def plain_label(label: QLabel) -> QLabel:
    """Make ``label`` show its text as typed: for labels that show outside text."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_message_box(box: QMessageBox) -> QMessageBox:
    """A message box whose text (an error that quotes a file name or a title) stays text."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box
