"""The keymap editor: change any command's keys; conflicts are shown and block saving."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digestdesk.ui.actions import CONTEXTS, ActionSpec, Keymap, find_conflicts, native, normalized


class KeymapDialog(QDialog):
    """Edits a copy of the keymap; :meth:`result_keymap` is what to save."""

    def __init__(
        self, specs: Sequence[ActionSpec], keymap: Keymap, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("keymapDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(760, 560)
        self._specs = list(specs)
        self._titles = {s.id: s.title.rstrip("…") for s in specs}
        self._defaults = keymap.defaults()
        self._keys: dict[str, tuple[str, ...]] = keymap.current()
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter commands…")
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(len(self._specs), 3, self)
        self.table.setHorizontalHeaderLabels(["Command", "Where", "Keys"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 150)
        self.table.setColumnWidth(2, 200)
        for row, spec in enumerate(self._specs):
            title = QTableWidgetItem(self._titles[spec.id])
            title.setToolTip(spec.help)
            title.setData(Qt.ItemDataRole.UserRole, spec.id)
            self.table.setItem(row, 0, title)
            self.table.setItem(row, 1, QTableWidgetItem(CONTEXTS[spec.context]))
            self.table.setItem(row, 2, QTableWidgetItem(""))
        self.table.currentCellChanged.connect(lambda *_: self._load_editor())
        self.editor = QKeySequenceEdit(self)
        self.editor.setMaximumSequenceLength(1)
        self.editor.editingFinished.connect(self._set_from_editor)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.clicked.connect(self._clear_keys)
        self.default_button = QPushButton("Default", self)
        self.default_button.clicked.connect(self._default_keys)
        self.conflicts = QLabel(self)
        self.conflicts.setObjectName("keymapConflicts")
        self.conflicts.setWordWrap(True)
        self.conflicts.setStyleSheet("color: #dc2626;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self._restore_all)
        edit_row = QHBoxLayout()
        edit_row.addWidget(QLabel("New key:", self))
        edit_row.addWidget(self.editor, 1)
        edit_row.addWidget(self.clear_button)
        edit_row.addWidget(self.default_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.conflicts)
        layout.addWidget(self.buttons)
        self._refresh()
        self.table.setCurrentCell(0, 0)

    def result_keymap(self) -> dict[str, tuple[str, ...]]:
        return dict(self._keys)

    def set_keys(self, action_id: str, keys: Sequence[str]) -> None:
        self._keys[action_id] = tuple(normalized(k) for k in keys if normalized(k))
        self._refresh()

    def _current_id(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _load_editor(self) -> None:
        action_id = self._current_id()
        keys = self._keys.get(action_id or "", ())
        self.editor.setKeySequence(QKeySequence(keys[0]) if keys else QKeySequence())

    def _set_from_editor(self) -> None:
        action_id = self._current_id()
        sequence = self.editor.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if action_id and sequence:
            self.set_keys(action_id, [sequence])

    def _clear_keys(self) -> None:
        action_id = self._current_id()
        if action_id:
            self.set_keys(action_id, [])

    def _default_keys(self) -> None:
        action_id = self._current_id()
        if action_id:
            self.set_keys(action_id, self._defaults.get(action_id, ()))

    def _restore_all(self) -> None:
        self._keys = dict(self._defaults)
        self._refresh()

    def _apply_filter(self, text: str) -> None:
        needle = text.lower()
        for row, spec in enumerate(self._specs):
            hay = f"{spec.title} {spec.id} {' '.join(self._keys.get(spec.id, ()))}".lower()
            self.table.setRowHidden(row, needle not in hay)

    def _refresh(self) -> None:
        conflicts = find_conflicts(self._keys, self._specs)
        clashing = {i for c in conflicts for i in c.action_ids}
        for row, spec in enumerate(self._specs):
            keys = self._keys.get(spec.id, ())
            item = self.table.item(row, 2)
            if item is None:
                continue
            item.setText(", ".join(native(k) for k in keys))
            item.setForeground(Qt.GlobalColor.red if spec.id in clashing else self.palette().text())
        self.conflicts.setText(" ".join(c.describe(self._titles) for c in conflicts))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(not conflicts)
