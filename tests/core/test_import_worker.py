"""Large files imported in a child process (core/library/import_worker.py): the same outcome
as on the calling thread, the parent's edits landing meanwhile, a cancel before the commit
leaving the library as it was and one after it keeping the import, the child's problems said
as they would be here, and the import done here when the child cannot run."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from digestdesk.core.library import ImportCancelled, Library, index_worker
from digestdesk.core.library.importing import Importer
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories

#: A guard against a hang, not a timing.
HANG_GUARD_S = 120


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "2025-11-20.json"
    path.write_bytes(factories.api_day(1200, upvotes=3))
    return path


@pytest.fixture
def in_child(library: Library, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """The library importing every file in a child; an import in this process fails."""

    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("imported in this process")

    library.import_large_files_in_child(1)
    monkeypatch.setattr(Importer, "import_bytes", not_here)
    yield library


def _state(library: Library) -> tuple[object, ...]:
    ids = library.list_ids(sort="date")
    details = library.entries(ids)
    return (
        library.counts(),
        [(d.arxiv_id, d.title, d.votes, d.published, d.status) for d in details],
        library.search("reasoning").total,
    )


def test_a_child_import_is_the_same_as_one_here(
    tmp_path: Path, big_file: Path, in_child: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.txt"
    page.write_text(factories.page_text(), encoding="utf-8")
    progress: list[tuple[int, int | None]] = []
    reports = [
        in_child.import_file(big_file, progress=lambda d, t: progress.append((d, t))),
        in_child.import_file(page, as_of=date(2025, 11, 20)),
    ]
    assert progress and progress[-1] == (1200, 1200)
    monkeypatch.undo()  # imports here again
    monkeypatch.delenv("DIGESTDESK_DATABASE_URL", raising=False)  # a library of its own
    with Library.open(resolve_library(tmp_path / "here")) as here:
        expected = [
            here.import_file(big_file),
            here.import_file(page, as_of=date(2025, 11, 20)),
        ]
        for report, same in zip(reports, expected, strict=True):
            assert report.summary() == same.summary()
            assert report.items == same.items and report.skipped == same.skipped
            assert (report.digest_date, report.as_of, report.as_of_source, report.format) == (
                same.digest_date,
                same.as_of,
                same.as_of_source,
                same.format,
            )
            assert report.changes == same.changes
        assert _state(in_child) == _state(here)
    # The search index followed (the child leaves it to this process).
    assert in_child.search("reasoning").total == 1200


def test_edits_land_while_a_child_imports(
    library: Library, big_file: Path, in_child: Library
) -> None:
    in_child.import_file(big_file)
    first = in_child.list_ids(sort="date")[:3]
    votes_before = in_child.entry(first[0]).votes or 0
    again = big_file.with_name("again.json")
    again.write_bytes(factories.api_day(1200, upvotes=9))
    started = threading.Event()
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(in_child.import_file(again, progress=lambda *_a: started.set()))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(HANG_GUARD_S)
    in_child.set_status(first, "read")
    in_child.set_note(first[0], "written while the child imported")
    worker.join(HANG_GUARD_S)
    (report,) = outcome
    assert not isinstance(report, BaseException), report
    detail = in_child.entry(first[0])
    assert detail.status == "read"
    assert detail.note == "written while the child imported"
    assert detail.votes == votes_before + 6  # the merge kept the edits, took the new counts


def test_a_child_import_cancelled_before_its_commit_changes_nothing(
    library: Library, big_file: Path, in_child: Library
) -> None:
    cancel = threading.Event()
    with pytest.raises(ImportCancelled):
        in_child.import_file(big_file, progress=lambda *_a: cancel.set(), cancelled=cancel.is_set)
    assert in_child.counts()["total"] == 0
    assert in_child.digest_dates() == []


def test_a_cancel_after_the_commit_keeps_the_import_and_its_report(
    big_file: Path, in_child: Library
) -> None:
    # The last progress comes after the commit (the first at its end comes before it).
    ends: list[int] = []

    def progress(done: int, total: int | None) -> None:
        if done == total:
            ends.append(done)

    report = in_child.import_file(big_file, progress=progress, cancelled=lambda: len(ends) >= 2)
    assert len(ends) >= 2 and report.new == 1200 and len(report.items) == 1200
    assert in_child.counts()["total"] == 1200


def test_a_childs_problem_is_said_as_here(tmp_path: Path, in_child: Library) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}', encoding="utf-8")
    with pytest.raises(DigestDeskError, match="holds no papers"):
        in_child.import_file(bad)
    assert in_child.counts()["total"] == 0


@pytest.mark.parametrize(
    "command", [["/nonexistent/digestdesk"], [sys.executable, "-c", "pass"]], ids=["no", "mute"]
)
def test_the_import_is_done_here_when_the_child_cannot_run(
    library_paths: LibraryPaths,
    big_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.setattr(index_worker, "worker_command", lambda: command)
    with Library.open(library_paths) as library:
        library.import_large_files_in_child(1)
        report = library.import_file(big_file)
        assert report.new == 1200 and library.counts()["total"] == 1200


def test_the_apps_writes_wait_for_the_childs_transaction_rather_than_fail(
    library: Library,
) -> None:
    """The child's one transaction can take seconds for a very large file: the app's write
    connections wait up to a minute for SQLite's write lock (the lock file keeps every other
    writer out), so an edit made meanwhile waits instead of failing."""
    if library.paths.sqlite_file is None:
        pytest.skip("SQLite's write lock")
    from sqlalchemy import text

    with library.engine.connect() as conn:
        waits = conn.execute(text("PRAGMA busy_timeout")).scalar()
    assert waits is not None and waits >= 60_000
