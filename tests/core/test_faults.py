"""Fault injection: a damaged, empty or foreign database file, a full disk, a read-only folder.

Every case goes through the command line, as a user meets it, and asserts the same four things:
a clear message naming the file and what to do, the documented exit code (1: refused or
failed), no traceback, and a library left exactly as it was (database and index files hashed
before and after). The attacks on the database (truncation at several offsets, a flipped
header, garbage pages in the middle) are made here from a small library built per module.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestdesk import cli
from tests.core import factories

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")),
    reason="the faults are made in an SQLite file; a database server is not one",
)

PAGE = 4096
DB = "library.sqlite3"

#: The commands that only read, and those that write, as a user would run them against a
#: library holding entries 1..N ("@digest" is a digest file to import).
READS: list[tuple[str, ...]] = [
    ("list",),
    ("show", "1"),
    ("stats",),
    ("search", "reasoning"),
    ("search", "status:unread"),
    ("export",),
    ("sessions",),
]
WRITES: list[tuple[str, ...]] = [
    ("status", "1", "read"),
    ("tag", "1", "+later"),
    ("note", "1", "a note"),
    ("undo",),
    ("reindex",),
    ("import", "@digest"),
]
COMMANDS: list[tuple[str, ...]] = [*READS, ("check",), ("trends",), *WRITES]


class Outcome:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(library: Path, *argv: str, digest: Path | None = None) -> Outcome:
    """One command in this process; stderr is captured around it (no pytest fixture, so the
    helper works in a loop over cases)."""
    args = [str(digest) if a == "@digest" and digest else a for a in argv]
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stderr
    sys.stderr = err
    try:
        code = cli.run(["--library", str(library), *args], out=out, stdin=io.StringIO(""))
    finally:
        sys.stderr = saved
    return Outcome(code, out.getvalue(), err.getvalue())


def fingerprint(library: Path) -> dict[str, str]:
    """Every file of the library (database, its log, the index) by content hash."""
    found = {}
    for path in sorted(library.rglob("*")):
        if path.is_file() and path.name != "library.lock":
            found[str(path.relative_to(library))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def digest_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digest") / "day.json"
    path.write_bytes(factories.api_day(5, day="2025-12-01", start=500))
    return path


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of 80 entries with tags and notes: enough pages to damage one in the middle."""
    library = tmp_path_factory.mktemp("pristine") / "library"
    source = tmp_path_factory.mktemp("src") / "day.json"
    source.write_bytes(factories.api_day(80, day="2025-11-20"))
    assert run_cli(library, "import", str(source)).code == 0
    assert run_cli(library, "tag", "1", "+kept").code == 0
    assert run_cli(library, "note", "2", "a note to keep").code == 0
    assert not (library / (DB + "-wal")).exists()
    return library


