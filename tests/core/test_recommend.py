"""Recommendations learned from triage: a tag learned from a few dozen examples, reasons, and
a clear "not enough triage" below that; ``sort:foryou`` and ``digestdesk recommend``."""

from __future__ import annotations

import gc
import io
import json
import random
from datetime import date, timedelta

import pytest

import digestdesk.core.similarity.storage as similarity_storage
from digestdesk import cli
from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.core.similarity import NotEnoughTriage
from digestdesk.core.similarity.recommend import MIN_TRIAGED

# Invented topics, each with its own vocabulary; papers mix a topic's words with common ones.
TOPICS = {
    "robots": "robot grasping manipulation gripper dexterous tactile policy arm",
    "speech": "speech recognition acoustic phoneme spoken audio transcription speaker",
    "proteins": "protein folding residue structure enzyme binding molecular sequence",
    "graphs": "graph node edge message passing neighbourhood spectral network",
    "vision": "image segmentation pixel detection camera object bounding depth",
}
COMMON = [
    "model",
    "learning",
    "data",
    "training",
    "evaluation",
    "benchmark",
    "large",
    "framework",
    "results",
]


def papers(per_topic: int, seed: int = 1) -> list[tuple[str, EntryDraft]]:
    rng = random.Random(seed)
    out = []
    n = 0
    for _ in range(per_topic):
        for topic, words in TOPICS.items():
            n += 1
            vocab = words.split()
            title = " ".join(w.title() for w in rng.sample(vocab, 3))
            body = rng.sample(vocab, 5) + rng.sample(COMMON, 4)
            out.append(
                (
                    topic,
                    EntryDraft(
                        title=f"{title} {n}",
                        abstract=f"We study {' '.join(body)}.",
                        arxiv_id=f"2601.{n:05d}",
                        published=date(2026, 1, 1) + timedelta(days=n % 60),
                    ),
                )
            )
    return out


@pytest.fixture
def triaged(library: Library) -> tuple[Library, dict[str, list[int]]]:
    found = papers(per_topic=24)
    report = library.import_parsed(
        ParseResult(format="demo", entries=[d for _, d in found]), source="test"
    )
    by_topic: dict[str, list[int]] = {}
    for (topic, _), item in zip(found, report.items, strict=True):
        by_topic.setdefault(topic, []).append(item.entry_id)
    # The reader tags 12 robot papers, reads 4 of speech, skips 24 of the others.
    library.change_tags(by_topic["robots"][:12], add=["robotics"])
    library.set_status(by_topic["speech"][:4], "read")
    library.set_status(
        by_topic["proteins"][:8] + by_topic["graphs"][:8] + by_topic["vision"][:8], "skipped"
    )
    return library, by_topic


def test_a_tag_is_learned_from_a_few_dozen_examples_and_explained(
    triaged: tuple[Library, dict[str, list[int]]],
) -> None:
    library, by_topic = triaged
    found = library.recommend(tag="robotics", limit=10)
    assert not isinstance(found, NotEnoughTriage), found
    robots = set(by_topic["robots"])
    top = [r.entry_id for r in found]
    assert len(top) == 10 and set(top) <= robots - set(by_topic["robots"][:12])
    assert found == sorted(found, key=lambda r: -r.score)
    assert all(0.0 <= r.score <= 1.0 for r in found)
    robot_words = set(TOPICS["robots"].split())
    first = found[0]
    assert first.because and any(w in robot_words for p in first.because for w in p.split())
    assert first.resembles and set(first.resembles) <= set(by_topic["robots"][:12])


def test_the_readers_own_taste_ranks_their_topics_first(
    triaged: tuple[Library, dict[str, list[int]]],
) -> None:
    library, by_topic = triaged
    found = library.recommend(limit=10)
    assert not isinstance(found, NotEnoughTriage), found
    liked = set(by_topic["robots"]) | set(by_topic["speech"])
    assert sum(r.entry_id in liked for r in found) >= 9
    # Only unread papers are recommended, and a query narrows them.
    unread = set(library.list_ids(status="unread"))
    assert {r.entry_id for r in found} <= unread
    narrowed = library.recommend(query="acoustic", limit=5)
    assert not isinstance(narrowed, NotEnoughTriage)
    assert {r.entry_id for r in narrowed} <= set(by_topic["speech"])


def tracked_within(root: object) -> int:
    """How many objects the cyclic garbage collector tracks among ``root`` and the data it
    holds (classes, and what they hold, are not data)."""
    seen: set[int] = set()
    todo = [root]
    tracked = 0
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        if gc.is_tracked(item):
            tracked += 1
        todo.extend(gc.get_referents(item))
    return tracked


