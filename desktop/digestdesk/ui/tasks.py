"""Background work in lanes: edits, long jobs and the search index never wait for each other.

The GUI thread never runs work that grows with the library. Writes run on serial
:class:`WriterThread` lanes, in submission order within a lane: the window has an *edit lane*
(status, tags, notes, undo, reading-session steps: short transactions, committed within
milliseconds of the key) and a *job lane* (imports, the demo, fetched days: long, cancellable,
one short whole-or-nothing transaction each). The search index has a lane of its own,
:class:`IndexLane`: writes only tell it the index is behind, and it catches up from the
database's change sequence (or rebuilds, cancellably), so a five-minute rebuild holds up no
edit; a large build runs in a child process the lane waits for
(:mod:`digestdesk.core.library.index_worker`), so it does not take the interpreter lock from
the window and the edit lane either. Queries run on :class:`ReaderThread`, which keeps only
the newest request of each kind, so typing a query never queues stale searches. Results come
back as signals delivered on the GUI thread: a task's to the callbacks it was submitted with, a
query's to the handler :meth:`ReaderThread.route` gave its kind.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, QThread, Signal

from digestdesk.core.library import Library
from digestdesk.core.library.change_listener import ChangeListener
from digestdesk.errors import DigestDeskError

log = logging.getLogger(__name__)

_ids = itertools.count(1)


@dataclass(eq=False)
class Task:
    """One unit of work for a thread; ``run(library, task)`` returns the result."""

    label: str
    run: Callable[[Library, Task], Any]
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    show_progress: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    _cancel: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class TaskCancelled(DigestDeskError):
    """A task cancelled before it started (the window is closing)."""

    def __init__(self, label: str) -> None:
        super().__init__(f"{label}: cancelled.")


class TaskSignals(QObject):
    """Signals of the worker threads; this object lives in the GUI thread."""

    task_started = Signal(object)  # Task
    task_progress = Signal(object, int, int)  # Task, done, total (0 = unknown)
    task_finished = Signal(object, object)  # Task, result
    task_failed = Signal(object, object, str)  # Task, exception, traceback text
    queue_drained = Signal()


#: Seconds without writes after which the writer merges the index's small segments.
MAINTAIN_AFTER_S = 3.0

#: Lanes whose thread was abandoned at stop (still running a task that did not end in time).
#: They live until the process ends: when the thread finally ends it would otherwise drop the
#: last reference to its lane, and the lane's objects would be freed on that thread while the
#: GUI thread is still delivering the signals it emitted last (a crash in Qt's event loop).
_ABANDONED: list[QObject] = []


def _abandon(lane: QObject) -> None:
    """Keep ``lane`` until the process ends, out of its parent's hands too: the window's
    deletion would delete its children with it, and Qt aborts on deleting a running QThread
    (a job lane given up on at close, its window then deleted: a test's window, or a second
    window closed while the process goes on)."""
    lane.setParent(None)
    _ABANDONED.append(lane)


class _DeliversResults:
    """A task's result or failure handed to its callbacks on the GUI thread; counts the
    results not handled yet (``_undelivered``, GUI thread only)."""

    _undelivered: int

    def _deliver_result(self, task: Task, result: Any) -> None:
        try:
            if task.on_done is not None:
                task.on_done(result)
        finally:
            self._undelivered -= 1

    def _deliver_error(self, task: Task, error: BaseException, tb: str) -> None:
        try:
            if task.on_error is not None:
                task.on_error(error)
            elif not isinstance(error, DigestDeskError):
                raise RuntimeError(f"{task.label} failed:\n{tb}")
        finally:
            self._undelivered -= 1


class WriterThread(_DeliversResults, QThread):
    """A lane of writes, running its tasks one at a time in submission order. With
    ``maintain_after_s`` (seconds; None: never) it also tidies the index in quiet spells."""

    def __init__(
        self,
        library: Library,
        parent: QObject | None = None,
        *,
        maintain_after_s: float | None = MAINTAIN_AFTER_S,
        name: str = "writer",
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.library = library
        self.signals = TaskSignals()
        self.signals.task_finished.connect(self._deliver_result)
        self.signals.task_failed.connect(self._deliver_error)
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._pending = 0
        self._undelivered = 0  # finished in the thread, result not yet handled here
        self._pending_lock = threading.Lock()
        self._tasks: dict[int, Task] = {}  # queued or running (for abandon)
        self._idle = threading.Event()
        self._idle.set()
        self._stopped = False
        self.maintain_after_s = maintain_after_s  # may change while the thread runs

    # -- GUI thread
    def submit(
        self,
        label: str,
        run: Callable[[Library, Task], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        show_progress: bool = False,
    ) -> Task:
        task = Task(label, run, on_done, on_error, show_progress)
        if self._stopped:
            # After stop() (the window is closing) nothing may start the thread again: Qt
            # aborts when a QThread is destroyed while it runs.
            log.info("not running %r: the writer has stopped", label)
            task.cancel()
            return task
        self._undelivered += 1
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
            self._tasks[task.id] = task
        self._queue.put(task)
        if not self.isRunning():
            self.start()
        return task

    def pending(self) -> int:
        """Tasks submitted whose result the GUI thread has not handled yet."""
        return self._undelivered

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted task ran (used on close, so a note is never lost)."""
        return self._idle.wait(timeout)

    def stop(self, timeout_ms: int = 30_000, *, give_up: bool = False) -> bool:
        """Finish the queued tasks, then end the thread (for good: later submits are refused).
        Returns whether it ended; past ``timeout_ms`` it keeps waiting unless ``give_up``
        (the process is about to exit, and an unfinished transaction is rolled back)."""
        self._stopped = True
        if self.isRunning():
            self._queue.put(None)
            if not self.wait(timeout_ms):
                if give_up:
                    log.warning("%s: gave up waiting for a task to end", self.objectName())
                    _abandon(self)
                    return False
                # Never leave a running thread behind (Qt aborts on destroying one, and a
                # queued note would be lost): say why the wait is long and keep waiting.
                log.warning("waiting for the writer to finish %d queued tasks", self._pending)
                self.wait()
        return True

    def abandon(self) -> None:
        """Cancel every task queued or running (their work is undone: an import's transaction
        rolls back) and refuse later ones; :meth:`stop` then ends the thread."""
        self._stopped = True
        for task in list(self._tasks.values()):
            task.cancel()

    # -- writer thread
    def run(self) -> None:
        maintenance_due = False
        while True:
            try:
                # After writes, the first quiet moment merges the small index segments edits
                # leave (Library.maintain_index): never in an edit's way, never forgotten.
                wait = self.maintain_after_s if maintenance_due else None
                task = self._queue.get(timeout=wait)
            except queue.Empty:
                # Another round after the next quiet spell while there is work left (one
                # postings file per round).
                maintenance_due = self._maintain()
                continue
            if task is None:
                return
            maintenance_due = self.maintain_after_s is not None
            self.signals.task_started.emit(task)
            try:
                if task.cancelled() and self._stopped:  # abandoned: the window is closing
                    raise TaskCancelled(task.label)
                result = task.run(self.library, task)
            except BaseException as error:  # noqa: BLE001 - every failure goes to the GUI
                tb = traceback.format_exc()
                if isinstance(error, DigestDeskError):
                    log.info("%s: %s", task.label, error.user_message)
                else:
                    log.error("%s failed\n%s", task.label, tb)
                self.signals.task_failed.emit(task, error, tb)
            else:
                self.signals.task_finished.emit(task, result)
            finally:
                with self._pending_lock:
                    self._pending -= 1
                    self._tasks.pop(task.id, None)
                    if self._pending == 0:
                        self._idle.set()
                        self.signals.queue_drained.emit()

    def _has_work(self) -> bool:
        return not self._queue.empty()

    def _maintain(self) -> bool:
        try:
            # A postings file missing from a large segment (an index from an older version) is
            # written too, abandoned as soon as a task arrives; the next quiet moment retries.
            if self.library.maintain_index(backfill=True, should_stop=self._has_work):
                log.info("maintained the search index (small segments, postings files)")
                return True
        except Exception:  # the index is a cache: a failed merge must not stop the writer
            log.exception("merging the search index's small segments failed")
        return False


