"""Two members' windows on one team library, each an app process of its own (offscreen) and
connected as its own PostgreSQL role: a tag one of them makes shows in the other's list within
seconds, carried by the commit's NOTIFY (the periodic look is set far beyond the test).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths
from tests.core.factories import api_day
from tests.pg_members import members

pytestmark = pytest.mark.postgres

DRIVER = Path(__file__).with_name("team_window.py")
#: The issue asks for a colleague's change within 5 s; the time is measured and printed. The
#: assertion allows a loaded machine (a window's start alone takes seconds here) and stays
#: far below the periodic look (an hour in this test): passing proves the NOTIFY did it.
LOADED_MACHINE_S = 30.0


class Window:
    """One member's app process and the lines it prints."""

    def __init__(self, url: str, folder: Path) -> None:
        env = dict(os.environ, DIGESTDESK_DATABASE_URL=url, QT_QPA_PLATFORM="offscreen")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(DRIVER),
                "--library",
                str(folder / "library"),
                "--settings",
                str(folder / "settings.ini"),
                "--fallback-s",
                "3600",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, word: str, timeout_s: float) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {word!r} within {timeout_s} s: {self.stderr()}") from None
            if line.split()[:1] == [word]:
                return line.split()

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()[-3000:]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("quit")
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def team(library_paths: LibraryPaths) -> Iterator[dict[str, str]]:
    with Library.open(library_paths) as library:
        library.import_bytes(api_day(4), name="day.json")
    with members(library_paths.database_url, "alice", "bob") as urls:
        yield urls


def _one_seen_by_the_other(
    team: dict[str, str], tmp_path: Path, watch: str, act: str, done: str, seen: str
) -> float:
    """Two windows, alice's and bob's, both ready: bob watches (``watch``), alice acts
    (``act``, answered ``done``); the seconds from alice's write to bob's ``seen``."""
    alice = Window(team["alice"], tmp_path / "alice")
    bob = Window(team["bob"], tmp_path / "bob")
    try:
        alice.expect("ready", 120)
        bob.expect("ready", 120)
        bob.send(watch)
        alice.send(act)
        stored = float(alice.expect(done, 60)[3])
        return float(bob.expect(seen, LOADED_MACHINE_S)[3]) - stored
    finally:
        alice.close()
        bob.close()


def _entry(library_paths: LibraryPaths, row: int) -> int:
    with Library.open(library_paths, writer=False) as library:
        return library.list_ids(sort="date")[row]


def test_a_tag_made_in_one_window_shows_in_the_other(
    team: dict[str, str], tmp_path: Path, library_paths: LibraryPaths
) -> None:
    entry = _entry(library_paths, 0)
    # A team tag (#...): every member's; a personal one would be alice's alone.
    took = _one_seen_by_the_other(
        team,
        tmp_path,
        f"watch {entry} #reading-group",
        f"tag {entry} #reading-group",
        "tagged",
        "seen",
    )
    print(f"the tag showed in the other window {took:.2f} s after it was stored")
    assert took < LOADED_MACHINE_S


def test_a_comment_made_in_one_window_shows_in_the_others_reader(
    team: dict[str, str], tmp_path: Path, library_paths: LibraryPaths
) -> None:
    entry = _entry(library_paths, 1)
    took = _one_seen_by_the_other(
        team,
        tmp_path,
        f"read {entry} Friday-presentation",
        f"comment {entry} Friday-presentation",
        "commented",
        "read",
    )
    print(f"the comment showed in the other reader {took:.2f} s after it was stored")
    assert took < LOADED_MACHINE_S


def test_a_colleagues_import_shows_in_an_open_window(team: dict[str, str], tmp_path: Path) -> None:
    bob = Window(team["bob"], tmp_path / "bob")
    try:
        bob.expect("ready", 120)
        bob.send("rows 7")
        day = tmp_path / "2025-11-21.json"
        day.write_bytes(api_day(3, day="2025-11-21", start=50))
        env = dict(os.environ, DIGESTDESK_DATABASE_URL=team["alice"])
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "digestdesk",
                "--library",
                str(tmp_path / "alice"),
                "import",
                str(day),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        imported = time.time()
        words = bob.expect("rows", LOADED_MACHINE_S)
        # Measured from the command's exit, which comes after its own index caught up: the
        # other window may show the papers before that (a negative figure).
        shown = float(words[2]) - imported
        print(f"the import showed in the other window {shown:+.2f} s from the command's exit")
        assert int(words[1]) == 7
    finally:
        bob.close()
