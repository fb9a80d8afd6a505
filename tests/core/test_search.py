"""The search index: building, searching, filtering, highlighting, updating, state and repair."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from digestdesk.core.drafts import STATUSES
from digestdesk.core.index import INDEX_VERSION, IndexDoc, WhooshIndex, parse_query
from digestdesk.core.query import QueryPlan
from digestdesk.errors import SearchIndexUnavailableError

UUID = "lib-1234"

# A few hand-made entries that the tests below talk about by id; the filler entries give the
# collection realistic term statistics and must not match the special words used here.
SPECIAL = [
    IndexDoc(
        id=1,
        title="Graph Neural Networks for Molecule Property Prediction",
        abstract="We propose a message passing network that predicts molecular properties. "
        "Our graph network outperforms baselines.",
        authors=["Ada Lovelace", "José Müller"],
        keywords=["graph neural network", "chemistry"],
        ai_summary="A GNN for molecules.",
        tags=["GNN", "to-cite"],
        note="Compare with the SchNet baseline",
        status="read",
        published=date(2024, 3, 15),
        votes=120,
        has=["code", "note"],
        digests=[date(2024, 3, 16)],
        arxiv_id="2403.01234",
    ),
    IndexDoc(
        id=2,
        title="Attention Is Not All You Need for Tabular Data",
        abstract="Transformers struggle on tabular benchmarks; gradient boosted trees win. "
        "<script>alert('x')</script> & other markup stays inert.",
        authors=["Grace Hopper"],
        keywords=["tabular", "transformer"],
        ai_summary="Trees beat transformers on tables.",
        tags=["tabular"],
        note="",
        status="unread",
        published=date(2025, 1, 10),
        votes=45,
        has=[],
        digests=[date(2025, 1, 11)],
    ),
    IndexDoc(
        id=3,
        title="Diffusion Models Beat GANs on Image Synthesis",
        abstract="Denoising diffusion probabilistic models generate high fidelity images.",
        authors=["Alan Turing"],
        keywords=["diffusion", "image generation"],
        ai_summary="Diffusion wins.",
        tags=[],
        note="",
        status="queued",
        published=date(2023, 6, 1),
        votes=300,
        has=["code", "project"],
        digests=[date(2023, 6, 2), date(2025, 11, 20)],
    ),
    IndexDoc(
        id=4,
        title="Scaling Laws for Reinforcement Learning Agents",
        abstract="We measure how reinforcement learning performance scales with compute.",
        authors=["Claude Shannon"],
        keywords=["scaling", "reinforcement learning"],
        ai_summary="",
        tags=["rl"],
        note="Great figures on page 4",
        status="reading",
        published=date(2025, 11, 19),
        votes=7,
        has=["note"],
        digests=[date(2025, 11, 20)],
    ),
    IndexDoc(
        id=5,
        title="A Survey of Tokenization",
        abstract="Byte pair encoding, unigram models and their tokenizers compared.",
        authors=["Barbara Liskov"],
        keywords=["tokenization"],
        ai_summary="",
        tags=[],
        note="",
        status="skipped",
        published=None,
        votes=0,
        has=[],
        digests=[],
    ),
]

_FILLER_TOPICS = [
    "optimization of convex objectives with stochastic gradients",
    "speech recognition with recurrent encoders",
    "protein folding from sequence alignments",
    "robot manipulation using visual feedback",
    "question answering over knowledge bases",
    "weather forecasting with spatiotemporal models",
    "federated training under privacy constraints",
    "sparse mixture of experts routing",
    "code generation benchmarks for programming",
]


def filler(i: int) -> IndexDoc:
    topic = _FILLER_TOPICS[i % len(_FILLER_TOPICS)]
    return IndexDoc(
        id=100 + i,
        title=f"Study {i} on {topic}",
        abstract=f"This paper revisits {topic}. We report experiments and ablations. "
        f"Results improve the previous state of the art by {i % 7} points.",
        authors=[f"Author{i} Smith", "Common Coauthor"],
        keywords=topic.split()[:2],
        ai_summary=f"About {topic}.",
        tags=["filler"] if i % 2 else [],
        note="",
        status=("unread", "queued", "read")[i % 3],
        published=date(2023, 1, 1) + timedelta(days=17 * i),
        votes=i,
        has=["code"] if i % 4 == 0 else [],
        digests=[date(2023, 1, 2) + timedelta(days=17 * i)],
    )


DOCS = SPECIAL + [filler(i) for i in range(45)]


@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("template") / "index"
    ix = WhooshIndex(directory)
    ix.rebuild(DOCS, library_uuid=UUID, last_seq=10, total=len(DOCS))
    ix.close()
    return directory


@pytest.fixture
def index(built_index: Path, tmp_path: Path) -> Iterator[WhooshIndex]:
    """A private copy of the 50-entry index (building it for every test is slow)."""
    shutil.copytree(built_index, tmp_path / "index")
    ix = WhooshIndex(tmp_path / "index")
    yield ix
    ix.close()


def ids(index: WhooshIndex, query: str, **kwargs: object) -> list[int]:
    return [h.id for h in index.search(parse_query(query), **kwargs)]  # type: ignore[arg-type]


def idset(index: WhooshIndex, query: str, **kwargs: object) -> set[int]:
    return set(ids(index, query, **kwargs))


# ---------------------------------------------------------------- building and state


def test_rebuild_records_state(index: WhooshIndex) -> None:
    state = index.state()
    assert state is not None
    assert (state.version, state.library_uuid, state.last_seq) == (INDEX_VERSION, UUID, 10)
    assert state.doc_count == len(DOCS)
    assert index.ids() == {d.id for d in DOCS}


def test_rebuild_reports_progress_and_commits_in_batches(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    ix = WhooshIndex(tmp_path / "ix", rebuild_batch=20)
    ix.rebuild(
        iter(DOCS),
        library_uuid=UUID,
        last_seq=3,
        total=len(DOCS),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(20, 50), (40, 50), (50, 50)]
    assert ix.state() is not None and ix.state().doc_count == 50  # type: ignore[union-attr]
    assert not list((tmp_path / "ix").glob("*.cfs")), "compound segments must be off"


def test_cancelled_rebuild_leaves_no_state(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "ix")
    ix.rebuild(DOCS, library_uuid=UUID, last_seq=3, cancelled=lambda: True)
    assert ix.state() is None
    assert [p.name for p in (tmp_path / "ix").iterdir()] == []


def test_cancelled_rebuild_keeps_the_previous_index(index: WhooshIndex) -> None:
    files = sorted(p.name for p in index.directory.iterdir())
    index.rebuild(DOCS[:2], library_uuid="other", last_seq=99, cancelled=lambda: True)
    state = index.state()
    assert state is not None and (state.library_uuid, state.last_seq) == (UUID, 10)
    assert sorted(p.name for p in index.directory.iterdir()) == files
    assert ids(index, "diffusion") == [3]


def test_failed_rebuild_keeps_the_previous_index(index: WhooshIndex) -> None:
    def broken() -> Iterator[IndexDoc]:
        yield DOCS[0]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken(), library_uuid=UUID, last_seq=11)
    assert index.state().last_seq == 10  # type: ignore[union-attr]
    assert ids(index, "diffusion") == [3]


def test_searches_during_a_rebuild_see_the_previous_index(index: WhooshIndex) -> None:
    index.close()
    index = WhooshIndex(index.directory, rebuild_batch=10)  # the same index, in batches of 10
    seen: list[set[int]] = []
    new_docs = [filler(i) for i in range(30)]  # entry 3 ("diffusion") is gone after
    index.rebuild(
        new_docs,
        library_uuid=UUID,
        last_seq=20,
        progress=lambda done, total: seen.append(idset(index, "diffusion OR tokenization")),
    )
    assert seen[:-1] == [{3, 5}] * 3  # while building: the old, complete index
    assert seen[-1] == set()  # reported after the switch
    assert idset(index, "diffusion") == set()
    assert index.ids() == {d.id for d in new_docs}
    state = index.state()
    assert state is not None and state.last_seq == 20 and state.doc_count == 30
    names = {p.name.lstrip("_").split("_")[0] for p in index.directory.iterdir()}
    assert len(names - {"digestdesk-index.json"}) == 1, "the old index files are removed"
    index.close()


def test_create_gives_empty_index(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "ix")
    ix.create("other")
    state = ix.state()
    assert state is not None and state.doc_count == 0 and state.library_uuid == "other"
    assert ix.search(parse_query("graph")) == []
    assert ix.ids() == set()


def test_state_none_for_missing_directory(tmp_path: Path) -> None:
    assert WhooshIndex(tmp_path / "nothing-here").state() is None


def test_state_none_for_missing_or_corrupt_sidecar(index: WhooshIndex) -> None:
    sidecar = index.directory / "digestdesk-index.json"
    sidecar.write_text("{not json", encoding="utf-8")
    assert index.state() is None
    sidecar.write_text(json.dumps({"version": INDEX_VERSION}), encoding="utf-8")
    assert index.state() is None
    sidecar.unlink()
    assert index.state() is None


def test_state_none_for_other_version(index: WhooshIndex) -> None:
    sidecar = index.directory / "digestdesk-index.json"
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    data["version"] = INDEX_VERSION + 1
    sidecar.write_text(json.dumps(data), encoding="utf-8")
    assert index.state() is None


def test_state_none_for_garbage_files(tmp_path: Path) -> None:
    directory = tmp_path / "ix"
    directory.mkdir()
    (directory / "digestdesk-index.json").write_text(
        json.dumps(
            {
                "version": INDEX_VERSION,
                "library_uuid": UUID,
                "last_seq": 1,
                "indexname": "ix0a0b0c0d",
            }
        )
    )
    (directory / "_ix0a0b0c0d_1.toc").write_bytes(b"\x80\x04garbage that is not a pickle")
    (directory / "ix0a0b0c0d_abc.seg").write_bytes(b"\x00" * 100)
    ix = WhooshIndex(directory)
    assert ix.state() is None
    with pytest.raises(SearchIndexUnavailableError):
        ix.search(parse_query("graph"))
    # and it repairs by rebuilding in place
    ix.rebuild(DOCS[:3], library_uuid=UUID, last_seq=2)
    assert ix.state() is not None
    assert ids(ix, "diffusion") == [3]
    assert not (directory / "ix0a0b0c0d_abc.seg").exists(), "old files are cleaned up"


def test_state_none_when_index_files_vanish(index: WhooshIndex) -> None:
    for path in index.directory.glob("*.toc"):
        path.unlink()
    index.close()
    assert index.state() is None


def test_update_on_missing_index_raises_a_library_error(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "ix")
    with pytest.raises(SearchIndexUnavailableError):
        ix.update([DOCS[0]], last_seq=1)


# ---------------------------------------------------------------- words and fields


def test_word_and_stemming(index: WhooshIndex) -> None:
    assert idset(index, "networks") == {1}
    assert idset(index, "network") == {1}
    assert idset(index, "NETWORKING") == {1}  # stems to "network" too
    assert idset(index, "molecules") == {1}


def test_scores_are_positive_for_relevance(index: WhooshIndex) -> None:
    hits = index.search(parse_query("reinforcement"))
    assert [h.id for h in hits] == [4]
    assert hits[0].score > 0


def bare(id: int, title: str, abstract: str = "") -> IndexDoc:
    return IndexDoc(id, title, abstract, [], [], "", [], "", "unread", None, 0, [], [])


def test_title_boost_beats_abstract_only(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "ix")
    docs = [
        bare(1, "Other words here", "about quantum error codes"),
        bare(2, "Quantum error codes", "about other words here"),
    ]
    ix.rebuild(docs, library_uuid=UUID, last_seq=1)
    assert ids(ix, "quantum") == [2, 1]


def test_phrase(index: WhooshIndex) -> None:
    assert idset(index, '"graph network"') == {1}
    assert idset(index, '"network graph"') == set()
    assert idset(index, '"gradient boosted trees"') == {2}


def test_prefix_expands_and_respects_minimum(index: WhooshIndex) -> None:
    assert idset(index, "tokeniz*") == {5}
    assert idset(index, "molec*") == {1}
    # the typed prefix is longer than the indexed stem ("learni" vs "learn")
    assert 4 in idset(index, "learni*")


def test_prefix_expansion_with_reader_reports_terms(index: WhooshIndex) -> None:
    plan = index.plan("molec*", expand_prefixes=True)
    assert ("title", "molecul") in plan.terms
    assert {h.id for h in index.search(plan)} == {1}


def test_fuzzy_only_when_asked(index: WhooshIndex) -> None:
    assert idset(index, "difusion") == set()
    assert idset(index, "difusion~") == {3}
    assert idset(index, "transfomers~") == {2}
    assert idset(index, "trnasformers~") == set()
    assert idset(index, "trnasformers~2") == {2}


def test_boolean_operators(index: WhooshIndex) -> None:
    assert idset(index, "diffusion OR tabular") == {2, 3}
    assert idset(index, "diffusion AND tabular") == set()
    assert idset(index, "transformers trees") == {2}
    assert idset(index, "transformers -trees") == set()
    assert idset(index, "transformers NOT trees") == set()
    assert idset(index, "(diffusion OR tabular) -images") == {2}
    assert idset(index, "(diffusion OR tabular) AND NOT (images OR trees)") == set()


def test_pure_negation_matches_the_rest(index: WhooshIndex) -> None:
    assert idset(index, "-diffusion") == {d.id for d in DOCS} - {3}


def test_stop_words_do_not_block_matches(index: WhooshIndex) -> None:
    assert idset(index, "survey of tokenization") == {5}
    assert ids(index, "the") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:diffusion", {3}),
        ("abstract:diffusion", {3}),
        ("title:trees", set()),
        ("abstract:trees", {2}),
        ("author:hopper", {2}),
        ("author:muller", {1}),  # accents fold
        ("author:müller", {1}),
        ('author:"grace hopper"', {2}),
        ("keyword:chemistry", {1}),
        ("summary:tables", {2}),
        ("note:schnet", {1}),
        ("note:figures", {4}),
        ("title:(diffusion OR tokenization)", {3, 5}),
    ],
)
def test_text_fields(index: WhooshIndex, query: str, expected: set[int]) -> None:
    assert idset(index, query) == expected


# Filter fields nested inside OR are evaluated by Whoosh; "zzz" matches nothing, so these
# test exactly the filter part.
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status:skipped", {5}),
        ("status:reading", {4}),
        ("tag:gnn", {1}),
        ("tag:GNN", {1}),
        ("tag:to-cite", {1}),
        ("has:project", {3}),
        ("has:note", {1, 4}),
        ("year:2025", {2, 4} | {d.id for d in DOCS[5:] if d.published.year == 2025}),
        ("date:2024-03-15", {1}),
        ("date:>2025-11-01", {4}),
        (
            "date:2025-01-01..2025-01-31",
            {
                d.id
                for d in DOCS
                if d.published and (d.published.year, d.published.month) == (2025, 1)
            },
        ),
        ("votes:>=300", {3}),
        ("votes:100..200", {1}),
        ("digest:2025-11-20", {3, 4}),
        ("digest:>=2025-11-20", {3, 4}),
        ("arxiv:2403.01234v2", {1}),
    ],
)
def test_filter_fields_nested_in_or(index: WhooshIndex, query: str, expected: set[int]) -> None:
    plan = parse_query(f"zzz OR {query}")
    assert plan.filters == []
    assert {h.id for h in index.search(plan)} == expected


def test_negated_filter_nested(index: WhooshIndex) -> None:
    assert idset(index, "diffusion OR (tokenization -status:skipped)") == {3}
    assert idset(index, "(diffusion OR tokenization) AND (NOT status:queued OR zzz)") == {5}


# ---------------------------------------------------------------- filters and sorting


def test_top_level_filters_leave_only_text(index: WhooshIndex) -> None:
    plan = parse_query("status:read graph")
    assert [(f.field, f.value) for f in plan.filters] == [("status", "read")]
    # The text part alone: the library intersects with ids from SQL.
    assert {h.id for h in index.search(plan)} == {1}


def test_allowed_intersection(index: WhooshIndex) -> None:
    assert idset(index, "diffusion OR tabular", allowed={2, 5, 999}) == {2}
    assert idset(index, "diffusion OR tabular", allowed=set()) == set()
    assert index.count(parse_query("diffusion OR tabular"), allowed={3, 4}) == 1
    assert index.count(parse_query("diffusion OR tabular")) == 2
    every = {d.id for d in DOCS}
    assert idset(index, "study", allowed=every) == idset(index, "study")


def test_search_without_text(index: WhooshIndex) -> None:
    plan = parse_query("status:read")
    assert plan.text is None
    assert index.count(plan) == len(DOCS)
    assert index.count(plan, allowed={1, 2, 999}) == 2


def test_sort_by_date_and_votes(index: WhooshIndex) -> None:
    plan = parse_query("diffusion OR tabular OR reinforcement OR tokenization")
    by_date = [h.id for h in index.search(plan, sort="date")]
    assert by_date == [4, 2, 3, 5]  # undated entry last
    by_votes = [h.id for h in index.search(plan, sort="votes")]
    assert by_votes == [3, 2, 4, 5]
    assert [h.id for h in index.search(parse_query(plan.raw + " sort:votes"))] == by_votes
    assert parse_query("x sort:date").sort == "date"
    assert parse_query("x", default_sort="votes").sort == "votes"


def test_limit(index: WhooshIndex) -> None:
    assert len(index.search(parse_query("study"), limit=5)) == 5
    assert len(index.search(parse_query("study"), limit=None)) == 45


# ---------------------------------------------------------------- highlights


def test_highlights_escape_everything_but_the_marks(index: WhooshIndex) -> None:
    out = index.highlights([2, 3, 999], parse_query("transformers trees"))
    assert set(out) == {2}
    snippet = out[2]
    assert "<b>Transformers</b>" in snippet and "<b>trees</b>" in snippet
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet


def test_highlights_for_prefix_fuzzy_and_title(index: WhooshIndex) -> None:
    assert "<b>tokenizers</b>" in index.highlights([5], parse_query("tokeniz*"))[5]
    assert "<b>diffusion</b>" in index.highlights([3], parse_query("difusion~"))[3]
    title = index.highlights([1], parse_query("graph"), field="title")[1]
    assert title.startswith("<b>Graph</b> Neural")


def test_highlights_skip_negated_words(index: WhooshIndex) -> None:
    snippet = index.highlights([2], parse_query("tabular -trees"))[2]
    assert "<b>tabular</b>" in snippet
    assert "<b>trees</b>" not in snippet


def test_highlights_long_text_is_fragmented(tmp_path: Path) -> None:
    long_text = " ".join(
        ["filler words go here"] * 40 + ["the needle appears"] + ["more padding text"] * 40
    )
    ix = WhooshIndex(tmp_path / "ix")
    ix.rebuild(
        [bare(1, "t", long_text)],
        library_uuid=UUID,
        last_seq=1,
    )
    snippet = ix.highlights([1], parse_query("needle"))[1]
    assert "<b>needle</b>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 300


# ---------------------------------------------------------------- more like this


def test_more_like_this(index: WhooshIndex) -> None:
    similar = [h.id for h in index.more_like_this(100, limit=5)]
    assert 100 not in similar
    assert similar, "fillers on the same topic should be found"
    same_topic = {d.id for d in DOCS[5:] if d.title.endswith(DOCS[5].title.split(" on ", 1)[1])}
    assert similar[0] in same_topic
    assert index.more_like_this(424242) == []


# ---------------------------------------------------------------- incremental updates


def test_update_changes_results(index: WhooshIndex) -> None:
    doc = SPECIAL[2]
    edited = IndexDoc(
        **{**doc.__dict__, "status": "read", "tags": ["Favourite"], "note": "revisit samplers"}
    )
    index.update([edited], last_seq=11)
    assert index.state().last_seq == 11  # type: ignore[union-attr]
    assert idset(index, "zzz OR status:read") >= {3}
    assert 3 not in idset(index, "zzz OR status:queued")
    assert idset(index, "zzz OR tag:favourite") == {3}
    assert idset(index, "note:samplers") == {3}
    assert idset(index, "diffusion") == {3}, "the old version is replaced, not duplicated"
    assert len(index.search(parse_query("diffusion"))) == 1


def test_update_adds_and_deletes(index: WhooshIndex) -> None:
    new = bare(900, "Quasicrystal lattices")
    index.update([new], deleted=[3, 4], last_seq=12)
    assert idset(index, "quasicrystal") == {900}
    assert idset(index, "diffusion") == set()
    assert index.ids() == {d.id for d in DOCS} - {3, 4} | {900}
    assert index.state().doc_count == len(DOCS) - 1  # type: ignore[union-attr]
    assert idset(index, "quasicrystal OR diffusion", allowed={3, 900}) == {900}
    assert index.highlights([3], parse_query("diffusion")) == {}


def test_update_with_nothing_records_seq(index: WhooshIndex) -> None:
    index.update([], last_seq=99)
    assert index.state().last_seq == 99  # type: ignore[union-attr]


def test_maintain_merges_the_segments_edits_leave(tmp_path: Path) -> None:
    ix = WhooshIndex(tmp_path / "ix", small_segments_to_merge=4)
    ix.rebuild(DOCS, library_uuid=UUID, last_seq=1)  # one segment, small too (50 entries)
    for n, doc in enumerate(SPECIAL[:3]):
        ix.update([IndexDoc(**{**doc.__dict__, "note": f"qqmaintained{n}"})], last_seq=2 + n)
        if n < 2:  # an edit commits a segment of its own; fewer than four are left alone
            assert not ix.maintain()
    assert ix.segment_count() == 4
    assert ix.maintain()
    assert ix.segment_count() == 1
    assert idset(ix, "qqmaintained*") == {1, 2, 3}
    assert not ix.maintain()  # nothing left to do
    ix.close()


def test_maintain_backfills_one_postings_file_at_a_time(tmp_path: Path) -> None:
    before = WhooshIndex(tmp_path / "ix", rebuild_batch=20, postings_min_segment_docs=10**9)
    before.rebuild(DOCS, library_uuid=UUID, last_seq=1)  # three segments, no postings files
    before.close()
    ix = WhooshIndex(tmp_path / "ix", postings_min_segment_docs=20, postings_min_doc_freq=2)
    assert ix.missing_postings_files() == 2
    assert not ix.maintain()  # without backfill only merges
    assert not ix.maintain(backfill=True, should_stop=lambda: True)
    assert ix.maintain(backfill=True) and ix.missing_postings_files() == 1
    assert ix.maintain(backfill=True) and ix.missing_postings_files() == 0
    assert not ix.maintain(backfill=True)
    assert idset(ix, "diffusion") == {3}
    ix.close()


def test_maintain_is_a_no_op_without_an_index(tmp_path: Path) -> None:
    assert WhooshIndex(tmp_path / "nothing").maintain(backfill=True) is False


def test_optimize_keeps_results(index: WhooshIndex) -> None:
    index.update([bare(901, "Zeolite")], last_seq=11)
    before = ids(index, "diffusion OR zeolite OR study", limit=None)
    index.optimize()
    assert ids(index, "diffusion OR zeolite OR study", limit=None) == before
    assert index.state().doc_count == len(DOCS) + 1  # type: ignore[union-attr]


def test_search_plan_is_reusable_across_updates(index: WhooshIndex) -> None:
    plan: QueryPlan = parse_query("molec*")
    assert {h.id for h in index.search(plan)} == {1}
    index.update([], deleted=[1], last_seq=11)
    assert index.search(plan) == []


# ---------------------------------------------------------------- demo entries


def test_demo_entries_are_deterministic_and_searchable(tmp_path: Path) -> None:
    from digestdesk.core.demo import END_DATE, SPAN_DAYS, generate_entries

    first = list(generate_entries(120, seed=7))
    assert first == list(generate_entries(120, seed=7))
    assert first != list(generate_entries(120, seed=8))
    assert len({e.arxiv_id for e in first}) == 120
    for e in first:
        assert e.title and len(e.abstract) > 300 and e.authors and e.published
        assert END_DATE - timedelta(days=SPAN_DAYS) < e.published <= END_DATE
        assert e.user_state is not None and e.user_state.status in STATUSES
        assert all(link.url.startswith("https://") for link in e.links)
    assert any(e.github_repo for e in first) and not all(e.github_repo for e in first)

    docs = [
        IndexDoc(
            id=i + 1,
            title=e.title,
            abstract=e.abstract,
            authors=e.authors,
            keywords=e.ai_keywords,
            ai_summary=e.ai_summary or "",
            tags=e.user_state.tags if e.user_state else [],
            note=(e.user_state.note if e.user_state else None) or "",
            status=e.user_state.status if e.user_state else "unread",
            published=e.published,
            votes=e.votes or 0,
            has=["code"] if e.github_repo else [],
            digests=[e.digest_date] if e.digest_date else [],
        )
        for i, e in enumerate(first)
    ]
    ix = WhooshIndex(tmp_path / "ix")
    ix.rebuild(docs, library_uuid=UUID, last_seq=1)
    name = first[0].abstract.split("We propose ", 1)[1].split(",", 1)[0]
    assert 1 in idset(ix, f'"{name}"')
    assert ix.more_like_this(1)


def test_rebuild_reports_progress_between_commits(tmp_path: Path) -> None:
    """A window's progress bar moves during a build smaller than one commit batch."""
    seen: list[int] = []
    WhooshIndex(tmp_path / "ix", progress_every=15).rebuild(
        iter(DOCS),
        library_uuid=UUID,
        last_seq=3,
        total=len(DOCS),
        progress=lambda done, _total: seen.append(done),
    )
    assert seen == [15, 30, 45, 50]