def test_a_learned_taste_gives_the_garbage_collector_nothing_to_walk(
    triaged: tuple[Library, dict[str, list[int]]],
) -> None:
    # The app collects garbage on the GUI thread (ui/collector.py): every young container a
    # retraining keeps alive is walked there, as a pause of the window. The taste's weights,
    # liked papers and their index by term are dicts of numbers, which CPython leaves
    # untracked, so the count below does not grow with the papers or their terms.
    library, _ = triaged
    taste = library.similarity.taste()
    assert not isinstance(taste, NotEnoughTriage), taste
    postings = taste._postings  # noqa: SLF001 - what "resembles" looks up
    assert sum(len(p) for p in postings.values()) > 10 * len(taste.positives) > 0
    assert tracked_within(taste) <= 3  # the model, its attribute dict, the tag's string


def test_the_app_learns_the_taste_in_a_child_process(
    triaged: tuple[Library, dict[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window's lanes share this process's interpreter lock and garbage collector with the
    # GUI thread: a large library's training runs in a child (as its model is built there).
    library, by_topic = triaged
    here = library.recommend(tag="robotics", limit=10)
    mine = library.recommend(limit=10)
    too_few = library.recommend(tag="nothing-yet")

    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("trained in this process")

    monkeypatch.setattr(similarity_storage, "train", not_here)
    library.build_caches_in_child(1)
    assert library.recommend(tag="robotics", limit=10) == here
    assert library.recommend(limit=10) == mine
    assert library.recommend(tag="nothing-yet") == too_few
    library.build_caches_in_child(None)  # back in this process: it trains here again
    library.set_status(by_topic["vision"][8:10], "skipped")
    with pytest.raises(AssertionError, match="trained in this process"):
        library.recommend(limit=10)


def test_too_little_triage_is_said_not_guessed(library: Library) -> None:
    found = papers(per_topic=8)
    report = library.import_parsed(
        ParseResult(format="demo", entries=[d for _, d in found]), source="test"
    )
    ids = [item.entry_id for item in report.items]
    library.set_status(ids[:5], "read")
    result = library.recommend()
    assert isinstance(result, NotEnoughTriage)
    assert result.triaged == 5 and result.positives == 5
    assert f"at least {MIN_TRIAGED}" in result.message and "5 papers triaged" in result.message
    tagged = library.recommend(tag="nothing-yet")
    assert isinstance(tagged, NotEnoughTriage) and "nothing-yet" in tagged.message


def test_sort_foryou_orders_a_query_by_taste(triaged: tuple[Library, dict[str, list[int]]]) -> None:
    library, by_topic = triaged
    result = library.search("status:unread sort:foryou")
    assert result.sort == "foryou"
    liked = set(by_topic["robots"]) | set(by_topic["speech"])
    assert sum(i in liked for i in result.ids[:10]) >= 9
    assert sorted(result.ids) == sorted(library.search("status:unread").ids)
    assert library.search("grasping sort:foryou", limit=3).ids[0] in liked


def test_sort_foryou_without_triage_falls_back_to_date(library: Library) -> None:
    found = papers(per_topic=2)
    library.import_parsed(ParseResult(format="demo", entries=[d for _, d in found]), source="t")
    result = library.search("sort:foryou")
    assert result.sort == "date" and result.ids == library.search("sort:date").ids
    assert result.for_you_fell_back and not library.search("sort:date").for_you_fell_back


def run(library: Library, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    # The library's folder (on PostgreSQL, the folder of its index: the same --library).
    folder = library.paths.root or library.paths.index_dir.parent
    code = cli.run(["--library", str(folder), *argv], out=out, stdin=io.StringIO(""))
    return code, out.getvalue()


def test_search_sort_foryou_without_triage_says_it_sorted_by_date(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    found = papers(per_topic=2)
    library.import_parsed(ParseResult(format="demo", entries=[d for _, d in found]), source="t")
    assert run(library, "search", "sort:foryou", "--limit", "1")[0] == cli.EXIT_OK
    assert "For you needs more triage" in capsys.readouterr().err
    assert run(library, "search", "sort:date", "--limit", "1")[0] == cli.EXIT_OK
    assert "For you" not in capsys.readouterr().err


def test_the_recommend_command(
    triaged: tuple[Library, dict[str, list[int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    library, by_topic = triaged
    code, text = run(library, "recommend", "--tag", "robotics", "--json", "--limit", "3")
    assert code == cli.EXIT_OK, text
    records = json.loads(text)
    assert len(records) == 3 and all(r["id"] in by_topic["robots"] for r in records)
    assert all(isinstance(r["score"], float) and r["because"] and r["resembles"] for r in records)
    code, text = run(library, "recommend", "--limit", "2")
    assert code == cli.EXIT_OK and "because " in text and "like " in text, text
    code, _ = run(library, "recommend", "--tag", "unknown-tag")
    assert code == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "No paper is tagged unknown-tag" in err and "robotics" in err, err
