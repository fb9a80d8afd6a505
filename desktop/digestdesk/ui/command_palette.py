"""The command palette (Ctrl+K): fuzzy search over every registered action, with its key."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFrame,
    QHeaderView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digestdesk.ui.actions import ActionSpec, native

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def fuzzy_score(query: str, text: str) -> int | None:
    """A score for ``query`` as a subsequence of ``text`` (higher is better), or None."""
    query, text = query.lower().strip(), text.lower()
    if not query:
        return 0
    if query in text:
        return 1000 - text.index(query) * 2 + (50 if text.startswith(query) else 0)
    score, position, streak = 0, 0, 0
    for char in query:
        if char == " ":
            continue
        found = text.find(char, position)
        if found < 0:
            return None
        streak = streak + 1 if found == position else 0
        at_word = found == 0 or text[found - 1] in " .-_"
        score += 10 + streak * 5 + (15 if at_word else 0) - min(found - position, 10)
        position = found + 1
    return score


class CommandPalette(QDialog):
    """Type to filter; Enter runs the command, Esc closes."""

    def __init__(
        self,
        specs: Sequence[ActionSpec],
        actions: dict[str, QAction],
        parent: QWidget | None = None,
        on_run: Callable[[str], None] | None = None,
        not_applicable: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle("Command Palette")
        self.setMinimumSize(560, 400)
        self._specs = [s for s in specs if s.context in ("window", "list")]
        self._actions = actions
        self._on_run = on_run
        # Commands that would do nothing now (id -> why): listed last, greyed, not run.
        self._not_applicable = dict(not_applicable or {})
        self.edit = QLineEdit(self)
        self.edit.setObjectName("paletteEdit")
        self.edit.setPlaceholderText("Type a command…")
        self.list = QTreeWidget(self)
        self.list.setObjectName("paletteList")
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAllColumnsShowFocus(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.edit.textChanged.connect(self.refilter)
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(lambda item, _column: self._run_item(item))
        self.refilter("")

    def refilter(self, text: str) -> None:
        scored = []
        for order, spec in enumerate(self._specs):
            action = self._actions[spec.id]
            haystack = f"{spec.title.rstrip('…')} {spec.id}"
            score = fuzzy_score(text, haystack)
            if score is None:
                continue
            why = self._not_applicable.get(spec.id) or ("" if action.isEnabled() else "Not now.")
            scored.append((bool(why), -score, order, spec, action, why))
        # What applies now comes first; a command that does not (Stop Reading Session with
        # no session open) is listed after, greyed, and cannot be run from here.
        scored.sort(key=lambda item: item[:3])
        self.list.clear()
        for disabled, _, _, spec, action, why in scored:
            keys = "  ".join(native(k.toString()) for k in action.shortcuts())
            item = QTreeWidgetItem([spec.title.rstrip("…"), keys])
            item.setIcon(0, action.icon())
            item.setToolTip(0, f"{why} {spec.help}" if disabled else spec.help)
            item.setData(0, ID_ROLE, spec.id)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setForeground(1, self.palette().placeholderText())
            if disabled:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addTopLevelItem(item)
        first = self.list.topLevelItem(0)
        if first is not None and not first.isDisabled():
            self.list.setCurrentItem(first)

    def count(self) -> int:
        return self.list.topLevelItemCount()

    def row_text(self, row: int) -> str:
        item = self.list.topLevelItem(row)
        return f"{item.text(0)}\t{item.text(1)}" if item else ""

    def row_enabled(self, row: int) -> bool:
        item = self.list.topLevelItem(row)
        return item is not None and not item.isDisabled()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                QApplication.sendEvent(self.list, event)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None:
                    self._run_item(item)
                return True
        return super().eventFilter(watched, event)

    def _run_item(self, item: QTreeWidgetItem) -> None:
        if item.isDisabled():
            return
        action_id = item.data(0, ID_ROLE)
        self.accept()
        if self._on_run is not None:
            self._on_run(action_id)
        else:
            self._actions[action_id].trigger()
