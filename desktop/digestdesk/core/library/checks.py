"""Checking a library (the database against its search index) and its statistics.

What ``digestdesk check`` and ``digestdesk stats`` print; reads only.
"""

from __future__ import annotations

import itertools
import random
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import exists, func, select

from digestdesk.core import schema
from digestdesk.core.index import IndexDoc
from digestdesk.core.library.common import chunks
from digestdesk.core.library.database import Database, read_meta
from digestdesk.core.library.index_sync import IndexSync, index_docs
from digestdesk.core.storage_problems import damaged as database_damaged
from digestdesk.errors import SearchIndexDamagedError, SearchIndexUnavailableError

E = schema.entries

#: ``check`` compares this many entries, chosen at random, with what the index returns for
#: them (``--deep``: every entry): their stored text, and for the words and word pairs of
#: their text whether the index finds exactly the entries among them that hold it.
SAMPLE_ENTRIES = 200
SAMPLE_TERMS = 60  # half the sample's most frequent terms (long posting lists), half at random
SAMPLE_PHRASES = 30
DEEP_PHRASES = 2000
PHRASE_ENTRIES = 2000  # entries whose word pairs --deep compares
_SHOWN = 5  # differences listed per kind; the count says how many more


def check(
    database: Database, sync: IndexSync, library_uuid: str, *, deep: bool = False
) -> list[str]:
    """Differences between the database and the index (empty when they agree).

    Beyond the ids, the index's files are checked against their checksums and its answers
    against the database: for a sample of entries (``deep``: all), their stored text and the
    entries that searches for a sample of their terms and word pairs (``deep``: every term)
    find. An index found damaged or lying is recorded as such, so the next command (or the
    app) rebuilds it."""
    problems: list[str] = []
    with database.engine.connect() as conn:
        if database.paths.is_sqlite:
            found = list(conn.exec_driver_sql("PRAGMA integrity_check(5)").scalars())
            if found != ["ok"]:
                raise database_damaged(
                    database.paths, "its integrity check says: " + "; ".join(found)
                )
        db_ids = set(conn.execute(select(E.c.id)).scalars())
        seq = int(read_meta(conn, "change_seq"))
        orphans = conn.execute(
            select(func.count())
            .select_from(schema.entry_tags)
            .where(~exists().where(E.c.id == schema.entry_tags.c.entry_id))
        ).scalar_one()
        if orphans:
            problems.append(f"{orphans} tag links point at missing entries")
    index = sync.index
    state = index.state()
    if state is None:
        damage = index.damage()
        if damage is not None:
            problems.append(_damage_text(damage))
        else:
            problems.append("the search index is missing or unreadable")
        return problems
    if state.library_uuid != library_uuid:
        problems.append("the search index belongs to another library")
    if state.last_seq < seq:
        problems.append(
            f"the search index is behind the database (change {state.last_seq} of {seq})"
            + (
                ""
                if database.paths.is_sqlite
                else ": changes made since this machine's index last caught up (other "
                "members' too); any other command catches it up"
            )
        )
    try:
        damaged = [f"search index file {p}" for p in index.verify()]
        problems += damaged
        if damaged:
            return problems
        lies = _compare_ids(index.ids(), db_ids)
        if state.last_seq < seq:  # behind: the next command catches it up (no rebuild)
            return problems + lies
        if not lies:
            lies = _compare_answers(database, sync, db_ids, deep=deep)
    except SearchIndexUnavailableError as exc:
        damage = index.damage()
        problems.append(_damage_text(damage) if damage else exc.user_message)
        return problems
    if lies:
        problems += lies
        index.mark_damaged(SearchIndexDamagedError("", "its answers differ from the database"))
    return problems


def _damage_text(damage: SearchIndexDamagedError) -> str:
    where = f" (file {damage.file})" if damage.file else ""
    detail = f": {damage.detail}" if damage.detail else ""
    return f"the search index is damaged{where}{detail}"


def _listed(ids: Iterable[object]) -> str:
    ids = list(ids)
    return ", ".join(map(str, ids[:10])) + (" ..." if len(ids) > 10 else "")


