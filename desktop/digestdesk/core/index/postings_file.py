"""Postings files: a segment's frequent posting lists stored again as plain arrays.

Whoosh stores a term's postings as zlib-compressed pickles of (docnums, weights, positions), a
block of up to 128 postings each. Decompressing and unpickling them is most of the time of a
first search of a common word (about 1 µs a posting; a common word at 100k entries has some
100,000 postings per field), and a phrase unpickles one positions list per document and word.

Segments never change once written, so the posting lists of a segment's frequent terms are
written once more beside it, as arrays of docnums, weights, position counts and positions, and
read back with a memory copy. A position is stored as one number with its document,
``(docnum << position_bits) | position`` (the file's ``position_bits`` hold any position of the
segment), so a phrase is checked on whole arrays: its words' numbers, shifted by their place in
the phrase, meet where it starts (see ``ranking``), with no arithmetic per position first.

A file is a cache of a cache: it is checked against its segment (segment id, document count,
format version, byte order) when opened, ignored when anything does not match (a file of an
earlier layout is written again when the app is idle), and may be deleted at any time. Terms
in fewer than :data:`MIN_DOC_FREQ` documents of a segment are left out: they decode from
Whoosh quickly enough.

The term directory is looked up where it lies: the terms' keys sorted in one run of bytes with
an array of their offsets, and a fixed-size record per term beside them, so opening a file
copies three arrays and a search finds its terms by bisection (a ``digestdesk search`` process
opens every segment's file for a handful of terms: unpickling whole directories was a fifth of
it at 100k entries).

Every term's block carries a CRC32, checked the first time the block is read in a process
(never per query: a term searched again is not checked again), and the term directory carries
one checked when the file is opened. A damaged directory means the file is ignored (Whoosh's
own postings answer); a damaged block raises
:class:`~digestdesk.errors.SearchIndexDamagedError`, never a wrong answer.

This module also holds the decoding of Whoosh's own posting blocks (:func:`blocks`), which the
ranking reads for the terms and segments without a postings file.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import mmap
import os
import pickle
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from pickle import loads
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher

from digestdesk.errors import SearchIndexDamagedError

log = logging.getLogger(__name__)

#: File name suffix, after the segment id (``<indexname>_<segment>.ddpostings``).
SUFFIX = ".ddpostings"
#: Written at the start of every file; the number is the layout version (2: checksums; 3:
#: positions as document-position numbers instead of deltas; 4: the term directory looked up
#: in place instead of a pickled dict).
MAGIC = b"DDPOSTS4"
#: Earlier layouts: such a file is outdated, not damaged (idle maintenance writes it again).
OLD_MAGICS = (b"DDPOSTS1", b"DDPOSTS2", b"DDPOSTS3")
_HEADER = struct.Struct("<8sQQI")  # magic, directory offset, directory length, directory CRC32
# The directory: its parts' sizes (the pickled facts below, the terms' keys), the facts (a
# small dict: magic, segment, docs, byteorder, position_bits), the keys' offsets (an array of
# unsigned ints, one more than the terms), the keys, then one record per term, all in the
# keys' order. A key is the field name in UTF-8, a NUL, the term's bytes.
_DIRECTORY = struct.Struct("<III")  # facts length, term count, keys length
# A term's record: offset, postings, positions, CRC32 of its bytes, and the typecodes of its
# docnums, weights, position counts and positions (NUL for none).
_RECORD = struct.Struct("<QIQI4s")
#: Terms in fewer documents of a segment than this are not written (cheap to decode anyway).
MIN_DOC_FREQ = 32
#: Segments with fewer documents get no file: they are merged away soon (see
#: ``writing.SMALL_SEGMENT_DOCS``) and are quick to read from Whoosh.
MIN_SEGMENT_DOCS = 1000

# A directory entry: (offset, postings, docnum typecode, weight typecode, count typecode,
# positions, position typecode, CRC32 of the term's bytes); the count and position typecodes
# are "" for fields without positions.
_Entry = tuple[int, int, str, str, str, int, str, int]


# --------------------------------------------------------------------------------------------
# Decoding Whoosh's blocks


def blocks(
    matcher: Any, values: bool = False
) -> Iterable[tuple[Sequence[int], Sequence[float], Sequence[Any]]]:
    """(docnums, weights, encoded values or ()) of a term's postings, a block at a time."""
    if isinstance(matcher, FilterMatcher):  # deleted documents: dropped by the id map later
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            # What W3LeafMatcher._read_ids / _read_weights do, with C-level loops instead of
            # their generators (the ids are stored as deltas; no weights means all 1.0).
            if matcher._data is None:
                matcher._read_data()
            data = matcher._data
            ids: Sequence[int] = (
                data[0] if matcher._byteids else list(itertools.accumulate(data[0]))
            )
            weights: Sequence[float] = data[1]
            if weights is None:
                weights = array("f", [1.0]) * matcher._blocklength
            elif isinstance(weights, float):
                weights = array("f", [weights]) * matcher._blocklength
            if values:
                matcher._read_values()
            yield ids, weights, matcher._values if values else ()
            matcher._next_block()
        return
    all_ids: list[int] = []
    all_weights: list[float] = []
    encoded: list[Any] = []
    while matcher.is_active():  # inlined short posting lists and other matchers
        all_ids.append(matcher.id())
        all_weights.append(matcher.weight())
        if values:
            encoded.append(matcher.value())
        matcher.next()
    yield all_ids, all_weights, encoded


