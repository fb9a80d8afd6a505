"""Knowing when the index's files are not as they were written: a manifest of Whoosh's files.

Whoosh checks little of what it reads: a byte flipped in a column or a term table gives wrong
answers, a truncated postings file an exception deep in a search. So every commit records the
size and CRC32 of each file of the current generation (its table of contents and its segments'
files) in ``<indexname>_MANIFEST.json`` beside them. Sizes are compared whenever the index is
opened (a few stat calls), with the CRCs of the small files searches read whole (columns of
ids, lengths and sort keys); every CRC when the library is checked (``digestdesk check``).
Segment files never change once written, so a commit only computes the CRCs of the files it
added.

The name is not one Whoosh's clean-up matches (it deletes files of segments it no longer lists)
and starts with the index name, so it goes with its index when a rebuild replaces it. Our own
postings files carry their own checksums (:mod:`.postings_file`) and are not listed here.

A manifest of an older generation than the table of contents (the process ended between a
commit and its manifest) checks only the files it lists that are still current; an index
written before manifests existed has none, and gets one at its next upkeep
(:meth:`~digestdesk.core.index.writing.IndexWriter.maintain`).
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digestdesk.core.index.postings_file import SUFFIX as POSTINGS_SUFFIX

log = logging.getLogger(__name__)

MANIFEST_SUFFIX = "_MANIFEST.json"
_FORMAT = 1
_CHUNK = 1 << 20


def manifest_path(directory: Path, indexname: str) -> Path:
    return Path(directory) / f"{indexname}{MANIFEST_SUFFIX}"


def file_crc(path: Path) -> int:
    """The CRC32 of a file, read a megabyte at a time."""
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


class ManifestDamaged(ValueError):
    """The manifest itself cannot be read (garbage, truncated, wrong shape)."""


@dataclass
class Manifest:
    """The files of one generation of an index: name -> (size, CRC32)."""

    generation: int
    files: dict[str, tuple[int, int]]

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        """The manifest at ``path``; None when there is none; :class:`ManifestDamaged` when it
        is there but unreadable."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ManifestDamaged(f"unreadable: {exc}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError("not a manifest")
            generation = data["generation"]
            files = {
                str(name): (int(size), int(crc)) for name, (size, crc) in data["files"].items()
            }
            if not isinstance(generation, int) or isinstance(generation, bool):
                raise ValueError("no generation")
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise ManifestDamaged(f"malformed: {exc}") from exc
        return cls(generation, files)

    def write(self, path: Path) -> None:
        """Write atomically (a reader sees the old manifest or the new one)."""
        tmp = path.with_name(path.name + ".tmp")
        data = {
            "format": _FORMAT,
            "generation": self.generation,
            "files": {name: list(entry) for name, entry in sorted(self.files.items())},
        }
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)


def _toc_name(indexname: str, generation: int) -> str:
    return f"_{indexname}_{generation}.toc"


def _segment_files(names: list[str], segment_ids: list[str]) -> list[str]:
    prefixes = tuple(f"{sid}." for sid in segment_ids)
    return [
        n
        for n in names
        if n.startswith(prefixes) and not n.endswith((POSTINGS_SUFFIX, POSTINGS_SUFFIX + ".tmp"))
    ]


def _toc(ix: Any) -> Any:
    return ix._read_toc()  # pinned whoosh3: the generation and its segments


def record(directory: Path, ix: Any) -> None:
    """Write the manifest of ``ix``'s current generation (after a commit), reusing the CRCs of
    files the previous manifest lists with the same size (segment files never change)."""
    directory = Path(directory)
    path = manifest_path(directory, ix.indexname)
    try:
        previous = Manifest.read(path)
    except ManifestDamaged:
        previous = None
    toc = _toc(ix)
    names = sorted(os.listdir(directory))
    current = [_toc_name(ix.indexname, toc.generation)] + _segment_files(
        names, [s.segment_id() for s in toc.segments]
    )
    files: dict[str, tuple[int, int]] = {}
    for name in current:
        file = directory / name
        size = file.stat().st_size
        known = previous.files.get(name) if previous is not None else None
        files[name] = known if known is not None and known[0] == size else (size, file_crc(file))
    Manifest(toc.generation, files).write(path)


@dataclass
class Damage:
    """One file not as written: its name and what is wrong."""

    file: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what}"


def read_whole(name: str) -> bool:
    """Whether searches read the file whole anyway: the fixed-width columns (entry ids, field
    lengths, sort keys: a flipped byte there maps hits to other entries or reorders them, with
    no error) and the table of contents. Small (a few bytes per document), so their CRC32s are
    checked whenever the index opens, not only by ``check``."""
    return (name.endswith(".col") and not name.endswith("_stored.col")) or name.endswith(".toc")


def check(directory: Path, ix: Any, *, crc: bool) -> list[Damage] | None:
    """What differs from the manifest in ``ix``'s current files: sizes and the contents of
    the files searches read whole (:func:`read_whole`), and with ``crc`` the contents of all.
    None when the index has no manifest (written before they existed)."""
    directory = Path(directory)
    path = manifest_path(directory, ix.indexname)
    try:
        manifest = Manifest.read(path)
    except ManifestDamaged as exc:
        return [Damage(path.name, f"the manifest is {exc}")]
    if manifest is None:
        return None
    toc = _toc(ix)
    if manifest.generation > toc.generation:
        return [Damage(_toc_name(ix.indexname, manifest.generation), "missing")]
    if manifest.generation == toc.generation:
        wanted = list(manifest.files)
    else:  # a commit whose manifest was not written: check what is listed and still current
        wanted = _segment_files(list(manifest.files), [s.segment_id() for s in toc.segments])
    problems: list[Damage] = []
    for name in wanted:
        size, expected_crc = manifest.files[name]
        file = directory / name
        try:
            actual = file.stat().st_size
        except FileNotFoundError:
            problems.append(Damage(name, "missing"))
            continue
        if actual != size:
            problems.append(Damage(name, f"{actual} bytes instead of {size}"))
        elif (crc or read_whole(name)) and file_crc(file) != expected_crc:
            problems.append(Damage(name, "its contents differ from what was written (CRC32)"))
    return problems
