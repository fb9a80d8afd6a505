"""Opening the database: engine settings, the single-writer lock, migrations and backups.

SQLite runs in WAL mode with foreign keys on; the same code runs on PostgreSQL when
``DIGESTDESK_DATABASE_URL`` names one. Migrations (Alembic) run at open inside one transaction,
after a backup copy of a SQLite file; a database written by a newer Digest Desk is refused.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from digestdesk.core import schema, storage_problems
from digestdesk.core.migrations import SCHEMA_HEAD as SCHEMA_HEAD
from digestdesk.errors import (
    DigestDeskError,
    LibraryError,
    LibraryLockedError,
    NewerSchemaError,
    ReadOnlyLibraryError,
)
from digestdesk.paths import LibraryPaths

if TYPE_CHECKING:
    from alembic.config import Config

    from digestdesk.core.team_schema import Team

log = logging.getLogger(__name__)


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


#: Milliseconds a write waits for SQLite's write lock. Within one process writes take turns on
#: a Python lock first; across processes only the app and its import child write at once (the
#: lock file keeps every other writer out), and an edit waits for the child's one transaction:
#: a second or two for 50,000 papers, more for a larger file. An edit must wait, not fail.
WRITE_WAIT_MS = 60_000
_WRITING_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={WRITE_WAIT_MS}",
)
_READ_ONLY_PRAGMAS = ("PRAGMA query_only=ON", "PRAGMA busy_timeout=5000")


def _on_connect(pragmas: tuple[str, ...]) -> Any:
    def configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, manage transactions, so BEGIN covers every statement.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    return configure


#: The execution option that marks a connection's transactions as writes (see
#: :func:`write_transaction`).
WRITE_OPTION = "digestdesk_write"


def _on_sqlite_begin(conn: Connection) -> None:
    # A write transaction takes SQLite's write lock when it starts (BEGIN IMMEDIATE), so it
    # waits its turn under the busy timeout. A deferred one that reads first and writes later
    # cannot upgrade while another connection writes: SQLite answers SQLITE_BUSY at once, the
    # busy timeout cannot help (it would be a deadlock). Reads stay deferred: in WAL mode they
    # neither wait for a writer nor hold one up.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE on SQLite): committed when the block ends,
    rolled back if it raises."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def create_db_engine(paths: LibraryPaths, *, read_only: bool = False) -> Engine:
    """An engine for the library; SQLite files get WAL and foreign keys. A file that cannot be a
    library (empty, not SQLite) is refused before SQLite sees it; ``read_only`` opens the file
    read-only (a library folder that cannot be written)."""
    if paths.is_sqlite:
        assert paths.root is not None and paths.sqlite_file is not None
        problem = storage_problems.sqlite_file_problem(paths)
        if problem is not None:
            raise problem
        try:
            paths.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_problems.storage_error(paths, exc) or LibraryError(
                f"Cannot create the library folder {paths.root}: {exc.strerror or exc}."
            ) from None
        options: dict[str, Any] = {}
        if read_only:
            options["creator"] = _read_only_connector(paths.sqlite_file)
        engine = create_engine(
            "sqlite://" if read_only else paths.database_url,
            connect_args={
                "check_same_thread": False,
                "timeout": 5 if read_only else WRITE_WAIT_MS / 1000,
            },
            poolclass=NullPool if os.environ.get("DIGESTDESK_NULLPOOL") else None,
            **options,
        )
        pragmas = _READ_ONLY_PRAGMAS if read_only else _WRITING_PRAGMAS
        event.listen(engine, "connect", _on_connect(pragmas))
        event.listen(engine, "begin", _on_sqlite_begin)
        storage_problems.install_error_translation(engine, paths)
        return engine
    try:
        return create_engine(paths.database_url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise LibraryError(
            f"Cannot use the database {paths.describe()}: {exc}. "
            "Check DIGESTDESK_DATABASE_URL (for PostgreSQL: postgresql+psycopg://user:pw@host/db)."
        ) from exc


def _read_only_connector(file: Path) -> Any:
    """Connections that never write: without a write-ahead log beside the file, SQLite is told
    the file cannot change (``immutable``), as it needs to create its shared-memory file to
    read a WAL database otherwise, which a read-only folder does not allow."""
    wal = file.with_name(file.name + "-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    uri = file.resolve().as_uri() + ("?mode=ro" if has_log else "?mode=ro&immutable=1")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5)

    return connect


class WriterLock:
    """An exclusive advisory lock on a file: one writing process per library."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock_file(handle)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            who = f" (process {holder})" if holder else ""
            raise LibraryLockedError(
                f"The library is in use by another Digest Desk{who}. Close it there, or open a "
                "different library with --library DIR."
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError as exc:  # a full disk: the lock holds all the same, only unnamed
            log.warning("could not write the process id into %s: %s", self.path, exc)
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            try:
                _unlock_file(self._handle)
            finally:
                self._handle.close()
                self._handle = None


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_file(handle: IO[str]) -> None:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]

    def _unlock_file(handle: IO[str]) -> None:
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

