"""A list widget that fills its items only while it is visible (the reader's lower tabs).

j/k changes the links and related papers on every step; a pane in a tab that is not shown
keeps only its data then, and builds its items when its tab comes to the front.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QListWidget, QWidget


class LazyListWidget(QListWidget):
    """Subclasses keep their data and implement :meth:`render_items`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = True

    def contents_changed(self) -> None:
        """The data changed: render now if shown, else when shown."""
        self._stale = True
        if self.isVisible():
            self._render_now()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        if self._stale:
            self._render_now()
        super().showEvent(event)

    def _render_now(self) -> None:
        self._stale = False
        self.render_items()

    def render_items(self) -> None:
        raise NotImplementedError
