"""A date field that takes typed dates: ``2025-11-20`` typed in, digit by digit.

Qt's :class:`QDateEdit` ignores digits typed into a section that is already full unless that
section is selected, and a click (or a focus that is not a Tab) leaves the cursor in the text
without selecting anything: typing a date then does nothing. A separator typed after a
section that Qt already left (it moves on by itself once a section is full) skips the next
section. :class:`DateField` starts the first digit typed after the field gets the focus at the
year (a whole date is being typed) unless Tab selected a section, the first digit after a
click or an arrow key at the section under the cursor, and takes ``-``, ``/`` or ``.`` to mean
"next section" only when that section was not entered yet. Up and Down still step the section,
Alt+Down opens the calendar.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QDateEdit, QWidget

from digestdesk.core.validation import YEAR_MAX, YEAR_MIN

DATE_FORMAT = "yyyy-MM-dd"
SEPARATORS = frozenset("-/.")


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DateField(QDateEdit):
    """A ``yyyy-MM-dd`` date edit with a calendar, into which a date can be typed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(DATE_FORMAT)
        self.setCalendarPopup(True)
        # The days entries can have (as the command line's dates), not Qt's 1752 to 9999.
        self.setDateRange(QDate(YEAR_MIN, 1, 1), QDate(YEAR_MAX, 12, 31))
        # Where the next digit starts: "focus" (the year), "cursor" (the section under the
        # cursor) or "" (typing on: Qt's own rules).
        self._start = "focus"
        self.lineEdit().installEventFilter(self)  # clicks land on the line edit

    def day(self) -> date:
        return to_date(self.date())

    def set_day(self, day: date) -> None:
        self.setDate(to_qdate(day))

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        if QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._start = "cursor"  # a click chose the section
        elif self.lineEdit().hasSelectedText():
            self._start = ""  # Tab selected a section: typing replaces it
        else:
            self._start = "focus"

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonPress:
            self._start = "cursor"  # a click chose the section to type into
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        text = event.text()
        line = self.lineEdit()
        if text in SEPARATORS and text:
            self._next_section()
            event.accept()
            return
        if text.isdigit():
            if self._start == "focus":
                self.setCurrentSectionIndex(0)
                self.setSelectedSection(self.currentSection())
            elif self._start == "cursor" and not line.hasSelectedText():
                self.setSelectedSection(self.currentSection())
            self._start = ""
        else:
            self._start = "cursor"  # arrows, Tab, Backspace: the next digit starts here
        super().keyPressEvent(event)

    def _next_section(self) -> None:
        """A separator: go on to the next section, unless Qt already went (the section is
        selected, untouched) after the previous one filled up."""
        line = self.lineEdit()
        section_text = self.sectionText(self.currentSection())
        if line.hasSelectedText() and line.selectedText() == section_text:
            return
        index = self.currentSectionIndex()
        if index + 1 < self.sectionCount():
            self.setCurrentSectionIndex(index + 1)
            self.setSelectedSection(self.currentSection())
        self._start = ""