def _compare_ids(index_ids: set[int], db_ids: set[int]) -> list[str]:
    problems = []
    missing = sorted(db_ids - index_ids)
    extra = sorted(index_ids - db_ids)
    if missing:
        problems.append(f"{len(missing)} entries are not in the index (ids {_listed(missing)})")
    if extra:
        problems.append(f"{len(extra)} index documents have no entry (ids {_listed(extra)})")
    return problems


def _compare_answers(
    database: Database, sync: IndexSync, db_ids: set[int], *, deep: bool
) -> list[str]:
    """What the index returns for a sample of entries (all when ``deep``) against what the
    database says it should: stored text, then term and word-pair searches."""
    index = sync.index
    rng = random.Random()
    chosen = (
        sorted(db_ids)
        if deep
        else sorted(rng.sample(sorted(db_ids), min(len(db_ids), SAMPLE_ENTRIES)))
    )
    # Word pairs (phrase searches) of at most this many entries: all of them would not fit
    # in memory at 100k.
    paired = set(chosen if not deep else rng.sample(chosen, min(len(chosen), PHRASE_ENTRIES)))
    differences: list[str] = []
    # Arrays, not sets: ``--deep`` at 100k entries holds some 15 million of these.
    postings: dict[tuple[str, str], array[int]] = defaultdict(lambda: array("q"))
    pairs: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for docs in _batches(database, chosen):
        stored = index.documents([d.id for d in docs])
        for doc in docs:
            expected = index.expected(doc)
            got = stored.get(doc.id)
            if got != expected.stored:
                fields = sorted(
                    f
                    for f in set(expected.stored) | set(got or {})
                    if (got or {}).get(f) != expected.stored.get(f)
                )
                differences.append(
                    f"entry {doc.id}: the index stores other text ({', '.join(fields)})"
                )
            for field, tokens in expected.terms.items():
                for _, term in tokens:
                    held = postings[(field, term)]
                    if not held or held[-1] != doc.id:
                        held.append(doc.id)
                if doc.id not in paired:
                    continue
                for (pos, first), (next_pos, second) in itertools.pairwise(tokens):
                    if next_pos == pos + 1:
                        pairs[(field, first, second)].add(doc.id)
    allowed = None if deep else set(chosen)
    if deep:
        terms = list(postings)
        phrases = rng.sample(sorted(pairs), min(len(pairs), DEEP_PHRASES))
    else:
        frequent = sorted(postings, key=lambda k: (-len(postings[k]), k))[: SAMPLE_TERMS // 2]
        rest = sorted(set(postings) - set(frequent))
        terms = frequent + rng.sample(rest, min(len(rest), SAMPLE_TERMS - len(frequent)))
        phrases = rng.sample(sorted(pairs), min(len(pairs), SAMPLE_PHRASES))
    for (field, term), found in zip(
        terms, index.probe([(f, [t]) for f, t in terms], allowed), strict=True
    ):
        _compare_found(differences, f"{field}:{term}", found, set(postings[(field, term)]))
    for (field, first, second), found in zip(
        phrases, index.probe([(f, [a, b]) for f, a, b in phrases], paired), strict=True
    ):
        _compare_found(
            differences, f'{field}:"{first} {second}"', found, pairs[(field, first, second)]
        )
    if len(differences) > _SHOWN:
        differences = differences[:_SHOWN] + [
            f"... and {len(differences) - _SHOWN} more differences"
        ]
    return [f"the search index lies: {d}" for d in differences]


def _compare_found(out: list[str], what: str, found: set[int], expected: set[int]) -> None:
    if found == expected:
        return
    missing, wrong = sorted(expected - found), sorted(found - expected)
    parts = []
    if missing:
        parts.append(f"misses {_listed(missing)}")
    if wrong:
        parts.append(f"wrongly finds {_listed(wrong)}")
    out.append(f"a search for {what} {' and '.join(parts)}")


def _batches(database: Database, ids: Sequence[int]) -> Iterator[list[IndexDoc]]:
    """The index documents of ``ids`` built from the database, a batch at a time."""
    for chunk in chunks(list(ids), 500):
        with database.engine.connect() as conn:
            yield index_docs(conn, chunk)
