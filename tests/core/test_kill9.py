"""kill -9 during a large import: the library reopens with all of the file or none of it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from tests.core import factories

ENTRIES = 1500


def _big_file(path: Path) -> Path:
    items = [
        factories.api_item(
            f"2512.{i:05d}",
            f"Generated Study {i} of Sparse Attention in Long Context Models",
            summary=f"Study {i}: " + "we measure attention sparsity across many layers. " * 8,
            upvotes=i % 50,
        )
        for i in range(ENTRIES)
    ]
    path.write_bytes(factories.api_json(items))
    return path


@pytest.mark.slow
def test_kill_during_import_keeps_all_or_nothing(tmp_path: Path) -> None:
    if os.environ.get("DIGESTDESK_DATABASE_URL"):
        pytest.skip("runs on the embedded SQLite library")
    library_dir = tmp_path / "lib"
    paths = resolve_library(library_dir)
    with Library.open(paths) as library:
        library.import_bytes(factories.api_day(3), name="2025-11-20.json")
        kept = library.list_ids()[0]
        library.set_status([kept], "read")
        library.set_note(kept, "must survive")
    big = _big_file(tmp_path / "2025-12-01.json")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def start_import(into: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "digestdesk", "--library", str(into), "import", str(big)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # How long a whole import takes here, so the kills land inside it on a fast machine as on
    # a slow one (a fixed sleep let a fast machine finish before every kill).
    timed_dir = tmp_path / "timed"
    shutil.copytree(library_dir, timed_dir)
    began = time.monotonic()
    assert start_import(timed_dir).wait(timeout=300) == 0
    whole = time.monotonic() - began
    rng = random.Random(7)
    outcomes = []
    for trial, share in enumerate([0.5] + [rng.uniform(0.15, 0.95) for _ in range(3)]):
        trial_dir = tmp_path / f"trial{trial}"
        shutil.copytree(library_dir, trial_dir)
        proc = start_import(trial_dir)
        time.sleep(whole * share)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        trial_paths = resolve_library(trial_dir)
        with Library.open(trial_paths) as library:
            assert library.check() == [], f"trial {trial}"
            total = library.counts()["total"]
            assert total in (3, 3 + ENTRIES), f"trial {trial}: {total} entries"
            detail = library.entry(kept)
            assert (detail.status, detail.note) == ("read", "must survive")
            if total == 3 + ENTRIES:
                assert library.search("sparsity").total == ENTRIES
            outcomes.append((finished, total))
    print(f"whole import {whole:.2f} s; kill -9 outcomes (finished, entries):", outcomes)
    assert any(not finished for finished, _ in outcomes), "no trial was killed mid-import"
    # Re-importing after everything never duplicates.
    with Library.open(trial_paths) as library:
        library.import_file(big)
        assert library.counts()["total"] == 3 + ENTRIES
        assert library.check() == []
