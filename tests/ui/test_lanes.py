"""The window's lanes: edits commit while a long job or an index build runs, the index lane
catches up from the change sequence, closing abandons background work safely, and a signal
quits through the event loop."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.quitting import SignalQuitter
from digestdesk.ui.tasks import IndexLane, Task, WriterThread
from tests.core import factories

#: A guard against a hang, not a timing: the lanes must never wait for each other.
HANG_GUARD_S = 60


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    library = Library.open(resolve_library(tmp_path / "library"))
    library.import_bytes(factories.api_day(6), name="2025-11-20.json")
    yield library  # type: ignore[misc]
    library.close()


def _stored_status(library: Library, entry_id: int) -> str:
    """The status as another connection (another process, say) sees it."""
    engine = create_engine(library.engine.url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT status FROM entries WHERE id = :i"), {"i": entry_id}
                ).scalar()
            )
    finally:
        engine.dispose()


def _held_task(started: threading.Event, release: threading.Event) -> object:
    def run(_library: Library, _task: Task) -> None:
        started.set()
        release.wait(HANG_GUARD_S)

    return run


def test_an_edit_commits_while_the_job_lane_and_the_index_lane_are_busy(
    qtbot: QtBot, lib: Library
) -> None:
    edits = WriterThread(lib, maintain_after_s=None, name="edits")
    jobs = WriterThread(lib, maintain_after_s=None, name="jobs")
    index_lane = IndexLane(lib, maintain_after_s=None)
    index_lane.follow()
    entry_id = lib.list_ids()[0]
    job_started, index_started, release = threading.Event(), threading.Event(), threading.Event()
    try:
        jobs.submit("a long job", _held_task(job_started, release))
        index_lane.submit("a long build", _held_task(index_started, release))
        assert job_started.wait(HANG_GUARD_S) and index_started.wait(HANG_GUARD_S)
        edits.submit("mark", lambda library, _t: library.set_note(entry_id, "kookaburra"))
        edits.submit("mark", lambda library, _t: library.set_status([entry_id], "read"))
        assert edits.wait_idle(HANG_GUARD_S)
        assert not release.is_set()  # both long tasks still hold their lanes
        assert _stored_status(lib, entry_id) == "read"
        assert lib.index_status() == "behind"  # the index follows later
    finally:
        release.set()
    # Once the build is done the lane catches up with what was written meanwhile.
    qtbot.waitUntil(lambda: index_lane.pending() == 0, timeout=HANG_GUARD_S * 1000)
    assert lib.index_status() == "ok"
    assert lib.search("kookaburra").ids == [entry_id]
    edits.stop()
    jobs.stop()
    assert index_lane.stop()


def test_a_large_change_asks_for_a_build_instead_of_a_quiet_catch_up(
    qtbot: QtBot, lib: Library
) -> None:
    index_lane = IndexLane(lib, maintain_after_s=None, quiet_catch_up=3)
    asked: list[int] = []
    index_lane.signals.needs_build.connect(lambda: asked.append(1))
    index_lane.follow()
    try:
        lib.import_bytes(factories.api_day(5, day="2025-11-21", start=20), name="d2.json")
        # Asked once or twice (the lane's first catch-up may see the import too).
        qtbot.waitUntil(lambda: len(asked) >= 1, timeout=HANG_GUARD_S * 1000)
        assert lib.index_status() == "behind"
        index_lane.submit("build", lambda library, task: library.ensure_index())
        qtbot.waitUntil(lambda: index_lane.pending() == 0, timeout=HANG_GUARD_S * 1000)
        assert lib.search("digest:2025-11-21").total == 5
    finally:
        index_lane.stop()


def test_stopping_abandons_a_build_that_does_not_end(qtbot: QtBot, lib: Library) -> None:
    index_lane = IndexLane(lib, maintain_after_s=None)
    index_lane.follow()
    started, release = threading.Event(), threading.Event()
    index_lane.submit("stuck", _held_task(started, release))
    try:
        assert started.wait(HANG_GUARD_S)
        assert index_lane.stop(0.05) is False  # abandoned: a daemon thread, not waited for
        entry_id = lib.list_ids()[0]
        lib.set_note(entry_id, "numbat")  # a write after it leaves the index behind
        assert lib.index_status() == "behind"
        assert lib.entry(entry_id).note == "numbat"
    finally:
        release.set()


_ABANDON_AND_DROP = """
import sys, threading
from pathlib import Path
from PySide6.QtWidgets import QApplication
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.tasks import IndexLane
from tests.core import factories

