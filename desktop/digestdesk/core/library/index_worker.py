"""Large cache builds in a child process (the search index, the similarity model), so that
the app's threads never wait for them.

Whoosh is pure Python: a rebuild on a thread of the app holds the interpreter lock nearly all
the time, and every other thread (the window, the edit lane) gets it back only when the
rebuild lets go, at least one switch interval (5 ms) per blocking call of theirs. An edit
makes dozens (each SQLite call lets go of the lock), so under an 8,000-entry rebuild it took
0.2-2 s to commit in the real window. A child process has its own interpreter lock.

The child (:mod:`.worker_child`) opens the library read-only (the app keeps the one-writer lock: the
child writes only the index directory, never the database) and runs
:meth:`~digestdesk.core.library.index_sync.IndexSync.ensure`, the same rebuild or catch-up a
thread would run. It reads its orders as one JSON line on its standard input and writes its
progress and outcome as JSON lines on its standard output. It ends early:

- when it gets SIGTERM (how the parent cancels it): the rebuild stops between two
  documents and removes the new index's files, the previous index (or none) stays current;
- when its standard input closes (the parent is gone, however it ended): the same.

A child killed outright (SIGKILL, a crash) leaves the files of an index it never switched to
(the state file names only finished indexes: :mod:`digestdesk.core.index.directory`); the
parent removes them once the child is gone, and any later rebuild would too. The state file
is replaced atomically, and an index update cut short is caught by the manifest's sizes at the
next open (the index is then rebuilt): the database is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from digestdesk.core.library.common import Cancelled, LibraryTuning, Progress
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths

log = logging.getLogger(__name__)

#: Set in the child's environment: ``digestdesk`` then runs :func:`main` (a frozen app has no
#: ``python -m``; the same executable serves both).
WORKER_ENV = "DIGESTDESK_INDEX_WORKER"
#: Seconds the child has to end after SIGTERM before it is killed.
GRACE_S = 1.0
#: How often the waiting thread looks at ``cancelled()`` (seconds).
POLL_S = 0.05


class WorkerFailed(Exception):
    """The child could not start or ended without an outcome (not an expected problem)."""


# ------------------------------------------------------------------------------ the parent


def worker_command() -> list[str]:
    """How to start the child: this executable (the frozen app) or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "digestdesk"]


#: The jobs a child does: ensure the search index; build and save the similarity model;
#: import a large file (:mod:`.import_worker`); learn the reader's taste and rank papers by it
#: (its answer comes as a message: {"recommended": [...]} or {"not_enough": [...]}).
INDEX = "index"
SIMILARITY = "similarity"
IMPORT = "import"
RECOMMEND = "recommend"


def run_in_child(
    job: str,
    paths: LibraryPaths,
    tuning: LibraryTuning,
    index_settings: dict[str, Any] | None = None,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    after_kill: Callable[[], None] | None = None,
    grace_s: float = GRACE_S,
    extra: dict[str, Any] | None = None,
    on_message: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Run ``job`` in a child process and wait for it; returns what it did (for
    :data:`INDEX` "ok", "caught up", "rebuilt"; for :data:`SIMILARITY` "built"; for
    :data:`RECOMMEND` "recommended"; "cancelled"
    when ``cancelled()`` turned true first). Progress reports are passed on to ``progress``.
    An expected problem in the child (a full disk) is raised here as a
    :class:`DigestDeskError` with its message; :class:`WorkerFailed` when the child could not
    run at all. ``after_kill`` tidies up after a child that had to be killed (its unfinished
    index files). ``extra`` goes into the orders as it is; ``on_message`` hears every message
    of the child other than its progress and outcome (in order, on the calling thread)."""
    orders = {
        "job": job,
        "paths": {
            key: str(value) if isinstance(value, Path) else value
            for key, value in dataclasses.asdict(paths).items()
        },
        "tuning": dataclasses.asdict(tuning),
        "index": index_settings,
        **(extra or {}),
    }
    env = {**os.environ, WORKER_ENV: "1"}
    try:
        child = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            # Its own session: a Ctrl+C in the terminal or a closed terminal reaches the app
            # only, which cancels the child in order.
            start_new_session=True,
        )
    except OSError as exc:
        raise WorkerFailed(f"could not start the index worker: {exc}") from exc
    assert child.stdin is not None and child.stdout is not None
    lines: queue.Queue[bytes | None] = queue.Queue()
    reader = threading.Thread(
        target=_read_lines, args=(child.stdout, lines), name="index-worker-output", daemon=True
    )
    reader.start()
    try:
        child.stdin.write(json.dumps(orders).encode() + b"\n")
        child.stdin.flush()
    except OSError:
        pass  # it ended already: its output says why
    outcome: dict[str, Any] | None = None

    def heard(line: bytes) -> None:
        nonlocal outcome
        message = _decode(line)
        if "progress" in message:
            if progress is not None:
                done, total = message["progress"]
                progress(int(done), None if total is None else int(total))
        elif "result" in message or "problem" in message or "failed" in message:
            outcome = message
        elif message and on_message is not None:
            on_message(message)

    try:
        while True:
            if cancelled is not None and cancelled():
                _end(child, grace_s, after_kill)
                # What it said before it ended: a job that finished all the same (an import
                # past its commit) says so.
                for unread in _rest(lines):
                    heard(unread)
                return str(outcome["result"]) if outcome and "result" in outcome else "cancelled"
            try:
                line = lines.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if line is None:
                break
            heard(line)
    except BaseException:
        _end(child, grace_s, after_kill)
        raise
    finally:
        with contextlib.suppress(OSError):
            child.stdin.close()
    returncode = child.wait()
    reader.join(1.0)
    if outcome is None:
        raise WorkerFailed(f"the index worker ended without an outcome (exit {returncode})")
    if "problem" in outcome:
        raise DigestDeskError(str(outcome["problem"]))
    if "failed" in outcome:
        raise WorkerFailed(f"the index worker failed: {outcome['failed']}")
    # Said in the log file: a job that fell back to a thread of the app logs a warning
    # instead (the packaged app's smoke test tells the two apart by these lines).
    log.info("%s in a child process (pid %d): %s", job, child.pid, outcome["result"])
    return str(outcome["result"])


def _rest(lines: queue.Queue[bytes | None]) -> Iterator[bytes]:
    """The lines an ended child wrote that were not read yet."""
    while True:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            return
        if line is None:
            return
        yield line


def _read_lines(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        log.info("index worker: %s", line.decode(errors="replace").rstrip())
        return {}
    return message


def _end(
    child: subprocess.Popen[bytes], grace_s: float, after_kill: Callable[[], None] | None
) -> None:
    """SIGTERM (the child removes its unfinished index), then SIGKILL past ``grace_s``."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(grace_s)
            return
        except subprocess.TimeoutExpired:
            log.warning("the index worker did not end within %.1f s of SIGTERM: killed", grace_s)
            child.kill()
            child.wait()
    if after_kill is not None and child.returncode == -signal.SIGKILL:
        after_kill()
