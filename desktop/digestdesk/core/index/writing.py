"""Writing the index: (re)builds, edits, bulk imports, merging and the postings files.

Whoosh rules followed here (measured on the target machine): one writer at a time (a lock);
bulk writes use ``compound=False`` and commit every ``rebuild_batch`` documents with
``merge=False``; an edit commits one small segment without merging, and :meth:`IndexWriter.
merge_small` merges those when idle. Segments of ``postings_min_segment_docs`` documents or
more get a postings file (:mod:`digestdesk.core.index.postings_file`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

import digestdesk.core.index.integrity as integrity
import digestdesk.core.index.postings_file as postings_file
from digestdesk.core.index.base import IndexDoc
from digestdesk.core.index.bulk_writer import BulkSegmentWriter
from digestdesk.core.index.directory import DAMAGE_ERRORS, IndexDirectory, damage_from
from digestdesk.core.index.ranking import SegmentCache
from digestdesk.core.index.schema import doc_fields
from digestdesk.core.index.tuning import WriteSettings
from digestdesk.errors import SearchIndexUnavailableError

log = logging.getLogger(__name__)


def _write_batches(
    ix: Any,
    docs: Iterable[IndexDoc],
    settings: WriteSettings,
    *,
    replace: bool,
    total: int | None,
    progress: Callable[[int, int | None], None] | None,
    cancelled: Callable[[], bool] | None = None,
) -> int | None:
    """Stream ``docs`` into ``ix``, one writer per ``settings.rebuild_batch`` documents, each
    committed with ``merge=False`` (bounded memory; no merging on every commit). Returns how
    many were written, or None when ``cancelled()`` turned true (the open batch is dropped)."""
    batch, every, limit_mb = settings.rebuild_batch, settings.progress_every, settings.bulk_limit_mb
    writer = None
    done = 0
    try:
        for doc in docs:
            if cancelled is not None and done % 256 == 0 and cancelled():
                if writer is not None:
                    writer.cancel()
                    writer = None
                return None
            if writer is None:
                # The postings in memory, sorted once per segment, instead of Whoosh's
                # external sort (bulk_writer); limit_mb is its unused pool's size.
                writer = BulkSegmentWriter(ix, compound=False, limitmb=limit_mb)
            if replace:
                writer.update_document(**doc_fields(doc))
            else:
                writer.add_document(**doc_fields(doc))
            done += 1
            committing = done % batch == 0
            if committing:
                writer.commit(merge=False)
                writer = None
            if progress is not None and (committing or done % every == 0):
                progress(done, total)
        if writer is not None:
            writer.commit(merge=False)
            writer = None
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    return done


def _merge_small_segments(writer: Any, segments: list[Any], *, small: int) -> list[Any]:
    """Whoosh merge policy: every segment under ``small`` documents into one."""
    from whoosh.reading import SegmentReader

    small_ones = [seg for seg in segments if seg.doc_count_all() < small]
    if len(small_ones) < 2:
        return segments
    for seg in small_ones:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg.doc_count_all() >= small]


class IndexWriter:
    """Every write to the index in ``files``, serialised by a lock (meant for one writer
    thread). ``columns`` is the searches' cache, told about the segments written."""

    def __init__(
        self, files: IndexDirectory, columns: SegmentCache, settings: WriteSettings
    ) -> None:
        self._files = files
        self._columns = columns
        self.settings = settings
        self._write_lock = threading.Lock()

    # -- building ----------------------------------------------------------------------------

    def create(self, library_uuid: str) -> None:
        """Replace the index with an empty one."""
        with self._write_lock:
            indexname, ix = self._files.start_new()
            integrity.record(self._files.directory, ix)
            self._files.switch_to(indexname, library_uuid, 0)

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        *,
        library_uuid: str,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Build a new index from ``docs`` and switch to it at the end.

        Searches meanwhile use the previous index, if there is a usable one. If ``cancelled()``
        turns true the new index is dropped and the previous one (or none) stays in place."""
        with self._write_lock:
            indexname, ix = self._files.start_new()
            try:
                done = _write_batches(
                    ix,
                    docs,
                    self.settings,
                    replace=False,
                    total=total,
                    progress=progress,
                    cancelled=cancelled,
                )
            except BaseException:
                self._files.remove_files(only=indexname)
                raise
            if done is None:
                log.info("Search index rebuild cancelled")
                self._files.remove_files(only=indexname)
                return
            try:
                integrity.record(self._files.directory, ix)
            except BaseException:
                self._files.remove_files(only=indexname)
                raise
            self._files.switch_to(indexname, library_uuid, last_seq)
            self._write_postings_files()
            if progress is not None:
                progress(done, total)
            log.info("Search index rebuilt: %d entries, seq %d", done, last_seq)

    # -- edits -------------------------------------------------------------------------------

    def update(
        self, docs: Sequence[IndexDoc], *, deleted: Sequence[int] = (), last_seq: int
    ) -> None:
        """Replace ``docs`` and remove ``deleted`` ids in one commit, then record ``last_seq``."""
        with self._write_lock:
            data = self._files.current_sidecar()
            if docs or deleted:
                ix = self._files.whoosh_index(data["indexname"])
                # An edit's tiny segment goes in one compound file: thirteen files created per
                # commit (a column per field) were 14 ms of a 30 ms note edit at 100k here. The
                # compound file's copy in memory that made compound=False the rule is a few KB
                # for these; merge_small() rewrites them as one plain segment.
                writer = ix.writer(compound=len(docs) < self.settings.small_segment_docs)
                try:
                    wanted = {int(doc.id) for doc in docs} | {int(i) for i in deleted}
                    docnum_of = self._writer_docnums(writer, wanted)
                    if docnum_of is None:  # a segment not seen yet: let Whoosh look them up
                        for doc in docs:
                            writer.update_document(**doc_fields(doc))
                        for entry_id in deleted:
                            writer.delete_by_term("id", int(entry_id))
                    else:
                        # The ids' documents are known: delete them by number instead of
                        # Whoosh opening every segment to find the id term (a third of an
                        # edit's time at 10k).
                        for docnum in docnum_of.values():
                            writer.delete_document(docnum)
                        for doc in docs:
                            writer.add_document(**doc_fields(doc))
                except BaseException:
                    writer.cancel()
                    raise
                # No merging here: Whoosh's default merges small segments on every few
                # commits (240-360 ms at 10k, the edit's p95); merge_small() does it when idle.
                segment = writer.newsegment
                writer.commit(merge=False)
                self._record_manifest(ix, data)
                if docs:
                    # The new segment's ids are the docs' in order: known without reading
                    # them back, so the next edit finds its documents by number even when no
                    # search read this generation (a status search is answered by the
                    # database): Whoosh's lookup by id term took 30-60 ms at 100k.
                    self._columns.remember_ids(segment.segment_id(), [int(d.id) for d in docs])
            self._files.write_sidecar(
                data["library_uuid"],
                last_seq,
                data["indexname"],
                manifest=bool(data.get("manifest")),
            )

    def _record_manifest(self, ix: Any, data: dict[str, Any]) -> None:
        """Write the manifest of the generation just committed (an index from before
        manifests gets its first one from :meth:`maintain`, which reads every file)."""
        if data.get("manifest"):
            integrity.record(self._files.directory, ix)

    def _writer_docnums(self, writer: Any, wanted: set[int]) -> dict[int, int] | None:
        """Docnums of the live documents of the ``wanted`` entry ids in ``writer``'s segments,
        from the id lists cached per segment, or None when a segment's ids were never read."""
        found: dict[int, int] = {}
        base = 0
        for segment in writer.segments:
            values = self._columns.ids_of(segment.segment_id())
            if values is None or len(values) != segment.doc_count_all():
                return None
            deleted = set(segment.deleted_docs()) if segment.has_deletions() else set()
            if len(wanted) <= 64:  # a few edits: C-level scans of the id list
                for entry_id in wanted:
                    start = 0
                    while True:
                        try:
                            docnum = values.index(entry_id, start)
                        except ValueError:
                            break
                        if docnum not in deleted:
                            found[entry_id] = base + docnum
                            break
                        start = docnum + 1
            else:
                for docnum, entry_id in enumerate(values):
                    if entry_id in wanted and docnum not in deleted:
                        found[entry_id] = base + docnum
            base += segment.doc_count_all()
        return found

    def update_many(
        self,
        docs: Iterable[IndexDoc],
        *,
        last_seq: int,
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Bulk version of :meth:`update` for large imports: streams ``docs`` through one
        writer at a time, committing every ``rebuild_batch`` documents with ``merge=False``
        (bounded memory, no merging of the growing index on every commit). ``last_seq`` is
        recorded only at the end, so an interrupted run is caught up again, without duplicates
        since documents are replaced by id."""
        with self._write_lock:
            data = self._files.current_sidecar()
            ix = self._files.whoosh_index(data["indexname"])
            try:
                done = _write_batches(
                    ix, docs, self.settings, replace=True, total=total, progress=progress
                )
                self._record_manifest(ix, data)
            finally:
                self._files.forget()
            assert done is not None  # not cancellable
            self._files.write_sidecar(
                data["library_uuid"],
                last_seq,
                data["indexname"],
                manifest=bool(data.get("manifest")),
            )
            self._write_postings_files()
            if progress is not None:
                progress(done, total)
            return done

    # -- maintenance -------------------------------------------------------------------------

    def maintain(
        self, *, backfill: bool = False, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Merge the small segments that edits leave behind (each edit commits one; a search
        looks in every segment). With ``backfill``, also write one missing postings file (an
        index from before they existed; seconds for a large segment, abandoned when
        ``should_stop()`` turns true). For idle moments and closing; a no-op when there is
        little to do or the index is being rebuilt. Returns whether it did anything."""
        try:
            merged = self.merge_small()
            written = self.write_postings_files(should_stop=should_stop, limit=1) if backfill else 0
            manifest = self.write_first_manifest() if backfill else False
        except SearchIndexUnavailableError:  # missing, damaged (recorded), being rebuilt
            return False
        except DAMAGE_ERRORS as exc:  # a file Whoosh could not read: rebuilt, never a crash
            self._files.mark_damaged(damage_from(exc))
            return False
        return merged or written > 0 or manifest

    def write_first_manifest(self) -> bool:
        """Give an index written before manifests existed its first one (reads every file:
        for idle moments). Returns whether it wrote one."""
        with self._write_lock:
            data = self._files.current_sidecar()
            if data.get("manifest"):
                return False
            ix = self._files.whoosh_index(data["indexname"])
            integrity.record(self._files.directory, ix)
            self._files.write_sidecar(
                data["library_uuid"], data["last_seq"], data["indexname"], manifest=True
            )
            log.info("Wrote the first manifest of search index %s", data["indexname"])
            return True

    def segment_count(self) -> int:
        """How many segments the index has (each edit adds one until they are merged)."""
        with self._files.whoosh_index().reader() as reader:
            return len(reader.leaf_readers())

    def small_segments(self) -> int:
        """How many segments hold fewer than ``small_segment_docs`` documents."""
        small = self.settings.small_segment_docs
        with self._files.whoosh_index().reader() as reader:
            return sum(1 for leaf, _ in reader.leaf_readers() if leaf.doc_count_all() < small)

    def merge_small(self, *, at_least: int | None = None) -> bool:
        """Merge the small segments that single edits and small imports leave (one each)
        into one, when there are ``at_least`` (default ``small_segments_to_merge``) of them;
        large segments are left alone, so this costs tens of milliseconds. Returns whether it
        merged."""
        if at_least is None:
            at_least = self.settings.small_segments_to_merge
        with self._write_lock:
            if self.small_segments() < max(2, at_least):
                return False
            data = self._files.current_sidecar()
            ix = self._files.whoosh_index(data["indexname"])
            writer = ix.writer(compound=False)
            writer.commit(
                mergetype=functools.partial(
                    _merge_small_segments, small=self.settings.small_segment_docs
                )
            )
            self._record_manifest(ix, data)
            self._write_postings_files()  # the merged segment's, when it is large enough
            return True

    def optimize(self) -> None:
        """Merge all segments into one (slow; run in the background after a rebuild)."""
        with self._write_lock:
            data = self._files.current_sidecar()
            ix = self._files.whoosh_index(data["indexname"])
            ix.writer(compound=False).commit(optimize=True)
            self._record_manifest(ix, data)
            self._write_postings_files()

    # -- postings files ----------------------------------------------------------------------

    def write_postings_files(
        self, *, should_stop: Callable[[], bool] | None = None, limit: int | None = None
    ) -> int:
        """Write the postings files that segments of ``postings_min_segment_docs`` documents
        or more lack, at most ``limit`` of them, and delete those of segments merged away.
        Bulk writes do this themselves; this is for idle moments (an index written before
        postings files existed). Stops between terms when ``should_stop()`` turns true.
        Returns how many files were written."""
        with self._write_lock:
            return self._write_postings_files(should_stop=should_stop, limit=limit)

    def missing_postings_files(self) -> int:
        """How many segments large enough for a postings file have none (cheap: the files'
        directories are read once per segment)."""
        with self._files.whoosh_index().reader() as reader:
            return sum(1 for leaf, _ in reader.leaf_readers() if self._lacks_postings_file(leaf))

    def _lacks_postings_file(self, leaf: Any) -> bool:
        """Whether a segment is large enough for a postings file and has none (yet)."""
        return (
            leaf.doc_count_all() >= self.settings.postings_min_segment_docs
            and self._columns.postings_file(leaf) is None
        )

    def _write_postings_files(
        self, *, should_stop: Callable[[], bool] | None = None, limit: int | None = None
    ) -> int:
        try:
            ix = self._files.whoosh_index()
        except SearchIndexUnavailableError:
            return 0
        written = 0
        with ix.reader() as reader:
            leaves = [
                leaf
                for leaf, _ in reader.leaf_readers()
                if getattr(leaf, "segment", lambda: None)() is not None  # not an empty index
            ]
            current = {leaf.segment().segment_id() for leaf in leaves}
            self._remove_postings_files(ix.indexname, keep=current)
            for leaf in leaves:
                if not self._lacks_postings_file(leaf):
                    continue
                if limit is not None and written >= limit:
                    break
                segment_id = leaf.segment().segment_id()
                path = postings_file.path_for(self._files.directory, segment_id)
                started = time.perf_counter()
                try:
                    done = postings_file.write(
                        leaf,
                        path,
                        min_doc_freq=self.settings.postings_min_doc_freq,
                        should_stop=should_stop,
                    )
                except OSError as exc:  # a cache: searches just read Whoosh's postings
                    log.warning("Could not write the postings file %s: %s", path, exc)
                    return written
                if not done:
                    return written
                self._columns.postings_file_written(segment_id)
                written += 1
                log.info(
                    "Wrote the postings file of segment %s (%d documents) in %.1f s",
                    segment_id,
                    leaf.doc_count_all(),
                    time.perf_counter() - started,
                )
        return written

    def _remove_postings_files(self, indexname: str, keep: Collection[str]) -> None:
        """Delete the postings files (and unfinished ones) of index ``indexname``'s segments
        not in ``keep``; other index names' files go with their index (remove_files)."""
        for child in self._files.directory.glob(f"{indexname}_*{postings_file.SUFFIX}*"):
            name = child.name
            if name.endswith(postings_file.SUFFIX) and name[: -len(postings_file.SUFFIX)] in keep:
                continue
            try:
                child.unlink()
            except OSError as exc:  # still open elsewhere (Windows): removed next time
                log.debug("Could not remove postings file %s: %s", child, exc)
