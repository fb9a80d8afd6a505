"""Where things live: the library (database + index), settings, logs and bundled resources.

Default locations come from platformdirs; ``--library DIR`` or ``DIGESTDESK_LIBRARY`` put the
database and the index in DIR; ``DIGESTDESK_DATABASE_URL`` selects another database server.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from digestdesk import APP_ID

ENV_LIBRARY = "DIGESTDESK_LIBRARY"
ENV_DATABASE_URL = "DIGESTDESK_DATABASE_URL"
DATABASE_FILE = "library.sqlite3"


@dataclass(frozen=True)
class LibraryPaths:
    """The places one library uses."""

    database_url: str
    index_dir: Path
    lock_file: Path
    backup_dir: Path
    root: Path | None  # the folder holding the SQLite file, None for a database server

    @property
    def similarity_file(self) -> Path:
        """The similarity model: a cache beside the search index (``index.similarity``)."""
        return self.index_dir.with_name(self.index_dir.name + ".similarity")

    @property
    def sqlite_file(self) -> Path | None:
        return self.root / DATABASE_FILE if self.root is not None and self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def describe(self) -> str:
        if self.sqlite_file is not None:
            return str(self.sqlite_file)
        return _redact(self.database_url)

    def display_name(self) -> str:
        """A short name for titles: the library folder's name ("Library" for the default
        one), or the database's name on a server. :meth:`describe` gives the full place."""
        if self.root is not None and self.sqlite_file is not None:
            return "Library" if self.root == user_data_dir() else self.root.name or str(self.root)
        tail = self.database_url.rsplit("@", 1)[-1].split("?", 1)[0]
        host, _, database = tail.partition("/")
        if "://" in host:
            host = host.split("://", 1)[1]
        return f"{database} on {host}" if database and host else database or host or "Library"


def _redact(url: str) -> str:
    """Hide a password in a database URL before it is shown or logged."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _platformdirs() -> Any:
    """platformdirs, imported when a default place is first asked for: a command given
    ``--library`` that logs nothing never needs one (4 ms of a ``digestdesk search``)."""
    import platformdirs

    return platformdirs


def _key(text: str) -> str:
    import hashlib  # only server libraries' places are keyed

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def user_data_dir() -> Path:
    return Path(_platformdirs().user_data_dir(APP_ID, appauthor=False))


def user_cache_dir() -> Path:
    return Path(_platformdirs().user_cache_dir(APP_ID, appauthor=False))


def user_config_dir() -> Path:
    return Path(_platformdirs().user_config_dir(APP_ID, appauthor=False))


def user_log_dir() -> Path:
    return Path(_platformdirs().user_log_dir(APP_ID, appauthor=False))


def resolve_library(
    library: str | os.PathLike[str] | None = None, *, server: bool = True
) -> LibraryPaths:
    """The library to use: the argument, else the environment, else the user data dir.
    ``server=False`` ignores ``DIGESTDESK_DATABASE_URL``: the SQLite library in the folder
    (a member's own library pushed into the team's)."""
    database_url = os.environ.get(ENV_DATABASE_URL, "").strip() if server else ""
    chosen = library if library is not None else os.environ.get(ENV_LIBRARY) or None
    if chosen is not None:
        root = Path(chosen).expanduser().resolve()
        index_dir = root / "index"
    else:
        root = user_data_dir()
        index_dir = user_cache_dir() / "index"
    if database_url:
        # A server database: the index is a local cache keyed to that database (and, once
        # connected, to the role: member_paths).
        key = _key(database_url)
        base = root if chosen is not None else user_cache_dir()
        return LibraryPaths(
            database_url=database_url,
            index_dir=base / f"index-{key}",
            lock_file=base / f"lock-{key}",
            backup_dir=base / "backups",
            root=None,
        )
    return LibraryPaths(
        database_url=f"sqlite:///{root / DATABASE_FILE}",
        index_dir=index_dir,
        lock_file=root / "library.lock",
        backup_dir=root / "backups",
        root=root,
    )


def member_paths(paths: LibraryPaths, role: str) -> LibraryPaths:
    """A server library's places as ``role`` sees it: the search index, the similarity model
    and the lock file keyed to the database *and* the role. They hold what this role reads
    (in a team library its private notes, tags and status), and a URL that names no role (a
    libpq service, ``PGUSER``) connects as whoever the environment says: each role has caches
    of its own, never another's. A URL that names the role it connects as keeps the places
    :func:`resolve_library` gave; the same paths again for the same role (a child's)."""
    if paths.is_sqlite or url_role(paths.database_url) == role:
        return paths  # the URL names the role: its key says who already
    key = _key(f"{paths.database_url}\n{role}")
    base = paths.index_dir.parent
    return replace(paths, index_dir=base / f"index-{key}", lock_file=base / f"lock-{key}")


def url_role(database_url: str) -> str | None:
    """The role a server URL names (``user@host`` or ``?user=``); None: libpq decides (a
    service, ``PGUSER``, the login name)."""
    parts = urlsplit(database_url)
    named = parse_qs(parts.query).get("user")
    if named:
        return named[-1]
    return unquote(parts.username) if parts.username else None


def resource_dir() -> Path:
    """``resources/`` in the source tree, or inside the frozen (PyInstaller) bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    return resource_dir() / name
