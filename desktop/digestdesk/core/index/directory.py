"""The index directory: the state file naming the current Whoosh index, opening that index,
and switching to a newly built one.

A (re)build writes a new index under a fresh name next to the current one and switches the
state file to it at the end. Until then searches keep using the complete old index (not a
half-built one), a cancelled or failed build leaves the old index as it was, and files that a
searcher still holds open are never deleted under it (Windows refuses).

Opening the index compares its files' sizes with the manifest of its last commit
(:mod:`.integrity`). Damage found then or by a read is recorded in the state file
(:meth:`IndexDirectory.mark_damaged`), so this process and the next one see no usable index
and the library rebuilds it from the database.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import secrets
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import CorruptIndexError

import digestdesk.core.index.integrity as integrity
from digestdesk.core.index.base import IndexState
from digestdesk.core.index.schema import INDEX_VERSION, SCHEMA
from digestdesk.errors import SearchIndexDamagedError, SearchIndexUnavailableError

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


#: What reading a damaged file raises inside Whoosh or our ranking (caught where a read
#: leaves the index and turned into :class:`SearchIndexDamagedError`).
DAMAGE_ERRORS: tuple[type[BaseException], ...] = (
    *OPEN_ERRORS,
    CorruptIndexError,
    struct.error,
    zlib.error,
    OverflowError,
)

_QUOTED_FILE = re.compile(r"'([^'/]+\.(?:pst|trm|col|seg|toc|ddpostings))'")


def damage_from(exc: BaseException) -> SearchIndexDamagedError:
    """The damage a read's exception shows, naming the file when the exception does."""
    if isinstance(exc, SearchIndexDamagedError):
        return exc
    name = getattr(exc, "filename", None)
    if not name:
        found = _QUOTED_FILE.search(str(exc))
        name = found.group(1) if found else ""
    return SearchIndexDamagedError(os.path.basename(str(name)), f"{type(exc).__name__}: {exc}")


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
        self.damage: SearchIndexDamagedError | None = None  # found in this process
        self.damage_of: str | None = None  # in which index

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
        """The state file's contents when it describes an index of :data:`INDEX_VERSION`
        (raises :class:`SearchIndexDamagedError` when it was found damaged)."""
        data = self.read_sidecar()
        if data is None or data["version"] != INDEX_VERSION:
            raise unavailable()
        damage = self.recorded_damage(data)
        if damage is not None:
            raise damage
        return data

    def recorded_damage(self, data: dict[str, Any] | None = None) -> SearchIndexDamagedError | None:
        """The damage found in the current index (by this process or recorded by another)."""
        if data is None:
            data = self.read_sidecar()
        if data is None:
            return None
        if self.damage is not None and self.damage_of == data["indexname"]:
            return self.damage
        recorded = data.get("damaged")
        if isinstance(recorded, dict):
            return SearchIndexDamagedError(
                str(recorded.get("file", "")), str(recorded.get("detail", ""))
            )
        return None

    def mark_damaged(self, damage: SearchIndexDamagedError, indexname: str | None = None) -> None:
        """Record that the index ``indexname`` (default: the current one) is damaged: this
        process stops using it, and the state file says so (when it can be written) so that
        any process rebuilds it. The state file is only changed while it still names it."""
        data = self.read_sidecar()
        name = indexname or (data["indexname"] if data is not None else None)
        if name is None or (self.damage_of == name and data is not None and "damaged" in data):
            return
        # info, not warning: the library tells the user (the CLI prints its own message).
        log.info("Search index %s is damaged: %s %s", name, damage.file, damage.detail)
        self.damage, self.damage_of = damage, name
        self.forget()
        if data is not None and data["indexname"] == name and "damaged" not in data:
            try:
                self.write_sidecar(
                    data["library_uuid"],
                    data["last_seq"],
                    name,
                    manifest=bool(data.get("manifest")),
                    damaged={"file": damage.file, "detail": damage.detail},
                )
            except OSError as exc:  # a read-only folder: this process knows, the next finds it
                log.info("Could not record the index damage in %s: %s", self._state_path, exc)

    def write_sidecar(
        self,
        library_uuid: str,
        last_seq: int,
        indexname: str,
        *,
        manifest: bool,
        damaged: dict[str, str] | None = None,
    ) -> None:
        data: dict[str, Any] = {
            "version": INDEX_VERSION,
            "library_uuid": library_uuid,
            "last_seq": last_seq,
            "indexname": indexname,
            "manifest": manifest,  # its commits write a manifest (integrity.py)
        }
        if damaged is not None:
            data["damaged"] = damaged
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
        if self.recorded_damage(data) is not None:
            return None
        try:
            ix = self.whoosh_index(data["indexname"])
            with ix.reader() as reader:
                count = reader.doc_count()
                if "id" not in reader.schema or (count and not reader.has_column("id")):
                    log.warning("Search index at %s has another schema", self.directory)
                    return None
        except SearchIndexDamagedError as exc:
            self.mark_damaged(exc, data["indexname"])
            return None
        except SearchIndexUnavailableError:
            return None
        except DAMAGE_ERRORS as exc:
            self.mark_damaged(damage_from(exc), data["indexname"])
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
            recorded = self.recorded_damage(data)
            if recorded is not None:  # by another process: never read what it found damaged
                raise recorded
        if self.damage is not None and self.damage_of == indexname:
            raise self.damage
        try:
            with self._ix_lock:
                if self._ix is None or self._ix.indexname != indexname:
                    self._ix = self._open_checked(indexname)
                return self._ix
        except SearchIndexDamagedError as exc:
            self.mark_damaged(exc, indexname)
            raise

    def _open_checked(self, indexname: str) -> Any:
        """Open the Whoosh index ``indexname``, its files' sizes checked against its manifest."""
        try:
            ix = whoosh_index.open_dir(str(self.directory), indexname=indexname, schema=SCHEMA)
        except OPEN_ERRORS as exc:
            log.info("Search index at %s cannot be opened: %r", self.directory, exc)
            if self.read_sidecar() is None:
                raise unavailable() from exc
            raise self._damage_on_open(exc) from exc
        problems = self._size_problems(ix)
        if problems:
            raise SearchIndexDamagedError(problems[0].file, problems[0].what)
        return ix

    def _size_problems(self, ix: Any) -> list[integrity.Damage]:
        """The files of ``ix`` whose size (or, for the small ones read whole, contents)
        differs from its manifest."""
        data = self.read_sidecar()
        try:
            found = integrity.check(self.directory, ix, crc=False)
        except DAMAGE_ERRORS as exc:
            return [integrity.Damage(damage_from(exc).file, f"{type(exc).__name__}: {exc}")]
        if found is None and data is not None and data.get("manifest"):
            manifest = integrity.manifest_path(self.directory, ix.indexname)
            return [integrity.Damage(manifest.name, "missing")]
        return found or []

    def _damage_on_open(self, exc: BaseException) -> SearchIndexDamagedError:
        """The damage that made opening fail: the file the manifest says is missing or cut
        short when there is one, else what the exception names."""
        damage = damage_from(exc)
        if damage.file:
            return damage
        data = self.read_sidecar()
        if data is not None:
            path = integrity.manifest_path(self.directory, data["indexname"])
            try:
                manifest = integrity.Manifest.read(path)
            except integrity.ManifestDamaged:
                manifest = None
            for name, (size, _) in sorted((manifest.files if manifest else {}).items()):
                file = self.directory / name
                if not file.exists() or file.stat().st_size != size:
                    return SearchIndexDamagedError(name, damage.detail)
        return damage

    def verify(self, *, crc: bool = True) -> list[integrity.Damage] | None:
        """The current index's files that differ from its manifest (None: no manifest yet)."""
        ix = self.whoosh_index()
        return integrity.check(self.directory, ix, crc=crc)

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
        self.write_sidecar(library_uuid, last_seq, indexname, manifest=True)
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