@pytest.fixture
def library(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "library"
    shutil.copytree(pristine, copy)
    return copy


def page_count(library: Path) -> int:
    return (library / DB).stat().st_size // PAGE


# ------------------------------------------------------------------ the damage
def truncate_at(offset: int):  # type: ignore[no-untyped-def]
    def damage(library: Path) -> None:
        os.truncate(library / DB, offset)

    damage.__name__ = f"truncated_at_{offset}"
    return damage


def truncate_fraction(fraction: float):  # type: ignore[no-untyped-def]
    def damage(library: Path) -> None:
        size = (library / DB).stat().st_size
        os.truncate(library / DB, int(size * fraction))

    damage.__name__ = f"truncated_to_{round(fraction * 100)}pc"
    return damage


def flip_header(library: Path) -> None:
    data = bytearray((library / DB).read_bytes())
    for i in range(16):
        data[i] ^= 0xFF
    (library / DB).write_bytes(bytes(data))


def flip_page_size(library: Path) -> None:
    data = bytearray((library / DB).read_bytes())
    data[16] ^= 0x5A
    (library / DB).write_bytes(bytes(data))


def garbage_pages(seed: int):  # type: ignore[no-untyped-def]
    def damage(library: Path) -> None:
        data = bytearray((library / DB).read_bytes())
        pages = len(data) // PAGE
        rnd = random.Random(seed)
        for page in rnd.sample(range(2, pages), 3):  # never page 1: that is the header
            data[page * PAGE : (page + 1) * PAGE] = rnd.randbytes(PAGE)
        (library / DB).write_bytes(bytes(data))

    damage.__name__ = f"garbage_pages_{seed}"
    return damage


def empty_file(library: Path) -> None:
    (library / DB).write_bytes(b"")


def text_file(library: Path) -> None:
    (library / DB).write_text("these are my notes, not a database\n", encoding="utf-8")


def foreign_sqlite(library: Path) -> None:
    import sqlite3

    (library / DB).unlink()
    with sqlite3.connect(library / DB) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
        conn.execute("INSERT INTO songs VALUES ('not a paper')")


def foreign_alembic(library: Path) -> None:
    """Another program's database that also uses Alembic (a revision we do not know)."""
    import sqlite3

    (library / DB).unlink()
    with sqlite3.connect(library / DB) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        conn.execute("CREATE TABLE invoices (total INTEGER)")


DAMAGE = [
    truncate_at(50),
    truncate_at(100),
    truncate_at(PAGE),
    truncate_at(3 * PAGE + 17),
    truncate_fraction(0.5),
    truncate_fraction(0.9),
    flip_header,
    flip_page_size,
    garbage_pages(1),
    garbage_pages(2),
    garbage_pages(3),
]
REFUSED = [empty_file, text_file, foreign_sqlite, foreign_alembic]


@pytest.fixture
def no_log_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert not [r for r in caplog.records if r.exc_info], caplog.text


def assert_clear(outcome: Outcome, library: Path) -> None:
    assert outcome.code == cli.EXIT_FAILED, outcome.text
    assert "Traceback" not in outcome.text
    assert str(library / DB) in outcome.err, outcome.err


@pytest.mark.usefixtures("no_log_tracebacks")
@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.__name__)
def test_a_damaged_database_is_reported_by_every_command(
    library: Path, digest_file: Path, damage: object
) -> None:
    damage(library)  # type: ignore[operator]
    before = fingerprint(library)
    for argv in COMMANDS:
        outcome = run_cli(library, *argv, digest=digest_file)
        if outcome.code == 0:
            # Damage in pages this command never reads: it may answer, from what it read. A
            # command that writes must not have written into a damaged file, though, so only
            # reads may succeed here.
            assert argv[0] in cli.READ_ONLY, (argv, outcome.text)
            assert "Traceback" not in outcome.text
            assert fingerprint(library)[DB] == before[DB], argv
            continue
        assert_clear(outcome, library)
        assert "damaged" in outcome.err or "not a Digest Desk library" in outcome.err
        assert "backups" in outcome.err and "recover" in outcome.err, outcome.err
        assert fingerprint(library) == before, argv
    # `check` never says ok over a damaged file.
    assert run_cli(library, "check").code == cli.EXIT_FAILED


@pytest.mark.usefixtures("no_log_tracebacks")
@pytest.mark.parametrize("refuse", REFUSED, ids=lambda d: d.__name__)
def test_an_empty_or_foreign_file_is_refused_never_an_empty_library(
    library: Path, digest_file: Path, refuse: object
) -> None:
    refuse(library)  # type: ignore[operator]
    before = fingerprint(library)
    for argv in COMMANDS:
        outcome = run_cli(library, *argv, digest=digest_file)
        assert_clear(outcome, library)
        assert fingerprint(library) == before, argv  # the index was not emptied to match
    assert "ok" not in run_cli(library, "check").out


def test_the_empty_file_message_says_what_to_do(library: Path) -> None:
    empty_file(library)
    err = run_cli(library, "check").err
    assert "empty (0 bytes)" in err and "delete the empty file" in err
    assert str(library / "backups") in err


def test_the_message_names_the_backups_newest_first(library: Path) -> None:
    backups = library / "backups"
    backups.mkdir()
    for i, name in enumerate(["library-0001-20250101-000000.sqlite3", "library-0002-x.sqlite3"]):
        shutil.copy(library / DB, backups / name)
        os.utime(backups / name, (1_700_000_000 + i * 1000, 1_700_000_000 + i * 1000))
    truncate_fraction(0.5)(library)
    err = run_cli(library, "list").err
    assert err.index("library-0002-x.sqlite3") < err.index("library-0001-20250101-000000.sqlite3")


def test_a_new_library_is_still_created(tmp_path: Path) -> None:
    library = tmp_path / "new" / "library"
    outcome = run_cli(library, "list")
    assert outcome.code == 0, outcome.text
    assert (library / DB).stat().st_size > 0
    assert run_cli(library, "search", "reasoning").code == 0
    assert run_cli(library, "check").code == 0


