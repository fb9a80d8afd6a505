"""The reader thread frees what it is given to dispose of on its own thread."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from digestdesk.core.library import Library
from digestdesk.ui.tasks import ReaderThread


class Witness:
    def __init__(self, freed_on: list[str]) -> None:
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


def test_disposed_objects_are_freed_on_the_reader_thread(qtbot: QtBot, library: Library) -> None:
    reader = ReaderThread(library)
    freed_on: list[str] = []
    try:
        reader.dispose([Witness(freed_on) for _ in range(3)])
        qtbot.waitUntil(lambda: len(freed_on) == 3)
        answers: list[object] = []
        reader.signals.result_ready.connect(lambda _k, _g, result: answers.append(result))
        reader.dispose(Witness(freed_on))  # with a request queued behind it
        reader.request("counts", lambda lib: lib.counts()["total"])
        qtbot.waitUntil(lambda: answers == [0] and len(freed_on) == 4)
    finally:
        reader.stop()
    main = threading.current_thread().name
    assert main not in freed_on