def _deltas(value: bytes) -> list[int]:
    """The position deltas of one encoded value: a count (4 bytes) and a pickled list,
    sometimes stored without the pickle's final STOP."""
    return loads(value[4:] if value.endswith(b".") else value[4:] + b".")  # type: ignore[no-any-return]


def decode_positions(value: bytes) -> Iterable[int]:
    """``whoosh.formats.Positions.decode_positions`` without its Python loop."""
    return itertools.accumulate(_deltas(value))


_PICKLE2 = b"\x80\x02"


def _position_deltas(values: Sequence[bytes]) -> list[list[int]]:
    """The position deltas of a block's encoded values, unpickled as one list of lists: each
    value is a count (4 bytes) and a protocol-2 pickle of its list, so their bodies joined in
    one outer list are one pickle (a third of the time of a call per value)."""
    bodies = []
    for value in values:
        if value[4:6] != _PICKLE2:  # not what Positions writes: decode one at a time
            return [_deltas(v) for v in values]
        bodies.append(value[6:-1] if value.endswith(b".") else value[6:])
    lists: list[list[int]] = loads(_PICKLE2 + b"](" + b"".join(bodies) + b"e.")
    return lists


# --------------------------------------------------------------------------------------------
# Writing


def path_for(directory: Path, segment_id: str) -> Path:
    return Path(directory) / f"{segment_id}{SUFFIX}"


def _smallest(values: Sequence[int], typecode: str = "H") -> array[int]:
    """``values`` as an array of unsigned shorts when they fit, else of unsigned ints."""
    try:
        return array(typecode, values)
    except OverflowError:
        return array("I", values)


