"""The real app under Xvfb with real key events (xdotool); skipped where Xvfb is missing."""

from __future__ import annotations

import time
from pathlib import Path

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from tests.ui.real_display import needs_xvfb, real_display

pytestmark = needs_xvfb


def test_triage_with_real_keys(tmp_path: Path, sample: Path) -> None:
    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        library.import_file(sample)
        ids = library.search("").ids
    with real_display(tmp_path) as screen:
        app = screen.start_app(library_dir)
        try:
            time.sleep(1.0)  # the first query lands
            screen.keys(["j", "r", "q", "k", "k", "s", "ctrl+q"])
            assert app.wait(30) == 0
        finally:
            if app.poll() is None:
                app.kill()
    with Library.open(resolve_library(library_dir)) as library:
        statuses = [library.entry(i).status for i in ids[:3]]
    # j (to row 1), r (row 1 read -> row 2), q (row 2 queued -> row 3), k k (row 1), s
    assert statuses == ["unread", "skipped", "queued"]
