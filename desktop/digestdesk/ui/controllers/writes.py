"""Library writes from the window: each runs on the edit lane (short transactions, never behind
a long job or the index), and the ``Changes`` it made are published to the change hub when its
result is back; the Undo and Redo menu entries name
the change they would undo or redo.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction

from digestdesk.core.library import Library
from digestdesk.core.records import Changes
from digestdesk.errors import DigestDeskError
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.tasks import Task, TaskCancelled, WriterThread

WriteResult = tuple[Changes, str | None, str | None]  # the changes, the undo and redo labels


class Writes:
    """Submits writes and reports their outcome: Changes to the hub, problems to the user."""

    def __init__(
        self,
        writer: WriterThread,
        hub: ChangeHub,
        undo_action: QAction,
        redo_action: QAction,
        show_problem: Callable[[str, str], None],
        reload: Callable[[], None],
    ) -> None:
        self.writer = writer
        self.hub = hub
        self._undo = undo_action
        self._redo = redo_action
        self._show_problem = show_problem
        self._reload = reload

    def submit(
        self,
        label: str,
        run: Callable[[Library], Changes],
        *,
        on_done: Callable[[Changes], None] | None = None,
    ) -> Task:
        """Run ``run(library)`` on the writer thread; publish its Changes when it is done."""

        def job(library: Library, _task: Task) -> WriteResult:
            changes = run(library)
            return changes, library.undo_label(), library.redo_label()

        def done(result: WriteResult) -> None:
            changes, undo_label, redo_label = result
            self.show_undo(undo_label, redo_label)
            self.hub.publish(changes)
            if on_done is not None:
                on_done(changes)

        return self.writer.submit(label, job, on_done=done, on_error=self.failed)

    def failed(self, error: BaseException) -> None:
        """A write (or an import) failed: say why, and show the stored state again."""
        if isinstance(error, TaskCancelled):
            return  # the window is closing
        if isinstance(error, DigestDeskError):
            self._show_problem("Not done", error.user_message)
            # An optimistic patch may show a state that was not stored: reload it.
            self._reload()
            return
        raise error

    def show_undo(self, undo_label: str | None, redo_label: str | None) -> None:
        """Name the change Undo and Redo would act on."""
        self._undo.setText(f"Undo {undo_label}" if undo_label else "Undo")
        self._redo.setText(f"Redo {redo_label}" if redo_label else "Redo")