def position_bits(leaf: Any) -> int:
    """How many low bits of a document-position number hold the position, for segment
    ``leaf``: one more than its longest positional field needs, so that a phrase's shift
    (its length, far below the longest field) never reaches another document's numbers.
    Whoosh's length bytes round lengths up, so they bound every position."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    longest = 1
    for fieldname, field in leaf.schema.items():
        if not (field.scorable and type(field.format) is Positions):
            continue
        perdoc = leaf._perdoc  # the whoosh3 per-document reader; pinned whoosh3 version
        reader = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if reader is None:
            continue
        raw = reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen)
        if raw:
            longest = max(longest, byte_to_length(max(raw)))
    return longest.bit_length() + 1


def write(
    leaf: Any,
    path: Path,
    *,
    min_doc_freq: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> bool:
    """Write the postings file of segment reader ``leaf`` to ``path`` (atomically: a reader
    sees the whole file or none). Returns False, writing nothing, when ``should_stop()``
    turned true first (it is asked between terms). Terms in fewer than ``min_doc_freq``
    documents (default :data:`MIN_DOC_FREQ`) are left out."""
    if min_doc_freq is None:
        min_doc_freq = MIN_DOC_FREQ
    segment = leaf.segment()
    schema = leaf.schema
    doc_count = leaf.doc_count_all()
    id_code = "H" if doc_count <= 0xFFFF else "I"
    bits = position_bits(leaf)
    key_code = "I" if doc_count << bits <= 0xFFFFFFFF else "Q"
    room = 1 << (bits - 1)  # positions stay below this (see position_bits)
    directory: dict[tuple[str, bytes], _Entry] = {}
    tmp = path.with_name(path.name + ".tmp")
    offset = _HEADER.size
    try:
        with open(tmp, "wb") as out:
            out.write(bytes(_HEADER.size))
            for (fieldname, btext), info in leaf._terms.items():  # pinned whoosh3
                if info.doc_frequency() < min_doc_freq or fieldname not in schema:
                    continue
                field = schema[fieldname]
                if not field.scorable:
                    continue
                if should_stop is not None and should_stop():
                    out.close()
                    tmp.unlink(missing_ok=True)
                    return False
                positional = type(field.format) is Positions
                ids: array[int] = array(id_code)
                weights: list[float] = []
                counts: list[int] = []
                keys: list[int] = []
                too_far = False
                for block_ids, block_weights, encoded in blocks(
                    leaf.postings(fieldname, btext), positional
                ):
                    ids.extend(block_ids)
                    weights.extend(block_weights)
                    if encoded:
                        lists = _position_deltas(encoded)
                        counts.extend(map(len, lists))
                        for docnum, deltas in zip(block_ids, lists, strict=True):
                            positions = list(itertools.accumulate(deltas))
                            if positions and max(positions) >= room:
                                too_far = True
                            keys.extend(map((docnum << bits).__add__, positions))
                if too_far:  # never seen: a position past its field's length. Whoosh's
                    positional = False  # own positions answer for this term then.
                whole = list(map(int, weights))
                weight_array: array[Any]
                try:
                    weight_array = array("H", whole) if whole == weights else array("f", weights)
                except OverflowError:
                    weight_array = array("f", weights)
                parts = [ids, weight_array]
                count_code = pos_code = ""
                if positional:
                    count_array, pos_array = _smallest(counts), array(key_code, keys)
                    parts += [count_array, pos_array]
                    count_code, pos_code = count_array.typecode, pos_array.typecode
                start, crc = offset, 0
                for part in parts:
                    data = part.tobytes()
                    out.write(data)
                    crc = zlib.crc32(data, crc)
                    offset += len(data)
                directory[(fieldname, btext)] = (
                    start,
                    len(ids),
                    id_code,
                    weight_array.typecode,
                    count_code,
                    len(keys) if positional else 0,
                    pos_code,
                    crc,
                )
            facts = {
                "magic": MAGIC,
                "segment": segment.segment_id(),
                "docs": doc_count,
                "byteorder": sys.byteorder,
                "position_bits": bits,
            }
            blob = _directory_bytes(facts, directory)
            out.write(blob)
            out.seek(0)
            out.write(_HEADER.pack(MAGIC, offset, len(blob), zlib.crc32(blob)))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def _key(fieldname: str, btext: bytes) -> bytes:
    return fieldname.encode("utf-8") + b"\x00" + btext


def _directory_bytes(facts: dict[str, Any], terms: dict[tuple[str, bytes], _Entry]) -> bytes:
    """The term directory as it is stored (see ``_DIRECTORY``)."""
    keyed = sorted((_key(*term), entry) for term, entry in terms.items())
    offsets = array("I", [0])
    records = bytearray()
    for key, (offset, n, id_code, weight_code, count_code, npos, pos_code, crc) in keyed:
        offsets.append(offsets[-1] + len(key))
        codes = "".join(code or "\x00" for code in (id_code, weight_code, count_code, pos_code))
        records += _RECORD.pack(offset, n, npos, crc, codes.encode("ascii"))
    keys = b"".join(key for key, _ in keyed)
    pickled = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
    head = _DIRECTORY.pack(len(pickled), len(keyed), len(keys))
    return head + pickled + offsets.tobytes() + keys + bytes(records)


class _Directory:
    """A file's term directory, read from its stored bytes: lookups bisect the sorted keys."""

    def __init__(self, blob: bytes) -> None:
        facts_length, self.count, keys_length = _DIRECTORY.unpack_from(blob, 0)
        at = _DIRECTORY.size + facts_length
        self.facts: dict[str, Any] = pickle.loads(blob[_DIRECTORY.size : at])
        self._offsets = array("I")
        end = at + (self.count + 1) * self._offsets.itemsize
        self._offsets.frombytes(blob[at:end])
        self._keys = blob[end : end + keys_length]
        self._records = blob[end + keys_length :]
        if (
            self._offsets[0] != 0
            or self._offsets[-1] != keys_length
            or len(self._keys) != keys_length
            or len(self._records) != self.count * _RECORD.size
        ):
            raise ValueError("the term directory's parts do not fit together")

    def _key_at(self, index: int) -> bytes:
        return self._keys[self._offsets[index] : self._offsets[index + 1]]

    def _entry_at(self, index: int) -> _Entry:
        offset, n, npos, crc, codes = _RECORD.unpack_from(self._records, index * _RECORD.size)
        id_code, weight_code, count_code, pos_code = (
            code.strip("\x00") for code in codes.decode("ascii")
        )
        return (offset, n, id_code, weight_code, count_code, npos, pos_code, crc)

    def get(self, term: tuple[str, bytes]) -> _Entry | None:
        key = _key(*term)
        found = bisect.bisect_left(range(self.count), key, key=self._key_at)
        return self._entry_at(found) if found < self.count and self._key_at(found) == key else None

    def items(self) -> Iterable[tuple[tuple[str, bytes], _Entry]]:
        for index in range(self.count):
            fieldname, _, btext = self._key_at(index).partition(b"\x00")
            yield (fieldname.decode("utf-8"), btext), self._entry_at(index)


