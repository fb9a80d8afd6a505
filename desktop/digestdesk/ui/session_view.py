"""The focused reading view of a reading session, and the summary shown when one ends.

:class:`SessionView` is a page of the window: a header with the progress ("3 / 20"), the time
spent and the estimated time left, above the window's own reader (abstract, links, related,
tags and note), which the window lends to this page while the session runs, so every reader
key works unchanged. The session itself lives in the database (``core.sessions``); this view
only shows the snapshots the window hands it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.library import utcnow
from digestdesk.core.sessions import ReadingSession, SessionSummary, format_duration
from digestdesk.ui.safe_text import plain_label

READING_WIDTH = 1000  # px: the abstract's lines stay readable on a wide window


class SessionView(QWidget):
    """One entry at a time: progress, clock and estimate on top, the reader below."""

    def __init__(self, key_text: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionView")
        self._key_text = key_text
        self.session: ReadingSession | None = None

        self.title = plain_label(QLabel(self))  # names the query the session reads
        self.title.setObjectName("sessionTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("sessionProgress")
        progress_font = self.progress_label.font()
        progress_font.setPointSizeF(progress_font.pointSizeF() * 1.6)
        progress_font.setBold(True)
        self.progress_label.setFont(progress_font)
        self.clock_label = QLabel(self)
        self.clock_label.setObjectName("sessionClock")
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(6)
        self.hints = QLabel(self)
        self.hints.setObjectName("sessionHints")
        self.hints.setEnabled(False)  # the muted text colour
        self.hints.setWordWrap(True)
        self.hints.setTextFormat(Qt.TextFormat.RichText)

        top = QHBoxLayout()
        top.addWidget(self.progress_label)
        top.addSpacing(16)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.clock_label)
        top.addLayout(titles, 1)

        header = QWidget(self)
        header.setObjectName("sessionHeader")
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(18, 12, 18, 8)
        header_layout.setSpacing(6)
        header_layout.addLayout(top)
        header_layout.addWidget(self.bar)
        header_layout.addWidget(self.hints)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        # The window's reader goes here while a session runs, at a readable line length
        # (side margins follow the width: see resizeEvent).
        self.host = QVBoxLayout()
        self.host.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(line)
        layout.addLayout(self.host, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)

    def host_reader(self, reader: QWidget) -> None:
        self.host.addWidget(reader, 1)
        reader.show()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        side = max(0, (event.size().width() - READING_WIDTH) // 2)
        self.host.setContentsMargins(side, 0, side, 0)
        super().resizeEvent(event)

    def show_session(self, session: ReadingSession) -> None:
        self.session = session
        self.title.setText(f"Reading session · {session.label or 'the list'}")
        self.progress_label.setText(session.progress_text)
        self.bar.setRange(0, max(session.total, 1))
        self.bar.setValue(min(session.position, session.total))
        k = self._key_text
        self.hints.setText(
            f"<b>{k('entry.mark_read')}</b> read · <b>{k('entry.mark_skipped')}</b> skip · "
            f"<b>{k('entry.mark_queued')}</b> queue · <b>{k('go.next')}</b>/"
            f"<b>{k('go.previous')}</b> next/back · <b>{k('entry.edit_tags')}</b> tags · "
            f"<b>{k('entry.edit_note')}</b> note · <b>{k('entry.open_code_link')}</b> code · "
            f"<b>{k('session.leave')}</b> pause · <b>{k('session.stop')}</b> stop"
        )
        self._tick()
        if session.state == "active":
            self.timer.start()
        else:
            self.timer.stop()

    def stop_clock(self) -> None:
        self.timer.stop()

    def clock_text(self, now: datetime | None = None) -> str:
        session = self.session
        if session is None:
            return ""
        elapsed = session.elapsed_at(now or utcnow())
        left = session.remaining_seconds
        done = "all decided" if session.is_done else f"about {format_duration(left)} left"
        return f"{format_duration(elapsed)} spent · {done}"

    def _tick(self) -> None:
        self.clock_label.setText(self.clock_text())


class SessionSummaryDialog(QDialog):
    """What the session did: read, skipped, queued, tagged, notes written, time spent."""

    def __init__(self, summary: SessionSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionSummary")
        self.setWindowTitle("Reading session finished")
        self.summary = summary
        heading = QLabel(
            f"<b>{html.escape(summary.label or 'Reading session')}</b>: "
            f"{html.escape(summary.text())}.",
            self,
        )
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setWordWrap(True)
        form = QFormLayout()
        rows = (
            ("Read", summary.read),
            ("Skipped", summary.skipped),
            ("Queued", summary.queued),
            ("Passed over", summary.passed),
            ("Not reached", summary.undecided),
            ("Tagged", summary.tagged),
            ("Notes written", summary.noted),
        )
        for name, value in rows:
            form.addRow(f"{name}:", QLabel(f"{value:,}", self))
        form.addRow("Time spent:", QLabel(format_duration(summary.seconds), self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(buttons)
