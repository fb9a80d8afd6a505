"""The real app on a virtual X display (Xvfb) driven by real key events (xdotool), for tests
that need the whole process: its event loop, its signals, its exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

needs_xvfb = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


def wait_for(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


@dataclass
class RealDisplay:
    env: dict[str, str]

    def xdo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10
        )

    def start_app(self, library: Path, *extra: str | Path) -> subprocess.Popen[bytes]:
        """Start Digest Desk on ``library`` and wait for its window, focused."""
        app = subprocess.Popen(
            [sys.executable, "-m", "digestdesk", "--library", str(library), *map(str, extra)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        found: list[str] = []

        def window_shown() -> bool:
            result = self.xdo("search", "--onlyvisible", "--name", "Digest Desk")
            found[:] = result.stdout.split()
            return bool(found)

        if not wait_for(window_shown, 60, 0.1):
            app.kill()
            output = app.communicate()[0].decode(errors="replace")
            if "xcb" in output and "could not" in output.lower():
                pytest.skip(f"the xcb platform plugin cannot start here: {output[-300:]}")
            pytest.fail(f"no window appeared:\n{output[-2000:]}")
        self.xdo("windowfocus", "--sync", found[0])
        return app

    def keys(self, keys: Sequence[str], pause: float = 0.15) -> None:
        for key in keys:
            self.xdo("key", key)
            time.sleep(pause)


@contextmanager
def real_display(tmp_path: Path) -> Iterator[RealDisplay]:
    """An Xvfb display with the app's user folders under ``tmp_path``."""
    display = f":{90 + os.getpid() % 500}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    screen = RealDisplay(env)
    try:
        if not wait_for(lambda: screen.xdo("getmouselocation").returncode == 0, 10, 0.1):
            pytest.skip("Xvfb did not start")
        yield screen
    finally:
        xvfb.terminate()
        xvfb.wait(10)
