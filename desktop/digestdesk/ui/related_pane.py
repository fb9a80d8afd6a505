"""Related papers in the reader: the entries most like the current one, numbered for Alt+N,
each with why (the phrases both papers share).

The window asks ``library.related`` on the reader thread (cosine of weighted terms of title,
abstract and keywords) and hands the rows and reasons here; Enter, a double-click or Alt+N
jumps. Titles and phrases are outside text: item text is plain, tooltips are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from digestdesk.core.records import EntryRow
from digestdesk.ui.lazy_list import LazyListWidget
from digestdesk.ui.safe_text import tooltip

ENTRY_ID = Qt.ItemDataRole.UserRole


class ReasonDelegate(QStyledItemDelegate):
    """An item's first line as usual, its second (why it is related) muted below it."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        title, _, why = str(index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        if not why:
            super().paint(painter, option, index)
            return
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""  # the background, selection and focus only
        style = item.widget.style() if item.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, item.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        colour = palette.highlightedText().color() if selected else palette.text().color()
        metrics = option.fontMetrics
        line = metrics.height()
        rect = option.rect.adjusted(4, (option.rect.height() - 2 * line) // 2, -4, 0)
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight
        painter.save()
        painter.setPen(colour)
        top = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.drawText(top, align, metrics.elidedText(title, elide, rect.width()))
        muted = QColor(colour)
        muted.setAlphaF(0.62)
        painter.setPen(muted)
        below = top.translated(0, line)
        painter.drawText(below, align, metrics.elidedText(why, elide, rect.width()))
        painter.restore()


class RelatedPane(LazyListWidget):
    """A short numbered list of similar entries."""

    entry_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("relatedPane")
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setItemDelegate(ReasonDelegate(self))
        self.itemDoubleClicked.connect(self._activated)
        self.for_id: int | None = None
        self.ids: list[int] = []
        self._rows: list[EntryRow] = []
        self._keys: list[str] = []
        self._reasons: list[list[str]] = []
        self._note = ""

    def show_related(
        self,
        for_id: int | None,
        rows: Sequence[EntryRow],
        key_text: Sequence[str] = (),
        reasons: Sequence[Sequence[str]] = (),
    ) -> None:
        """Show ``rows``, each with the phrases it shares with the entry in ``reasons`` (the
        data at once; the items when the pane is visible)."""
        if for_id is None and not rows and self.for_id is None and not self.ids:
            return  # already empty: j/k clears it on every step
        self.for_id = for_id
        self.ids = [row.id for row in rows]
        self._rows = list(rows)
        self._keys = list(key_text)
        self._reasons = [list(r) for r in reasons]
        self._note = ""
        self.contents_changed()

    def show_note(self, text: str) -> None:
        """Say why there is nothing yet (the similarity model is being built)."""
        self._note = text
        self.contents_changed()

    def reason(self, number: int) -> list[str]:
        """The shared phrases of related paper ``number`` (from 1)."""
        return self._reasons[number - 1] if 0 < number <= len(self._reasons) else []

    def render_items(self) -> None:
        self.clear()
        for number, row in enumerate(self._rows):
            key = self._keys[number] if number < len(self._keys) else ""
            year = f" ({row.published.year})" if row.published is not None else ""
            shared = self._reasons[number] if number < len(self._reasons) else []
            why = f"shares {', '.join(shared)}" if shared else "alike in its wording as a whole"
            text = f"{key}  {row.title}{year}" if key else f"{row.title}{year}"
            indent = " " * (len(key) + 2) if key else ""
            item = QListWidgetItem(f"{text}\n{indent}{why}" if why else text, self)
            item.setData(ENTRY_ID, row.id)
            item.setToolTip(tooltip(row.title, why))
        if not self._rows and self.for_id is not None:
            item = QListWidgetItem("No similar entries in the library.", self)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
        elif not self._rows:
            item = QListWidgetItem(
                self._note or "Similar entries show when the cursor rests.", self
            )
            item.setFlags(Qt.ItemFlag.NoItemFlags)

    def nth(self, number: int) -> int | None:
        return self.ids[number - 1] if 0 < number <= len(self.ids) else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            self._activated(item)
            return
        super().keyPressEvent(event)

    def _activated(self, item: QListWidgetItem) -> None:
        entry_id = item.data(ENTRY_ID)
        if entry_id is not None:
            self.entry_activated.emit(int(entry_id))