@pytest.mark.parametrize("damage", [truncate_fraction(0.5), flip_header, empty_file])
def test_a_damaged_database_in_a_real_process_has_no_traceback(
    library: Path, damage: object
) -> None:
    damage(library)  # type: ignore[operator]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for argv in (["check"], ["list"], ["status", "1", "read"]):
        done = subprocess.run(
            [sys.executable, "-m", "digestdesk", "--library", str(library), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and str(library / DB) in done.stderr


# ------------------------------------------------------------------ recover
def entries_by_id(library: Path) -> dict[int, dict[str, object]]:
    outcome = run_cli(library, "list", "--json")
    assert outcome.code == 0, outcome.text
    import json

    return {int(r["id"]): r for r in json.loads(outcome.out)}


def lost_ids(report: dict[str, object], table: str) -> set[int]:
    found = next(t for t in report["tables"] if t["table"] == table)  # type: ignore[union-attr,index]
    return {
        i
        for low, high in found["unreadable_rowids"]
        for i in range(low, (high if high is not None else 10_000) + 1)
    }


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.__name__)
def test_recover_copies_what_can_be_read_and_names_what_was_lost(
    pristine: Path, library: Path, tmp_path: Path, damage: object
) -> None:
    import json

    original = entries_by_id(pristine)
    damage(library)  # type: ignore[operator]
    before = fingerprint(library)
    target = tmp_path / "recovered"
    outcome = run_cli(library, "recover", "--to", str(target), "--method", "python", "--json")
    assert "Traceback" not in outcome.text
    assert fingerprint(library) == before  # the damaged file is kept as it was
    if outcome.code == cli.EXIT_FAILED:
        # Nothing readable (the file was cut inside its first page): said, and no half library.
        assert "Nothing could be read" in outcome.err and str(library / DB) in outcome.err
        assert not (target / DB).exists()
        return
    assert outcome.code in (cli.EXIT_OK, cli.EXIT_PARTIAL), outcome.text
    report = json.loads(outcome.out)
    assert (outcome.code == cli.EXIT_OK) == report["complete"]
    recovered = entries_by_id(target)
    # Whatever came back is exactly what was there (its digests, tags and note are rows of
    # other tables: some may be lost, then the report says so) ...
    linked = ("digests", "tags", "note")
    for entry_id, record in recovered.items():
        was = original[entry_id]
        assert {k: v for k, v in record.items() if k not in linked} == {
            k: v for k, v in was.items() if k not in linked
        }
        if any(record[k] != was[k] for k in linked):
            assert not report["complete"]
    # ... and whatever did not is accounted for: unreadable rowids, or the file was cut there.
    missing = set(original) - set(recovered)
    entries = next(t for t in report["tables"] if t["table"] == "entries")
    if missing and not entries["missing"]:
        assert missing <= lost_ids(report, "entries") or not report["complete"], missing
    if not missing and report["complete"]:
        assert recovered == original
    # The new library is a working library of its own.
    assert run_cli(target, "check").code == cli.EXIT_OK
    assert run_cli(target, "status", str(min(recovered, default=1)), "read").code in (0, 1)


def test_recover_after_a_flipped_header_gets_everything_back(
    pristine: Path, library: Path, tmp_path: Path
) -> None:
    flip_header(library)
    target = tmp_path / "recovered"
    outcome = run_cli(library, "recover", "--to", str(target), "--method", "python")
    assert outcome.code == cli.EXIT_OK, outcome.text
    assert "the SQLite magic" in outcome.out and "entries: 80 recovered" in outcome.out
    assert entries_by_id(target) == entries_by_id(pristine)  # tags and notes included
    assert run_cli(target, "search", "reasoning").code == cli.EXIT_OK


def test_recover_reports_lost_rows_in_text(library: Path, tmp_path: Path) -> None:
    garbage_pages(7)(library)
    outcome = run_cli(library, "recover", "--to", str(tmp_path / "r"), "--method", "python")
    assert outcome.code in (cli.EXIT_OK, cli.EXIT_PARTIAL), outcome.text
    assert "entries:" in outcome.out and "The damaged file was left as it was" in outcome.out
    if outcome.code == cli.EXIT_PARTIAL:
        assert "lost" in outcome.out or "dropped" in outcome.out


def test_recover_refuses_an_existing_library_and_an_empty_file(
    library: Path, pristine: Path, tmp_path: Path
) -> None:
    outcome = run_cli(library, "recover", "--to", str(pristine))
    assert outcome.code == cli.EXIT_FAILED and "already holds a library" in outcome.err
    empty_file(library)
    outcome = run_cli(library, "recover", "--to", str(tmp_path / "x"))
    assert outcome.code == cli.EXIT_FAILED and "nothing to recover" in outcome.err


def test_recover_with_the_sqlite3_program(pristine: Path, library: Path, tmp_path: Path) -> None:
    from digestdesk.core import recovery

    if recovery.sqlite_program() is None:
        pytest.skip("no sqlite3 program with a working .recover here (it needs sqlite_dbpage)")
    flip_header(library)
    target = tmp_path / "recovered"
    outcome = run_cli(library, "recover", "--to", str(target), "--method", "sqlite3")
    assert outcome.code in (cli.EXIT_OK, cli.EXIT_PARTIAL), outcome.text
    assert entries_by_id(target) == entries_by_id(pristine)


# ------------------------------------------------- a full disk, a read-only folder
def leave_index_behind(library: Path) -> None:
    """Change the database without the index following (as a crash right after a write)."""
    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library

    with Library.open(resolve_library(library), writer=True, repair_index=False) as opened:
        opened.import_bytes(factories.api_day(3, day="2025-12-02", start=900), index=False)
    assert run_cli(library, "check").code == cli.EXIT_FAILED  # behind: check says so


def mount(*args: str) -> bool:
    done = subprocess.run(["mount", *args], capture_output=True, check=False)
    return done.returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, check=False)