else:
    import fcntl

    def _lock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def current_revision(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _backup_sqlite(paths: LibraryPaths, revision: str | None) -> Path | None:
    source = paths.sqlite_file
    if source is None or not source.exists() or revision is None:
        return None
    paths.backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = paths.backup_dir / f"library-{revision}-{stamp}.sqlite3"
    # The sqlite3 backup API copies a consistent snapshot even with a WAL file beside it.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    log.info("backed up the library to %s before migrating", target)
    return target


def migrate(engine: Engine, paths: LibraryPaths, *, read_only: bool = False) -> None:
    """Bring the schema to head in one transaction; refuse a newer database."""
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision == SCHEMA_HEAD:
        return
    if read_only:
        raise ReadOnlyLibraryError(
            f"The library at {paths.describe()} "
            + ("does not exist yet" if revision is None else f"is in an older format ({revision})")
            + " and its folder cannot be written, so it cannot be "
            + ("created." if revision is None else "upgraded to this Digest Desk's format.")
            + " Nothing was changed. Make the folder writable, or copy the library somewhere "
            "writable and use --library DIR."
        )
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    if revision is not None and not _known_revision(script, revision):
        raise NewerSchemaError(
            f"The library at {paths.describe()} was written by a newer Digest Desk "
            f"(schema {revision}). Update Digest Desk to open it; nothing was changed."
        )
    if revision is None:
        with engine.connect() as conn:
            existing = set(_table_names(conn))
        if existing - {"alembic_version"}:
            raise LibraryError(
                f"{paths.describe()} holds tables that are not a Digest Desk library. "
                "Choose another folder with --library DIR."
            )
    _backup_sqlite(paths, revision)
    cfg = alembic_config()
    started = time.perf_counter()
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if (
            conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "library_uuid")
            ).first()
            is None
        ):
            conn.execute(
                schema.meta.insert(),
                [
                    {"key": "library_uuid", "value": uuid.uuid4().hex},
                    {"key": "change_seq", "value": "0"},
                ],
            )
    log.info(
        "migrated %s from %s to %s in %.2fs",
        paths.describe(),
        revision,
        head,
        time.perf_counter() - started,
    )


