"""The library: imports as transactions, identity, user state, undo, search freshness, repair."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from digestdesk.core.library import Library, LibraryTuning
from digestdesk.errors import (
    DigestDeskError,
    EntryNotFoundError,
    LibraryLockedError,
    NewerSchemaError,
    NotADigestError,
)
from digestdesk.paths import LibraryPaths
from tests.core import factories


def _import_page(library: Library) -> None:
    report = library.import_bytes(
        factories.page_text().encode(), name="page.txt", as_of=date(2025, 11, 20)
    )
    assert (report.new, report.updated, report.skipped) == (3, 0, [])


def test_page_import_stores_entries_dates_and_links(library: Library) -> None:
    _import_page(library)
    ids = library.list_ids(sort="date")
    details = library.entries(ids)
    by_title = {d.title: d for d in details}
    sparse = by_title["Sparse Lattice Transformers for Long Documents"]
    assert sparse.published == date(2025, 6, 1)
    assert sparse.published_year_inferred
    assert sparse.votes == 7
    assert sparse.authors_count == 3 and sparse.authors == []
    assert "sparse lattices" in sparse.abstract and "{\\em" in sparse.abstract_raw
    assert [(link.url, link.kind) for link in sparse.links] == [
        ("https://github.com/example/sparse-lattice", "code")
    ]
    quantized = by_title["Quantized Diffusion Policies"]
    assert quantized.published == date(2023, 3, 9) and not quantized.published_year_inferred
    assert [link.url.rstrip("/") for link in quantized.links] == ["https://qdp.github.io"]
    assert quantized.links[0].kind == "project"
    assert "3%" in by_title["Graph Priors for Protein Folding"].abstract
    assert all(d.digests == [date(2025, 11, 20)] for d in details)
    assert library.counts()["unread"] == 3


def test_reimport_adds_nothing_and_keeps_user_state(library: Library) -> None:
    _import_page(library)
    entry_id = library.list_ids()[0]
    library.set_status([entry_id], "read")
    library.change_tags([entry_id], add=["favourite"])
    library.set_note(entry_id, "check the ablation")
    report = library.import_bytes(
        factories.page_text().encode(), name="page.txt", as_of=date(2025, 11, 20)
    )
    assert (report.new, report.updated, report.unchanged) == (0, 0, 3)
    assert library.counts()["total"] == 3
    detail = library.entry(entry_id)
    assert (detail.status, detail.tags, detail.note) == (
        "read",
        ["favourite"],
        "check the ablation",
    )


def test_page_entry_gains_arxiv_id_and_authors_from_api(library: Library) -> None:
    _import_page(library)
    item = factories.api_item(
        "2506.00001",
        "Sparse Lattice  Transformers for\n  Long Documents",
        authors=("Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"),
        upvotes=40,
        githubStars=120,
    )
    report = library.import_bytes(factories.api_json([item]), name="2025-11-21.json")
    assert (report.new, report.updated) == (0, 1)
    [entry_id] = library.search("arxiv:2506.00001").ids or [
        i for i in library.list_ids() if library.entry(i).arxiv_id == "2506.00001"
    ]
    detail = library.entry(entry_id)
    assert detail.arxiv_id == "2506.00001"
    assert detail.authors == ["Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"]
    assert detail.votes == 40 and detail.github_stars == 120
    assert detail.digests == [date(2025, 11, 20)]  # the API item's own digest day
    with library.engine.connect() as conn:
        snapshots = (
            conn.execute(
                text("SELECT votes FROM digest_entries WHERE entry_id = :i ORDER BY digest_id"),
                {"i": entry_id},
            )
            .scalars()
            .all()
        )
    assert snapshots == [7, 40]


def test_identity_by_arxiv_id_across_days(library: Library) -> None:
    library.import_bytes(factories.api_day(5, day="2025-11-20"), name="2025-11-20.json")
    report = library.import_bytes(
        factories.api_day(5, day="2025-11-21", start=3, upvotes=50), name="2025-11-21.json"
    )
    assert (report.new, report.updated) == (2, 3)
    assert library.counts()["total"] == 7
    entry_id = library.search("arxiv:2511.00003").ids[0]
    assert library.entry(entry_id).digests == [date(2025, 11, 20), date(2025, 11, 21)]
    assert library.entry(entry_id).votes == 50


def test_same_paper_twice_in_one_file_is_one_entry(library: Library) -> None:
    item = factories.api_item("2511.00042", "Twice Listed")
    report = library.import_bytes(factories.api_json([item, item]), name="x.json")
    assert report.new == 1
    assert library.counts()["total"] == 1


def test_malformed_entries_are_reported_and_the_rest_imported(library: Library) -> None:
    good = factories.api_item("2511.00001", "A Good Paper")
    data = json.dumps([good, {"paper": {"id": "2511.00002"}}, 17]).encode()
    report = library.import_bytes(data, name="2025-11-20.json")
    assert report.new == 1
    assert [p.where for p in report.skipped] == ["item 1", "item 2"]
    assert all(p.reason for p in report.skipped)


def test_not_a_digest_is_refused_and_changes_nothing(library: Library) -> None:
    _import_page(library)
    before = library.counts()
    for data in (b"Dear diary, today I read nothing.", b'{"hello": "world"}', b"\x00\x01\x02"):
        with pytest.raises(NotADigestError):
            library.import_bytes(data, name="notes.txt")
    with pytest.raises(NotADigestError):
        library.import_bytes(b'[{"paper": {"id": "1"', name="broken.json")
    assert library.counts() == before
    assert library.check() == []


def test_status_history_and_undo_redo_survive_reopen(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths) as library:
        library.import_bytes(factories.api_day(3), name="2025-11-20.json")
        ids = library.list_ids()
        library.set_status(ids[:2], "read")
        library.change_tags(ids, add=["ml"])
        assert library.undo_label() is not None
    with Library.open(library_paths) as library:
        changes = library.undo()  # the tag change
        assert "tags" in changes.kinds
        assert all(not library.entry(i).tags for i in ids)
        library.undo()  # the status change
        assert [library.entry(i).status for i in ids] == ["unread"] * 3
        library.redo()
        assert [library.entry(i).status for i in ids[:2]] == ["read", "read"]
        history = [e.status for e in library.entry(ids[0]).history]
        assert history == ["unread", "read", "unread", "read"]
        assert library.undo().label.startswith("Undo")
        assert library.search("status:read").ids == []


def test_undo_with_nothing_to_undo(library: Library) -> None:
    assert library.undo().is_empty
    assert library.redo().is_empty


def test_undo_keeps_the_newest_steps(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths, tuning=LibraryTuning(undo_keep=2)) as library:
        library.import_bytes(factories.api_day(3), name="2025-11-20.json")
        ids = library.list_ids()
        for entry_id in ids:
            library.set_status([entry_id], "read")
        assert not library.undo().is_empty
        assert not library.undo().is_empty
        assert library.undo().is_empty  # the oldest step was dropped
        assert [library.entry(i).status for i in ids] == ["read", "unread", "unread"]


def test_unknown_ids_and_statuses_are_clear_errors(library: Library) -> None:
    with pytest.raises(EntryNotFoundError, match="No entry with id 999"):
        library.set_status([999], "read")
    library.import_bytes(factories.api_day(1), name="d.json")
    with pytest.raises(DigestDeskError, match="Unknown status"):
        library.set_status(library.list_ids(), "finished")


def test_search_sees_status_tag_and_note_edits(library: Library) -> None:
    library.import_bytes(factories.api_day(4), name="2025-11-20.json")
    ids = library.list_ids()
    library.set_status([ids[0]], "queued")
    assert library.search("status:queued").ids == [ids[0]]
    assert library.search("reasoning status:queued").ids == [ids[0]]
    library.change_tags([ids[1]], add=["Reading Group"])
    assert library.search("tag:reading-group").ids == [ids[1]]
    assert library.search("tag:reading-group OR status:queued").total == 2
    library.set_note(ids[2], "compare with the zebrafish baseline")
    assert library.search("zebrafish").ids == [ids[2]]
    assert library.search("note:zebrafish").ids == [ids[2]]
    assert ids[2] in library.search("has:note").ids
    library.set_note(ids[2], "")
    assert library.search("zebrafish").ids == []
    assert library.check() == []


def test_filters_and_sorting(library: Library) -> None:
    library.import_bytes(factories.api_day(5, upvotes=10), name="2025-11-20.json")
    by_votes = library.search("votes:>12", sort="votes").ids
    assert [library.entry(i).votes for i in by_votes] == [14, 13]
    assert library.search("has:code").total == 3
    assert library.search("digest:2025-11-20").total == 5
    assert library.search("year:2025 -has:code").total == 2
    assert library.search("date:2025-11-01..2025-11-30").total == 5
    assert library.search("date:>2025-11-18").total == 0


def test_date_order_puts_the_most_voted_first_within_a_day(library: Library) -> None:
    """As on the Hugging Face daily page: newest day first, and in a day most votes first,
    both for filters alone (SQL) and for words (the index)."""
    items = [
        factories.api_item(
            f"2511.{n:05d}",
            f"Invented Reasoning Paper {n}",
            upvotes=votes,
            published=f"{day}T00:00:00.000Z",
        )
        for n, (day, votes) in enumerate(
            [
                ("2025-11-18", 3),
                ("2025-11-18", 40),
                ("2025-11-19", 1),
                ("2025-11-19", 9),
                ("2025-11-18", 12),
            ]
        )
    ]
    library.import_bytes(factories.api_json(items), name="day.json")
    expected = [
        (date(2025, 11, 19), 9),
        (date(2025, 11, 19), 1),
        (date(2025, 11, 18), 40),
        (date(2025, 11, 18), 12),
        (date(2025, 11, 18), 3),
    ]
    for query in ("", "reasoning", "year:2025", "reasoning year:2025"):
        ids = library.search(query, sort="date").ids
        assert [(library.entry(i).published, library.entry(i).votes) for i in ids] == expected
    assert library.list_ids(sort="date") == library.search("", sort="date").ids
    # After an edit the index has a new segment (its order is derived per segment): same order.
    library.set_status([library.search("", sort="date").ids[-1]], "read")
    ids = library.search("reasoning", sort="date").ids
    assert [(library.entry(i).published, library.entry(i).votes) for i in ids] == expected


def _use_second_postgres_database(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    first = make_url(url)
    second = first.set(database=f"{first.database}_b")
    admin = create_engine(first, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{second.database}"'))
        conn.execute(text(f'CREATE DATABASE "{second.database}"'))
    admin.dispose()
    monkeypatch.setenv("DIGESTDESK_DATABASE_URL", second.render_as_string(hide_password=False))


def test_export_import_round_trip_is_lossless(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digestdesk.core import export
    from digestdesk.core.store import open_engine  # noqa: F401 - engine used via Library
    from digestdesk.paths import resolve_library

    _import_page(library)
    library.import_bytes(factories.api_day(3), name="2025-11-21.json")
    ids = library.list_ids()
    library.set_status(ids[:2], "read")
    library.set_status(ids[:1], "skipped")
    library.change_tags(ids[1:3], add=["to-share", "ml"])
    library.set_note(ids[0], "multi-line\nnote ✓")
    first = export.export_text(library, "json")

    if library.paths.database_url.startswith("postgresql"):
        _use_second_postgres_database(library.paths.database_url, monkeypatch)
    other_paths = resolve_library(tmp_path / "other")
    with Library.open(other_paths) as other:
        report = other.import_bytes(first.encode(), name="export.json")
        assert report.new == library.counts()["total"]
        second = export.export_text(other, "json")
    strip = lambda doc: {k: v for k, v in json.loads(doc).items() if k != "exported_at"}  # noqa: E731
    assert strip(first) == strip(second)


def test_other_exports(library: Library) -> None:
    from digestdesk.core import export

    library.import_bytes(factories.api_day(2), name="2025-11-20.json")
    library.change_tags(library.list_ids(), add=["ml"])
    bib = export.export_text(library, "bibtex")
    assert bib.count("@misc{") == 2 and "eprint = {2511.00001}" in bib
    csv_text = export.export_text(library, "csv")
    assert csv_text.splitlines()[0].startswith("arxiv_id,title")
    assert len(csv_text.strip().splitlines()) == 3
    md = export.export_text(library, "markdown")
    assert "## Invented Paper Number 1" in md


def test_second_writer_is_refused(library: Library, library_paths: LibraryPaths) -> None:
    with pytest.raises(LibraryLockedError, match="in use by another Digest Desk"):
        Library.open(library_paths)
    reader = Library.open(library_paths, writer=False)
    assert reader.counts()["total"] == 0
    reader.close()


def test_missing_or_broken_index_is_rebuilt_on_open(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths) as library:
        library.import_bytes(factories.api_day(3), name="2025-11-20.json")
    shutil.rmtree(library_paths.index_dir)
    with Library.open(library_paths) as library:
        assert library.check() == []
        assert library.search("reasoning").total == 3
    for path in library_paths.index_dir.iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    with Library.open(library_paths) as library:
        assert library.check() == []
        assert library.search("reasoning").total == 3


def test_index_behind_the_database_catches_up(
    library_paths: LibraryPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def update_fails(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    with Library.open(library_paths) as library:
        library.import_bytes(factories.api_day(3), name="2025-11-20.json")
        entry_id = library.list_ids()[0]
        # A write whose index update never happened (as if killed between the two): the
        # note is committed all the same, and the index is left behind.
        with monkeypatch.context() as patched:
            patched.setattr(library.index, "update", update_fails)
            library.set_note(entry_id, "quokka")
        assert library.entry(entry_id).note == "quokka"
        assert library.index_status() == "behind"
        assert any("behind" in p for p in library.check())
    with Library.open(library_paths) as library:
        assert library.check() == []
        assert library.search("quokka").ids == [entry_id]


def test_a_large_catch_up_is_indexed_in_batches(library_paths: LibraryPaths) -> None:
    tuning = LibraryTuning(index_bulk=2, index_batch=2)
    with Library.open(library_paths, tuning=tuning) as library:
        library.import_bytes(factories.api_day(10), name="2025-11-20.json")
        library.import_bytes(
            factories.api_day(3, day="2025-11-21", start=11), name="2025-11-21.json", index=False
        )
        assert library.index_status() == "behind"
        # Three changed entries are more than index_bulk, fewer than half the library.
        assert library.ensure_index() == "caught up"
        assert library.check() == []
        assert library.search("digest:2025-11-21").total == 3
        assert library.search("efficient reasoning").total == 13


def test_newer_database_is_refused(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths) as library, library.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(NewerSchemaError, match="newer Digest Desk"):
        Library.open(library_paths)


def test_schema_head_constant_matches_migrations() -> None:
    from digestdesk.core.store import SCHEMA_HEAD, head_revision

    assert head_revision() == SCHEMA_HEAD


def test_import_cancel_rolls_back(library: Library) -> None:
    from digestdesk.core.library import ImportCancelled

    with pytest.raises(ImportCancelled):
        library.import_bytes(factories.api_day(3), name="d.json", cancelled=lambda: True)
    assert library.counts()["total"] == 0
    with library.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM digests")).scalar() == 0


def test_markup_in_titles_is_stored_as_text(library: Library) -> None:
    item = factories.api_item(
        "2511.09999",
        "<script>alert(1)</script> Attacks",
        summary="See <img src=x onerror=alert(1)> and javascript:alert(1) and https://ok.example.org/x.",
    )
    library.import_bytes(factories.api_json([item]), name="d.json")
    detail = library.entry(library.list_ids()[0])
    assert detail.title.startswith("<script>")
    assert all(link.url.startswith(("http://", "https://")) for link in detail.links)
    assert [link.url for link in detail.links] == ["https://ok.example.org/x"]


def test_word_queries_are_capped_and_counted(library_paths: LibraryPaths) -> None:
    with Library.open(library_paths, tuning=LibraryTuning(text_results_cap=4)) as library:
        library.import_bytes(factories.api_day(6), name="2025-11-20.json")
        capped = library.search("reasoning")
        assert (len(capped.ids), capped.total, capped.capped) == (4, 6, True)
        counted = library.search("reasoning", limit=2)
        assert (len(counted.ids), counted.total, counted.capped) == (2, 6, True)
        small = library.search("reasoning", limit=10)
        assert (len(small.ids), small.total, small.capped) == (6, 6, False)


def test_edits_commit_small_segments_that_idle_maintenance_merges(
    library: Library, library_paths: LibraryPaths
) -> None:
    from digestdesk.core.index import SMALL_SEGMENTS_TO_MERGE

    library.import_bytes(factories.api_day(8), name="2025-11-20.json")
    ids = library.list_ids()
    before = library.index.small_segments()
    for i, entry_id in enumerate(ids[: SMALL_SEGMENTS_TO_MERGE - 2]):
        library.set_note(entry_id, f"segment note {i} qqseg{i}")
    # An edit commits without merging, so it is searchable at once and cheaply...
    assert library.index.small_segments() == before + SMALL_SEGMENTS_TO_MERGE - 2
    assert not library.maintain_index()  # ...and a few small segments are left as they are
    for entry_id in ids[SMALL_SEGMENTS_TO_MERGE - 2 : SMALL_SEGMENTS_TO_MERGE]:
        library.set_status([entry_id], "read")
    assert library.maintain_index()
    assert library.index.small_segments() == 1
    assert library.search("qqseg1").ids == [ids[1]]
    assert set(library.search("status:read").ids) == set(ids[SMALL_SEGMENTS_TO_MERGE - 2 :][:2])
    assert library.check() == []
    # Closing a writer merges too, so a script of one edit per run never piles them up.
    for i, entry_id in enumerate(ids[:SMALL_SEGMENTS_TO_MERGE]):
        library.set_note(entry_id, f"again {i}")
    library.close()
    reopened = Library.open(library_paths)
    try:
        assert reopened.index.small_segments() == 1
        assert reopened.search("again").total == SMALL_SEGMENTS_TO_MERGE
    finally:
        reopened.close()


@pytest.mark.parametrize(
    "query",
    [
        "reasoning status:unread",  # most pass: the few failing ids are excluded
        "reasoning -status:unread",  # few pass: the passing ids are allowed
        "reasoning date:>2025-11-01",  # undated entries must not pass (NULL comparisons)
        "reasoning -date:>2025-11-01",
        "reasoning votes:>6",
        "reasoning has:code",
        "reasoning -tag:later",
        "reasoning tag:later",
        "reasoning status:unread votes:<100 sort:date",
    ],
)
def test_filters_with_words_match_a_brute_force_filter(library: Library, query: str) -> None:
    library.import_bytes(factories.api_day(10), name="2025-11-20.json")
    undated = factories.api_item("2511.00099", "Undated Efficient Reasoning", daily=None)
    undated["paper"].pop("publishedAt")
    undated.pop("publishedAt")
    library.import_bytes(factories.api_json([undated]), name="undated.json")
    ids = library.list_ids(sort="date")
    library.set_status(ids[:2], "read")
    library.change_tags(ids[1:4], add=["later"])
    details = {d.id: d for d in library.entries(library.list_ids())}

    def passes(d: Any) -> bool:
        # None: unknown (no date), which fails a date filter and its negation alike, as a
        # comparison with NULL does in SQL
        checks = {
            "status:unread": d.status == "unread",
            "date:>2025-11-01": None if d.published is None else d.published > date(2025, 11, 1),
            "votes:>6": (d.votes or 0) > 6,
            "votes:<100": d.votes is not None and d.votes < 100,
            "has:code": any(link.kind == "code" for link in d.links),
            "tag:later": "later" in d.tags,
        }
        for part in query.split()[1:]:
            negated = part.startswith("-")
            name = part.lstrip("-")
            if name in checks and checks[name] in (None, negated):
                return False
        return True

    expected = {i for i, d in details.items() if "reasoning" in d.title.lower() and passes(d)}
    result = library.search(query)
    assert set(result.ids) == expected
    assert result.total == len(expected)


def test_first_with_status_walks_the_list_in_its_order(library: Library) -> None:
    """The next unread entry behind ``]``: near the cursor, far past the first chunk, none."""
    from digestdesk.core.drafts import ParseResult
    from digestdesk.core.library import CHUNK

    drafts = [
        factories.paper_draft(n, f"Paper {n}", date(2025, 1, 1 + n % 28), ["x"])
        for n in range(CHUNK + 200)
    ]
    library.import_parsed(ParseResult(format="demo", entries=drafts), source="many")
    ids = library.list_ids(sort="date")
    assert library.first_with_status(ids[3:], "unread") == ids[3]
    library.set_status(ids[: CHUNK + 100], "read")
    assert library.first_with_status(ids[3:], "unread") == ids[CHUNK + 100]
    assert library.first_with_status(list(reversed(ids[: CHUNK + 50])), "unread") is None
    assert library.first_with_status(ids[:10], "unread") is None
    assert library.first_with_status([], "unread") is None
    assert library.first_with_status(ids[3:], "read") == ids[3]


def test_controls_stored_before_imports_dropped_them_are_not_read_back(library: Library) -> None:
    """A library imported before 9a253e2 may hold ESC sequences and bidi overrides (U+202E
    shows "evil" as "live"): the list rows and the reader's records are repaired as they are
    read, the stored raw text (what export writes) is left as it is."""
    from sqlalchemy import update

    from digestdesk.core import schema
    from digestdesk.core.drafts import EntryDraft, ParseResult

    report = library.import_parsed(
        ParseResult(format="demo", entries=[EntryDraft(title="Plain", arxiv_id="2511.00001")]),
        source="test",
    )
    entry_id = report.items[0].entry_id
    assert entry_id is not None
    with library.engine.begin() as conn:
        conn.execute(
            update(schema.entries)
            .where(schema.entries.c.id == entry_id)
            .values(
                title="An \u202eevil\u202c \x1b[2Jtitle",
                abstract="Body \x1b]0;x\x07text",
                authors=["Mallory \x1b[31mRed"],
                ai_summary="\u2066sum\u2069",
            )
        )
    assert library.rows([entry_id])[entry_id].title == "An evil [2Jtitle"
    detail = library.entry(entry_id)
    assert (detail.title, detail.abstract) == ("An evil [2Jtitle", "Body ]0;xtext")
    assert detail.authors == ["Mallory [31mRed"] and detail.ai_summary == "sum"


def test_the_demo_library_has_its_digests(library: Library) -> None:
    """The --demo library is what a new reader sees first: its papers come in digests (the
    reader's "In the digest of", the sidebar's For you and last digest), not in none."""
    from digestdesk.core.demo import demo_result

    result = demo_result(60)
    report = library.import_parsed(result, source="demo")
    assert report.new == 60 and not report.skipped
    days = sorted({d.digest_date for d in result.entries if d.digest_date})
    assert library.digest_dates() == days
    entry = library.entries(library.list_ids()[:5])
    assert all(len(e.digests) == 1 for e in entry)
