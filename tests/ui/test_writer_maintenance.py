"""The writer thread merges the index's small segments once writes pause, and only then, and
writes the postings files an index from an older version lacks, one per quiet spell."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import digestdesk.core.search as search
from digestdesk.core import postings_file
from digestdesk.core.library import Library
from digestdesk.core.search import SMALL_SEGMENTS_TO_MERGE
from digestdesk.paths import resolve_library
from digestdesk.ui.tasks import WriterThread
from tests.core import factories


def test_small_segments_are_merged_when_the_writer_is_idle(qtbot: QtBot, tmp_path: Path) -> None:
    library = Library.open(resolve_library(tmp_path / "library"))
    writer = WriterThread(library)
    try:
        library.import_bytes(factories.api_day(8), name="2025-11-20.json")
        ids = library.list_ids()
        writer.maintain_after_s = 60.0  # not yet: the edits below come one after another
        for i, entry_id in enumerate(ids[:SMALL_SEGMENTS_TO_MERGE]):
            writer.submit("note", lambda lib, _task, e=entry_id, i=i: lib.set_note(e, f"n{i}"))
        assert writer.wait_idle(30)
        qtbot.waitUntil(lambda: writer.pending() == 0)
        assert library.index.small_segments() >= SMALL_SEGMENTS_TO_MERGE
        writer.maintain_after_s = 0.05
        writer.submit("status", lambda lib, _task: lib.set_status([ids[0]], "read"))
        qtbot.waitUntil(lambda: library.index.small_segments() <= 1, timeout=10_000)
        assert library.search("n3").ids == [ids[3]]
        assert library.search("status:read").ids == [ids[0]]
    finally:
        writer.stop()
        library.close()


def test_missing_postings_files_are_written_when_the_writer_is_idle(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = Library.open(resolve_library(tmp_path / "library"))
    writer = WriterThread(library)
    try:
        library.import_bytes(factories.api_day(8), name="2025-11-20.json")
        monkeypatch.setattr(search, "REBUILD_BATCH", 4)
        monkeypatch.setattr(postings_file, "MIN_SEGMENT_DOCS", 10**9)  # as before they existed
        library.rebuild_index()
        monkeypatch.setattr(postings_file, "MIN_SEGMENT_DOCS", 2)
        monkeypatch.setattr(postings_file, "MIN_DOC_FREQ", 1)
        assert library.index.missing_postings_files() == 2
        writer.maintain_after_s = 0.05
        ids = library.list_ids()
        writer.submit("status", lambda lib, _task: lib.set_status([ids[0]], "read"))
        # Two quiet spells, one file each, after a single write.
        qtbot.waitUntil(lambda: library.index.missing_postings_files() == 0, timeout=10_000)
        assert len(list(library.index.directory.glob("*" + postings_file.SUFFIX))) == 2
        assert library.search("status:read").ids == [ids[0]]
    finally:
        writer.stop()
        library.close()
