"""Opening the database: engine settings, the single-writer lock, migrations and backups.

SQLite runs in WAL mode with foreign keys on; the same code runs on PostgreSQL when
``DIGESTDESK_DATABASE_URL`` names one. Migrations (Alembic) run at open inside one transaction,
after a backup copy of a SQLite file; a database written by a newer Digest Desk is refused.
"""

from __future__ import annotations

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
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from digestdesk.core import schema
from digestdesk.errors import LibraryError, LibraryLockedError, NewerSchemaError
from digestdesk.paths import LibraryPaths

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

# The newest migration's revision. Checking it with one SELECT keeps Alembic (a slow import)
# out of every start; a test asserts it matches the migration scripts.
SCHEMA_HEAD = "0004"

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


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, manage transactions, so BEGIN covers every statement.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


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


def create_db_engine(paths: LibraryPaths) -> Engine:
    """An engine for the library; SQLite files get WAL and foreign keys."""
    if paths.is_sqlite:
        assert paths.root is not None
        paths.root.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            paths.database_url,
            connect_args={"check_same_thread": False, "timeout": 5},
            poolclass=NullPool if os.environ.get("DIGESTDESK_NULLPOOL") else None,
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        return create_engine(paths.database_url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise LibraryError(
            f"Cannot use the database {paths.describe()}: {exc}. "
            "Check DIGESTDESK_DATABASE_URL (for PostgreSQL: postgresql+psycopg://user:pw@host/db)."
        ) from exc


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
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
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


def migrate(engine: Engine, paths: LibraryPaths) -> None:
    """Bring the schema to head in one transaction; refuse a newer database."""
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision == SCHEMA_HEAD:
        return
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


def open_engine(paths: LibraryPaths) -> Engine:
    """Create the engine and migrate; every database problem becomes a LibraryError."""
    engine = create_db_engine(paths)
    try:
        migrate(engine, paths)
    except OperationalError as exc:
        engine.dispose()
        raise LibraryError(
            f"Cannot open the library at {paths.describe()}: {exc.orig}. "
            "Check that the file is a Digest Desk library and is not on a read-only disk."
        ) from exc
    except sqlite3.DatabaseError as exc:
        engine.dispose()
        raise LibraryError(f"Cannot open the library at {paths.describe()}: {exc}.") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine
