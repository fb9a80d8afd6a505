"""The trends sidebar: what is rising, most voted, most starred, tags and statuses, your reading.

A view only: the window computes a :class:`~digestdesk.core.trends.TrendReport` on the reader
thread and hands it to :meth:`TrendSidebar.show_report`. Everything is one keyboard-walkable
list (section headings are not selectable) below the choosers: the window, the date kind and
the day the window ends ("as of": the newest day in the library, followed as digests come in,
or a date the reader pinned; the pin button says which). The choices are kept in the settings
given to :meth:`TrendSidebar.use_settings`, the pinned day under a key of the library's own.
Sparklines and bars are painted by :class:`TrendDelegate`. Enter or a click emits
:attr:`activated` with what the row stands for: a query (a term, a tag, a status), an entry id,
or a repository URL.
The For-you section (papers of the newest digest the reader's triage says they want, each with
why) comes from another computation and is kept at the top through :meth:`show_for_you`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSettings,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.drafts import STATUSES
from digestdesk.core.text import tag_label
from digestdesk.core.trends import TrendReport
from digestdesk.ui.date_field import DateField
from digestdesk.ui.icons import icon
from digestdesk.ui.safe_text import plain_label, tooltip

# "heading", "term", "entry", "pick" (a For-you entry), "repo", "query", "reading", "note"
KIND = Qt.ItemDataRole.UserRole
PAYLOAD = Qt.ItemDataRole.UserRole + 1  # query text, entry id or URL
DETAIL = Qt.ItemDataRole.UserRole + 2  # second line (a term's explanation, a heading's period)
SERIES = Qt.ItemDataRole.UserRole + 3  # sparkline values, or (label, value) bars
SECTION = Qt.ItemDataRole.UserRole + 4  # "foryou" on the rows of the For-you section

WINDOWS = (("7 days", "7d"), ("30 days", "30d"), ("90 days", "90d"), ("365 days", "365d"))
BY = (("by published date", "published"), ("by digest date", "digest"))
ACTIVE_KINDS = ("term", "entry", "pick", "repo", "query")
#: QSettings keys of the choosers; an empty as-of means "follow the newest day". The window
#: passes a key of the library's own for the as-of day (a day pinned in one library means
#: nothing in another).
SETTING_WINDOW, SETTING_BY, SETTING_AS_OF = "trends/window", "trends/by", "trends/as_of"
PIN_TEXT = {True: "Pinned", False: "Newest"}
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Pick:
    """A paper the For-you section recommends, and why (outside text: shown as text)."""

    entry_id: int
    title: str
    why: str


def _short(number: int) -> str:
    return f"{number / 1000:.1f}k" if number >= 10_000 else f"{number:,}"


_NOTE_FLAGS = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap


class TrendDelegate(QStyledItemDelegate):
    """Rows with a sparkline (rising terms), bars (reading per week) or a heading."""

    SPARK_WIDTH = 64

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:  # noqa: N802
        height = option.fontMetrics.height()
        kind = index.data(KIND)
        if kind in ("term", "pick"):
            return QSize(200, height * 2 + 10)
        if kind == "reading":
            return QSize(200, height * 4 + 16)
        if kind == "heading":
            return QSize(200, height * (2 if index.data(DETAIL) else 1) + 14)
        if kind == "note":
            # A note says why a section is empty: all of it is shown, wrapped to the list's width
            # (an elided end would be readable only in a mouse tooltip).
            text_rect = self._note_rect(QRect(0, 0, self._width(option), 10**6))
            wrapped = option.fontMetrics.boundingRect(text_rect, _NOTE_FLAGS, self._text(index))
            return QSize(200, max(wrapped.height(), height) + 8)
        return QSize(200, height + 8)

    def _width(self, option: QStyleOptionViewItem) -> int:
        view = self.parent()
        return view.viewport().width() if isinstance(view, QListWidget) else option.rect.width()

    @staticmethod
    def _note_rect(rect: QRect) -> QRect:
        return rect.adjusted(6, 4, -6, -4)

    @staticmethod
    def _text(index: _Index) -> str:
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "")

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        kind = index.data(KIND)
        if kind in ("term", "pick"):
            self._paint_term(painter, option, index)
        elif kind == "reading":
            self._paint_reading(painter, option, index)
        elif kind == "heading":
            self._paint_heading(painter, option, index)
        elif kind == "note":
            painter.save()
            painter.setPen(option.palette.text().color())
            painter.drawText(self._note_rect(option.rect), _NOTE_FLAGS, self._text(index))
            painter.restore()
        else:
            super().paint(painter, option, index)

    @staticmethod
    def _paint_heading(painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        """A small bold muted title; below it, when given, a muted detail (the period)."""
        painter.save()
        muted = option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        painter.setPen(muted)
        detail = index.data(DETAIL) or ""
        rect = option.rect.adjusted(6, 8, -6, 0)
        title_rect = rect
        if detail:
            line = option.fontMetrics.height()
            title_rect = QRect(rect.left(), rect.top(), rect.width(), line)
            font = option.font
            font.setPointSizeF(font.pointSizeF() * 0.88)
            painter.setFont(font)
            text = painter.fontMetrics().elidedText(
                detail, Qt.TextElideMode.ElideRight, rect.width()
            )
            painter.drawText(
                QRect(rect.left(), rect.top() + line, rect.width(), line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        font = option.font
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            index.data(Qt.ItemDataRole.DisplayRole),
        )
        painter.restore()

    @staticmethod
    def _background(painter: QPainter, option: QStyleOptionViewItem) -> QColor:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.highlight())
            return option.palette.highlightedText().color()
        return option.palette.text().color()

    def _paint_term(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        """Two lines: a bold term (a title, for a pick) over a muted detail; a sparkline right
        of a term."""
        painter.save()
        text_colour = self._background(painter, option)
        rect = option.rect.adjusted(6, 4, -6, -4)
        is_term = index.data(KIND) == "term"
        spark = QRect(
            rect.right() - self.SPARK_WIDTH, rect.top() + 3, self.SPARK_WIDTH, rect.height() - 6
        )
        text_rect = rect.adjusted(0, 0, -self.SPARK_WIDTH - 8, 0) if is_term else rect
        line = option.fontMetrics.height()
        painter.setPen(text_colour)
        font = option.font
        font.setBold(is_term)
        painter.setFont(font)
        title = painter.fontMetrics().elidedText(
            index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(text_rect.adjusted(0, 0, 0, -line), Qt.AlignmentFlag.AlignLeft, title)
        font.setBold(False)
        font.setPointSizeF(font.pointSizeF() * 0.88)
        painter.setFont(font)
        muted = QColor(text_colour)
        muted.setAlphaF(0.65)
        painter.setPen(muted)
        detail = painter.fontMetrics().elidedText(
            index.data(DETAIL) or "", Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(text_rect.adjusted(0, line + 1, 0, 0), Qt.AlignmentFlag.AlignLeft, detail)
        if is_term:
            self._sparkline(painter, spark, index.data(SERIES) or (), option)
        painter.restore()

    @staticmethod
    def _sparkline(
        painter: QPainter, rect: QRect, values: Sequence[int], option: QStyleOptionViewItem
    ) -> None:
        if len(values) < 2:
            return
        top = max(max(values), 1)
        step = rect.width() / (len(values) - 1)
        points = [
            QPointF(rect.left() + i * step, rect.bottom() - (v / top) * rect.height())
            for i, v in enumerate(values)
        ]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # The window is the right half: shade it so "rising" reads at a glance.
        half = QColor(option.palette.color(QPalette.ColorRole.Highlight))
        half.setAlphaF(0.12)
        middle = rect.left() + rect.width() / 2
        painter.fillRect(
            QRect(int(middle), rect.top(), rect.width() // 2 + 1, rect.height() + 1), half
        )
        pen = QPen(
            QColor("#2563eb")
            if not (option.state & QStyle.StateFlag.State_Selected)
            else option.palette.highlightedText().color(),
            1.6,
        )
        painter.setPen(pen)
        for a, b in zip(points, points[1:], strict=False):
            painter.drawLine(a, b)
        painter.setBrush(pen.color())
        painter.drawEllipse(points[-1], 2.2, 2.2)

    def _paint_reading(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index
    ) -> None:
        painter.save()
        text_colour = self._background(painter, option)
        bars: Sequence[tuple[str, int]] = index.data(SERIES) or ()
        rect = option.rect.adjusted(8, 6, -8, -4)
        line = option.fontMetrics.height()
        chart = rect.adjusted(0, 0, 0, -line)
        if bars:
            top = max(max(v for _l, v in bars), 1)
            width = chart.width() / len(bars)
            colour = QColor("#16a34a")
            for n, (_label, value) in enumerate(bars):
                height = int(value / top * (chart.height() - 2))
                bar = QRect(
                    int(chart.left() + n * width + 1),
                    chart.bottom() - height,
                    max(int(width) - 3, 2),
                    max(height, 1),
                )
                painter.fillRect(bar, colour if value else QColor(128, 128, 128, 60))
            font = option.font
            font.setPointSizeF(font.pointSizeF() * 0.8)
            painter.setFont(font)
            muted = QColor(text_colour)
            muted.setAlphaF(0.65)
            painter.setPen(muted)
            painter.drawText(
                QRect(rect.left(), chart.bottom() + 2, rect.width(), line),
                Qt.AlignmentFlag.AlignLeft,
                bars[0][0],
            )
            painter.drawText(
                QRect(rect.left(), chart.bottom() + 2, rect.width(), line),
                Qt.AlignmentFlag.AlignRight,
                bars[-1][0],
            )
        painter.restore()


class TrendList(QListWidget):
    """The sidebar's list: Enter picks the current row (one signal for keys and clicks,
    whatever the style thinks of single-click activation); Esc hands the keyboard back."""

    escaped = Signal()
    picked = Signal(QListWidgetItem)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.currentItem()
            if item is not None:
                self.picked.emit(item)
            return
        super().keyPressEvent(event)


class TrendSidebar(QWidget):
    """The left dock's content: choose a window, read the trends, press Enter to filter."""

    activated = Signal(str, object)  # kind ("query", "entry", "repo"), payload
    settings_changed = Signal()  # the window, the date kind or the as-of day changed: compute again
    escaped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendSidebar")
        self.setMinimumWidth(300)
        self.window_box = QComboBox(self)
        self.window_box.setObjectName("trendWindow")
        for text, value in WINDOWS:
            self.window_box.addItem(text, value)
        self.window_box.setCurrentIndex(1)
        self.by_box = QComboBox(self)
        self.by_box.setObjectName("trendBy")
        for text, value in BY:
            self.by_box.addItem(text, value)
        self.window_box.setToolTip(
            "How far back the window reaches (compared with the "
            "period of the same length before it)."
        )
        self.by_box.setToolTip("Date entries by publication or by the digest they came in.")
        self.window_box.currentIndexChanged.connect(lambda _i: self._changed())
        self.by_box.currentIndexChanged.connect(lambda _i: self._changed())

        # The day the window ends. None follows the newest day in the library; the edit then
        # shows the day the last report used. A date typed, stepped or picked pins it; the
        # pin button shows which, and unpinning goes back to following the newest day.
        self._as_of: date | None = None
        self.as_of_label = QLabel("As of", self)
        self.as_of_edit = DateField(self)
        self.as_of_edit.setObjectName("trendAsOf")
        self.as_of_edit.set_day(date.today())
        self.as_of_edit.setToolTip(
            "The last day of the window: type a date (2025-11-20), or Up and Down step the "
            "day, month or year under the cursor; Alt+Down opens a calendar. A date chosen "
            "here is pinned."
        )
        self.as_of_label.setBuddy(self.as_of_edit)
        self.as_of_edit.dateChanged.connect(self._date_edited)
        self.pin_button = QToolButton(self)
        self.pin_button.setObjectName("trendPin")
        self.pin_button.setCheckable(True)
        self.pin_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it
        self.pin_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pin_button.setAutoRaise(True)
        self.pin_button.toggled.connect(self._pin_toggled)
        self._show_pin(False)
        self._settings: QSettings | None = None
        self._as_of_key = SETTING_AS_OF

        self.scope = plain_label(QLabel(self))  # names the search the trends are of
        self.scope.setObjectName("trendScope")
        self.scope.setWordWrap(True)
        self.scope.setEnabled(False)  # muted

        self.list = TrendList(self)
        self.list.setObjectName("trendList")
        self.list.setItemDelegate(TrendDelegate(self.list))
        self.list.setUniformItemSizes(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)  # wrapped notes follow the width
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.picked.connect(self._activate)
        self.list.itemClicked.connect(self._activate)
        self.list.escaped.connect(self.escaped)

        choosers = QHBoxLayout()
        choosers.setSpacing(6)
        choosers.addWidget(self.window_box)
        choosers.addWidget(self.by_box, 1)
        day = QHBoxLayout()
        day.setSpacing(6)
        day.addWidget(self.as_of_label)
        day.addWidget(self.as_of_edit)  # as wide as a date: the pin sits right beside it
        day.addWidget(self.pin_button)
        day.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(choosers)
        layout.addLayout(day)
        layout.addWidget(self.scope)
        layout.addWidget(self.list, 1)
        for first, second in (
            (self.window_box, self.by_box),
            (self.by_box, self.as_of_edit),
            (self.as_of_edit, self.pin_button),
            (self.pin_button, self.list),
        ):
            QWidget.setTabOrder(first, second)
        self.report: TrendReport | None = None
        self._for_you: tuple[str, list[Pick], str] | None = None
        self.show_message("Computing trends…")

    # ------------------------------------------------------------ settings
    def window(self) -> str:  # type: ignore[override]
        return str(self.window_box.currentData())

    def by(self) -> str:
        return str(self.by_box.currentData())

    def as_of(self) -> date | None:
        """The pinned last day of the window, or None: the newest day in the library."""
        return self._as_of

    def pinned(self) -> bool:
        return self._as_of is not None

    def set_choice(self, window: str, by: str) -> None:
        for box, value in ((self.window_box, window), (self.by_box, by)):
            found = box.findData(value)
            if found >= 0:
                box.setCurrentIndex(found)

    def set_as_of(self, day: date | None) -> None:
        """Pin the window's last day (None: unpin, follow the newest day)."""
        if day is None:
            self.pin_button.setChecked(False)
            return
        self._show_date(day)
        if not self.pin_button.isChecked():
            self.pin_button.setChecked(True)  # _pin_toggled takes the edit's day
        elif self._as_of != day:
            self._as_of = day
            self._changed()

    def use_settings(self, settings: QSettings, as_of_key: str = SETTING_AS_OF) -> None:
        """Restore the choices from ``settings`` and keep them there from now on; the pinned
        day is read from and kept under ``as_of_key`` (the window gives one per library)."""
        self._settings = None  # restoring is not a change to save
        self._as_of_key = as_of_key
        window, by = settings.value(SETTING_WINDOW), settings.value(SETTING_BY)
        self.set_choice(str(window or self.window()), str(by or self.by()))
        as_of = str(settings.value(as_of_key) or "")
        try:
            self.set_as_of(date.fromisoformat(as_of) if as_of else None)
        except ValueError:
            self.set_as_of(None)  # a hand-edited setting: follow the newest day
        self._settings = settings

    def _changed(self) -> None:
        if self._settings is not None:
            self._settings.setValue(SETTING_WINDOW, self.window())
            self._settings.setValue(SETTING_BY, self.by())
            self._settings.setValue(self._as_of_key, self._as_of.isoformat() if self._as_of else "")
        self.settings_changed.emit()

    def _date_edited(self, _value: object) -> None:
        day = self.as_of_edit.day()
        if day != self._as_of:
            self._as_of = day
            if not self.pin_button.isChecked():
                self.pin_button.blockSignals(True)
                self.pin_button.setChecked(True)
                self.pin_button.blockSignals(False)
                self._show_pin(True)
            self._changed()

    def _pin_toggled(self, pinned: bool) -> None:
        self._show_pin(pinned)
        if pinned:
            self._as_of = self.as_of_edit.day()
        else:
            self._as_of = None
            if self.report is not None:
                self._show_date(self.report.as_of)
        self._changed()

    def _show_pin(self, pinned: bool) -> None:
        """The button says whether the day is pinned: a pin and "Pinned", or "Newest"."""
        button = self.pin_button
        button.setIcon(icon("trends.pinned" if pinned else "trends.follow"))
        button.setText(PIN_TEXT[pinned])
        button.setToolTip(
            "Pinned: the window ends on the date beside it, whatever is imported. "
            "Space unpins it: the window then follows the newest day in the library."
            if pinned
            else "Following the newest day in the library (not after today). "
            "Space pins the date beside it; typing a date pins it too."
        )
        button.setAccessibleName(f"As-of date {PIN_TEXT[pinned].lower()}")

    def _show_date(self, day: date) -> None:
        """Show ``day`` in the edit without taking it as a choice."""
        self.as_of_edit.blockSignals(True)
        self.as_of_edit.set_day(day)
        self.as_of_edit.blockSignals(False)

    def focus_list(self) -> None:
        self.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.list.currentRow() < 0 or not self._is_active(self.list.currentItem()):
            for row in range(self.list.count()):
                if self._is_active(self.list.item(row)):
                    self.list.setCurrentRow(row)
                    break

    # ------------------------------------------------------------ content
    def show_message(self, text: str) -> None:
        self.list.clear()
        self._render_for_you()
        self._add("note", text)

    def show_report(self, report: TrendReport, scope: str = "") -> None:
        """Fill the list from ``report``, keeping the current row's place where it can."""
        self.report = report
        keep = self.list.currentItem()
        kept = (keep.data(KIND), keep.data(PAYLOAD)) if self._is_active(keep) else None
        self.list.clear()
        if self._as_of is None:
            self._show_date(report.as_of)  # what "Latest" meant this time
        days = report.window_days
        # The heading below says which period "before" is.
        self.scope.setText(
            f"{scope or 'Whole library'} · {report.window_start:%-d %b} – "
            f"{report.as_of:%-d %b %Y} · {report.entries:,} entries "
            f"({report.previous_entries:,} before)"
        )

        self._render_for_you()
        period = f"{days} days to {report.as_of.isoformat()} vs the {days} before"
        self._heading("RISING TOPICS", period)
        if report.rising:
            for term in report.rising:
                query = report.window_query(term)
                item = self._add("term", term.term, query)
                item.setData(DETAIL, term.explanation)
                item.setData(SERIES, tuple(term.sparkline))
                item.setToolTip(tooltip(f"{term.explanation}. Enter filters the list by {query}."))
        else:
            self._add("note", report.notice or "Nothing rises clearly in this window.")

        self._heading("MOST VOTED")
        for entry in report.most_voted:
            item = self._add("entry", f"▲ {_short(entry.votes)}   {entry.title}", entry.id)
            item.setToolTip(tooltip(entry.title, f"{entry.votes:,} votes · {entry.day:%-d %b %Y}"))
        if not report.most_voted:
            self._add("note", "No votes in this window.")

        if report.late_risers:
            self._heading("LATE RISERS", "votes gained since first listed")
            for riser in report.late_risers:
                item = self._add("entry", f"+{_short(riser.gain)}   {riser.title}", riser.id)
                item.setToolTip(
                    tooltip(
                        riser.title,
                        f"{riser.first_votes:,} → {riser.votes:,} votes in {riser.days} days",
                    )
                )

        self._heading("CODE GAINING STARS", "stars a day")
        for repo in report.top_repositories:
            name = repo.repo.removeprefix("https://").removeprefix("github.com/")
            rate = repo.stars_per_day
            shown = f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"
            item = self._add("repo", f"★ +{shown}/day   {name}", repo.url)
            how = (
                f"+{repo.star_growth:,} stars between snapshots"
                if repo.basis == "growth" and repo.star_growth is not None
                else "stars per day since the library first saw it"
            )
            item.setToolTip(tooltip(repo.url, f"{repo.stars:,} stars; {how}. {repo.title}"))
        if not report.top_repositories:
            self._add("note", "No star counts in this window.")

        self._heading("TAGS AND STATUSES")
        digest = report.last_digest
        if digest is not None and digest.day is not None:
            self._add(
                "query",
                f"Last digest {digest.day:%-d %b}: {digest.unread} of {digest.entries} unread",
                "status:unread",
            )
        for status, count in report.statuses.items():
            if count and status in STATUSES:
                self._add("query", f"{status}   {count:,}", f"status:{status}")
        for tag, count in report.tags:
            self._add("query", f"{tag_label(tag)}   {count:,}", f"tag:{tag}")

        self._heading("YOUR READING")
        weeks = report.reading_per_week
        total = sum(w.read for w in weeks)
        sessions = sum(w.sessions for w in weeks)
        item = self._add("reading", "")
        item.setData(SERIES, tuple((f"{w.start:%-d %b}", w.read) for w in weeks))
        item.setToolTip("\n".join(f"{w.week}: {w.read} read, {w.sessions} sessions" for w in weeks))
        self._add(
            "note",
            f"{total} read in {len(weeks)} weeks"
            + (f" · {sessions} session{'s' if sessions != 1 else ''}" if sessions else ""),
        )

        for row in range(self.list.count()):
            item = self.list.item(row)
            if (item.data(KIND), item.data(PAYLOAD)) == kept:
                self.list.setCurrentRow(row)
                break
        else:
            self.list.scrollToTop()
            if self.list.hasFocus():
                self.focus_list()

    def show_for_you(self, heading: str, picks: Sequence[Pick], note: str = "") -> None:
        """The For-you section at the top: ``picks`` of a digest, best first, each with why;
        ``note`` instead when there are none (too little triage, no digest)."""
        self._for_you = (heading, list(picks), note)
        kept = self.list.currentRow()
        for row in reversed(range(self.list.count())):
            if self.list.item(row).data(SECTION) == "foryou":
                self.list.takeItem(row)
        self._render_for_you()
        if kept >= 0 and self.list.currentItem() is None:
            self.list.setCurrentRow(min(kept, self.list.count() - 1))

    def _render_for_you(self) -> None:
        if self._for_you is None:
            return
        heading, picks, note = self._for_you
        rows = [self._heading("FOR YOU", heading)]
        for pick in picks:
            item = self._add("pick", pick.title, pick.entry_id)
            item.setData(DETAIL, pick.why)
            item.setToolTip(tooltip(pick.title, pick.why, "Enter jumps to it."))
            rows.append(item)
        if not picks:
            rows.append(self._add("note", note or "Nothing to recommend in this digest."))
            rows[-1].setToolTip(tooltip(note))
        for position, item in enumerate(rows):
            self.list.takeItem(self.list.row(item))
            self.list.insertItem(position, item)
            item.setData(SECTION, "foryou")

    def rows(self, kind: str | None = None) -> list[QListWidgetItem]:
        items = [self.list.item(r) for r in range(self.list.count())]
        return [i for i in items if kind is None or i.data(KIND) == kind]

    def _heading(self, text: str, detail: str = "") -> QListWidgetItem:
        item = self._add("heading", text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        if detail:
            item.setData(DETAIL, detail)
            item.setToolTip(tooltip(detail))
        return item

    def _add(self, kind: str, text: str, payload: object = None) -> QListWidgetItem:
        item = QListWidgetItem(text, self.list)
        item.setData(KIND, kind)
        item.setData(PAYLOAD, payload)
        if kind in ("note", "reading"):
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        return item

    @staticmethod
    def _is_active(item: QListWidgetItem | None) -> bool:
        return item is not None and item.data(KIND) in ACTIVE_KINDS

    def _activate(self, item: QListWidgetItem) -> None:
        kind = item.data(KIND)
        if kind == "term":
            self.activated.emit("query", item.data(PAYLOAD))
        elif kind == "pick":
            self.activated.emit("entry", item.data(PAYLOAD))
        elif kind in ("entry", "repo", "query"):
            self.activated.emit(kind, item.data(PAYLOAD))
