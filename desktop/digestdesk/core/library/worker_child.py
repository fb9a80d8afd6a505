"""The child process of :mod:`.index_worker`: reads its orders, builds (or imports: see
:mod:`.import_worker`; or learns the taste and ranks), says what happened.

Started by :func:`~digestdesk.core.library.index_worker.run_in_child` (``digestdesk`` with
:data:`~digestdesk.core.library.index_worker.WORKER_ENV` set runs :func:`main`); see that
module for the protocol and how it ends.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digestdesk.core.index import WhooshIndex
from digestdesk.core.library.common import LibraryTuning, Progress
from digestdesk.core.library.facade import Library
from digestdesk.core.library.import_worker import run_import
from digestdesk.core.library.index_worker import IMPORT, RECOMMEND, SIMILARITY
from digestdesk.core.similarity import NotEnoughTriage
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths

log = logging.getLogger(__name__)


class _Stop(BaseException):
    """Raised in the child's main thread by SIGTERM: unwinds the rebuild (which removes its
    half-written index) like a cancel between two documents."""


def main() -> int:
    """The child: read the orders, ensure the index, say what happened (see the module)."""
    logging.basicConfig(
        level=logging.WARNING, format="digestdesk index worker: %(levelname)s: %(message)s"
    )
    out = sys.stdout.buffer
    write_lock = threading.Lock()

    def say(message: dict[str, Any]) -> None:
        # The parent gone (its end of the pipe closed): nobody to tell. The stdin watch
        # stops the work; a message that cannot be written is not an error of its own.
        with write_lock:
            try:
                out.write(json.dumps(message).encode() + b"\n")
                out.flush()
            except OSError:  # and what is still buffered goes nowhere at exit either
                os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())

    def stop(_signum: int, _frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        orders = json.loads(sys.stdin.buffer.readline() or b"null")
        if not isinstance(orders, dict):
            say({"failed": "no orders on standard input"})
            return 2
        threading.Thread(target=_stop_when_parent_goes, name="parent-watch", daemon=True).start()
        result = _run(orders, lambda done, total: say({"progress": [done, total]}), say)
    except _Stop:
        return 1
    except DigestDeskError as exc:
        say({"problem": exc.user_message})
        return 1
    except Exception as exc:  # noqa: BLE001 - the parent logs it and builds the index itself
        log.exception("failed")
        say({"failed": f"{type(exc).__name__}: {exc}"})
        return 2
    say({"result": result})
    return 0


def _run(orders: dict[str, Any], progress: Progress, say: Callable[[dict[str, Any]], None]) -> str:
    raw = orders["paths"]
    paths = LibraryPaths(
        database_url=raw["database_url"],
        index_dir=Path(raw["index_dir"]),
        lock_file=Path(raw["lock_file"]),
        backup_dir=Path(raw["backup_dir"]),
        root=None if raw["root"] is None else Path(raw["root"]),
        **{
            key: value
            for key, value in raw.items()
            if key not in ("database_url", "index_dir", "lock_file", "backup_dir", "root")
        },
    )
    tuning = LibraryTuning(**orders.get("tuning") or {})
    started = time.perf_counter()
    if orders.get("job") == IMPORT:
        # The app lent its writing: this child writes the database, the app keeps the index.
        result = run_import(
            lambda: Library.open(paths, lent=True, repair_index=False, tuning=tuning),
            orders,
            progress,
            say,
        )
        log.info("import: %s in %.1f s", result, time.perf_counter() - started)
        return result
    # Read-only: the app holds the writer lock, and only the index is written here.
    with Library.open(paths, writer=False, repair_index=False, tuning=tuning) as library:
        if orders.get("job") == SIMILARITY:
            library.similarity.rebuild(progress=progress)
            result = "built"
        elif orders.get("job") == RECOMMEND:
            found = library.similarity.recommend(
                [int(i) for i in orders["ids"]], tag=orders.get("tag"), limit=int(orders["limit"])
            )
            if isinstance(found, NotEnoughTriage):
                say({"not_enough": [found.triaged, found.positives, found.tag]})
            else:
                say(
                    {
                        "recommended": [
                            [r.entry_id, r.score, list(r.because), list(r.resembles)] for r in found
                        ]
                    }
                )
            result = "recommended"
        else:
            if orders.get("index"):
                library.index = WhooshIndex(paths.index_dir, **orders["index"])
            result = library.ensure_index(progress=progress)
    log.info("%s: %s in %.1f s", orders.get("job"), result, time.perf_counter() - started)
    return result


def _stop_when_parent_goes() -> None:
    """The parent closed our standard input (done with us, or gone): stop as on SIGTERM."""
    try:
        # The file descriptor, not sys.stdin: a thread blocked in a buffered read would stop
        # the interpreter's shutdown (it takes the buffer's lock).
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
