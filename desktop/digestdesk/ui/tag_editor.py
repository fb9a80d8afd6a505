"""The tag editor: a one-line dialog with completion of the library's existing tags.

For one entry the line holds its tags and is edited freely; for a selection the line starts
empty and adds what is typed (``-name`` removes a tag from all of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.text import normalize_tag


def split_tags(text: str) -> list[str]:
    return [t for t in text.replace(",", " ").split() if t.strip()]


class _TagCompleter(QCompleter):
    """Completes the word under the cursor, not the whole line."""

    def pathFromIndex(self, index: object) -> str:  # noqa: N802 - Qt override
        line = self.widget()
        assert isinstance(line, QLineEdit)
        done = line.text()[: line.cursorPosition()]
        head = done[: len(done) - len(done.split(" ")[-1])]
        prefix = "-" if done.split(" ")[-1].startswith("-") else ""
        return head + prefix + str(super().pathFromIndex(index)) + " "  # type: ignore[arg-type]

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 - Qt override
        line = self.widget()
        assert isinstance(line, QLineEdit)
        word = line.text()[: line.cursorPosition()].split(" ")[-1]
        return [word.lstrip("-+#")]


class TagEditorDialog(QDialog):
    """Returns the tags to add and to remove with :meth:`changes`."""

    def __init__(
        self,
        current: Sequence[str],
        known: Sequence[tuple[str, int]],
        entry_count: int,
        parent: QWidget | None = None,
        normalize: Callable[[str], str] = normalize_tag,
    ) -> None:
        super().__init__(parent)
        #: A typed name as the library stores it (a team library keeps a team tag's #).
        self._normalize = normalize
        self.setObjectName("tagEditor")
        self.setWindowTitle("Tags")
        self.setMinimumWidth(460)
        self._current = list(current) if entry_count == 1 else []
        self._bulk = entry_count != 1
        self.edit = QLineEdit(self)
        self.edit.setObjectName("tagEdit")
        if self._bulk:
            hint = (
                f"Tags to add to the {entry_count} selected entries; -name removes a tag. "
                "Separate with spaces."
            )
        else:
            hint = "Tags of this entry, separated by spaces. Tab completes existing tags."
            self.edit.setText(" ".join(self._current) + (" " if self._current else ""))
        label = QLabel(hint, self)
        label.setWordWrap(True)
        # The model needs a parent: a completer does not own its model, and a temporary one
        # was deleted at once (the completer then offered nothing).
        names = QStringListModel([name for name, _ in known], self)
        completer = _TagCompleter(names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setWidget(self.edit)
        self.edit.setCompleter(completer)
        self.completer = completer
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(buttons)

    def changes(self) -> tuple[list[str], list[str]]:
        words = split_tags(self.edit.text())
        norm = self._normalize
        remove = [norm(w[1:]) for w in words if w.startswith("-") and len(w) > 1]
        wanted = [norm(w.lstrip("+")) for w in words if not w.startswith("-")]
        if self._bulk:
            return wanted, remove
        add = [t for t in wanted if t not in self._current]
        remove += [t for t in self._current if t not in wanted]
        return add, remove
