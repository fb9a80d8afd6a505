"""Python's cyclic garbage collector, run on the GUI thread at moments the user does not feel.

Left automatic, the collector runs in whichever thread allocates when a threshold is crossed,
often the reader or writer thread. A Qt object owned by Python and freed there is deleted
later on the GUI thread by the binding; if Qt deleted it meanwhile (a closed window's
deleteLater), that is a double delete: a segfault in the UI tests under load (4 runs in 11),
in Shiboken::BindingManager::runDeletionInMainThread. So collections keep Python's own
thresholds, checked four times a second from a timer on the GUI thread, full collections kept
to a tenth of the time (:data:`FULL_SHARE`).

A collection holds the GIL, so every thread waits for it: a full one took 8-18 ms in the 100k
window. A window can say when the user is in the middle of something quick (typing a query,
a result being painted) with :func:`postpone_collections_while`; a due collection then waits
for the pause, up to :data:`POSTPONE_MAX_S`.
"""

from __future__ import annotations

import gc
import logging
import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QTimer

log = logging.getLogger(__name__)

GC_INTERVAL_MS = 250
#: The most of the time full collections may take. Python's own collector skips a full one
#: until the objects that survived since are a quarter of the old ones (else large heaps make
#: it quadratic); asked for directly, ``gc.collect(2)`` does not. During a 50,000-paper import
#: (millions of young objects) each full one took 200-500 ms of the GUI thread, every few
#: seconds. Now the next waits nine times as long as the last took (a young one runs instead).
FULL_SHARE = 0.1
POSTPONE_MAX_S = 5.0  # a due collection never waits longer than this for the user to pause


class _Collector:
    def __init__(self, app: QCoreApplication) -> None:
        self.thresholds = gc.get_threshold()
        self.busy: list[weakref.WeakMethod[Callable[[], bool]]] = []
        self.postponed = 0
        self.full_allowed_at = 0.0  # time.monotonic() before which no full collection runs
        gc.disable()
        self.timer = QTimer(app)
        self.timer.setInterval(GC_INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    def collect(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] >= self.thresholds[generation]:
                break
        else:
            return
        if self.postponed * GC_INTERVAL_MS < POSTPONE_MAX_S * 1000 and self.user_busy():
            self.postponed += 1
            return
        self.postponed = 0
        if generation == 2 and time.monotonic() < self.full_allowed_at:
            generation = 1  # a full one ran not long ago: see FULL_SHARE
        started = time.monotonic()
        gc.collect(generation)
        if generation == 2:
            took = time.monotonic() - started
            self.full_allowed_at = started + took / FULL_SHARE
            if took > 0.1:
                log.debug("a full garbage collection took %.0f ms", took * 1000)

    def user_busy(self) -> bool:
        for ref in list(self.busy):
            method = ref()
            try:
                if method is not None and method():
                    return True
            except RuntimeError:  # its window's C++ side is gone
                method = None
            if method is None:
                self.busy.remove(ref)
        return False


def collect_garbage_on_gui_thread(app: QCoreApplication) -> None:
    """Run Python's cyclic garbage collector on the GUI thread only (see the module)."""
    if getattr(app, "_digestdesk_collector", None) is None:
        app._digestdesk_collector = _Collector(app)  # type: ignore[attr-defined]


def postpone_collections_while(busy: Callable[[], bool]) -> None:
    """Due collections wait while the bound method ``busy()`` says the user is in the middle
    of something (held weakly: a closed window stops counting)."""
    collector = getattr(QCoreApplication.instance(), "_digestdesk_collector", None)
    if collector is not None:
        collector.busy.append(weakref.WeakMethod(busy))  # type: ignore[arg-type]


def freeze_startup_objects() -> None:
    """Move everything alive once the window is built (modules, Qt wrappers, SQLAlchemy's
    and Whoosh's tables: some 75,000 objects at 10k entries) out of the collector's reach.
    A full collection then walks only what was created since, instead of taking 41-47 ms of
    the GUI thread (measured in the 10k window) whenever it lands on a keystroke. Those
    objects live as long as the app anyway; cycles among them are never freed, which costs
    nothing since they are not garbage."""
    gc.collect()
    gc.freeze()
