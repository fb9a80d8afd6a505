"""The bulk segment writer: the same segment files as Whoosh's writer, without its external
sort (no posting pool, no pickled run files) on rebuilds and bulk imports."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.externalsort import SortingPool
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema

from digestdesk.core.index import IndexDoc, WhooshIndex, parse_query
from digestdesk.core.index.bulk_writer import BulkSegmentWriter
from digestdesk.core.index.schema import SCHEMA, doc_fields

from .test_ranking import UUID, to_doc


def _build(
    directory: Path, schema: Schema, docs: list[dict[str, Any]], make: Callable[..., Any]
) -> Path:
    """Two segments (a commit after half the documents), written by ``make(ix)``'s writers."""
    directory.mkdir()
    ix = whoosh_index.create_in(str(directory), schema)
    half = len(docs) // 2
    for part in (docs[:half], docs[half:]):
        writer = make(ix)
        for fields in part:
            writer.add_document(**fields)
        writer.commit(merge=False)
    return directory


def _file_digests(directory: Path) -> dict[str, list[str]]:
    """The segment files' contents by extension (names hold random segment ids)."""
    found: dict[str, list[str]] = {}
    for path in directory.iterdir():
        if path.suffix in (".toc", ".tmp") or path.name.endswith("WRITELOCK"):
            continue
        found.setdefault(path.suffix, []).append(hashlib.sha256(path.read_bytes()).hexdigest())
    return {suffix: sorted(digests) for suffix, digests in found.items()}


def _whoosh_writer(ix: Any) -> Any:
    return ix.writer(compound=False, limitmb=1)  # a small pool: several run files per segment


def _bulk_writer(ix: Any) -> Any:
    return BulkSegmentWriter(ix, compound=False)


def test_segments_are_whooshs_bytes(tmp_path: Path) -> None:
    docs = [doc_fields(d) for d in to_doc(1, 400)]
    theirs = _build(tmp_path / "whoosh", SCHEMA, docs, _whoosh_writer)
    ours = _build(tmp_path / "bulk", SCHEMA, docs, _bulk_writer)
    expected = _file_digests(theirs)
    assert {".pst", ".trm", ".col"} <= expected.keys()
    assert _file_digests(ours) == expected
    with whoosh_index.open_dir(str(ours)).searcher() as searcher:  # Whoosh reads them
        assert searcher.doc_count() == 400
        assert len(searcher.reader().leaf_readers()) == 2


def test_spelling_and_vectors_as_whoosh_writes_them(tmp_path: Path) -> None:
    schema = Schema(
        key=ID(stored=True, unique=True),
        body=TEXT(analyzer=StemmingAnalyzer(), spelling=True, vector=True, stored=True),
        tags=KEYWORD(commas=True, scorable=True),
        size=NUMERIC(sortable=True),
    )
    docs = [
        {
            "key": str(d.id),
            "body": f"{d.title} {d.abstract}",
            "tags": ",".join(d.keywords),
            "size": len(d.abstract),
        }
        for d in to_doc(1, 120)
    ]
    theirs = _build(tmp_path / "whoosh", schema, docs, _whoosh_writer)
    ours = _build(tmp_path / "bulk", schema, docs, _bulk_writer)
    assert _file_digests(ours) == _file_digests(theirs)


@pytest.fixture
def no_external_sort(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whoosh's external sort of postings fails if anything uses it."""

    def refused(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Whoosh's external posting sort was used")

    for name in ("add", "save", "_write_run", "items"):
        monkeypatch.setattr(SortingPool, name, refused)
    yield


def test_rebuilds_and_bulk_updates_use_no_posting_pool(
    tmp_path: Path, no_external_sort: None
) -> None:
    directory = tmp_path / "index"
    ix = WhooshIndex(directory, rebuild_batch=150, postings_min_segment_docs=100)
    docs = list(to_doc(1, 400))
    ix.rebuild(docs, library_uuid=UUID, last_seq=1)
    changed = [IndexDoc(**{**d.__dict__, "title": d.title + " zorblaxed"}) for d in docs[:200]]
    assert ix.update_many(changed, last_seq=2) == 200
    assert not list(directory.rglob("*.run"))
    assert ix.segment_count() == 5  # 150 + 150 + 100, then 150 + 50
    hits = ix.search(parse_query("zorblaxed"), limit=None)
    assert sorted(h.id for h in hits) == list(range(1, 201))
    ix.close()


def test_the_same_search_results_as_whooshs_writer(tmp_path: Path) -> None:
    docs = list(to_doc(1, 300))
    ours = WhooshIndex(tmp_path / "ours", rebuild_batch=100, postings_min_segment_docs=10**9)
    ours.rebuild(docs, library_uuid=UUID, last_seq=1)
    theirs = _build(tmp_path / "whoosh", SCHEMA, [doc_fields(d) for d in docs], _whoosh_writer)
    with whoosh_index.open_dir(str(theirs)).searcher() as searcher:
        for text in ("learning", "language model", '"large language"', "gener*"):
            plan = parse_query(text)
            assert plan.text is not None
            expected = {
                searcher.stored_fields(hit.docnum)["id"]: hit.score
                for hit in searcher.search(plan.text, limit=None, optimize=False)
            }
            assert expected, text
            assert {hit.id: hit.score for hit in ours.whoosh_ranking(plan)} == expected, text
    ours.close()


def test_merging_is_left_to_whooshs_writer(tmp_path: Path) -> None:
    directory = _build(
        tmp_path / "ix", SCHEMA, [doc_fields(d) for d in to_doc(1, 20)], _bulk_writer
    )
    ix = whoosh_index.open_dir(str(directory))
    writer = BulkSegmentWriter(ix)
    try:
        with ix.reader() as reader, pytest.raises(TypeError):
            writer.add_reader(reader)
    finally:
        writer.cancel()
