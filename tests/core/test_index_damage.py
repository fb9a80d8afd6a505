"""Damaged index files: never a wrong answer, never a traceback; found, reported and rebuilt.

Each attack damages the index of a built library the way a failing disk, a crash or a person
might: bytes flipped inside a postings file (ours, ``.ddpostings``) or inside Whoosh's files, a
postings file cut in half, a term table deleted, a segment file emptied, the manifest replaced by
garbage. Then, on a copy each:

* searches through the library either answer exactly as the undamaged index does or raise
  :class:`SearchIndexDamagedError` (never other ids, never another exception);
* ``digestdesk search`` (the real process) answers as the undamaged index does, after saying
  "the search index was damaged (file X); rebuilding it from the library", exit code 0;
* ``digestdesk check`` and ``check --deep`` report the damage (exit code 1, "problem: ...");
  neither ever says "ok" over a damaged index;
* after the repair every answer equals the undamaged index's and ``check`` says ok (exit 0).

No output may contain a traceback. The library is generated (1,200 entries, so its segment has
a postings file at the default sizes); the queries of the issue also run on the shared samples
where they are present.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from digestdesk.core.demo import generate_entries
from digestdesk.core.drafts import ParseResult
from digestdesk.core.index import postings_file
from digestdesk.core.library import Library
from digestdesk.errors import SearchIndexDamagedError
from digestdesk.paths import resolve_library
from tests.conftest import SHARED_SAMPLES

QUERIES = (
    "language model",
    '"world model"',
    '"language model"',
    "transf*",
    "model",
    "learning OR generation",
    "benchmarks -model",
)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="damages the files of a local index"
)


# -- building and reading libraries ---------------------------------------------------------


def _build_generated(library_dir: Path) -> None:
    with Library.open(resolve_library(library_dir)) as lib:
        drafts = list(generate_entries(1200, seed=3))
        lib.import_parsed(ParseResult(format="demo", entries=drafts), source="test", index=False)
        lib.rebuild_index()


def _answers(library_dir: Path) -> dict[str, list[int]]:
    with Library.open(resolve_library(library_dir), writer=False) as lib:
        return {q: lib.search(q, limit=10_000).ids for q in QUERIES}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[int]]]:
    """A library with a one-segment index and its postings file, and its answers."""
    library_dir = tmp_path_factory.mktemp("pristine") / "lib"
    _build_generated(library_dir)
    assert len(list(_index_dir(library_dir).glob("*" + postings_file.SUFFIX))) == 1
    answers = _answers(library_dir)
    assert all(answers[q] for q in QUERIES), answers
    return library_dir, answers


def _index_dir(library_dir: Path) -> Path:
    return resolve_library(library_dir).index_dir


def _copy(pristine: Path, tmp_path: Path) -> Path:
    library_dir = tmp_path / "lib"
    shutil.copytree(pristine, library_dir)
    (library_dir / "library.lock").unlink(missing_ok=True)
    return library_dir


def _cli(library_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process (its own logging: tracebacks would show)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "digestdesk", "--library", str(library_dir), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream


# -- attacks --------------------------------------------------------------------------------


def _one(directory: Path, pattern: str) -> Path:
    [found] = sorted(directory.glob(pattern))
    return found


def _flip(path: Path, offsets: list[int]) -> None:
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def flip_postings_of_queried_terms(index_dir: Path) -> None:
    """Bytes flipped inside the blocks of the words the queries read (the issue's case)."""
    path = _one(index_dir, "*" + postings_file.SUFFIX)
    data = path.read_bytes()
    _, start, length, _ = struct.unpack_from("<8sQQI", data, 0)
    terms = dict(postings_file._Directory(data[start : start + length]).items())
    offsets = []
    for key in [("abstract", b"world"), ("abstract", b"model"), ("title", b"model")]:
        if key in terms:
            offsets += range(terms[key][0], terms[key][0] + 40, 3)
    assert offsets
    _flip(path, offsets)


def flip_postings_anywhere(index_dir: Path) -> None:
    """200 bytes flipped at random anywhere in the postings file (header and directory too)."""
    path = _one(index_dir, "*" + postings_file.SUFFIX)
    size = path.stat().st_size
    rng = random.Random(size)
    _flip(path, [rng.randrange(size) for _ in range(200)])


def flip_whoosh_postings(index_dir: Path) -> None:
    """Bytes flipped in the middle of Whoosh's postings (.pst), the size unchanged."""
    path = _one(index_dir, "*.pst")
    size = path.stat().st_size
    _flip(path, list(range(size // 3, size // 3 + 4000, 7)))


def flip_id_column(index_dir: Path) -> None:
    """One byte flipped in the entry ids (hits would map to other entries, with no error)."""
    path = _one(index_dir, "*.id.col")
    _flip(path, [path.stat().st_size // 2])


def truncate_pst(index_dir: Path) -> None:
    path = _one(index_dir, "*.pst")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def delete_trm(index_dir: Path) -> None:
    _one(index_dir, "*.trm").unlink()


def empty_id_column(index_dir: Path) -> None:
    _one(index_dir, "*.id.col").write_bytes(b"")


def empty_stored_column(index_dir: Path) -> None:
    _one(index_dir, "*._stored.col").write_bytes(b"")


def empty_toc(index_dir: Path) -> None:
    _one(index_dir, "_*.toc").write_bytes(b"")


def garbage_manifest(index_dir: Path) -> None:
    _one(index_dir, "*_MANIFEST.json").write_bytes(b"\x00garbage{{")


def delete_manifest(index_dir: Path) -> None:
    _one(index_dir, "*_MANIFEST.json").unlink()


ATTACKS: dict[str, Callable[[Path], None]] = {
    "bytes flipped in the queried terms' .ddpostings blocks": flip_postings_of_queried_terms,
    "bytes flipped anywhere in the .ddpostings file": flip_postings_anywhere,
    "bytes flipped in Whoosh's .pst (same size)": flip_whoosh_postings,
    "a byte flipped in the id column (same size)": flip_id_column,
    "half-truncated .pst": truncate_pst,
    "deleted .trm": delete_trm,
    "zero-length id column": empty_id_column,
    "zero-length stored fields": empty_stored_column,
    "zero-length table of contents": empty_toc,
    "garbage manifest": garbage_manifest,
    "deleted manifest": delete_manifest,
}


#: Attacks a search may not run into (it reads other bytes, or nothing that is checked when a
#: file is opened): it must still answer right; ``check`` finds them (CRC32).
UNSEEN_BY_A_SEARCH = {
    "bytes flipped anywhere in the .ddpostings file",
    "bytes flipped in Whoosh's .pst (same size)",
}


def _damaged_copy(pristine: Path, tmp_path: Path, attack: str) -> Path:
    library_dir = _copy(pristine, tmp_path)
    ATTACKS[attack](_index_dir(library_dir))
    return library_dir


# -- the suite --------------------------------------------------------------------------------


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_library_searches_answer_right_or_say_damaged(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path, attack: str
) -> None:
    source, expected = pristine
    library_dir = _damaged_copy(source, tmp_path, attack)
    damaged = 0
    with Library.open(resolve_library(library_dir), writer=False) as lib:
        for query in QUERIES:
            try:
                got = lib.search(query, limit=10_000).ids
            except SearchIndexDamagedError as exc:
                damaged += 1
                assert "search index was damaged" in exc.user_message
                continue
            assert got == expected[query], query  # never a wrong answer
        # Once found, the damage is remembered: the library wants a rebuild.
        assert damaged == 0 or lib.index_status() == "rebuild"
    with Library.open(resolve_library(library_dir)) as lib:  # a writer repairs when opening
        assert lib.index_damage() is None
    assert _answers(library_dir) == expected


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_check_never_says_ok_over_damage(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path, attack: str
) -> None:
    source, _ = pristine
    for deep in (False, True):
        library_dir = _damaged_copy(source, tmp_path / ("deep" if deep else "sample"), attack)
        done = _cli(library_dir, "check", *(["--deep"] if deep else []))
        _no_traceback(done)
        assert done.returncode == 1, (deep, done.stdout, done.stderr)
        assert "problem: " in done.stdout and "damaged" in done.stdout, done.stdout
        assert "ok:" not in done.stdout
        # check only reports; it recorded the damage, so asking again says the same.
        with Library.open(resolve_library(library_dir), writer=False) as lib:
            assert lib.index_status() == "rebuild"
            assert any("damaged" in p for p in lib.check())
    # Any other command rebuilds it (what `check` tells the user); then check is ok.
    with Library.open(resolve_library(library_dir)) as lib:
        assert lib.check() == []


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_cli_search_repairs_and_answers_right(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path, attack: str
) -> None:
    source, expected = pristine
    library_dir = _damaged_copy(source, tmp_path, attack)
    query = '"world model"' if "queried" in attack else "language model"
    done = _cli(library_dir, "search", query, "--json", "--limit", "10000")
    _no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == expected[query]
    damage_found = "rebuilding it from the library" in done.stderr
    if attack not in UNSEEN_BY_A_SEARCH:
        # Found when opening (sizes, manifest) or by the read itself (checksums): the
        # message names the file.
        assert damage_found, done.stderr
        assert "The search index was damaged (file " in done.stderr, done.stderr
    assert _answers(library_dir) == expected


def test_the_damaged_file_is_named(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path
) -> None:
    source, _ = pristine
    library_dir = _copy(source, tmp_path)
    trm = _one(_index_dir(library_dir), "*.trm")
    trm.unlink()
    done = _cli(library_dir, "check")
    assert f"file {trm.name}" in done.stdout and "missing" in done.stdout, done.stdout
    done = _cli(library_dir, "search", "model")
    assert f"The search index was damaged (file {trm.name}); rebuilding it" in done.stderr


def test_damage_found_by_a_reader_is_kept_for_the_next_process(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path
) -> None:
    """A reader (no writer lock: the app has the library) finds a checksum mismatch: it
    raises the clear error, and the state file says so, so whoever writes rebuilds."""
    source, expected = pristine
    library_dir = _copy(source, tmp_path)
    flip_postings_of_queried_terms(_index_dir(library_dir))
    with Library.open(resolve_library(library_dir), writer=False) as lib:
        with pytest.raises(SearchIndexDamagedError) as caught:
            lib.search('"world model"')
        assert caught.value.file.endswith(postings_file.SUFFIX)
        # This process no longer searches the damaged index at all.
        with pytest.raises(SearchIndexDamagedError):
            lib.search("learning")
    state = json.loads((_index_dir(library_dir) / "digestdesk-index.json").read_text())
    assert state["damaged"]["file"] == caught.value.file
    with Library.open(resolve_library(library_dir), writer=False) as lib:
        assert lib.index_status() == "rebuild" and lib.index_damage() is not None
    with Library.open(resolve_library(library_dir)) as lib:
        assert lib.index_status() == "ok"
    assert _answers(library_dir) == expected


def test_edits_commit_a_manifest_and_stay_checkable(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path
) -> None:
    """Edits add segments (and merges replace them): each commit's manifest covers them, so
    check stays ok and damage to a new segment is found too."""
    source, _ = pristine
    library_dir = _copy(source, tmp_path)
    with Library.open(resolve_library(library_dir)) as lib:
        for entry_id in range(1, 9):
            lib.set_note(entry_id, f"a note about zeppelins {entry_id}")
        assert lib.check(deep=True) == []
        assert lib.search("zeppelins").total == 8
    manifest = json.loads(_one(_index_dir(library_dir), "*_MANIFEST.json").read_text())
    newest = max(
        (p for p in _index_dir(library_dir).iterdir() if p.suffix in (".seg", ".pst")),
        key=lambda p: p.stat().st_mtime_ns,
    )
    assert newest.name in manifest["files"]
    _flip(newest, [newest.stat().st_size // 2])
    with Library.open(resolve_library(library_dir)) as lib:
        problems = lib.check()
        assert problems and newest.name in problems[0], problems


def test_an_index_from_before_manifests_is_accepted_and_gets_one(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path
) -> None:
    source, expected = pristine
    library_dir = _copy(source, tmp_path)
    index_dir = _index_dir(library_dir)
    _one(index_dir, "*_MANIFEST.json").unlink()
    state_file = index_dir / "digestdesk-index.json"
    state = json.loads(state_file.read_text())
    del state["manifest"]
    state_file.write_text(json.dumps(state))
    with Library.open(resolve_library(library_dir)) as lib:
        assert lib.index_status() == "ok" and lib.check() == []
        assert lib.maintain_index(backfill=True)  # idle upkeep writes the first manifest
    assert json.loads(state_file.read_text())["manifest"] is True
    assert _one(index_dir, "*_MANIFEST.json").exists()
    assert _answers(library_dir) == expected


def test_check_finds_an_index_that_lies_without_damaged_files(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path
) -> None:
    """Files intact, answers wrong (an entry's text changed behind the index's back): the
    comparison with the database finds it, and the index is rebuilt."""
    source, expected = pristine
    library_dir = _copy(source, tmp_path)
    with Library.open(resolve_library(library_dir)) as lib:
        with lib.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE entries SET title = 'Zeppelin Dynamics' WHERE id = 7")
        problems = lib.check(deep=True)
        assert any("entry 7" in p and "title" in p for p in problems), problems
        assert lib.index_status() == "rebuild"
    with Library.open(resolve_library(library_dir)) as lib:  # rebuilt when opening
        assert lib.check() == []
        assert lib.search("zeppelin").ids == [7]


@pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(), reason=f"the shared samples are not here ({SHARED_SAMPLES})"
)
def test_the_issues_queries_on_the_samples(tmp_path: Path) -> None:
    """The issue's case on the real samples: flipped bytes in the .ddpostings blocks of
    'model' and 'world' made ``search 'language model'`` raise IndexError and
    ``search '"world model"'`` return wrong ids while check said ok."""
    built = tmp_path / "built"
    with Library.open(resolve_library(built)) as lib:
        for path in sorted((SHARED_SAMPLES / "hf-daily-api").glob("*.json")):
            lib.import_file(path, index=False)
        lib.rebuild_index()
        queries = ("language model", '"world model"')
        expected = {q: lib.search(q, limit=10_000).ids for q in queries}
    library_dir = _copy(built, tmp_path / "searched")
    flip_postings_of_queried_terms(_index_dir(library_dir))
    with (
        Library.open(resolve_library(library_dir), writer=False) as lib,
        pytest.raises(SearchIndexDamagedError),  # was: IndexError
    ):
        lib.search("language model", limit=10_000)
    library_dir = _copy(built, tmp_path / "cli")
    flip_postings_of_queried_terms(_index_dir(library_dir))
    done = _cli(library_dir, "search", '"world model"', "--json", "--limit", "10000")
    _no_traceback(done)  # was: other ids, no error
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in json.loads(done.stdout)] == expected['"world model"']
    assert "rebuilding it from the library" in done.stderr
    with Library.open(resolve_library(library_dir)) as lib:
        assert lib.check() == []
        assert lib.search("language model", limit=10_000).ids == expected["language model"]


# -- random damage, many times ------------------------------------------------------------

#: Tries per kind of file (raise it for a longer campaign: DIGESTDESK_DAMAGE_TRIES=50).
TRIES = int(os.environ.get("DIGESTDESK_DAMAGE_TRIES", "1"))
FILE_KINDS = ("*.ddpostings", "*.pst", "*.trm", "*.id.col", "*._stored.col", "*_len.col", "_*.toc")


def random_damage(index_dir: Path, pattern: str, rng: random.Random) -> str:
    """One random damage to one file matching ``pattern``: bytes flipped, cut, emptied or
    deleted. Returns what was done."""
    path = rng.choice(sorted(index_dir.glob(pattern)))
    size = path.stat().st_size
    how = rng.choice(("flip", "flip", "flip", "cut", "empty", "delete"))
    if how == "flip" and size:
        count = rng.choice((1, 8, 64))
        _flip(path, [rng.randrange(size) for _ in range(count)])
        return f"{count} bytes flipped in {path.name}"
    if how == "cut" and size > 1:
        path.write_bytes(path.read_bytes()[: rng.randrange(1, size)])
        return f"{path.name} cut"
    if how == "delete":
        path.unlink()
        return f"{path.name} deleted"
    path.write_bytes(b"")
    return f"{path.name} emptied"


@pytest.mark.slow
@pytest.mark.parametrize("pattern", FILE_KINDS)
def test_random_damage_never_gives_a_wrong_answer(
    pristine: tuple[Path, dict[str, list[int]]], tmp_path: Path, pattern: str
) -> None:
    source, expected = pristine
    rng = random.Random(f"{pattern}-{TRIES}")
    for attempt in range(TRIES):
        library_dir = _copy(source, tmp_path / str(attempt))
        what = random_damage(_index_dir(library_dir), pattern, rng)
        with Library.open(resolve_library(library_dir), writer=False) as lib:
            for query in QUERIES:
                try:
                    got = lib.search(query, limit=10_000).ids
                except SearchIndexDamagedError:
                    continue
                assert got == expected[query], (what, query)
        with Library.open(resolve_library(library_dir), writer=True, repair_index=False) as lib:
            if pattern == "*.ddpostings" and what.endswith("deleted"):
                # A cache of a cache: searches read Whoosh's postings instead (right answers)
                # and idle upkeep writes it again; nothing is damaged.
                assert lib.check() == [] and lib.index.missing_postings_files() == 1
            else:
                assert lib.check(), f"check said ok after: {what}"
            lib.ensure_index()
            assert lib.check() == [], what
        assert _answers(library_dir) == expected, what
        shutil.rmtree(library_dir)