app = QApplication([])
library = Library.open(resolve_library(Path(sys.argv[1])))
library.import_bytes(factories.api_day(2), name="d.json")
for _ in range(int(sys.argv[2])):
    lane = IndexLane(library, maintain_after_s=None)
    lane.follow()
    started, release = threading.Event(), threading.Event()
    lane.submit("stuck", lambda _l, _t: (started.set(), release.wait(30)))
    assert started.wait(30)
    assert lane.stop(0.01) is False
    thread = lane._thread
    del lane  # the window let go of it: only its thread still holds it
    release.set()  # the stuck task ends; its signals are queued for the GUI thread
    for _ in range(50):
        app.processEvents()
    thread.join(30)
    app.processEvents()
library.close()
print("survived")
"""


def _survives_in_a_child(script: str, *args: str) -> None:
    """Run ``script`` in a child: a crash is a failure here, not the end of the test run."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "desktop"), str(root), env.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S * 2,
    )
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-3000:]


def test_an_abandoned_lane_is_never_freed_by_its_own_thread(tmp_path: Path) -> None:
    """The window drops an abandoned lane; when its stuck task ends, the thread's last
    reference must not free the lane there while the GUI thread delivers its signals (this
    crashed Qt's event loop within a few rounds)."""
    _survives_in_a_child(_ABANDON_AND_DROP, str(tmp_path / "lib"), "40")


_ABANDON_AND_DELETE_THE_WINDOW = """
import sys, threading
from pathlib import Path
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.tasks import IndexLane, WriterThread
from tests.core import factories

app = QApplication([])
library = Library.open(resolve_library(Path(sys.argv[1])))
library.import_bytes(factories.api_day(2), name="d.json")
window = QObject()
jobs = WriterThread(library, window, maintain_after_s=None, name="jobs")
lane = IndexLane(library, window, maintain_after_s=None)
lane.follow()
started, release = threading.Barrier(3), threading.Event()
jobs.submit("stuck", lambda _l, _t: (started.wait(30), release.wait(30)))
lane.submit("stuck", lambda _l, _t: (started.wait(30), release.wait(30)))
started.wait(30)
assert jobs.stop(10, give_up=True) is False
assert lane.stop(0.01) is False
shiboken6.delete(window)  # the window deleted with its children, the lanes still running
release.set()
assert jobs.wait(30_000)
lane._thread.join(30)
app.processEvents()
print("survived")
"""


def test_an_abandoned_lane_outlives_its_window(tmp_path: Path) -> None:
    """A window that gave up on its job lane at close is deleted (a test's window, a second
    window) while the job still runs: deleting the lane with it aborted the process (Qt's
    "QThread: Destroyed while thread 'jobs' is still running")."""
    _survives_in_a_child(_ABANDON_AND_DELETE_THE_WINDOW, str(tmp_path / "lib"))


def test_abandoning_the_job_lane_rolls_an_import_back(qtbot: QtBot, lib: Library) -> None:
    jobs = WriterThread(lib, maintain_after_s=None, name="jobs")
    before = len(lib.list_ids())
    started, abandoned = threading.Event(), threading.Event()

    def slow_cancelled(task: Task) -> object:
        calls: list[int] = []

        def cancelled() -> bool:
            calls.append(1)
            if len(calls) == 2:  # the first chunk is written (uncommitted)
                started.set()
                abandoned.wait(HANG_GUARD_S)
            return task.cancelled()

        return cancelled

    def job(library: Library, task: Task) -> object:
        return library.import_bytes(
            factories.api_day(700, day="2025-11-22", start=100),
            name="big.json",
            cancelled=slow_cancelled(task),
        )

    queued = jobs.submit("import", job)
    later = jobs.submit("another import", job)
    assert started.wait(HANG_GUARD_S)
    jobs.abandon()
    abandoned.set()
    assert jobs.stop(HANG_GUARD_S * 1000, give_up=True)
    assert queued.cancelled() and later.cancelled()
    assert len(lib.list_ids()) == before  # whole or nothing


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_quit_signal_reaches_the_event_loop(qtbot: QtBot, sig: str) -> None:
    if not hasattr(signal, sig):
        pytest.skip(f"{sig} does not exist here")
    received: list[int] = []
    quitter = SignalQuitter(received.append)
    try:
        os.kill(os.getpid(), getattr(signal, sig))
        qtbot.waitUntil(lambda: received == [int(getattr(signal, sig))], timeout=10_000)
    finally:
        quitter.uninstall()


def test_a_native_crash_writes_its_stacks_to_the_log_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import faulthandler\n"
        "from digestdesk.logs import enable_crash_traces, log_file_path\n"
        "enable_crash_traces()\n"
        "print(log_file_path(), flush=True)\n"
        "faulthandler._sigsegv()\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    log_file = Path(done.stdout.strip().splitlines()[0])
    assert "Fatal Python error: Segmentation fault" in log_file.read_text(encoding="utf-8")