@pytest.fixture
def read_only_library(library: Path, tmp_path: Path) -> Iterator[Path]:
    """The library behind a read-only bind mount (root ignores file modes, not a read-only
    mount); the index is left behind the database first."""
    leave_index_behind(library)
    view = tmp_path / "read-only"
    view.mkdir()
    if not (mount("--bind", str(library), str(view)) and mount("-o", "remount,ro,bind", str(view))):
        umount(view)
        pytest.skip("cannot bind-mount read-only here (needs root and mount rights)")
    try:
        yield view
    finally:
        umount(view)


def test_reading_commands_work_on_a_read_only_folder(
    read_only_library: Path, tmp_path: Path
) -> None:
    before = fingerprint(read_only_library)
    for argv in READS:
        outcome = run_cli(read_only_library, *argv)
        assert outcome.code == cli.EXIT_OK, (argv, outcome.text)
        assert "Traceback" not in outcome.text
    # The index is behind and cannot be caught up: a word search says what that means.
    outcome = run_cli(read_only_library, "search", "reasoning")
    assert "3 changed entries behind" in outcome.err and "cannot be updated here" in outcome.err
    outcome = run_cli(read_only_library, "export", "-o", str(tmp_path / "out.json"))
    assert outcome.code == cli.EXIT_OK and (tmp_path / "out.json").stat().st_size > 0
    # check reads too, and reports the index behind (exit 1) rather than failing on the lock.
    outcome = run_cli(read_only_library, "check")
    assert outcome.code == cli.EXIT_FAILED and "behind" in outcome.out
    assert "library.lock" not in outcome.err
    assert fingerprint(read_only_library) == before


def test_writing_commands_on_a_read_only_folder_say_so_and_change_nothing(
    read_only_library: Path, digest_file: Path
) -> None:
    before = fingerprint(read_only_library)
    for argv in [*WRITES, ("export", "-o", str(read_only_library / "out.json"))]:
        outcome = run_cli(read_only_library, *argv, digest=digest_file)
        assert outcome.code == cli.EXIT_FAILED, (argv, outcome.text)
        assert "Traceback" not in outcome.text
        assert "cannot be written" in outcome.err or "Read-only file system" in outcome.err
        assert fingerprint(read_only_library) == before, argv
    assert not list(read_only_library.glob("*.part"))


@pytest.fixture
def full_disk(pristine: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the library on a small tmpfs, then the tmpfs filled to the last byte;
    yields the library and the filler (remove it to free the disk)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount rights)")
    try:
        library = disk / "library"
        shutil.copytree(pristine, library)
        leave_index_behind(library)
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
            except OSError:
                pass  # full
        yield library, filler
    finally:
        umount(disk)


