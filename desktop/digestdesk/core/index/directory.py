"""The index directory: the state file naming the current Whoosh index, opening that index,
and switching to a newly built one.

A (re)build writes a new index under a fresh name next to the current one and switches the
state file to it at the end. Until then searches keep using the complete old index (not a
half-built one), a cancelled or failed build leaves the old index as it was, and files that a
searcher still holds open are never deleted under it (Windows refuses).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from digestdesk.core.index.base import IndexState
from digestdesk.core.index.schema import INDEX_VERSION, SCHEMA
from digestdesk.errors import SearchIndexUnavailableError

log = logging.getLogger(__name__)

_STATE_FILE = "digestdesk-index.json"
_INDEX_NAME_RE = re.compile(r"ix[0-9a-f]{8}")

#: What opening or reading a damaged index raises (it is then rebuilt, never a crash).
OPEN_ERRORS: tuple[type[BaseException], ...] = (
    whoosh_index.IndexError,  # includes EmptyIndexError, IndexVersionError
    OSError,
    EOFError,
    pickle.UnpicklingError,
    ValueError,
    KeyError,
    AttributeError,
    ImportError,
    IndexError,
    TypeError,
    UnicodeDecodeError,
)


def unavailable() -> SearchIndexUnavailableError:
    return SearchIndexUnavailableError(
        "The search index is missing or damaged; it is being rebuilt."
    )


class IndexDirectory:
    """The state file and the Whoosh index it names in ``directory``, opened once and shared.

    :meth:`forget` drops the open index (after a switch, or when it turned out damaged); every
    thread's searcher is replaced at its next search (:attr:`epoch` changed), and the callbacks
    registered with :meth:`on_forget` drop what they derived from it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.epoch = 0
        self._ix: Any | None = None
        self._ix_lock = threading.Lock()
        self._forget_callbacks: list[Callable[[], None]] = []

    # -- the state file ----------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.directory / _STATE_FILE

    def read_sidecar(self) -> dict[str, Any] | None:
        """The state file's contents, or None when it is missing or malformed."""
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("Search index state file %s unreadable: %s", self._state_path, exc)
            return None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("version"), int)
            or not isinstance(data.get("library_uuid"), str)
            or not isinstance(data.get("last_seq"), int)
            or not isinstance(data.get("indexname"), str)
            or not _INDEX_NAME_RE.fullmatch(data["indexname"])
        ):
            log.warning("Search index state file %s malformed: %r", self._state_path, data)
            return None
        return data

    def current_sidecar(self) -> dict[str, Any]:
        """The state file's contents when it describes an index of :data:`INDEX_VERSION`."""
        data = self.read_sidecar()
        if data is None or data["version"] != INDEX_VERSION:
            raise unavailable()
        return data

    def write_sidecar(self, library_uuid: str, last_seq: int, indexname: str) -> None:
        data = {
            "version": INDEX_VERSION,
            "library_uuid": library_uuid,
            "last_seq": last_seq,
            "indexname": indexname,
        }
        tmp = self._state_path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._state_path)

    def state(self) -> IndexState | None:
        """What the index holds, or None when it must be rebuilt (and why is logged)."""
        if not self.directory.is_dir():
            return None
        data = self.read_sidecar()
        if data is None:
            return None
        if data["version"] != INDEX_VERSION:
            log.info("Search index version %s, want %s", data["version"], INDEX_VERSION)
            return None
        try:
            ix = self.whoosh_index(data["indexname"])
            with ix.reader() as reader:
                count = reader.doc_count()
                if "id" not in reader.schema or (count and not reader.has_column("id")):
                    log.warning("Search index at %s has another schema", self.directory)
                    return None
        except SearchIndexUnavailableError:
            return None
        except OPEN_ERRORS as exc:
            log.warning("Search index at %s cannot be read: %r", self.directory, exc)
            self.forget()
            return None
        return IndexState(INDEX_VERSION, data["library_uuid"], data["last_seq"], count)

    # -- opening -----------------------------------------------------------------------------

    def whoosh_index(self, indexname: str | None = None) -> Any:
        """The Whoosh index the state file names (a rebuild switches to a new name)."""
        if indexname is None:
            data = self.read_sidecar()
            if data is None:
                raise unavailable()
            indexname = str(data["indexname"])
        with self._ix_lock:
            if self._ix is None or self._ix.indexname != indexname:
                try:
                    self._ix = whoosh_index.open_dir(
                        str(self.directory), indexname=indexname, schema=SCHEMA
                    )
                except OPEN_ERRORS as exc:
                    log.warning("Search index at %s cannot be opened: %r", self.directory, exc)
                    raise unavailable() from exc
            return self._ix

    def on_forget(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the open index is dropped."""
        self._forget_callbacks.append(callback)

    def forget(self) -> None:
        with self._ix_lock:
            self._ix = None
            self.epoch += 1  # every thread's searcher is replaced at its next search
        for callback in self._forget_callbacks:
            callback()

    # -- switching ---------------------------------------------------------------------------

    def start_new(self) -> tuple[str, Any]:
        """A new, empty Whoosh index under a fresh name (not current until :meth:`switch_to`)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        indexname = "ix" + secrets.token_hex(4)
        return indexname, whoosh_index.create_in(str(self.directory), SCHEMA, indexname=indexname)

    def switch_to(self, indexname: str, library_uuid: str, last_seq: int) -> None:
        """Make ``indexname`` the current index and delete the others' files."""
        self.write_sidecar(library_uuid, last_seq, indexname)
        self.forget()
        self.remove_files(keep=indexname)

    def remove_files(self, *, keep: str | None = None, only: str | None = None) -> None:
        """Delete index files other than ``keep``'s (or only ``only``'s). Plain files only: a
        Whoosh index is flat, and this never recurses into anything a wrong path points at."""
        for child in self.directory.iterdir():
            name = child.name
            if name in (_STATE_FILE, _STATE_FILE + ".tmp") or not (
                child.is_file() or child.is_symlink()
            ):
                continue
            owner = name.lstrip("_").split("_", 1)[0]
            if (keep is not None and owner == keep) or (only is not None and owner != only):
                continue
            try:
                child.unlink()
            except OSError as exc:  # still open in a searcher (Windows): removed next time
                log.debug("Could not remove old index file %s: %s", child, exc)