# --------------------------------------------------------------------------------------------
# Reading


#: Terms a file remembers having looked up (beyond this it starts again).
_FOUND_KEPT = 4096


class PostingsFile:
    """One segment's postings file, memory-mapped. Thread-safe: reads only copy slices."""

    def __init__(
        self,
        data: mmap.mmap,
        terms: _Directory,
        path: Path | None = None,
        position_bits: int = 32,
    ) -> None:
        #: Low bits of a document-position number that hold the position (see ``positions``).
        self.position_bits = position_bits
        self._data = data
        self._terms = terms
        self.path = path
        self._checked: set[tuple[str, bytes]] = set()  # terms whose CRC matched
        self._check_lock = threading.Lock()
        # Terms looked up so far (searches ask again for the same few): dict reads are
        # thread-safe, and a term looked up twice at once is stored twice alike.
        self._found: dict[tuple[str, bytes], _Entry | None] = {}

    @classmethod
    def open(cls, path: Path, segment_id: str, doc_count: int) -> PostingsFile | None:
        """The file at ``path`` when it belongs to this segment, else None (a stale, damaged
        or foreign file is never read)."""
        return cls._load(path, segment_id, doc_count)[0]

    @classmethod
    def problem(cls, path: Path, segment_id: str, doc_count: int) -> str | None:
        """Why the file at ``path`` cannot be used for this segment (None: it can, or there
        is none)."""
        opened, problem = cls._load(path, segment_id, doc_count)
        if opened is not None:
            opened.close()
        return problem

    @classmethod
    def _load(
        cls, path: Path, segment_id: str, doc_count: int
    ) -> tuple[PostingsFile | None, str | None]:
        try:
            with open(path, "rb") as f:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            return None, None
        except ValueError:  # an empty file cannot be mapped
            return None, "empty"
        except OSError as exc:
            log.debug("postings file %s unreadable: %s", path, exc)
            return None, f"unreadable: {exc}"
        try:
            if len(data) < _HEADER.size:
                raise ValueError("cut short inside its header")
            magic, start, length, crc = _HEADER.unpack_from(data, 0)
            if magic in OLD_MAGICS:
                log.debug("postings file %s has an older layout (%r)", path, magic)
                data.close()
                return None, None  # outdated, not damaged: written again when idle
            if magic != MAGIC or start + length != len(data):
                raise ValueError("wrong header")
            blob = data[start : start + length]
            if zlib.crc32(blob) != crc:
                raise ValueError("the term directory does not match its checksum")
            terms = _Directory(blob)
            facts = terms.facts
            if (
                facts.get("magic") != MAGIC
                or facts.get("segment") != segment_id
                or facts.get("docs") != doc_count
                or facts.get("byteorder") != sys.byteorder
            ):
                raise ValueError("written for another segment or machine")
            bits = facts["position_bits"]
            if not isinstance(bits, int) or not 0 < bits < 64:
                raise ValueError("no term directory")
        except Exception as exc:  # noqa: BLE001 - any damage means "not there"
            log.info("ignoring postings file %s: %s", path, exc)
            data.close()
            return None, str(exc)
        return cls(data, terms, path, bits), None

    def close(self) -> None:
        self._data.close()

    def __contains__(self, key: tuple[str, bytes]) -> bool:
        return self._lookup(key) is not None

    def __len__(self) -> int:
        return self._terms.count

    def _lookup(self, key: tuple[str, bytes]) -> _Entry | None:
        try:
            return self._found[key]
        except KeyError:
            if len(self._found) >= _FOUND_KEPT:
                self._found.clear()  # prefix searches over a long session: start again
            entry = self._found[key] = self._terms.get(key)
            return entry

    def _entry(self, key: tuple[str, bytes]) -> _Entry | None:
        """The directory entry of a term, its bytes checked against their CRC once (a
        mismatch raises :class:`SearchIndexDamagedError`)."""
        entry = self._lookup(key)
        if entry is None or key in self._checked:
            return entry
        self._check(key, entry)
        with self._check_lock:
            self._checked.add(key)
        return entry

    def _check(self, key: tuple[str, bytes], entry: _Entry) -> None:
        try:
            offset, n, id_code, weight_code, count_code, npos, pos_code, crc = entry
            size = n * (array(id_code).itemsize + array(weight_code).itemsize)
            if count_code:
                size += n * array(count_code).itemsize + npos * array(pos_code).itemsize
            end = offset + size
            ok = _HEADER.size <= offset <= end <= len(self._data) and (
                zlib.crc32(self._data[offset:end]) == crc
            )
        except (ValueError, TypeError) as exc:  # a directory entry of the wrong shape
            log.debug("postings file %s: bad entry %r: %s", self.path, key, exc)
            ok = False
        if not ok:
            raise SearchIndexDamagedError(
                self.path.name if self.path else "",
                f"the postings of {key[0]}:{key[1]!r} do not match their checksum",
            )

    def verify(self) -> list[str]:
        """Check every term's block (``check``): what is damaged, empty when nothing is."""
        damaged: list[str] = []
        for key, entry in self._terms.items():
            try:
                self._check(key, entry)
            except SearchIndexDamagedError as exc:
                damaged.append(exc.detail)
        return damaged

    def _read(self, typecode: str, offset: int, count: int) -> tuple[array[Any], int]:
        out: array[Any] = array(typecode)
        end = offset + count * out.itemsize
        out.frombytes(self._data[offset:end])
        return out, end

    def postings(self, fieldname: str, btext: bytes) -> tuple[array[int], array[Any]] | None:
        """(docnums, weights) of a term, or None when the file does not hold it."""
        entry = self._entry((fieldname, btext))
        if entry is None:
            return None
        offset, n, id_code, weight_code = entry[:4]
        ids, offset = self._read(id_code, offset, n)
        weights, _ = self._read(weight_code, offset, n)
        return ids, weights

    def positions(
        self, fieldname: str, btext: bytes
    ) -> tuple[array[int], array[Any], array[int], array[int]] | None:
        """(docnums, weights, position counts, positions) of a term, or None when the file
        holds no positions for it. Each position is one number with its document,
        ``(docnum << self.position_bits) | position``, every document's in order."""
        entry = self._lookup((fieldname, btext))
        if entry is None or not entry[4]:
            return None
        entry = self._entry((fieldname, btext))
        assert entry is not None
        offset, n, id_code, weight_code, count_code, npos, pos_code, _ = entry
        ids, offset = self._read(id_code, offset, n)
        weights, offset = self._read(weight_code, offset, n)
        counts, offset = self._read(count_code, offset, n)
        flat, _ = self._read(pos_code, offset, npos)
        return ids, weights, counts, flat


__all__ = [
    "MIN_DOC_FREQ",
    "MIN_SEGMENT_DOCS",
    "SUFFIX",
    "PostingsFile",
    "blocks",
    "decode_positions",
    "path_for",
    "write",
]