def test_a_phrase_highlights_the_phrase_not_its_lone_words(tmp_path: Path) -> None:
    text = "Reinforcement learning agents. Learning is hard; so is reinforcement."
    ix = WhooshIndex(tmp_path / "ix")
    ix.rebuild([bare(1, "Reinforcement learning at scale", text)], library_uuid=UUID, last_seq=1)
    plan = parse_query('"reinforcement learning"')
    assert ("abstract", "reinforc learn") in plan.terms
    assert ("abstract", "learn") not in plan.terms
    snippet = ix.highlights([1], plan)[1]
    assert snippet.count("<b>") == 2, snippet
    assert snippet.startswith("<b>Reinforcement</b> <b>learning</b> agents.")
    title = ix.highlights([1], plan, field="title")[1]
    assert title == "<b>Reinforcement</b> <b>learning</b> at scale"


def test_entry_ids_are_read_from_the_id_column_as_whoosh_reads_them(tmp_path: Path) -> None:
    # The ids are read with each number's top bit flipped back (Whoosh's sortable form of a
    # signed number): the same ids as Whoosh's own reader, the largest a library can hold too.
    from digestdesk.core.index.directory import IndexDirectory
    from digestdesk.core.index.readers import _id_column

    ids = [1, 2, 255, 256, 65_536, 2**31 - 1, 2**40 + 7, 2**62]
    index = WhooshIndex(tmp_path / "index")
    try:
        index.rebuild(
            [dataclasses.replace(filler(k), id=i) for k, i in enumerate(ids)],
            library_uuid="u",
            last_seq=1,
        )
        with IndexDirectory(index.directory).whoosh_index().reader() as reader:
            [(leaf, _)] = reader.leaf_readers()
            whooshs = list(leaf.column_reader("id", translate=True))
            assert sorted(_id_column(leaf)) == sorted(whooshs) == ids
            assert list(_id_column(leaf)) == whooshs
    finally:
        index.close()
