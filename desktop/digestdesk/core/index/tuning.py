"""The index writer's tunables: module constants, and :class:`WriteSettings` that carries them
(tests make them small). Apart from :mod:`.writing`, so that an index opened only to search
(``digestdesk search``) names them without importing the writer and Whoosh's writing modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import digestdesk.core.index.postings_file as postings_file

#: Whoosh's posting pool per writer, in MB (its default, 128, held ~700 MB of Python objects
#: at the end of a 100k import; a smaller pool spills to disk sooner). Bulk writes no longer
#: use the pool (bulk_writer keeps a segment's postings in memory, bounded by REBUILD_BATCH);
#: the benchmark's raw Whoosh baseline does.
BULK_LIMIT_MB = int(os.environ.get("DIGESTDESK_INDEX_LIMIT_MB", "64"))

#: Documents per commit during a bulk rebuild (bounded memory, visible progress).
# 10,000 rather than 5,000: the same time and peak memory (the posting pool is bounded by
# limitmb), half the segments, and every search opens each segment's term tables.
REBUILD_BATCH = 10_000
PROGRESS_EVERY = 250  # documents between progress reports of a (re)build (~1 s of work)

#: Segments smaller than this are merged together when idle (an edit commits one segment).
SMALL_SEGMENT_DOCS = 1000
SMALL_SEGMENTS_TO_MERGE = 6


@dataclass(frozen=True)
class WriteSettings:
    """The writer's tunables (see the module constants for what each is for)."""

    rebuild_batch: int = REBUILD_BATCH
    progress_every: int = PROGRESS_EVERY
    bulk_limit_mb: int = BULK_LIMIT_MB
    small_segment_docs: int = SMALL_SEGMENT_DOCS
    small_segments_to_merge: int = SMALL_SEGMENTS_TO_MERGE
    postings_min_segment_docs: int = postings_file.MIN_SEGMENT_DOCS
    postings_min_doc_freq: int = postings_file.MIN_DOC_FREQ
