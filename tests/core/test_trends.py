"""Trends on a constructed library with a known answer, and on the real API samples."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.core.sessions import Sessions
from digestdesk.core.trends import (
    GENERIC_WORDS,
    STOP_WORDS,
    Trends,
    normalize_keyword,
    parse_window,
    title_terms,
)
from digestdesk.errors import DigestDeskError
from digestdesk.paths import resolve_library
from tests.core.factories import paper_draft

AS_OF = date(2025, 6, 30)
TOPICS = [
    "graph neural networks",
    "speech recognition",
    "protein folding",
    "image segmentation",
    "robot grasping",
    "weather forecasting",
]
EVEN = "transformers"  # on every other entry, all year long: must never rise


def _background(library: Library) -> int:
    """Two years of weekly digests, three entries each; every third entry without keywords."""
    n = 0
    for week in range(104):
        digest_day = AS_OF - timedelta(weeks=week)
        drafts = []
        for i in range(3):
            n += 1
            topic = TOPICS[n % len(TOPICS)]
            if n % 3 == 0:
                title = f"Paper {n}: {topic.title()} with {EVEN.title()}"
                keywords: list[str] = []
            else:
                title = f"Paper {n} on {topic.title()}"
                keywords = [topic.title()] + ([EVEN] if n % 2 else [])
            drafts.append(
                paper_draft(n, title, digest_day - timedelta(days=i), keywords, votes=n % 17)
            )
        library.import_parsed(
            ParseResult(format="demo", entries=drafts, digest_date=digest_day),
            source=f"week {week}",
            index=False,
        )
    return n


def _inject(
    library: Library,
    start: int,
    days_ago: list[int],
    keywords: list[str],
    title: str,
    *,
    digest_days_ago: int | None = None,
    votes: int = 1,
) -> list[int]:
    drafts = [
        paper_draft(
            start + i, f"{title} {start + i}", AS_OF - timedelta(days=ago), keywords, votes=votes
        )
        for i, ago in enumerate(days_ago)
    ]
    digest_day = AS_OF - timedelta(days=digest_days_ago) if digest_days_ago is not None else None
    report = library.import_parsed(
        ParseResult(format="demo", entries=drafts, digest_date=digest_day),
        source="inject",
        index=False,
    )
    return sorted(item.entry_id for item in report.items if item.entry_id is not None)


@pytest.fixture
def constructed(library: Library) -> Library:
    n = _background(library)
    # A topic in twelve recent entries and one in the 30 days before.
    recent = [1, 2, 3, 5, 8, 10, 12, 17, 19, 21, 26, 28]
    _inject(library, n + 1, [*recent, 40], ["Quantum Annealing"], "QA study")
    # Keyword-less titles: the phrase comes from the titles, generic words must not.
    _inject(
        library,
        n + 100,
        [2, 4, 9, 15, 22],
        [],
        "A Novel Framework for Sparse Lattice Decoding, part",
    )
    library.ensure_index()
    return library


def _terms(report: object) -> list[str]:
    return [t.term for t in report.rising]  # type: ignore[attr-defined]


def test_an_injected_topic_ranks_first_and_an_even_word_never_appears(
    constructed: Library,
) -> None:
    report = Trends(constructed).report(window="30d", as_of=AS_OF)
    terms = _terms(report)
    assert terms[0] == "quantum annealing"
    top = report.rising[0]
    assert (top.count, top.previous) == (12, 1)
    assert top.explanation == "12 in the last 30 days, 1 in the 30 before"
    assert len(top.sparkline) == 12
    assert sum(top.sparkline[6:]) == 12 and sum(top.sparkline[:6]) == 1
    assert top.query == '"quantum annealing"'
    assert any("sparse lattice" in t for t in terms)  # the title phrase, however long
    for window in ("7d", "30d", "90d", "365d"):
        terms = _terms(Trends(constructed).report(window=window, as_of=AS_OF))
        assert EVEN not in terms and "transformer" not in terms, window
        assert not any(t in GENERIC_WORDS or t in STOP_WORDS for t in terms), window
        assert not any(t in terms for t in TOPICS), window
        assert "novel framework" not in terms and "framework" not in terms


def test_an_acronym_rising_with_its_phrase_is_shown_once_as_the_phrase(
    constructed: Library,
) -> None:
    n = 5000
    # The acronym alone is more frequent, so it would rank above its phrase.
    # (Titles without a topic of their own: a paper's title phrases count beside its keywords.)
    _inject(constructed, n, [1, 2, 3, 4, 6, 7, 9, 11, 13], ["LRMs"], "Study")
    _inject(constructed, n + 50, [5, 8, 14, 16, 20], ["Large Reasoning Models"], "Study")
    _inject(constructed, n + 100, [3, 6, 9, 12, 15, 18], ["Chain-of-Thought"], "Study")
    _inject(constructed, n + 150, [2, 4, 8, 10, 16, 24, 25], ["CoT"], "Study")
    constructed.ensure_index()
    terms = _terms(Trends(constructed).report(window="30d", as_of=AS_OF))
    assert "large reasoning models" in terms and "chain-of-thought" in terms
    assert "lrms" not in terms and "lrm" not in terms and "cot" not in terms
    # in the acronym's place, which ranked first
    assert terms[0] == "large reasoning models"


def test_report_figures(constructed: Library) -> None:
    report = Trends(constructed).report(window="30d", as_of=AS_OF)
    assert report.window_start == AS_OF - timedelta(days=29)
    assert report.previous_start == AS_OF - timedelta(days=59)
    votes = [e.votes for e in report.most_voted]
    assert votes == sorted(votes, reverse=True) and len(votes) == 10
    assert all(report.window_start <= e.day <= AS_OF for e in report.most_voted)
    assert report.statuses["total"] == constructed.counts()["total"]
    assert report.last_digest is not None
    assert report.last_digest.day == AS_OF
    assert report.last_digest.entries == report.last_digest.unread == 3
    data = report.to_json()
    assert set(data) >= {
        "rising",
        "most_voted",
        "top_repositories",
        "tags",
        "statuses",
        "reading_per_week",
    }
    assert set(data["rising"][0]) >= {
        "term",
        "count",
        "previous",
        "score",
        "explanation",
        "sparkline",
    }


def test_titles_stored_with_controls_are_read_back_without(constructed: Library) -> None:
    """As the library reads titles (text stored before imports dropped terminal controls and
    bidi overrides): the most voted, late risers and repositories name them repaired."""
    from sqlalchemy import update

    from digestdesk.core import schema

    top = Trends(constructed).report(window="30d", as_of=AS_OF).most_voted[0]
    with constructed.engine.begin() as conn:
        conn.execute(
            update(schema.entries)
            .where(schema.entries.c.id == top.id)
            .values(title="\u202eevil\u202c \x1b[2Jtop")
        )
    constructed.import_parsed(ParseResult(format="demo", entries=[]), source="x")  # new report
    report = Trends(constructed).report(window="30d", as_of=AS_OF)
    assert report.most_voted[0].title == "evil [2Jtop"
    shown = [*report.late_risers, *report.top_repositories]
    assert all("\x1b" not in item.title and "\u202e" not in item.title for item in shown)


def test_by_digest_date_sees_old_papers_in_recent_digests(constructed: Library) -> None:
    start = 5000
    # Published long ago (outside both periods), listed in a digest three days ago.
    _inject(
        constructed,
        start,
        [300] * 6,
        ["Neural Radiance Fields"],
        "Old NeRF paper",
        digest_days_ago=3,
    )
    by_published = _terms(Trends(constructed).report(window="30d", as_of=AS_OF))
    by_digest = _terms(Trends(constructed).report(window="30d", by="digest", as_of=AS_OF))
    assert "neural radiance fields" not in by_published
    assert "neural radiance fields" in by_digest
    # The weekly background digests are even by digest date too.
    assert EVEN not in by_digest


def test_trends_within_a_search(constructed: Library) -> None:
    n = 9000
    _inject(constructed, n, [1, 2, 6, 9, 13, 20], ["Tactile Sensing"], "Grasping")
    constructed.ensure_index()
    ids = constructed.search("grasping").ids
    assert ids
    report = Trends(constructed).report(window="30d", as_of=AS_OF, ids=ids)
    terms = _terms(report)
    assert terms[0] == "tactile sensing"
    assert "quantum annealing" not in terms
    assert report.statuses["total"] == len(ids)
    whole = Trends(constructed).report(window="30d", as_of=AS_OF)
    assert report.entries < whole.entries


def test_cache_is_reused_and_invalidated_by_an_import_and_a_session(
    constructed: Library,
) -> None:
    trends = Trends(constructed)
    first = trends.report(window="90d", as_of=AS_OF)
    assert trends.report(window="90d", as_of=AS_OF) is first
    assert trends.report(window="30d", as_of=AS_OF) is not first
    _inject(constructed, 7000, [1, 2, 3, 4, 5, 6], ["Liquid Networks"], "Liquid")
    after_import = trends.report(window="90d", as_of=AS_OF)
    assert after_import is not first
    assert "liquid networks" in _terms(after_import)
    assert "liquid networks" not in _terms(first)
    sessions = Sessions(constructed)
    sessions.start(constructed.list_ids(limit=2))
    assert trends.report(window="90d", as_of=AS_OF) is not after_import


def test_reading_per_week_counts_reads_and_sessions(library: Library) -> None:
    ids = _inject(library, 1, [1, 2, 3, 4], ["Anything"], "Read me")
    library.change_tags(ids[:2], add=["keep"])
    today = datetime.now(UTC).date()
    trends = Trends(library)
    before = trends.report(window="7d", as_of=today)
    assert before.reading_per_week[-1].read == 0
    assert len(before.reading_per_week) == 12
    sessions = Sessions(library)
    sessions.start(ids[:3], label="test")
    sessions.record("read")
    sessions.record("read")
    sessions.record("skipped")
    sessions.stop()
    report = trends.report(window="7d", as_of=today)
    this_week = report.reading_per_week[-1]
    assert this_week.start <= today < this_week.start + timedelta(days=7)
    assert (this_week.read, this_week.sessions) == (2, 1)
    assert report.statuses["read"] == 2 and report.statuses["skipped"] == 1
    assert report.tags == (("keep", 2),)
    within = trends.report(window="7d", as_of=today, ids=ids[:1])
    assert within.reading_per_week[-1].read == 1
    assert within.tags == (("keep", 1),)
    # What the entry ended with: read, then re-triaged as skipped, is not read this week;
    # read again, it counts once.
    library.set_status(ids[:1], "skipped")
    assert trends.report(window="7d", as_of=today).reading_per_week[-1].read == 1
    library.set_status(ids[:1], "read")
    library.set_status(ids[:1], "unread")
    library.set_status(ids[:1], "read")
    assert trends.report(window="7d", as_of=today).reading_per_week[-1].read == 2


def test_windows_and_terms() -> None:
    assert parse_window("30d") == parse_window("30") == parse_window(30) == 30
    with pytest.raises(DigestDeskError):
        parse_window("14d")
    assert normalize_keyword("  Large  Language Models (LLMs) ") == "large language models"
    terms = title_terms("A Novel Framework for Sparse Lattice Decoding: Results on 3 Tasks")
    assert {"sparse", "lattice", "decoding", "sparse lattice", "lattice decoding"} <= terms
    assert not terms & {"novel", "framework", "novel framework", "results", "tasks", "a"}


def test_an_empty_library_has_no_trends(library: Library) -> None:
    report = Trends(library).report(window="365d", by="digest", as_of=AS_OF)
    assert report.rising == () and report.most_voted == () and report.entries == 0
    assert report.last_digest is None


@pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="the samples import runs on SQLite"
)
def test_real_samples_give_sensible_rising_topics(library: Library, shared_samples: Path) -> None:
    for path in sorted((shared_samples / "hf-daily-api").glob("*.json")):
        library.import_file(path, index=False)
    trends = Trends(library)
    for by in ("digest", "published"):
        report = trends.report(window="30d", by=by, as_of=date(2025, 10, 31))
        print(f"\nrising topics, 30 days to 2025-10-31 by {by} ({report.entries} entries):")
        for term in report.rising:
            print(f"  {term.term:<36} {term.explanation}  score {term.score:.1f}")
        assert len(report.rising) >= 5
        for term in report.rising:
            assert term.count >= 3 and term.count > term.previous
            assert term.term not in GENERIC_WORDS and term.term not in STOP_WORDS
        assert report.most_voted and report.top_repositories
        assert report.most_voted[0].votes >= report.most_voted[-1].votes
    report = trends.report(window="30d", by="digest", as_of=date(2025, 10, 31))
    assert "multimodal large language models" in _terms(report)[:3]


def test_the_trends_command(tmp_path: Path, library_paths: object) -> None:
    import io
    import json

    from digestdesk import cli

    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        _background(library)
        _inject(
            library, 500, [1, 2, 3, 4, 5, 6, 7, 8], ["Quantum Annealing"], "QA", digest_days_ago=0
        )

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(["--library", str(library_dir), "trends", *argv], out=out)
        return code, out.getvalue()

    code, text = run("--as-of", AS_OF.isoformat(), "--json")
    assert code == 0, text
    data = json.loads(text)
    assert data["window"] == "30d" and data["by"] == "published"
    first = data["rising"][0]
    assert first["term"] == "quantum annealing"
    assert set(first) >= {"term", "count", "previous", "score", "explanation", "sparkline"}
    assert set(data) >= {
        "rising",
        "most_voted",
        "top_repositories",
        "tags",
        "statuses",
        "reading_per_week",
    }
    code, text = run("--as-of", AS_OF.isoformat(), "--window", "90d", "--by", "digest")
    assert code == 0 and "quantum annealing" in text and "90 days" in text, text
    code, text = run("--as-of", AS_OF.isoformat(), "--query", "protein", "--json")
    assert code == 0, text
    assert json.loads(text)["rising"] == []
    assert run("--window", "14d")[0] == cli.EXIT_USAGE


def test_related_papers_come_from_the_same_topic(library: Library) -> None:
    """``Library.related`` (cosine of weighted terms of title, abstract and keywords)."""
    drafts = []
    for i, topic in enumerate(["protein folding", "speech recognition", "protein folding"] * 4):
        drafts.append(
            EntryDraft(
                title=f"{topic.title()} study {i}",
                abstract=f"We study {topic} with {topic.split()[0]} data and "
                f"{topic.split()[1]} objectives, variant {i}.",
                arxiv_id=f"2502.{i:05d}",
                published=AS_OF,
                ai_keywords=[topic],
            )
        )
    report = library.import_parsed(ParseResult(format="demo", entries=drafts), source="related")
    ids = [item.entry_id for item in report.items]
    folding = {ids[i] for i, d in enumerate(drafts) if "protein" in d.title.lower()}
    first = ids[0]

    def related(entry_id: int, limit: int = 10) -> list[int]:
        return [m.entry_id for m in library.related(entry_id, limit=limit)]

    related_ids = related(first, limit=5)
    assert related_ids and len(related_ids) <= 5
    assert first not in related_ids
    assert set(related_ids) <= folding
    assert related(first, limit=50) == related(first, limit=50)
    assert len(related(first, limit=50)) >= len(folding) - 1
    assert related(999_999) == []
    # An edit reaches the index, and related papers follow it.
    library.set_note(ids[1], "protein folding protein folding")
    assert ids[1] not in related(first, limit=5)  # notes are not compared


def test_the_term_index_follows_edits_and_late_digests(library: Library) -> None:
    trends = Trends(library)
    ids = _inject(library, 1, [40] * 5, ["Spiking Networks"], "Spikes", digest_days_ago=40)
    trends.warm()
    report = trends.report(window="30d", by="digest", as_of=AS_OF, ids=ids)
    assert report.entries == 0 and report.previous_entries == 5
    assert report.statuses["unread"] == 5
    library.set_status(ids[:2], "read")
    report = trends.report(window="30d", by="digest", as_of=AS_OF, ids=ids)
    assert (report.statuses["read"], report.statuses["unread"]) == (2, 3)
    # The same papers listed again in a recent digest: their first digest stays 40 days ago.
    _inject(library, 1, [40] * 5, ["Spiking Networks"], "Spikes", digest_days_ago=2)
    report = trends.report(window="30d", by="digest", as_of=AS_OF, ids=ids)
    assert (report.entries, report.previous_entries) == (0, 5)
    # An older digest imported later moves their first appearance back.
    _inject(library, 1, [40] * 5, ["Spiking Networks"], "Spikes", digest_days_ago=100)
    report = trends.report(window="30d", by="digest", as_of=AS_OF, ids=ids)
    assert (report.entries, report.previous_entries) == (0, 0)
    fresh = Trends(library).report(window="90d", by="digest", as_of=AS_OF, ids=ids)
    assert (
        fresh.to_json() == trends.report(window="90d", by="digest", as_of=AS_OF, ids=ids).to_json()
    )


def test_default_as_of_is_the_newest_day_of_an_archive(library: Library) -> None:
    from digestdesk.core.trends import Trends
    from tests.core import factories

    library.import_bytes(
        factories.api_day(3, day="2024-03-02"), name="2024-03-02.json"
    )  # published 2025-11-18 in the factory
    report = Trends(library).report(window="30d")
    assert report.as_of == date(2025, 11, 18)
    assert Trends(library).report(window="30d", by="digest").as_of == date(2024, 3, 2)


def test_trends_on_an_old_archive_points_at_its_newest_day(
    tmp_path: Path, library_paths: object
) -> None:
    import io

    from digestdesk import cli

    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        _inject(library, 1, [1, 2, 3], ["Quantum Annealing"], "QA")  # around 2025-06-30
    out = io.StringIO()
    code = cli.run(["--library", str(library_dir), "trends"], out=out)
    text = out.getvalue()
    assert code == 0 and "Not enough papers in this window" in text
    assert f"try --as-of {AS_OF - timedelta(days=1)}" in text
