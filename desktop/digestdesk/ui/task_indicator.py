"""The status bar's task indicator: what runs in the background, its progress, and cancel.

Shown while a task that asked for it (an import, the index build, a fetch) runs on a worker
thread; hidden again when the thread's queue is empty. Cancel asks every such task to stop.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from digestdesk.ui.icons import icon
from digestdesk.ui.tasks import Task, TaskSignals


class TaskIndicator(QObject):
    """A label, a progress bar and a cancel button in the status bar, following the threads
    they :meth:`watch`."""

    def __init__(self, window: QWidget, status: QStatusBar) -> None:
        super().__init__(window)
        self.label = QLabel(window)
        self.progress = QProgressBar(window)
        self.progress.setMaximumWidth(200)
        self.progress.setMaximumHeight(16)
        self.cancel_button = QToolButton(window)
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setToolTip("Cancel the running import")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self.cancel_tasks)
        for widget in self._widgets():
            widget.hide()
            status.addPermanentWidget(widget)
        self._running: list[Task] = []

    def watch(self, signals: TaskSignals) -> None:
        """Show the tasks of a worker thread (the writer, the network thread)."""
        signals.task_started.connect(self._task_started)
        signals.task_progress.connect(self._task_progress)
        signals.queue_drained.connect(self._tasks_idle)

    def _widgets(self) -> tuple[QWidget, ...]:
        return (self.label, self.progress, self.cancel_button)

    def _task_started(self, task: Task) -> None:
        if not task.show_progress:
            return
        self._running.append(task)
        self.label.setText(task.label + "…")
        self.progress.setRange(0, 0)
        for widget in self._widgets():
            widget.show()

    def _task_progress(self, _task: Task, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _tasks_idle(self) -> None:
        self._running.clear()
        for widget in self._widgets():
            widget.hide()

    def cancel_tasks(self) -> None:
        for task in self._running:
            task.cancel()
        self.label.setText("Cancelling…")