class IndexLaneSignals(TaskSignals):
    needs_build = Signal()  # more changed than a quiet catch-up takes, or no usable index
    caught_up = Signal()  # the index has seen every write so far
    # On a server: the entries a catch-up indexed (list[int]), whoever changed them (another
    # member's import, tag or comment included), for the views to show.
    entries_caught_up = Signal(object)


class IndexLane(_DeliversResults, QObject):
    """The search index's own thread: it brings the index up to date with the database.

    :meth:`follow` makes the library's writes only call :meth:`wake` (the index is behind);
    the lane then catches up from the database's change sequence, between the tasks submitted
    to it (a build with progress, :meth:`submit`), and tidies the index in quiet spells. It is
    a plain Python thread, not a QThread: closing may abandon it mid-build (the index is a
    cache, caught up at the next start) without Qt aborting over a running thread.
    """

    def __init__(
        self,
        library: Library,
        parent: QObject | None = None,
        *,
        maintain_after_s: float | None = MAINTAIN_AFTER_S,
        quiet_catch_up: int | None = None,
        changes_fallback_s: float = 30.0,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.signals = IndexLaneSignals()
        #: On a server, other members' commits wake the lane too (LISTEN), and it looks
        #: every ``changes_fallback_s`` in any case.
        self.changes_fallback_s = changes_fallback_s
        self._listener: ChangeListener | None = None
        #: A catch-up larger than this is left to a build with progress (``needs_build``).
        self.quiet_catch_up = quiet_catch_up or library.tuning.index_bulk
        self.signals.task_finished.connect(self._deliver_result)
        self.signals.task_failed.connect(self._deliver_error)
        self.maintain_after_s = maintain_after_s
        self._cond = threading.Condition()
        self._tasks: list[Task] = []  # queued
        self._current: Task | None = None
        self._behind = False
        self._busy = False  # catching up or running a task
        self._stopping = False
        self._undelivered = 0  # GUI thread only
        self._thread: threading.Thread | None = None

    # -- any thread
    def wake(self) -> None:
        """The index is behind the database (a write committed): catch up soon."""
        with self._cond:
            self._behind = True
            self._cond.notify()

    # -- GUI thread
    def follow(self) -> None:
        """From now on the library's writes leave the index to this lane."""
        self.library.follow_index_in_background(self.wake)
        if self._listener is None:
            self._listener = self.library.listen_for_changes(
                self.wake, fallback_s=self.changes_fallback_s
            )
        self.wake()
        self._start()

    def submit(
        self,
        label: str,
        run: Callable[[Library, Task], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        show_progress: bool = False,
    ) -> Task:
        """Run ``run(library, task)`` on the lane (cancel it with ``task.cancel()``)."""
        task = Task(label, run, on_done, on_error, show_progress)
        with self._cond:
            if self._stopping:
                task.cancel()
                return task
            self._tasks.append(task)
            self._cond.notify()
        self._undelivered += 1
        self._start()
        return task

    def pending(self) -> int:
        """Tasks whose result is not handled yet, plus one while the index is behind or
        being caught up."""
        with self._cond:
            behind = self._behind or self._busy
        return self._undelivered + int(behind and not self._stopping)

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Cancel what runs and is queued and end the thread; returns whether it ended within
        ``timeout_s`` (if not, it is abandoned: a daemon thread, never waited for again).
        Writes after this leave the index behind, to be caught up at the next start."""
        self.library.follow_index_in_background(_index_left_behind)
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        with self._cond:
            self._stopping = True
            for task in self._tasks:
                task.cancel()
            if self._current is not None:
                self._current.cancel()
            self._cond.notify()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("abandoned the search index's work: it is caught up at the next start")
            _abandon(self)
            return False
        return True

    def _start(self) -> None:
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._run, name="index", daemon=True)
            self._thread.start()

    # -- the lane's thread
    def _run(self) -> None:
        maintenance_due = False
        while True:
            with self._cond:
                while not (self._stopping or self._tasks or self._behind):
                    wait = self.maintain_after_s if maintenance_due else None
                    if not self._cond.wait(wait):
                        break  # a quiet spell
                if self._stopping:
                    return
                task = self._tasks.pop(0) if self._tasks else None
                catch_up = task is None and self._behind
                self._behind = self._behind and not catch_up
                self._current = task
                self._busy = True
            try:
                if task is not None:
                    self._run_task(task)
                elif catch_up:
                    self._catch_up()
                else:
                    maintenance_due = self._maintain()
                    continue
                maintenance_due = self.maintain_after_s is not None
            finally:
                with self._cond:
                    self._current = None
                    self._busy = False

    def _run_task(self, task: Task) -> None:
        self.signals.task_started.emit(task)
        try:
            if task.cancelled() and self._stopping:  # the window is closing
                raise TaskCancelled(task.label)
            result = task.run(self.library, task)
        except BaseException as error:  # noqa: BLE001 - every failure goes to the GUI
            tb = traceback.format_exc()
            if not isinstance(error, DigestDeskError):
                log.error("%s failed\n%s", task.label, tb)
            self.signals.task_failed.emit(task, error, tb)
        else:
            self.signals.task_finished.emit(task, result)
        finally:
            self.signals.queue_drained.emit()

    def _catch_up(self) -> None:
        try:
            ids = self.library.catch_up_index_entries(most=self.quiet_catch_up)
            if ids is None:
                # Missing, of another library, or a large import behind: a build with its
                # progress shown does it (the window submits one).
                self.signals.needs_build.emit()
            else:
                if ids and self._listener is not None:
                    self.signals.entries_caught_up.emit(ids)
                self.signals.caught_up.emit()
        except Exception:  # the index is a cache: a failed catch-up must not stop the lane
            log.exception("catching up the search index failed; it is retried on the next write")

    def _has_work(self) -> bool:
        with self._cond:
            return bool(self._tasks or self._behind or self._stopping)

    def _maintain(self) -> bool:
        try:
            if self.library.maintain_index(backfill=True, should_stop=self._has_work):
                log.info("maintained the search index (small segments, postings files)")
                return True
        except Exception:  # the index is a cache: a failed merge must not stop the lane
            log.exception("merging the search index's small segments failed")
        return False


def _index_left_behind() -> None:
    """After the index lane stopped: writes leave the index behind for the next start."""


class ReaderSignals(QObject):
    result_ready = Signal(str, int, object)  # kind, generation, result
    request_failed = Signal(str, int, object, str)  # kind, generation, exception, traceback
    # Emitted on the reader thread, received here: the public signals above are emitted from
    # the receiving slot, so a request counts as answered only after every listener ran.
    answered = Signal(str, int, object)
    answer_failed = Signal(str, int, object, str)


ProblemHandler = Callable[[DigestDeskError], None]


class _Route(NamedTuple):
    on_result: Callable[[Any], None]
    on_problem: ProblemHandler | None


class ReaderThread(QThread):
    """Runs read queries off the GUI thread; a newer request of a kind replaces an older one.

    The answers of a kind go to the handler :meth:`route` registered for it, on the GUI
    thread: only the answer to the newest request, and none after :meth:`stop` (the window is
    closing). An expected problem (a :class:`DigestDeskError`) goes to the route's
    ``on_problem``, else to the thread's; anything else is a bug and raised as one.
    """

    def __init__(
        self,
        library: Library,
        parent: QObject | None = None,
        *,
        on_problem: ProblemHandler | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reader")
        self.library = library
        self.signals = ReaderSignals()
        self._routes: dict[str, _Route] = {}
        self._on_problem = on_problem
        self._lock = threading.Condition()
        self._latest: dict[str, tuple[int, Callable[[Library], Any]]] = {}
        self._generation: dict[str, int] = {}
        self._delivered: dict[str, int] = {}  # GUI thread only
        self.signals.answered.connect(self._deliver_result)
        self.signals.answer_failed.connect(self._deliver_error)
        self._stopping = False
        self._disposed: list[object] = []

    def dispose(self, obj: object) -> None:
        """Let go of ``obj`` on the reader thread: a large structure (a 100k-long result)
        takes milliseconds to free, which the GUI thread would spend between two keys."""
        with self._lock:
            if self._stopping:
                return  # dropped here: the thread is going away
            self._disposed.append(obj)
            self._lock.notify()
        if not self.isRunning():
            self.start()

    def route(
        self,
        kind: str,
        on_result: Callable[[Any], None],
        on_problem: ProblemHandler | None = None,
    ) -> None:
        """Hand the answers to ``kind``'s requests to ``on_result`` (one owner per kind)."""
        if kind in self._routes:
            raise ValueError(f"the answers to {kind!r} already have a handler")
        self._routes[kind] = _Route(on_result, on_problem)

    def request(self, kind: str, run: Callable[[Library], Any]) -> int:
        """Queue ``run`` as the newest request of ``kind``; returns its generation."""
        with self._lock:
            if self._stopping:
                return self._generation.get(kind, 0)  # closing: never restart the thread
            generation = self._generation.get(kind, 0) + 1
            self._generation[kind] = generation
            self._latest[kind] = (generation, run)
            self._lock.notify()
        if not self.isRunning():
            self.start()
        return generation

    def is_current(self, kind: str, generation: int) -> bool:
        with self._lock:
            return self._generation.get(kind) == generation

    def answering(self, kind: str) -> bool:
        """The newest request of ``kind`` has not been handled on the GUI thread yet."""
        with self._lock:
            return self._unanswered(kind)

    def idle(self) -> bool:
        """True when the newest request of every kind has been answered on the GUI thread."""
        return self.pending() == 0

    def pending(self) -> int:
        """Kinds whose newest request has not been handled on the GUI thread yet: asked,
        running, or answered with the answer still queued for (or inside) its listeners."""
        with self._lock:
            return sum(self._unanswered(kind) for kind in self._generation)

    def _unanswered(self, kind: str) -> bool:  # with the lock held
        return self._delivered.get(kind, 0) != self._generation.get(kind, 0)

    def _deliver_result(self, kind: str, generation: int, result: object) -> None:
        try:
            route = self._routes.get(kind)
            if route is not None and self._wanted(kind, generation):
                route.on_result(result)
            self.signals.result_ready.emit(kind, generation, result)
        finally:
            self._mark_delivered(kind, generation)

    def _deliver_error(self, kind: str, generation: int, error: object, tb: str) -> None:
        try:
            route = self._routes.get(kind)
            if (route is not None or self._on_problem is not None) and self._wanted(
                kind, generation
            ):
                if not isinstance(error, DigestDeskError):
                    raise RuntimeError(f"{kind} failed:\n{tb}")
                on_problem = route.on_problem if route is not None else None
                if on_problem is None:
                    on_problem = self._on_problem
                if on_problem is not None:
                    on_problem(error)
            self.signals.request_failed.emit(kind, generation, error, tb)
        finally:
            self._mark_delivered(kind, generation)

    def _wanted(self, kind: str, generation: int) -> bool:
        """An answer still wanted: to the newest request of its kind, the thread running."""
        with self._lock:
            return not self._stopping and self._generation.get(kind) == generation

    def _mark_delivered(self, kind: str, generation: int) -> None:
        with self._lock:
            self._delivered[kind] = max(generation, self._delivered.get(kind, 0))

    def stop(self, timeout_ms: int = 10_000) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify()
        if self.isRunning() and not self.wait(timeout_ms):
            log.warning("waiting for a query to finish before closing")
            self.wait()

    def run(self) -> None:
        while True:
            with self._lock:
                while not self._latest and not self._disposed and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                disposed, self._disposed = self._disposed, []
                if not self._latest:
                    kind = ""
                else:
                    kind = next(iter(self._latest))
                    generation, run = self._latest.pop(kind)
            del disposed  # freed here, on this thread (and outside the lock)
            if not kind:
                continue
            try:
                result = run(self.library)
            except BaseException as error:  # noqa: BLE001 - reported to the GUI
                tb = traceback.format_exc()
                if not isinstance(error, DigestDeskError):
                    log.error("%s query failed\n%s", kind, tb)
                self.signals.answer_failed.emit(kind, generation, error, tb)
            else:
                self.signals.answered.emit(kind, generation, result)
