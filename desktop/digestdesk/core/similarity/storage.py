"""The similarity model on disk next to the search index, and how it follows the database.

Like the search index it is a cache: versioned, tied to one library, rebuilt when missing,
unreadable, of another version or library, or when too much changed since it was built. Between
builds it catches up from the database's change sequence: a paper added or whose text changed
goes into the model's overlay, a paper gone is masked (a status or tag change leaves the vector
as it was). The file is written whole to a temporary name, then renamed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mmap
import os
import struct
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from digestdesk.core import schema
from digestdesk.core.similarity.model import Match, SimilarityModel, TermTable, build
from digestdesk.core.similarity.recommend import (
    NotEnoughTriage,
    Recommendation,
    TasteModel,
    Triage,
    train,
)
from digestdesk.core.similarity.terms import Terms, paper_terms
from digestdesk.core.similarity.vectors import SparseVector, Stats

log = logging.getLogger(__name__)

#: Bumped whenever what a term is or how it is weighed changes: older files are rebuilt.
#: 2: idf^0.75 and b = 1.0; 3: how terms are used (named), weights in one byte each; 4: the
#: terms sorted in one run of bytes with their offsets (model.TermTable), read in place.
FORMAT_VERSION = 4
MAGIC = b"DDSIM\n"
#: Rebuild when this share of the papers changed since the build (else catch up).
REBUILD_SHARE = 0.1
#: A catch-up that read this many changed rows saves the model (the next open starts there).
SAVE_AFTER_ROWS = 500
_ARRAYS = (
    "df",
    "entry_ids",
    "doc_offsets",
    "doc_terms",
    "doc_weights",
    "term_offsets",
    "post_rows",
    "post_weights",
    "named",
)

E = schema.entries
T = TypeVar("T")
Progress = Callable[[int, int | None], None]


#: ``build_elsewhere(papers, progress, abandoned)``: see :attr:`SimilarityStore.build_elsewhere`.
BuildElsewhere = Callable[[int, Progress | None, Callable[[], bool]], bool]


#: ``recommend_elsewhere(candidates, tag, limit, abandoned)``: see
#: :attr:`SimilarityStore.recommend_elsewhere`.
RecommendElsewhere = Callable[
    [Sequence[int], str | None, int, Callable[[], bool]],
    "list[Recommendation] | NotEnoughTriage | None",
]


class BuildAbandoned(Exception):
    """A build was given up (the app is closing): nothing was saved."""


def _stored_arrays(model: SimilarityModel) -> dict[str, array | memoryview]:
    return {"term_text_offsets": model.terms.offsets, **{n: getattr(model, n) for n in _ARRAYS}}


def _typecode(values: array | memoryview) -> str:
    return values.typecode if isinstance(values, array) else values.format


def save(model: SimilarityModel, path: Path) -> None:
    """Write ``model`` (without its overlay) to ``path`` atomically."""
    arrays = _stored_arrays(model)
    header = {
        "version": FORMAT_VERSION,
        "library_uuid": model.library_uuid,
        "last_seq": model.last_seq,
        "documents": model.stats.documents,
        "average_length": model.stats.average_length,
        "display": model.display,
        "arrays": {name: _typecode(values) for name, values in arrays.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Its own temporary file per process: the app and a child of it (recommending, building)
    # may both save a caught-up model at once.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    _remove_left_behind(path)
    try:
        with tmp.open("wb") as f:
            f.write(MAGIC)
            for blob in (
                json.dumps(header).encode(),
                model.terms.text,
                *(values.tobytes() for values in arrays.values()),
            ):
                f.write(struct.pack("<Q", len(blob)))
                f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk: no half-written file left taking space
        raise


def _remove_left_behind(path: Path) -> None:
    """Remove the temporary files of saves whose process died mid-write (``kill -9``, a power
    cut): each process writes its own, named by its pid."""
    if os.name != "posix":
        return
    for tmp in path.parent.glob(f"{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 1 : -len(".tmp")]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # no such process: nobody is writing it
            tmp.unlink(missing_ok=True)
        except OSError:  # alive (another user's process) or unknown: left alone
            continue


#: Whether a file mapped in memory can be replaced by a rename (not on Windows).
MAPPED = os.name == "posix"
#: The advice that unmaps a mapped file's pages from this process, leaving them in the page
#: cache (None where the platform has none).
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


def _file_bytes(path: Path, mapped: bool) -> mmap.mmap | bytes:
    """The file's bytes: memory-mapped where a mapped file can still be replaced (a save
    renames over it), so the model's arrays are read from the page cache as they are used
    instead of copied whole (100 MB at 100k papers); read whole elsewhere (Windows)."""
    with path.open("rb") as f:
        if mapped:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return f.read()


def load(path: Path, *, mapped: bool = MAPPED) -> SimilarityModel | None:
    """The model saved at ``path``; None when it is missing, of another version or broken.
    Its arrays are read-only views of the file (see :func:`_file_bytes`)."""
    try:
        data = _file_bytes(path, mapped)
        if data[: len(MAGIC)] != MAGIC:
            return None
        view = memoryview(data)
        parts: list[memoryview] = []
        at = len(MAGIC)
        header: dict[str, Any] = {}
        for _ in range(3 + len(_ARRAYS)):
            (size,) = struct.unpack_from("<Q", data, at)
            at += 8
            if at + size > len(data):
                return None
            parts.append(view[at : at + size])
            at += size
            if len(parts) == 1:
                header = json.loads(bytes(parts[0]))
                if not isinstance(header, dict):
                    raise ValueError("the header is not an object")
                if header.get("version") != FORMAT_VERSION:
                    return None  # another version: rebuilt, not a damaged file
        arrays = {
            name: part.cast(header["arrays"][name])
            for name, part in zip(["term_text_offsets", *_ARRAYS], parts[2:], strict=True)
        }
        terms = TermTable(bytes(parts[1]), arrays["term_text_offsets"])
        model = SimilarityModel(
            terms=terms,
            display=dict(header["display"]),
            stats=Stats(int(header["documents"]), float(header["average_length"])),
            library_uuid=str(header["library_uuid"]),
            last_seq=int(header["last_seq"]),
            df=arrays["df"],
            entry_ids=arrays["entry_ids"],
            doc_offsets=arrays["doc_offsets"],
            doc_terms=arrays["doc_terms"],
            doc_weights=arrays["doc_weights"],
            term_offsets=arrays["term_offsets"],
            post_rows=arrays["post_rows"],
            post_weights=arrays["post_weights"],
            named=arrays["named"],
            mapped_file=data if isinstance(data, mmap.mmap) else None,
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, struct.error, UnicodeDecodeError):
        log.warning("the similarity model at %s is unreadable; it will be rebuilt", path)
        return None
    offsets, m = terms.offsets, model
    if (
        len(m.term_offsets) != len(terms) + 1
        or len(m.doc_offsets) != len(m.entry_ids) + 1
        or (len(offsets) > 0 and (offsets[0] != 0 or offsets[-1] != len(terms.text)))
        or len(m.df) != len(terms)
        or len(m.named) not in (0, len(terms))
        or len(m.doc_weights) != len(m.doc_terms)
        or len(m.post_weights) != len(m.post_rows)
        or m.doc_offsets[-1] != len(m.doc_terms)
        or m.term_offsets[-1] != len(m.post_rows)
    ):
        log.warning("the similarity model at %s is inconsistent; it will be rebuilt", path)
        return None
    return model


def let_go_of_pages(model: SimilarityModel) -> None:
    """Unmap the pages of the model's file that questions read. They stay in the page cache
    (the next question maps them again without reading the disk), but no longer count in
    this process's resident memory: moving through papers in the window reads most of the
    file's postings over time (118 of its 119 MB at 100k papers), which kept the app's
    resident size 115 MB above its working set."""
    mapped = model.mapped_file
    if mapped is None or _DONTNEED is None:
        return
    with contextlib.suppress(OSError, ValueError):  # a closed map; advice refused
        mapped.madvise(_DONTNEED)


class SimilarityStore:
    """The similarity model of one library: loaded, built or caught up when asked for."""

    def __init__(
        self,
        engine: Engine,
        path: Path,
        library_uuid: str,
        change_seq: Callable[[], int],
    ) -> None:
        self._engine = engine
        self.path = path
        self._uuid = library_uuid
        self._change_seq = change_seq
        self._lock = threading.RLock()
        self._model: SimilarityModel | None = None
        self._abandon = threading.Event()
        self._tastes: dict[str | None, tuple[int, TasteModel | NotEnoughTriage]] = {}
        #: Builds and saves the model somewhere else (another process: the app's threads then
        #: keep the interpreter lock); returns False when it did not, and this thread builds.
        self.build_elsewhere: BuildElsewhere | None = None
        #: Learns the taste and ranks somewhere else (another process: training allocates
        #: hundreds of thousands of objects, each a walk for this process's garbage collector,
        #: and holds the interpreter lock for a second or more); returns None when it did not,
        #: and this thread does.
        self.recommend_elsewhere: RecommendElsewhere | None = None

    def abandon(self) -> None:
        """Give up a build under way (it raises :class:`BuildAbandoned`) and any later one:
        for closing, so a thread building a large model does not hold the window open."""
        self._abandon.set()

    def loaded(self) -> bool:
        """A model is in memory (asking for one then costs a catch-up at most)."""
        return self._model is not None

    def model(self, *, progress: Progress | None = None) -> SimilarityModel:
        """The model, up to date with the database (loading, building or catching up first)."""
        with self._lock:
            model = self._model
            if model is None:
                model = load(self.path)
                if model is not None and (
                    model.library_uuid != self._uuid
                    # newer than the database (a library put back from a backup): the
                    # changes it claims to hold are not the ones the database numbers next
                    or model.last_seq > self._change_seq()
                ):
                    model = None
                if model is None:
                    model = self.rebuild(progress=progress)
            seq = self._change_seq()
            if model.last_seq < seq:
                model = self._catch_up(model, seq, progress)
            self._model = model
            return model

    def rebuild(self, *, progress: Progress | None = None) -> SimilarityModel:
        """Build the model afresh from the database and save it."""
        with self._lock:
            if self._abandon.is_set():
                raise BuildAbandoned
            seq = self._change_seq()
            with self._engine.connect() as conn:
                total = conn.execute(select(func.count()).select_from(E)).scalar_one()
            elsewhere = self._built_elsewhere(total, seq, progress)
            if elsewhere is not None:
                return elsewhere

            def built(done: int) -> None:
                if self._abandon.is_set():
                    raise BuildAbandoned
                if progress is not None:
                    progress(done, total)

            model = build(self._papers(), library_uuid=self._uuid, last_seq=seq, progress=built)
            self._save(model)
            self._model = model
            log.info("similarity model built: %d papers, %d terms", len(model), len(model.terms))
            return model

    def _built_elsewhere(
        self, total: int, seq: int, progress: Progress | None
    ) -> SimilarityModel | None:
        """The model :attr:`build_elsewhere` built and saved (None: it did not)."""
        elsewhere = self.build_elsewhere
        if elsewhere is None or not elsewhere(total, progress, self._abandon.is_set):
            return None
        if self._abandon.is_set():
            raise BuildAbandoned
        model = load(self.path)
        if model is None or model.library_uuid != self._uuid or model.last_seq < seq:
            return None
        self._model = model
        log.info("similarity model loaded as built elsewhere: %d papers", len(model))
        return model

    def _save(self, model: SimilarityModel) -> None:
        try:
            save(model, self.path)
        except OSError as exc:  # a full disk, a read-only folder: related papers still work
            log.warning(
                "the similarity model could not be saved to %s (%s); it is built again next time",
                self.path,
                exc.strerror or exc,
            )

    def _papers(self, ids: Sequence[int] | None = None) -> Iterator[tuple[int, Terms]]:
        query = select(E.c.id, E.c.title, E.c.abstract, E.c.ai_keywords).order_by(E.c.id)
        if ids is not None:
            query = query.where(E.c.id.in_(ids))
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                yield row.id, paper_terms(row.title, row.abstract, row.ai_keywords or ())

    def _catch_up(
        self, model: SimilarityModel, seq: int, progress: Progress | None
    ) -> SimilarityModel:
        with self._engine.connect() as conn:
            changed = list(conn.execute(select(E.c.id).where(E.c.seq > model.last_seq)).scalars())
            total = conn.execute(select(func.count()).select_from(E)).scalar_one()
        if len(changed) > max(SAVE_AFTER_ROWS, REBUILD_SHARE * max(1, len(model.entry_ids))):
            return self.rebuild(progress=progress)
        for entry_id, terms in self._papers(changed):
            model.put(entry_id, model.vectorize(terms))
        if len(model) != total:
            with self._engine.connect() as conn:
                present = set(conn.execute(select(E.c.id)).scalars())
            for gone in model.entry_id_set() - present:
                model.remove(gone)
        model.last_seq = seq
        if model.changed_share > REBUILD_SHARE:
            return self.rebuild(progress=progress)
        if len(changed) >= SAVE_AFTER_ROWS and not model.overlay and not model.masked:
            self._save(model)
        return model

    # ------------------------------------------------------------------ queries
    def _read(self, read: Callable[[SimilarityModel], T]) -> T:
        """``read(model)`` on the model, up to date. The file is a cache read in place and
        not checksummed: damage that :func:`load` cannot see (a term or row number out of
        range) shows as an index error here; the model is then rebuilt and read once more.
        Each read lets go of the file's pages it mapped in (:func:`let_go_of_pages`)."""
        model = self.model()
        with self._lock:
            try:
                return read(model)
            except (IndexError, ValueError, OverflowError) as exc:
                log.warning(
                    "the similarity model at %s is damaged (%s); rebuilding", self.path, exc
                )
                if self._model is model:
                    self._model = None
                    with contextlib.suppress(OSError):
                        self.path.unlink()
            finally:
                let_go_of_pages(model)
        model = self.model()
        with self._lock:
            try:
                return read(model)
            finally:
                let_go_of_pages(model)

    def related(self, entry_id: int, *, limit: int = 10) -> list[Match]:
        """The papers most like ``entry_id`` with the phrases they share (none if unknown)."""

        def similar(model: SimilarityModel) -> list[Match]:
            model.check_vector(entry_id)  # the question's own row: damage here misleads
            vector = model.vector(entry_id)
            if vector is None:
                return []
            return model.similar(vector, limit=limit, exclude=(entry_id,))

        return self._read(similar)

    def vectors(self, ids: Iterable[int]) -> dict[int, SparseVector]:
        """The vectors of these papers (those the model holds)."""
        wanted = list(ids)

        def found(model: SimilarityModel) -> dict[int, SparseVector]:
            vectors = {e: model.vector(e) for e in wanted}
            return {e: v for e, v in vectors.items() if v is not None}

        return self._read(found)

    # ---------------------------------------------------------- recommendations
    def triage(self) -> Triage:
        """The reader's decisions as the database holds them now."""
        with self._engine.connect() as conn:
            status = dict(
                conn.execute(select(E.c.id, E.c.status).where(E.c.status != "unread")).all()
            )
            untriaged = list(conn.execute(select(E.c.id).where(E.c.status == "unread")).scalars())
            tags: dict[int, set[str]] = {}
            for entry_id, name in conn.execute(
                select(schema.entry_tags.c.entry_id, schema.tags.c.name).join(
                    schema.tags, schema.tags.c.id == schema.entry_tags.c.tag_id
                )
            ):
                tags.setdefault(entry_id, set()).add(name)
        return Triage(status, tags, untriaged)

    def taste(self, tag: str | None = None) -> TasteModel | NotEnoughTriage:
        """The taste learned from the triage (for ``tag``: what carries it), trained again only
        when the library changed since the last training."""
        seq = self._change_seq()
        with self._lock:
            cached = self._tastes.get(tag)
            if cached is not None and cached[0] == seq:
                return cached[1]
        taste = train(self.triage(), self.vectors, tag=tag)
        with self._lock:
            self._tastes[tag] = (seq, taste)
        return taste

    def recommend(
        self, candidates: Sequence[int], *, tag: str | None = None, limit: int = 20
    ) -> list[Recommendation] | NotEnoughTriage:
        """The best of ``candidates`` for the reader (or for ``tag``), best first."""
        elsewhere = self.recommend_elsewhere
        if elsewhere is not None:
            found = elsewhere(candidates, tag, limit, self._abandon.is_set)
            if self._abandon.is_set():
                raise BuildAbandoned
            if found is not None:
                return found
        taste = self.taste(tag)
        if isinstance(taste, NotEnoughTriage):
            return taste
        vectors = self.vectors(candidates)
        return self._read(lambda model: taste.rank(model, vectors, limit=limit))

    def rank_for_you(self, ids: Sequence[int]) -> list[int] | None:
        """``ids`` in the order of the reader's taste (None without enough triage)."""
        taste = self.taste(None)
        if isinstance(taste, NotEnoughTriage):
            return None
        vectors = self.vectors(ids)
        scores = {e: taste.margin(v) for e, v in vectors.items()}
        return sorted(ids, key=lambda e: -scores.get(e, float("-inf")))
