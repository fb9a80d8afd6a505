"""The reader's lower area: a compact tab per helper pane (links, related papers, note).

The abstract above it keeps the height; the tab bar's corner names the keys of the pane in
front, shortened (or left out) when the reader column is too narrow for tabs and hint both.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

MIN_HINT_WIDTH = 60  # narrower than this, no hint at all


class TabHint(QLabel):
    """A one-line hint whose size hint never takes room from the tabs; it elides instead."""

    def __init__(self, tabs: QTabWidget) -> None:
        super().__init__(tabs)
        self.setObjectName("tabHint")
        self.setEnabled(False)  # the palette's muted text colour
        self.setContentsMargins(0, 0, 12, 0)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        # The tab widget is looked up, not kept: a Python reference back to the parent would
        # make a reference cycle of widget wrappers for the garbage collector.
        tabs = self.parentWidget()
        if not isinstance(tabs, QTabWidget):
            return hint
        bar = tabs.tabBar().sizeHint()
        room = tabs.width() - bar.width() - 8
        width = min(hint.width(), room) if room >= MIN_HINT_WIDTH else 0
        return QSize(width, max(hint.height(), bar.height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, max(rect.width(), 0)
        )
        painter = QPainter(self)
        self.style().drawItemText(
            painter, rect, int(self.alignment()), self.palette(), self.isEnabled(), text
        )
        painter.end()


class ReaderTabs(QTabWidget):
    """The tab area under the abstract; :attr:`hint` shows the front pane's keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerTabs")
        self.setDocumentMode(True)
        self.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hint = TabHint(self)
        self.setCornerWidget(self.hint, Qt.Corner.TopRightCorner)
        self._hints: dict[QWidget, str] = {}
        self.currentChanged.connect(self._show_hint)

    def set_hints(self, hints: dict[QWidget, str]) -> None:
        """The key hint of each pane (they follow the keymap)."""
        self._hints = dict(hints)
        self._show_hint(self.currentIndex())

    def bring_forward(self, pane: QWidget) -> None:
        index = self.indexOf(pane)
        if index >= 0:
            self.setCurrentIndex(index)

    def set_tab_label(self, pane: QWidget, text: str) -> None:
        """Rename a pane's tab (only on a change: a rename lays the tab bar out again)."""
        index = self.indexOf(pane)
        if index >= 0 and self.tabText(index) != text:
            self.setTabText(index, text)

    def _show_hint(self, index: int) -> None:
        page = self.widget(index)
        self.hint.setText(self._hints.get(page, "") if page is not None else "")
        self.hint.updateGeometry()
