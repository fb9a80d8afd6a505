"""The change hub: one signal carrying the ``Changes`` of every finished job.

Every job that writes the library (a triage key, a tag or note edit, undo, an import, the demo,
a reading session's step, a fetch) publishes the :class:`~digestdesk.core.records.Changes` it
made here once its result is back on the GUI thread; it never tells a view to refresh. The
views' controllers subscribe themselves and decide what the change means for them:

    job (writer thread) -> Changes -> ChangeHub.changed -> each subscriber re-reads its part

Subscribers run in the order they subscribed, which the window fixes by the order it builds
its controllers: the reader's detail cache first (it forgets what changed before anything reads
again), then the list and counts, the known tags, the status bar's label, the trends sidebar.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from digestdesk.core.records import Changes


class ChangeHub(QObject):
    """Publishes the ``Changes`` of finished jobs to everything that shows library state."""

    changed = Signal(object)  # Changes, never empty

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._closed = False

    def publish(self, changes: Changes) -> None:
        """Tell every subscriber what a finished job changed (nothing once closed)."""
        if self._closed or changes.is_empty:
            return
        self.changed.emit(changes)

    def close(self) -> None:
        """The window is closing: results still arriving change nothing on screen."""
        self._closed = True
