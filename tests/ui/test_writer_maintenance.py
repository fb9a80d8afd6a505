"""The writer thread merges the index's small segments once writes pause, and only then, and
writes the postings files an index from an older version lacks, one per quiet spell."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from digestdesk.core.index import SMALL_SEGMENTS_TO_MERGE, WhooshIndex
from digestdesk.core.index.postings_file import SUFFIX
from digestdesk.core.library import Library
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
    qtbot: QtBot, tmp_path: Path
) -> None:
    paths = resolve_library(tmp_path / "library")
    library = Library.open(paths)
    writer = WriterThread(library)
    try:
        library.import_bytes(factories.api_day(8), name="2025-11-20.json")
        library.index.close()  # an index in two segments, written before postings files existed
        library.index = WhooshIndex(
            paths.index_dir, rebuild_batch=4, postings_min_segment_docs=10**9
        )
        library.rebuild_index()
        library.index.close()  # this version writes them for segments of 2+ documents
        index = WhooshIndex(paths.index_dir, postings_min_segment_docs=2, postings_min_doc_freq=1)
        library.index = index
        assert index.missing_postings_files() == 2
        writer.maintain_after_s = 0.05
        ids = library.list_ids()
        writer.submit("status", lambda lib, _task: lib.set_status([ids[0]], "read"))
        # Two quiet spells, one file each, after a single write.
        qtbot.waitUntil(lambda: index.missing_postings_files() == 0, timeout=10_000)
        assert len(list(paths.index_dir.glob("*" + SUFFIX))) == 2
        assert library.search("status:read").ids == [ids[0]]
    finally:
        writer.stop()
        library.close()
