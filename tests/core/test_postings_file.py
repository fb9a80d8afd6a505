"""Postings files hold exactly Whoosh's postings, are ignored when they do not belong to their
segment, and come and go with the segments (written by bulk writes and merges, backfilled when
idle, deleted when their segment is merged away)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestdesk.core.index import IndexDoc, WhooshIndex, parse_query, postings_file
from digestdesk.core.index.directory import IndexDirectory
from digestdesk.core.index.postings_file import PostingsFile, blocks, decode_positions

from .test_ranking import UUID, to_doc


def small_files_index(directory: Path, **tunables: int) -> WhooshIndex:
    """Commits of 100 documents; postings files for segments of 50+ documents, terms in 2+
    of their documents."""
    settings = {
        "rebuild_batch": 100,
        "postings_min_segment_docs": 50,
        "postings_min_doc_freq": 2,
        **tunables,
    }
    return WhooshIndex(directory, **settings)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[WhooshIndex]:
    ix = small_files_index(tmp_path / "index")
    ix.rebuild(list(to_doc(1, 200)), library_uuid=UUID, last_seq=1)
    yield ix
    ix.close()


def files(ix: WhooshIndex) -> list[Path]:
    return sorted(ix.directory.glob("*" + postings_file.SUFFIX))


def test_files_hold_whooshs_postings_and_positions(index: WhooshIndex) -> None:
    # A test of the file format itself: Whoosh's segment readers against the files.
    with IndexDirectory(index.directory).whoosh_index().reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(leaves) == 2 and len(files(index)) == 2
        for leaf in leaves:
            stored = PostingsFile.open(
                postings_file.path_for(index.directory, leaf.segment().segment_id()),
                leaf.segment().segment_id(),
                leaf.doc_count_all(),
            )
            assert stored is not None and len(stored) > 50
            checked = 0
            for fieldname, btext in leaf.all_terms():
                field = reader.schema[fieldname]
                in_file = (fieldname, btext) in stored
                frequent = leaf.doc_frequency(fieldname, btext) >= 2
                assert in_file == bool(field.scorable and frequent)
                if not in_file:
                    continue
                ids, weights, values = [], [], []
                for b_ids, b_weights, b_values in blocks(leaf.postings(fieldname, btext), True):
                    ids += list(b_ids)
                    weights += list(b_weights)
                    values += [list(decode_positions(v)) for v in b_values]
                got = stored.postings(fieldname, btext)
                assert got is not None
                assert list(got[0]) == ids and list(got[1]) == weights
                with_positions = stored.positions(fieldname, btext)
                assert with_positions is not None  # every scorable field here has positions
                _, _, counts, keys = with_positions
                starts = [0, *itertools.accumulate(counts)]
                bits = stored.position_bits
                per_doc = [keys[a:b] for a, b in itertools.pairwise(starts)]
                # Each number is its document's and one of its positions, in order.
                assert [{k >> bits for k in doc} for doc in per_doc] == [{d} for d in ids]
                assert [[k & ((1 << bits) - 1) for k in doc] for doc in per_doc] == values
                assert list(keys) == sorted(keys)
                assert max(p for v in values for p in v) < 1 << (bits - 1)
                checked += 1
            assert checked > 50


def test_searches_read_the_files_and_find_the_same(index: WhooshIndex, tmp_path: Path) -> None:
    queries = ["learning", "language model", '"large language"', "gener*", "model OR graph"]
    with_files = {q: [(h.id, h.score) for h in index.search(parse_query(q))] for q in queries}
    assert index.missing_postings_files() == 0  # every segment's file was found and opened
    for path in files(index):
        path.unlink()
    plain = small_files_index(index.directory)
    try:
        for q in queries:
            assert [(h.id, h.score) for h in plain.search(parse_query(q))] == with_files[q], q
            assert with_files[q], q
    finally:
        plain.close()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other segment", "empty"])
def test_a_file_that_does_not_belong_is_ignored(index: WhooshIndex, damage: str) -> None:
    first, second = files(index)
    expected = [h.id for h in index.search(parse_query("learning"), limit=None)]
    if damage == "truncated":
        first.write_bytes(first.read_bytes()[:-10])
    elif damage == "garbage":
        first.write_bytes(b"DDPOSTS1" + bytes(100))
    elif damage == "other segment":
        first.write_bytes(second.read_bytes())
    else:
        first.write_bytes(b"")
    fresh = small_files_index(index.directory)
    try:
        assert [h.id for h in fresh.search(parse_query("learning"), limit=None)] == expected
        assert fresh.missing_postings_files() == 1  # the other segment's file is used
        # Idle maintenance writes it again.
        assert fresh.write_postings_files() == 1
        assert fresh.missing_postings_files() == 0
    finally:
        fresh.close()


def test_merges_write_the_merged_segments_file_and_drop_the_old(tmp_path: Path) -> None:
    ix = small_files_index(tmp_path / "index", small_segment_docs=1000)  # every one is small
    try:
        ix.rebuild(list(to_doc(1, 200)), library_uuid=UUID, last_seq=1)
        before = files(ix)
        assert len(before) == 2
        ix.update([d for d in to_doc(1000, 3)], last_seq=2)  # a small segment: no file
        assert files(ix) == before
        assert ix.merge_small(at_least=2)
        after = files(ix)
        assert len(after) == 1 and after[0] not in before
        assert ix.search(parse_query("learning"), limit=None)
    finally:
        ix.close()


def test_backfill_is_one_segment_at_a_time_and_can_be_stopped(tmp_path: Path) -> None:
    before = small_files_index(tmp_path / "index", postings_min_segment_docs=10**9)
    before.rebuild(list(to_doc(1, 200)), library_uuid=UUID, last_seq=1)  # an index from before
    before.close()
    ix = small_files_index(tmp_path / "index")
    try:
        assert files(ix) == [] and ix.missing_postings_files() == 2
        assert ix.write_postings_files(should_stop=lambda: True) == 0
        assert files(ix) == [] and not list(ix.directory.glob("*.tmp"))
        assert ix.write_postings_files(limit=1) == 1
        assert ix.missing_postings_files() == 1
        assert ix.write_postings_files() == 1
        assert ix.missing_postings_files() == 0 and len(files(ix)) == 2
    finally:
        ix.close()


def test_unfinished_and_orphaned_files_are_removed(index: WhooshIndex) -> None:
    name = files(index)[0].name.split("_", 1)[0]  # the index's name (its files' prefix)
    orphan = index.directory / f"{name}_gone{postings_file.SUFFIX}"
    unfinished = index.directory / f"{name}_gone{postings_file.SUFFIX}.tmp"
    orphan.write_bytes(b"x")
    unfinished.write_bytes(b"x")
    index.write_postings_files()
    assert not orphan.exists() and not unfinished.exists()
    assert len(files(index)) == 2


def test_a_rebuild_replaces_the_files(index: WhooshIndex) -> None:
    before = files(index)
    index.rebuild([IndexDoc(**d.__dict__) for d in to_doc(1, 200)], library_uuid=UUID, last_seq=3)
    after = files(index)
    assert len(after) == 2 and not set(before) & set(after)


@pytest.mark.parametrize("layout", [b"DDPOSTS2", b"DDPOSTS3"])
def test_a_file_of_an_earlier_layout_is_outdated_not_damaged(
    index: WhooshIndex, layout: bytes
) -> None:
    # 2: positions as deltas; 3: the term directory a pickled dict.
    first, _ = files(index)
    expected = [(h.id, h.score) for h in index.search(parse_query('"large language"'))]
    data = bytearray(first.read_bytes())
    data[:8] = layout
    first.write_bytes(bytes(data))
    fresh = small_files_index(index.directory)
    try:
        assert [(h.id, h.score) for h in fresh.search(parse_query('"large language"'))] == expected
        assert fresh.missing_postings_files() == 1
        assert fresh.verify() == []  # not reported as damage: written again when idle
        assert fresh.write_postings_files() == 1
        assert first.read_bytes()[:8] == postings_file.MAGIC
    finally:
        fresh.close()


def test_the_term_directory_finds_every_term_and_no_other() -> None:
    # Field names that prefix each other, terms with NULs and bytes above 0x7f, none at all.
    terms = {
        ("a", b""): (16, 1, "H", "H", "", 0, "", 7),
        ("a", b"\x00z"): (20, 2, "H", "f", "H", 5, "I", 8),
        ("ab", b"\x00"): (40, 3, "I", "H", "H", 9, "Q", 2**32 - 1),
        ("ab", b"\xff\xfe"): (2**40, 2**31, "I", "f", "", 0, "", 0),
        ("abstract", "modèle".encode()): (64, 4, "H", "H", "H", 2**35, "Q", 1),
    }
    facts = {"magic": postings_file.MAGIC, "docs": 3}
    directory = postings_file._Directory(postings_file._directory_bytes(facts, terms))
    assert directory.count == len(terms) and directory.facts == facts
    assert dict(directory.items()) == terms
    for term, entry in terms.items():
        assert directory.get(term) == entry
    for absent in [("a", b"\x00"), ("", b"a"), ("ab", b""), ("abs", b"x"), ("b", b"\xff")]:
        assert directory.get(absent) is None
    empty = postings_file._Directory(postings_file._directory_bytes(facts, {}))
    assert empty.count == 0 and empty.get(("a", b"")) is None and list(empty.items()) == []


@pytest.mark.parametrize("length", [1, 27])
def test_a_file_cut_inside_its_header_is_called_cut_short(index: WhooshIndex, length: int) -> None:
    # What `check` prints: the attack on the samples' library found Python's struct message
    # ("unpack_from requires a buffer of at least 28 bytes ...") there.
    first, _ = files(index)
    name = first.name[: -len(postings_file.SUFFIX)]
    segment = name.split("_", 1)[1]
    first.write_bytes(first.read_bytes()[:length])
    problem = PostingsFile.problem(first, segment, 0)
    assert problem == "cut short inside its header"
