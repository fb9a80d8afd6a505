"""Index builds and similarity models in a child process (core/library/index_worker.py): the
same outcome as on a thread, cancelled cleanly, nothing left behind by a killed child or one
whose parent went away, and the work done here when the child cannot run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import digestdesk.core.similarity.storage as similarity_storage
from digestdesk.core.index import WhooshIndex
from digestdesk.core.library import Library, index_worker
from digestdesk.paths import LibraryPaths
from tests.core import factories

#: A guard against a hang, not a timing.
HANG_GUARD_S = 120


def _library(paths: LibraryPaths, entries: int) -> Library:
    library = Library.open(paths, repair_index=False)
    library.import_bytes(factories.api_day(entries), name="2025-11-20.json", index=False)
    # Progress every 10 documents: a cancel can come mid-build.
    library.index = WhooshIndex(paths.index_dir, progress_every=10, rebuild_batch=100)
    return library


def _leftovers(library: Library) -> list[str]:
    """Files in the index folder that belong to no current index (what a killed build left)."""
    folder = library.paths.index_dir
    if not folder.is_dir():
        return []
    state = folder / "digestdesk-index.json"
    current = json.loads(state.read_text())["indexname"] if state.exists() else None
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith("digestdesk-index.json")
        and p.name.lstrip("_").split("_", 1)[0] != current
    )


def test_a_child_rebuilds_the_index_with_progress(library_paths: LibraryPaths) -> None:
    library = _library(library_paths, 40)
    try:
        library.build_caches_in_child(1)
        reports: list[tuple[int, int | None]] = []
        assert library.ensure_index(progress=lambda d, t: reports.append((d, t))) == "rebuilt"
        assert library.index_status() == "ok"
        assert reports and reports[-1] == (40, 40)
        assert library.search("reasoning").total == 40
        # A later write is caught up (one entry: in a child again) and searched here.
        entry = library.list_ids()[0]
        library.follow_index_in_background(lambda: None)  # as in the app: writes only notify
        library.set_status([entry], "read")
        assert library.index_status() == "behind"
        assert library.ensure_index() == "caught up"
        assert library.index_status() == "ok"
        assert library.search("reasoning status:read").ids == [entry]
    finally:
        library.close()


@pytest.mark.parametrize("grace_s", [index_worker.GRACE_S, 0.0], ids=["sigterm", "sigkill"])
def test_a_cancelled_child_leaves_no_unfinished_index(
    library_paths: LibraryPaths, grace_s: float
) -> None:
    """Cancelled at its first progress report: SIGTERM (the child removes what it wrote) or,
    past the grace time, SIGKILL (the parent removes it)."""
    library = _library(library_paths, 400)
    try:
        started = threading.Event()
        assert isinstance(library.index, WhooshIndex)
        result = index_worker.run_in_child(
            index_worker.INDEX,
            library.paths,
            library.tuning,
            library.index.write_settings,
            progress=lambda _d, _t: started.set(),
            cancelled=started.is_set,
            after_kill=library.index.remove_unfinished,
            grace_s=grace_s,
        )
        assert result == "cancelled"
        assert _leftovers(library) == []
        # Cancelled before the switch: no index (it was never built); either way a later
        # ensure builds a complete one.
        assert library.ensure_index() in ("ok", "rebuilt", "caught up")
        assert library.search("reasoning").total == 400
    finally:
        library.close()


def test_a_child_whose_parent_goes_away_stops(library_paths: LibraryPaths) -> None:
    library = _library(library_paths, 400)
    assert isinstance(library.index, WhooshIndex)
    orders = {
        "job": index_worker.INDEX,
        "paths": {k: None if v is None else str(v) for k, v in vars(library.paths).items()},
        "tuning": {},
        "index": library.index.write_settings,
    }
    child = subprocess.Popen(
        index_worker.worker_command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, index_worker.WORKER_ENV: "1"},
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(json.dumps(orders).encode() + b"\n")
        child.stdin.flush()
        assert b"progress" in child.stdout.readline()
        child.stdin.close()  # what the parent's death does
        assert child.wait(HANG_GUARD_S) in (0, 1)  # stopped (or had just finished)
        assert _leftovers(library) == []
    finally:
        if child.poll() is None:
            child.kill()
        library.close()


def test_the_similarity_model_is_built_in_a_child(
    library_paths: LibraryPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _library(library_paths, 30)
    try:
        library.build_caches_in_child(1)

        def not_here(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("built in this process")

        monkeypatch.setattr(similarity_storage, "build", not_here)
        model = library.similarity.model()
        assert len(model) == 30
        assert library.similarity.path.exists()
        entry = library.list_ids()[0]
        assert library.similarity.related(entry, limit=3)
    finally:
        library.close()


@pytest.mark.parametrize(
    "command", [["/nonexistent/digestdesk"], [sys.executable, "-c", "pass"]], ids=["no", "mute"]
)
def test_the_work_is_done_here_when_the_child_cannot_run(
    library_paths: LibraryPaths, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setattr(index_worker, "worker_command", lambda: command)
    library = _library(library_paths, 20)
    try:
        library.build_caches_in_child(1)
        assert library.ensure_index() == "rebuilt"
        assert library.search("reasoning").total == 20
        assert len(library.similarity.model()) == 20
    finally:
        library.close()


def test_remove_unfinished_keeps_the_current_index(tmp_path: Path) -> None:
    index = WhooshIndex(tmp_path / "index")
    index.create("uuid")
    current = sorted(p.name for p in (tmp_path / "index").iterdir())
    orphan = tmp_path / "index" / "_ixdeadbeef_1.toc"
    orphan.write_bytes(b"half")
    index.remove_unfinished()
    assert not orphan.exists()
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == current
    index.close()