def test_a_full_disk_reads_work_and_writes_say_so_and_change_nothing(
    full_disk: tuple[Path, Path], digest_file: Path
) -> None:
    library, filler = full_disk
    before = fingerprint(library)
    for argv in READS:
        outcome = run_cli(library, *argv)
        assert outcome.code == cli.EXIT_OK, (argv, outcome.text)
        assert "Traceback" not in outcome.text
    assert "cannot be updated here (the disk is full)" in run_cli(library, "search", "x").err
    # Related papers: the model is built, cannot be saved, and no half-written file is left
    # taking what little space there is.
    outcome = run_cli(library, "related", "1")
    assert outcome.code == cli.EXIT_OK and "Traceback" not in outcome.text, outcome.text
    assert not list(library.glob("index.similarity*"))
    for argv in WRITES:
        outcome = run_cli(library, *argv, digest=digest_file)
        assert outcome.code == cli.EXIT_FAILED, (argv, outcome.text)
        assert "Traceback" not in outcome.text and "is full" in outcome.err, outcome.err
    outcome = run_cli(library, "export", "-o", str(library.parent / "out.json"))
    assert outcome.code == cli.EXIT_FAILED and "No space left" in outcome.err
    assert not (library.parent / "out.json.part").exists()
    assert run_cli(library, "check").code == cli.EXIT_FAILED  # it reads: the index is behind
    # The database is as it was (SQLite may leave an empty log and shared-memory file after
    # failing to set them up; they hold nothing).
    assert fingerprint(library)[DB] == before[DB]
    wal = library / (DB + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    # Space again: the same write works, and nothing was lost meanwhile.
    filler.unlink()
    assert run_cli(library, "status", "1", "read").code == cli.EXIT_OK
    assert run_cli(library, "check").code == cli.EXIT_OK
    assert len(entries_by_id(library)) == 83


# Injected failures: the same cases where nothing can be mounted (and on every machine).
def test_injected_read_only_lock_file_gives_a_clear_message(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from digestdesk.core import store

    def refuse(path: object, *args: object, **kwargs: object) -> object:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(store, "open", refuse, raising=False)
    before = fingerprint(library)
    for argv in WRITES:
        outcome = run_cli(library, *argv)
        assert outcome.code == cli.EXIT_FAILED and "cannot be written" in outcome.err, argv
        assert "library.lock" in outcome.err and "Traceback" not in outcome.text
    assert fingerprint(library) == before


def test_injected_sqlite_full_refuses_an_import_and_keeps_the_library(
    library: Path, digest_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from digestdesk.core import store

    with sqlite3.connect(library / DB) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    # SQLite's own limit: a write that needs one more page fails as a full disk does.
    monkeypatch.setattr(
        store, "_WRITING_PRAGMAS", (*store._WRITING_PRAGMAS, f"PRAGMA max_page_count={pages}")
    )
    before = entries_by_id(library)
    big = digest_file.parent / "big.json"
    big.write_bytes(factories.api_day(60, day="2025-12-03", start=2000))
    outcome = run_cli(library, "import", str(big))
    assert outcome.code == cli.EXIT_FAILED, outcome.text
    assert "is full" in outcome.err and "Traceback" not in outcome.text
    assert entries_by_id(library) == before


def test_injected_full_disk_while_updating_the_index_keeps_the_change(
    library: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import errno

    from digestdesk.core.index import WhooshIndex

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(WhooshIndex, "update", full)
    outcome = run_cli(library, "status", "1", "read")
    assert outcome.code == cli.EXIT_OK, outcome.text  # the database has the change
    assert not [r for r in caplog.records if r.exc_info]  # a warning, no traceback
    monkeypatch.undo()
    assert entries_by_id(library)[1]["status"] == "read"


def test_injected_full_disk_during_an_index_repair_still_answers_a_search(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from digestdesk.core.library.index_sync import IndexSync

    leave_index_behind(library)

    def full(*args: object, **kwargs: object) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(library / "index"))

    monkeypatch.setattr(IndexSync, "ensure", full)
    outcome = run_cli(library, "search", "reasoning")
    assert outcome.code == cli.EXIT_OK, outcome.text
    assert "behind the database" in outcome.err and "the disk is full" in outcome.err


def test_an_export_that_fails_half_way_leaves_no_part_file(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    target = tmp_path / "out.json"
    real_write_text = Path.write_text

    def half_then_full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, text[: len(text) // 2], encoding="utf-8")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", half_then_full)
    outcome = run_cli(library, "export", "-o", str(target))
    assert outcome.code == cli.EXIT_FAILED and "No space left" in outcome.err
    assert not target.exists() and not (tmp_path / "out.json.part").exists()


def test_stats_without_an_index_says_so_and_builds_none(library: Path) -> None:
    shutil.rmtree(library / "index")
    outcome = run_cli(library, "stats")
    assert outcome.code == cli.EXIT_OK and "(missing or unreadable)" in outcome.out
    assert not (library / "index").exists()  # a reading command that needs no index
