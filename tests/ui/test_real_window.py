"""The real app under Xvfb with real key events (xdotool); skipped where Xvfb is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


def _wait_for(predicate: object, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_triage_with_real_keys(tmp_path: Path, sample: Path) -> None:
    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        library.import_file(sample)
        ids = library.search("").ids
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
    app = None
    try:

        def xdo(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["xdotool", *args], env=env, capture_output=True, text=True, timeout=10
            )

        if not _wait_for(lambda: xdo("getmouselocation").returncode == 0, 10):
            pytest.skip("Xvfb did not start")
        app = subprocess.Popen(
            [sys.executable, "-m", "digestdesk", "--library", str(library_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        found: list[str] = []

        def window_shown() -> bool:
            result = xdo("search", "--onlyvisible", "--name", "Digest Desk")
            found[:] = result.stdout.split()
            return bool(found)

        if not _wait_for(window_shown, 30):
            app.kill()
            output = app.communicate()[0].decode(errors="replace")
            if "xcb" in output and "could not" in output.lower():
                pytest.skip(f"the xcb platform plugin cannot start here: {output[-300:]}")
            pytest.fail(f"no window appeared:\n{output[-2000:]}")
        xdo("windowfocus", "--sync", found[0])
        time.sleep(1.0)  # the first query lands
        for key in ("j", "r", "q", "k", "k", "s"):
            xdo("key", key)
            time.sleep(0.15)
        xdo("key", "ctrl+q")
        assert app.wait(30) == 0
    finally:
        if app is not None and app.poll() is None:
            app.kill()
        xvfb.terminate()
        xvfb.wait(10)
    with Library.open(resolve_library(library_dir)) as library:
        statuses = [library.entry(i).status for i in ids[:3]]
    # j (to row 1), r (row 1 read -> row 2), q (row 2 queued -> row 3), k k (row 1), s
    assert statuses == ["unread", "skipped", "queued"]
