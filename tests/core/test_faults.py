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

#: Every command, as a user would run it against a library holding entries 1..N.
COMMANDS: list[tuple[str, ...]] = [
    ("list",),
    ("show", "1"),
    ("stats",),
    ("search", "reasoning"),
    ("search", "status:unread"),
    ("export",),
    ("check",),
    ("status", "1", "read"),
    ("tag", "1", "+later"),
    ("note", "1", "a note"),
    ("undo",),
    ("reindex",),
    ("trends",),
    ("sessions",),
    ("import", "@digest"),
]


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
