"""Recovering a damaged library: copy every row that can still be read into a new library.

The damaged file is never changed: it is copied (with its write-ahead log) into a working folder
and read there. A damaged header is repaired in that copy (the SQLite magic, an impossible page
size, the format bytes), then the rows are read one of two ways:

- ``sqlite3``: the SQLite command line's ``.recover`` (when the ``sqlite3`` program is on the
  PATH), which walks every page it can parse, also past damaged interior pages, into a fresh
  database that is then read like a healthy one;
- ``python``: table by table in rowid order, in batches; where a batch meets a damaged page the
  rows are looked up one rowid at a time until reads succeed again, so only the rows on
  unreadable pages are lost, and the rowid ranges that could not be read are reported.

The rows go into a new library created at the damaged file's schema version (same columns), in
the order the foreign keys need; a row the new library refuses (it refers to a lost row, or a
damaged value breaks a constraint) is counted as dropped. Then the new library is upgraded to
this version's schema, given a library id of its own (its search index is built afresh) and
its index is built. :class:`RecoveryReport` says, per table, what was recovered and what lost.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digestdesk.core import schema
from digestdesk.core.storage_problems import SQLITE_MAGIC, what_to_do
from digestdesk.errors import LibraryError
from digestdesk.paths import DATABASE_FILE, LibraryPaths, resolve_library

log = logging.getLogger(__name__)

BATCH = 256
#: Probing one rowid at a time gives up after this many in a row that are absent or unreadable.
PROBE_GIVE_UP = 2000
#: The tables copied, parents before children (the foreign keys' order).
TABLES = [t.name for t in schema.metadata.sorted_tables]
METHODS = ("auto", "python", "sqlite3")


@dataclass
class TableRecovery:
    """What became of one table."""

    table: str
    recovered: int = 0
    #: Rowid ranges that could not be read (their rows, if any existed, are lost); a range's
    #: end is None when the table's end could not be read either.
    unreadable: list[tuple[int, int | None]] = field(default_factory=list)
    #: Rows read but refused by the new library (a reference to a lost row, a broken value).
    dropped: int = 0
    #: The table itself could not be found or read at all.
    missing: bool = False

    @property
    def unreadable_rowids(self) -> int | None:
        """How many rowids could not be read (None: up to the unknown end of the table)."""
        if any(high is None for _, high in self.unreadable):
            return None
        return sum(high - low + 1 for low, high in self.unreadable if high is not None)

    def describe(self) -> str:
        if self.missing:
            return f"{self.table}: could not be read at all"
        text = f"{self.table}: {self.recovered} recovered"
        if self.unreadable:
            ranges = ", ".join(
                f"{low} on" if high is None else f"{low}" if low == high else f"{low}-{high}"
                for low, high in self.unreadable[:5]
            )
            more = " ..." if len(self.unreadable) > 5 else ""
            count = self.unreadable_rowids
            lost = "the rest of the table lost" if count is None else f"up to {count} rows lost"
            text += f"; unreadable rowids {ranges}{more} ({lost})"
        if self.dropped:
            text += f"; {self.dropped} dropped (they refer to lost rows or hold damaged values)"
        return text

    @property
    def lost_something(self) -> bool:
        return self.missing or bool(self.unreadable) or self.dropped > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "recovered": self.recovered,
            "unreadable_rowids": [[low, high] for low, high in self.unreadable],
            "dropped": self.dropped,
            "missing": self.missing,
        }


@dataclass
class RecoveryReport:
    """What ``digestdesk recover`` did."""

    source: Path
    target: Path
    method: str
    header_repaired: list[str] = field(default_factory=list)
    tables: list[TableRecovery] = field(default_factory=list)
    #: Rows ``.recover`` found whose table it could not tell (not copied).
    orphans: int = 0

    @property
    def complete(self) -> bool:
        return not self.orphans and not any(t.lost_something for t in self.tables)

    def table(self, name: str) -> TableRecovery:
        return next(t for t in self.tables if t.table == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "target": str(self.target),
            "method": self.method,
            "complete": self.complete,
            "header_repaired": self.header_repaired,
            "orphans": self.orphans,
            "tables": [t.to_json() for t in self.tables],
        }


def default_target(paths: LibraryPaths) -> Path:
    """Beside the damaged library: ``<folder>-recovered-<UTC time>``."""
    assert paths.root is not None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return paths.root.with_name(f"{paths.root.name}-recovered-{stamp}")


def sqlite_program() -> str | None:
    """The ``sqlite3`` program, when it is installed and its ``.recover`` works (it needs the
    ``sqlite_dbpage`` table, which some builds leave out)."""
    program = shutil.which("sqlite3")
    if program is None:
        return None
    try:
        probe = subprocess.run(
            [program, ":memory:", ".recover"], capture_output=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return program if probe.returncode == 0 and b"error" not in probe.stderr else None


def recover(
    paths: LibraryPaths,
    target: Path,
    *,
    method: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> RecoveryReport:
    """Copy what can be read from the library at ``paths`` into a new library in ``target``."""
    source = paths.sqlite_file
    if source is None:
        raise LibraryError("recover works on a library file; a database server has its own tools.")
    if not source.is_file() or source.stat().st_size == 0:
        raise LibraryError(
            f"There is nothing to recover: {source} "
            + ("does not exist. " if not source.exists() else "is empty (0 bytes). ")
            + what_to_do(paths, recover=False)
        )
    target = target.expanduser().resolve()
    if target == paths.root:
        raise LibraryError("Recover into a new folder (--to DIR), not into the damaged library.")
    if (target / DATABASE_FILE).exists():
        raise LibraryError(f"{target} already holds a library; choose a new folder with --to DIR.")
    chosen = _choose_method(method)
    say = progress or (lambda _text: None)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".recovering-", dir=target) as work_dir:
        work = Path(work_dir)
        copy = _copy_damaged(source, work)
        repaired = repair_header(copy)
        report = RecoveryReport(source, target, chosen, header_repaired=repaired)
        if chosen == "sqlite3":
            say("reading the damaged copy with sqlite3 .recover")
            readable, report.orphans = _sqlite_recover(copy, work)
        else:
            readable = copy
        new_paths = resolve_library(target)
        assert new_paths.sqlite_file is not None
        _copy_rows(readable, new_paths, report, salvage=chosen == "python", say=say)
        if all(t.missing for t in report.tables):
            for leftover in target.glob(DATABASE_FILE + "*"):
                leftover.unlink()
            raise LibraryError(
                f"Nothing could be read from {source}: even the list of its tables is "
                "damaged. It was left as it was. " + what_to_do(paths, recover=False)
            )
    say("building the new library's search index")
    _finish(new_paths)
    return report


def _choose_method(method: str) -> str:
    if method not in METHODS:
        raise LibraryError(f"Unknown recovery method {method!r}; use one of {', '.join(METHODS)}.")
    if method == "auto":
        return "sqlite3" if sqlite_program() else "python"
    if method == "sqlite3" and not sqlite_program():
        raise LibraryError(
            "The sqlite3 program is not installed here; use --method python (or auto)."
        )
    return method


def _copy_damaged(source: Path, work: Path) -> Path:
    """The damaged file and its write-ahead log, copied (SQLite would write to the original when
    it opens it: a checkpoint, a rolled back journal)."""
    copy = work / "damaged.sqlite3"
    shutil.copyfile(source, copy)
    for suffix in ("-wal", "-journal"):
        side = source.with_name(source.name + suffix)
        if side.is_file() and side.stat().st_size > 0:
            shutil.copyfile(side, copy.with_name(copy.name + suffix))
    return copy


# ------------------------------------------------------------------ the header
_PAGE_SIZES = [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512]


def repair_header(file: Path) -> list[str]:
    """Put right what a damaged header says that cannot be (in this copy); returns what was
    repaired. The page size, when impossible, is the one under which the schema reads."""
    data = bytearray(file.read_bytes()[:100])
    if len(data) < 100:
        return []
    fixes: list[str] = []
    if data[:16] != SQLITE_MAGIC:
        data[:16] = SQLITE_MAGIC
        fixes.append("the SQLite magic")
    for offset, default, name in ((18, 1, "write"), (19, 1, "read")):
        if data[offset] not in (1, 2):
            data[offset] = default
            fixes.append(f"the file format {name} version")
    for offset, value in ((21, 64), (22, 32), (23, 32)):
        if data[offset] != value:
            data[offset] = value
            fixes.append("the payload fractions")
    if data[56:60] not in (b"\x00\x00\x00\x01", b"\x00\x00\x00\x02", b"\x00\x00\x00\x03"):
        data[56:60] = b"\x00\x00\x00\x01"
        fixes.append("the text encoding")
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    valid = page_size >= 512 and page_size & (page_size - 1) == 0
    _write_header(file, data)
    if not valid or not _schema_reads(file):
        for candidate in _PAGE_SIZES:
            data[16:18] = (1 if candidate == 65536 else candidate).to_bytes(2, "big")
            _write_header(file, data)
            if _schema_reads(file):
                fixes.append(f"the page size ({candidate})")
                break
    return sorted(set(fixes), key=fixes.index)


def _write_header(file: Path, header: bytearray) -> None:
    with open(file, "r+b") as handle:
        handle.write(header)


def _schema_reads(file: Path) -> bool:
    try:
        with _connect(file) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlite3.Error:
        return False


def _connect(file: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(file, isolation_level=None)
    # A damaged file may hold text that is not UTF-8: keep what can be read of it.
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return conn


# ------------------------------------------------------------------ reading
def _sqlite_recover(copy: Path, work: Path) -> tuple[Path, int]:
    """Run ``sqlite3 COPY .recover`` into a fresh database; returns it and the orphan rows."""
    program = sqlite_program()
    assert program is not None
    done = subprocess.run(
        [program, str(copy), ".recover --ignore-freelist"],
        capture_output=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0 and not done.stdout:
        raise LibraryError(
            "sqlite3 .recover could not read the damaged copy: "
            + done.stderr.decode("utf-8", "replace").strip()
            + ". Try --method python."
        )
    salvage = work / "salvage.sqlite3"
    with sqlite3.connect(salvage, isolation_level=None) as conn:
        conn.executescript(done.stdout.decode("utf-8", "surrogateescape"))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        orphans = (
            conn.execute("SELECT count(*) FROM lost_and_found").fetchone()[0]
            if "lost_and_found" in tables
            else 0
        )
    return salvage, int(orphans)


class _RowReader:
    """The rows of one table of a damaged database, around its unreadable pages.

    It reads in rowid order, in batches; where a batch fails it looks rowids up one at a time
    (a point lookup only needs the pages on its own path) until one reads, then batches on.
    After :data:`PROBE_GIVE_UP` rowids in a row without one, it reads from the other end,
    downwards, until it meets what it read already. What lies between is reported unreadable.
    """

    def __init__(self, conn: sqlite3.Connection, table: str, columns: list[str], salvage: bool):
        self.conn = conn
        self.salvage = salvage
        names = ", ".join(f'"{c}"' for c in columns)
        select = f'SELECT rowid, {names} FROM "{table}"'
        self._after = f"{select} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}"
        self._before = f"{select} WHERE rowid < ? ORDER BY rowid DESC LIMIT {BATCH}"
        self._one = f"{select} WHERE rowid = ?"
        #: Unreadable rowid ranges; a range's end is None when the table's end is not known.
        self.unreadable: list[tuple[int, int | None]] = []

    def rows(self) -> Iterator[tuple[Any, ...]]:
        frontier = yield from self._upwards()
        if frontier is None:
            return
        # Gave up going up: read down from the end to where the upward reading stopped.
        lowest: int | None = None
        position = 2**63 - 1
        while True:
            try:
                batch = self.conn.execute(self._before, (position,)).fetchall()
            except sqlite3.DatabaseError:
                break
            batch = [row for row in batch if row[0] > frontier]
            if not batch:
                break
            for row in batch:
                yield row[1:]
            lowest = position = batch[-1][0]
        if lowest is None:
            self.unreadable.append((frontier + 1, None))
        elif lowest > frontier + 1:
            self.unreadable.append((frontier + 1, lowest - 1))

    def _upwards(self) -> Generator[tuple[Any, ...], None, int | None]:
        """Rows upwards from the start; returns None at the end, or the last rowid tried
        when giving up."""
        last = 0  # Digest Desk's rows have positive rowids (SQLite gives them from 1)
        while True:
            try:
                batch = self.conn.execute(self._after, (last,)).fetchall()
            except sqlite3.DatabaseError:
                if not self.salvage:
                    raise
                found = yield from self._probe(last)
                if isinstance(found, tuple):
                    return found[1]
                last = found
                continue
            if not batch:
                return None
            for row in batch:
                yield row[1:]
            last = batch[-1][0]

    def _probe(self, last: int) -> Generator[tuple[Any, ...], None, int | tuple[str, int]]:
        """Rowids after ``last`` one at a time until one reads: returns its rowid, or
        ``("gave up", last rowid read or known absent)``."""
        rowid, without, bad_from = last + 1, 0, None
        known = last
        while without < PROBE_GIVE_UP:
            try:
                row = self.conn.execute(self._one, (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                bad_from = rowid if bad_from is None else bad_from
                without += 1
                rowid += 1
                continue
            if bad_from is not None:
                self.unreadable.append((bad_from, rowid - 1))
                bad_from = None
            known = rowid
            if row is None:
                without += 1
                rowid += 1
                continue
            yield row[1:]
            return rowid
        return ("gave up", known)


def _source_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _columns(conn: sqlite3.Connection, table: str) -> list[str] | None:
    try:
        rows = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    except sqlite3.DatabaseError:
        return None
    return [r[1] for r in rows] or None


# ------------------------------------------------------------------ writing
def _copy_rows(
    readable: Path,
    new_paths: LibraryPaths,
    report: RecoveryReport,
    *,
    salvage: bool,
    say: Callable[[str], None],
) -> None:
    from alembic import command

    from digestdesk.core.store import SCHEMA_HEAD, alembic_config, create_db_engine

    source = _connect(readable)
    try:
        revision = _source_revision(source) or SCHEMA_HEAD
        engine = create_db_engine(new_paths)
        try:
            cfg = alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        finally:
            engine.dispose()
        assert new_paths.sqlite_file is not None
        target = sqlite3.connect(new_paths.sqlite_file, isolation_level=None)
        try:
            target.execute("PRAGMA foreign_keys=ON")
            for table in TABLES:
                say(f"copying {table}")
                report.tables.append(_copy_table(source, target, table, salvage))
        finally:
            target.close()
    finally:
        source.close()


def _copy_table(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str, salvage: bool
) -> TableRecovery:
    result = TableRecovery(table)
    wanted = _columns(target, table) or []
    present = _columns(source, table)
    if not wanted:
        return result  # not in the schema at this revision
    if present is None:
        result.missing = True
        return result
    columns = [c for c in wanted if c in present]
    reader = _RowReader(source, table, columns, salvage)
    insert = (
        f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    target.execute("BEGIN")
    try:
        for row in reader.rows():
            try:
                target.execute(insert, row)
            except sqlite3.Error:
                result.dropped += 1
                continue
            result.recovered += 1
    except sqlite3.DatabaseError as exc:
        result.missing = result.recovered == 0
        log.warning("reading %s stopped at a damaged page: %s", table, exc)
    target.execute("COMMIT")
    result.unreadable = reader.unreadable
    return result


def _finish(new_paths: LibraryPaths) -> None:
    """A library id of its own, a change counter past every row, this version's schema, and a
    search index built from what was recovered."""
    from digestdesk.core.library import Library

    assert new_paths.sqlite_file is not None
    conn = sqlite3.connect(new_paths.sqlite_file, isolation_level=None)
    try:
        conn.execute("BEGIN")
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
        old = conn.execute("SELECT value FROM meta WHERE key = 'change_seq'").fetchone()
        if old is not None and str(old[0]).isdigit():
            seq = max(int(seq), int(old[0]))
        conn.execute("DELETE FROM meta WHERE key IN ('library_uuid', 'change_seq')")
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('library_uuid', ?), ('change_seq', ?)",
            (uuid.uuid4().hex, str(int(seq))),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    with Library.open(new_paths, writer=True, repair_index=True):
        pass
