"""What went wrong with the library's files, in words: a damaged or foreign database file, a full
disk, a read-only folder.

SQLite reports damage only when a statement happens to read a damaged page, so the engine gets a
``handle_error`` hook (:func:`install_error_translation`) that turns those errors into a
:class:`~digestdesk.errors.DatabaseDamagedError` wherever they surface: at open, in ``check``, in
a read on the app's reader thread. Each message names the file, says that nothing was changed,
and what to do: the automatic backups in ``backups/`` (listed, newest first) and
``digestdesk recover``. Before a file is opened at all, :func:`sqlite_file_problem` refuses one
that cannot be a library (empty, or not an SQLite file), which SQLite would otherwise take for a
new, empty database and the index would then be emptied to match.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestdesk.errors import (
    DatabaseDamagedError,
    DigestDeskError,
    LibraryError,
    ReadOnlyLibraryError,
    StorageFullError,
)
from digestdesk.paths import DATABASE_FILE, LibraryPaths, user_data_dir

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: The first 16 bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"

# SQLite's primary result codes (an extended code keeps them in its low byte).
SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL = 8, 10, 11, 13
SQLITE_CANTOPEN, SQLITE_NOTADB = 14, 26

#: Less free space than this: the disk counts as full (SQLite needs room for its WAL index).
FULL_BELOW = 1 << 20
FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
#: The errors of a disk that is full or cannot be written.
STORAGE_ERRNOS = FULL_ERRNOS | READ_ONLY_ERRNOS


def recover_command(paths: LibraryPaths) -> str:
    """The command line that recovers this library (``--library`` only when not the default)."""
    root = paths.root
    if root is None or root == user_data_dir():
        return "digestdesk recover"
    return f"digestdesk --library {_quote(str(root))} recover"


def _quote(text: str) -> str:
    return f"'{text}'" if any(c.isspace() for c in text) else text


def backups(paths: LibraryPaths) -> list[Path]:
    """The automatic backups of this library, newest first (none for a database server)."""
    try:
        found = [p for p in paths.backup_dir.glob("library-*.sqlite3") if p.is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def what_to_do(paths: LibraryPaths, *, recover: bool = True) -> str:
    """The advice every damage message ends with: the backups by name, and ``recover``."""
    found = backups(paths)
    if found:
        named = ", ".join(
            f"{p.name} ({datetime.fromtimestamp(p.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC)"
            for p in found[:3]
        )
        more = f" and {len(found) - 3} older" if len(found) > 3 else ""
        restore = (
            f"To go back to an automatic backup in {paths.backup_dir} (newest first: {named}"
            f"{more}): close Digest Desk, move the damaged file aside and copy the backup to "
            f"{paths.describe()}; changes made after the backup are not in it."
        )
    else:
        restore = (
            f"There are no automatic backups in {paths.backup_dir} (one is made before each "
            "upgrade of the library's format)."
        )
    if not recover:
        return restore
    return (
        f"{restore} To copy everything that can still be read into a new library (the "
        f"damaged file is kept as it is), run `{recover_command(paths)}`."
    )


def damaged(paths: LibraryPaths, detail: str) -> DatabaseDamagedError:
    return DatabaseDamagedError(
        f"The library database {paths.describe()} is damaged ({detail}). Nothing was changed. "
        + what_to_do(paths),
        file=paths.sqlite_file,
    )


def library_folder_problem(paths: LibraryPaths) -> LibraryError | None:
    """Why the library's folder cannot be one: it is a file (``--library README.md``, or the
    database file itself), or lies under a file. None when it is a folder or can be made."""
    folder = paths.root if paths.root is not None else paths.lock_file.parent
    try:
        place = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if place is None or place.is_dir():
            return None
    except OSError:
        return None  # cannot tell (no permission to look): opening it says what is wrong
    if place == folder and place.name == DATABASE_FILE:
        return LibraryError(
            f"{folder} is a file, not a folder: it is a library's database. Give its folder "
            f"instead: --library {folder.parent}"
        )
    under = "" if place == folder else f" (the library folder {folder} would lie under it)"
    return LibraryError(
        f"{place} is a file, not a folder{under}. --library (or DIGESTDESK_LIBRARY) names "
        "the folder that holds the library; a folder that does not exist yet starts a new, "
        "empty one. Nothing was changed."
    )


def sqlite_file_problem(paths: LibraryPaths) -> DatabaseDamagedError | None:
    """Why the library's SQLite file cannot be a library, before SQLite opens it (None when it
    looks like one, or does not exist yet: a new library is created then)."""
    file = paths.sqlite_file
    if file is None:
        return None
    try:
        with open(file, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return DatabaseDamagedError(
            f"{file} is a folder, not a library database. Open another library with --library DIR.",
            file=file,
        )
    except OSError as exc:
        return DatabaseDamagedError(
            f"Cannot read the library database {file}: {exc.strerror or exc}.", file=file
        )
    if not head:
        return DatabaseDamagedError(
            f"The library database {file} is empty (0 bytes), so it holds no library: it was "
            "probably cut short (a full disk, or a crash while it was copied). Nothing was "
            f"changed. {what_to_do(paths, recover=False)} To start a new, empty library here "
            "instead, delete the empty file.",
            file=file,
        )
    if head != SQLITE_MAGIC:
        return DatabaseDamagedError(
            f"{file} is not a Digest Desk library: it does not start like an SQLite database. "
            "If it is another file, open another library with --library DIR. If it is your "
            f"library, its header is damaged; nothing was changed. {what_to_do(paths)}",
            file=file,
        )
    tables = _table_names(file)
    if tables and not {"entries", "meta"} <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
        return DatabaseDamagedError(
            f"{file} is another program's SQLite database (its tables: {shown}), not a Digest "
            "Desk library. Nothing was changed. Open another library with --library DIR.",
            file=file,
        )
    return None


def _table_names(file: Path) -> set[str] | None:
    """The tables of an SQLite file, read without writing to it (None when it cannot be
    read: what is wrong is then reported when the library opens it)."""
    for options in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(file.resolve().as_uri() + options, uri=True)
        except sqlite3.Error:
            continue
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        except sqlite3.Error:
            continue
        finally:
            conn.close()
        return {str(name) for (name,) in rows}
    return None


def storage_error(paths: LibraryPaths, exc: BaseException) -> DigestDeskError | None:
    """The clear message for a disk or file failure (None when ``exc`` is none of those)."""
    if isinstance(exc, sqlite3.Error):
        return _sqlite_problem(paths, exc)
    if isinstance(exc, OSError) and exc.errno is not None:
        where = exc.filename or paths.root or paths.describe()
        if exc.errno in FULL_ERRNOS:
            return full(paths, f"{exc.strerror} writing {where}")
        if exc.errno in READ_ONLY_ERRNOS:
            return read_only(paths, f"{exc.strerror}: {where}")
    return None


def full(paths: LibraryPaths, detail: str) -> StorageFullError:
    return StorageFullError(
        f"The disk holding the library is full ({detail}). The change was not made and the "
        "library is as it was. Free some space and try again; reading (list, show, search, "
        "stats, export to another disk) still works."
    )


def read_only(paths: LibraryPaths, detail: str) -> ReadOnlyLibraryError:
    where = paths.root or paths.describe()
    return ReadOnlyLibraryError(
        f"The library at {where} cannot be written ({detail}). This command changes the "
        "library, so it did not run and nothing was changed. Reading (list, show, search, "
        "stats, export to a writable place) works; to change the library, make its folder "
        "writable or copy it somewhere writable and use --library DIR."
    )


def _sqlite_problem(paths: LibraryPaths, exc: sqlite3.Error) -> DigestDeskError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    if primary == SQLITE_CORRUPT or "malformed" in text:
        return damaged(paths, text)
    if primary == SQLITE_NOTADB:
        return damaged(paths, f"{text}: its header or first page is not readable")
    if primary == SQLITE_FULL:
        return full(paths, text)
    if primary == SQLITE_READONLY:
        return read_only(paths, text)
    if primary == SQLITE_IOERR:
        if _nearly_full(paths):
            return full(paths, text)
        return DatabaseDamagedError(
            f"The library database {paths.describe()} could not be read or written ({text}): "
            "a disk error, or a file that was cut short. Nothing was changed. Check the disk. "
            + what_to_do(paths),
            file=paths.sqlite_file,
        )
    return None


def _nearly_full(paths: LibraryPaths) -> bool:
    """Whether the library's disk has no room left (SQLite reports a full disk while it sets
    up its shared memory as an I/O error)."""
    if paths.root is None:
        return False
    try:
        import shutil  # asked only when SQLite reported an error

        return shutil.disk_usage(paths.root).free < FULL_BELOW
    except OSError:
        return False


def install_error_translation(engine: Engine, paths: LibraryPaths) -> None:
    """Every SQLite error about damage, a full disk or a read-only file that any statement of
    this engine meets becomes the clear message (other errors pass unchanged)."""
    from sqlalchemy import event

    def translate(context: Any) -> BaseException | None:
        original = context.original_exception
        problem = storage_error(paths, original) if isinstance(original, sqlite3.Error) else None
        if problem is not None:
            problem.__cause__ = original
        return problem

    event.listen(engine, "handle_error", translate, retval=True)


def folder_writable(paths: LibraryPaths) -> bool:
    """Whether the library's SQLite file and its folder can be written (a server: always)."""
    if paths.root is None or paths.sqlite_file is None:
        return True
    if not paths.root.exists():
        return True  # a new library: creating it says whether it can be written
    if not os.access(paths.root, os.W_OK):
        return False
    return not paths.sqlite_file.exists() or os.access(paths.sqlite_file, os.W_OK)
