"""Topics with honest counts: every count shown equals what a search for the topic finds in
that window; near-duplicates merged; generic words learned; a change of source inside a window
makes nothing rise; too few papers say so."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.core.trends import Trends
from digestdesk.core.trends.scoring import learned_generic, same_topic
from digestdesk.core.trends.topics import TopicCounter
from tests.core.test_trends import AS_OF, _background, _inject, _terms


def _search_count(library: Library, query: str, start: date, end: date) -> int:
    result = library.search(f"{query} date:{start.isoformat()}..{end.isoformat()}", limit=100_000)
    return result.total


def _assert_honest(library: Library, report: object) -> None:
    for term in report.rising:  # type: ignore[attr-defined]
        window = _search_count(library, term.query, report.window_start, report.as_of)  # type: ignore[attr-defined]
        before = _search_count(
            library,
            term.query,
            report.previous_start,  # type: ignore[attr-defined]
            report.window_start - timedelta(days=1),  # type: ignore[attr-defined]
        )
        assert (term.count, term.previous) == (window, before), term.term


@pytest.mark.skipif(
    bool(os.environ.get("DIGESTDESK_DATABASE_URL")), reason="the samples import runs on SQLite"
)
def test_every_count_equals_the_search_for_it_on_real_papers(
    library: Library, shared_samples: Path
) -> None:
    for path in sorted((shared_samples / "hf-daily-api").glob("*.json")):
        library.import_file(path, index=False)
    library.ensure_index()
    trends = Trends(library)
    checked = 0
    for as_of, window in ((date(2025, 10, 31), "30d"), (date(2025, 10, 15), "7d")):
        report = trends.report(window=window, as_of=as_of)
        _assert_honest(library, report)
        checked += len(report.rising)
        terms = _terms(report)
        # no topic twice: no term is a part, a plural or an abbreviation of another
        counter = TopicCounter()
        forms = [(counter.term_tokens(t)[0], counter.term_tokens(t)[-1]) for t in terms]
        for i, a in enumerate(forms):
            for b in forms[i + 1 :]:
                assert not same_topic(a, b), (terms, a, b)
    assert checked >= 6


def test_counts_are_honest_on_a_constructed_library(library: Library) -> None:
    _background(library)
    _inject(library, 5000, [1, 2, 3, 4, 6, 7, 9, 11, 13], ["Test-Time Scaling"], "Study")
    # the same topic in titles of papers without keywords: a search finds those too
    _inject(library, 6000, [2, 5, 8], [], "Test-time scaling of reasoners, part")
    library.ensure_index()
    report = Trends(library).report(window="30d", as_of=AS_OF)
    terms = _terms(report)
    assert "test-time scaling" in terms
    assert "test-time" not in terms and "test-time scaling of reasoners" not in terms
    top = report.rising[terms.index("test-time scaling")]
    assert top.count == 12
    _assert_honest(library, report)


def test_counts_come_from_the_index_when_it_is_in_step_and_agree_with_the_analysis(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many papers to analyse and the index in step, no paper is analysed (the counts are
    searches); behind it, the papers are analysed as the index will hold them; both give the
    same report."""
    _background(library)
    _inject(library, 5000, [1, 2, 3, 4, 6, 7, 9, 11, 13], ["Test-Time Scaling"], "Study")
    _inject(library, 6000, [2, 5, 8], [], "Test-time scaling of reasoners, part")
    library.ensure_index()
    analysed: list[int] = []
    load = TopicCounter.load

    def spy(self: TopicCounter, conn: object, ids: list[int]) -> None:
        analysed.append(len(ids))
        load(self, conn, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(TopicCounter, "load", spy)
    trends = Trends(library, analyse_at_most=10, analyse_share=0.0)  # a long window's many
    from_index = trends.report(window="30d", as_of=AS_OF)
    assert analysed == [] and from_index.rising
    _assert_honest(library, from_index)
    monkeypatch.setattr(Library, "index_lag", lambda self: 3)  # as if catching up
    from_analysis = Trends(library, analyse_at_most=10, analyse_share=0.0).report(
        window="30d", as_of=AS_OF
    )
    assert analysed and from_analysis.rising == from_index.rising


def test_keywords_arriving_inside_the_window_make_nothing_rise(library: Library) -> None:
    """ "retrieval" is in a title every week for two years; from 20 days ago the papers also
    carry AI keywords (retrieval among them). Nothing about retrieval rises."""
    _background(library)
    n = 20_000
    for week in range(104):
        ago = 7 * week + 3
        keywords = ["Retrieval", "Question Answering"] if ago < 20 else []
        _inject(library, n + week, [ago], keywords, "Retrieval for question answering")
    library.ensure_index()
    report = Trends(library).report(window="30d", as_of=AS_OF)
    assert not [t for t in _terms(report) if "retrieval" in t]


def test_too_few_papers_say_so(library: Library) -> None:
    _inject(library, 1, [1, 2], ["Quantum Annealing"], "QA")
    library.ensure_index()
    report = Trends(library).report(window="7d", as_of=AS_OF)
    assert report.rising == ()
    assert "not enough papers" in report.notice.lower()
    assert report.to_json()["notice"] == report.notice


def test_generic_words_are_learned_from_the_archive() -> None:
    from collections import Counter

    weeks: dict[int, Counter[str]] = {}
    docs: dict[int, int] = {}
    for week in range(20):
        docs[week] = 50
        weeks[week] = Counter(
            {"insight": 10 + week % 3, "mamba": 25 if week > 15 else 0, "rare": week % 2}
        )
    generic = learned_generic(weeks, docs)
    assert generic == {"insight"}  # even over time; a burst ("mamba") or a rare word is not
    assert learned_generic({w: weeks[w] for w in range(5)}, {w: 50 for w in range(5)}) == set()


def _digest(library: Library, day: date, drafts: list[object]) -> None:
    from digestdesk.core.drafts import ParseResult

    library.import_parsed(
        ParseResult(format="demo", entries=drafts, digest_date=day),  # type: ignore[arg-type]
        source=f"digest {day}",
        index=False,
    )


def test_late_risers_and_repositories_by_star_growth(library: Library) -> None:
    from tests.core.factories import paper_draft

    published = AS_OF - timedelta(days=12)
    famous = "https://github.com/example/famous"
    # Five years ago a paper already cited the famous repository.
    _digest(
        library,
        AS_OF - timedelta(days=5 * 365),
        [
            paper_draft(
                1,
                "Old work",
                AS_OF - timedelta(days=5 * 365),
                [],
                github_repo=famous,
                github_stars=20_000,
            )
        ],
    )

    def day_drafts(votes: tuple[int, int], stars: int) -> list[object]:
        return [
            paper_draft(
                10,
                "Climber",
                published,
                [],
                votes=votes[0],
                github_repo="https://github.com/example/new",
                github_stars=stars,
            ),
            paper_draft(
                11, "Steady", published, [], votes=votes[1], github_repo=famous, github_stars=79_000
            ),
        ]

    _digest(library, published, day_drafts((5, 40), 100))
    _digest(library, AS_OF - timedelta(days=2), day_drafts((50, 42), 1_100))
    report = Trends(library).report(window="30d", as_of=AS_OF)
    risers = report.late_risers
    assert [(r.title, r.first_votes, r.votes, r.gain) for r in risers] == [
        ("Climber", 5, 50, 45),
        ("Steady", 40, 42, 2),
    ]
    repos = report.top_repositories
    assert repos[0].repo.endswith("/new") and repos[0].basis == "growth"
    assert repos[0].star_growth == 1_000 and repos[0].stars_per_day == pytest.approx(100)
    # 79k stars, but seen for five years: far fewer a day than the new one gains
    assert repos[1].repo == famous and repos[1].stars_per_day < 50
    data = report.to_json()
    assert data["late_risers"][0]["gain"] == 45
    assert data["top_repositories"][0]["basis"] == "growth"


def test_analysis_equals_the_index_analyser() -> None:
    """The counter analyses text as the index does (the counts rest on it)."""
    from digestdesk.core.index import schema as index_schema
    from digestdesk.core.trends.topics import SEARCHED_FIELDS, analyse

    texts = [
        "Test-Time Scaling of LLMs: a Chain-of-Thought study (v2.0), ÜBER-models & π",
        "Großartige Modelle; x y z a I 3D-aware GPT-4o e.g. state-of-the-art*",
    ]
    for field in SEARCHED_FIELDS:
        analysis = index_schema.text_analysis(field)
        for text in texts:
            expected = index_schema.analyse(index_schema.SCHEMA, field, text)
            assert list(analyse(text, analysis)) == expected, (field, text)


@pytest.mark.parametrize("voted", ["quantum annealing", "sparse lattice decoding"])
def test_of_two_topics_rising_alike_the_more_upvoted_ranks_first(
    library: Library, voted: str
) -> None:
    """Upvotes weight the rank: two topics with the same papers a day, one far more voted
    (either one), the voted one comes first."""
    _background(library)
    days = [1, 2, 3, 4, 6, 7, 9, 11, 13]
    for start, topic in ((5000, "quantum annealing"), (6000, "sparse lattice decoding")):
        _inject(library, start, days, [topic.title()], "Study", votes=400 if topic == voted else 1)
    library.ensure_index()
    report = Trends(library).report(window="30d", as_of=AS_OF)
    terms = _terms(report)
    other = "sparse lattice decoding" if voted == "quantum annealing" else "quantum annealing"
    assert voted in terms and other in terms
    assert terms.index(voted) < terms.index(other)
    first, second = (report.rising[terms.index(t)] for t in (voted, other))
    assert first.count == second.count  # the same counts: the votes decided