def _known_revision(script: Any, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _table_names(conn: Connection) -> list[str]:
    return inspect(conn).get_table_names()


def _clean_mark(paths: LibraryPaths) -> tuple[Path, Path] | None:
    """The SQLite file and where a writer notes that it closed it cleanly (beside it)."""
    if paths.sqlite_file is None:
        return None
    return paths.sqlite_file, paths.sqlite_file.with_name(paths.sqlite_file.name + ".closed-clean")


def _file_state(database: Path) -> dict[str, int] | None:
    """What identifies the file's bytes as a writer left them, or None when it cannot say
    (no file, or a write-ahead log not folded into it)."""
    try:
        stat = database.stat()
        wal = database.with_name(database.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return None
    except OSError:
        return None
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}


def fold_log_in(engine: Engine, paths: LibraryPaths) -> None:
    """Fold the write-ahead log into the file and empty it, for a writer about to close it:
    SQLite does so itself only at the last connection's close, and another process may keep
    the file open a while longer (the app's child reading it for an index build, left to end
    on its own), which would leave the log, and so the file unmarked
    (:func:`mark_closed_clean`). Never waits: a reader inside a transaction keeps the log as
    it is. Best effort."""
    if not paths.is_sqlite:
        return
    try:
        with engine.connect() as conn:
            # The driver's connection: SQLAlchemy would open a transaction first, and a
            # checkpoint runs outside one.
            sqlite = conn.connection.driver_connection
            assert sqlite is not None
            sqlite.execute("PRAGMA busy_timeout=0")
            try:
                sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                sqlite.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
    except (sqlite3.Error, SQLAlchemyError, DigestDeskError) as exc:
        # Busy, a full disk, a damaged file: no mark then, the next open checks the file.
        log.debug("the log of %s was not folded in: %s", paths.describe(), exc)


def mark_closed_clean(paths: LibraryPaths) -> None:
    """A writer closed the file cleanly (every connection gone, the log folded in): note its
    size, modification time and inode, so that the next writer need not read every page
    again if nothing touched it since (see :func:`refuse_damage`). Best effort."""
    files = _clean_mark(paths)
    state = None if files is None else _file_state(files[0])
    if files is None or state is None:
        return
    mark = files[1]
    # A read-only folder or a full disk: no mark, the next open checks the file.
    with contextlib.suppress(OSError):
        mark.write_text(json.dumps(state), encoding="utf-8")


def _closed_clean_and_untouched(paths: LibraryPaths) -> bool:
    """Whether the last writer closed the file cleanly and nothing changed it since. A mark
    that holds is used once: removed here (a crash leaves none), it is written again only by
    a clean close. One that does not hold is left alone (the folder of a damaged library is
    not touched); it can never hold again."""
    files = _clean_mark(paths)
    if files is None:
        return False
    database, mark = files
    try:
        noted = json.loads(mark.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(noted, dict) or noted != _file_state(database):
        return False
    try:
        mark.unlink()
    except OSError:
        return False  # cannot use it up: cannot trust it either
    return True


def refuse_damage(engine: Engine, paths: LibraryPaths) -> None:
    """A writer checks the file's structure first (``quick_check``: every page read once, about
    20 ms per 10,000 entries with the file in the page cache, seconds for a large library read
    from disk): writing into a damaged file can spread the damage, and a write that misses the
    damaged pages would succeed and hide it. A file the last writer closed cleanly and that
    nothing changed since (the same size, modification time to the nanosecond and inode, no
    write-ahead log) is not read again: a crash, another program's write, a copy or a restore
    all make the next writer check it; ``digestdesk check`` always reads it whole."""
    if not paths.is_sqlite:
        return
    if _closed_clean_and_untouched(paths):
        log.debug("quick_check of %s skipped: closed cleanly and untouched", paths.describe())
        return
    started = time.perf_counter()
    with engine.connect() as conn:
        found = list(conn.exec_driver_sql("PRAGMA quick_check(5)").scalars())
    log.debug("quick_check of %s: %.1f ms", paths.describe(), (time.perf_counter() - started) * 1e3)
    if found != ["ok"]:
        raise storage_problems.damaged(paths, "its structure check says: " + "; ".join(found))


def follow_team(engine: Engine, team: Team) -> None:
    """On a team library (:mod:`.team_schema`), every connection from now on sees it as its
    member: the members' views first in its search path. Registered after migrating, so
    migrations and the structure look see the tables themselves."""
    from digestdesk.core import team_schema

    search_path = team_schema.member_search_path(team)

    def set_search_path(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET in a transaction rolled back would not hold
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET search_path TO {search_path}")
        finally:
            dbapi_connection.autocommit = autocommit

    event.listen(engine, "connect", set_search_path)
    engine.dispose()  # the connections made before it (migrating, this look) are closed


#: SQLSTATEs of a role not let in: insufficient_privilege; invalid_schema_name (no schema
#: it may use: the library looks empty to it, and it may not create one).
_NOT_LET_IN = frozenset({"42501", "3F000"})
_SERVER_HINT = (
    "Check the server, the database's name and your role; a team library lets a role in "
    "when its owner runs `digestdesk team add ROLE`."
)


def open_engine(
    paths: LibraryPaths, *, read_only: bool = False, check_structure: bool = False
) -> Engine:
    """Create the engine and migrate; every database problem becomes a LibraryError.
    ``read_only`` never writes (a reader of a library whose folder cannot be written);
    ``check_structure`` refuses a damaged file before anything is written (writers)."""
    engine = create_db_engine(paths, read_only=read_only)
    try:
        if check_structure:
            refuse_damage(engine, paths)
        migrate(engine, paths, read_only=read_only)
    except OperationalError as exc:
        engine.dispose()
        hint = (
            "Check that the file is a Digest Desk library and is not on a read-only disk."
            if paths.is_sqlite
            else _SERVER_HINT
        )
        raise LibraryError(
            f"Cannot open the library at {paths.describe()}: {exc.orig}. {hint}"
        ) from exc
    except ProgrammingError as exc:
        engine.dispose()
        if paths.is_sqlite or getattr(exc.orig, "sqlstate", None) not in _NOT_LET_IN:
            raise
        # A role the library's owner has not let in (a team library: `team add`).
        raise LibraryError(
            f"Cannot open the library at {paths.describe()}: {exc.orig}. {_SERVER_HINT}"
        ) from exc
    except (OSError, sqlite3.Error) as exc:  # the backup before migrating
        engine.dispose()
        problem = storage_problems.storage_error(paths, exc)
        if problem is not None:
            raise problem from exc
        raise LibraryError(f"Cannot open the library at {paths.describe()}: {exc}.") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine
