"""Tests of the Hugging Face daily-papers API JSON parser, in all its shapes and eras."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digestdesk.core.drafts import Link, ParseResult
from digestdesk.core.formats import hf_json
from digestdesk.errors import NotADigestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
API_DIR = SAMPLES / "hf-daily-api"
needs_samples = pytest.mark.skipif(
    not API_DIR.is_dir(), reason="real samples not available (../shared/samples is absent)"
)
TODAY = date(2026, 9, 1)


def items() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((FIXTURES / "hf_daily_small.json").read_text())
    return loaded


def parse(document: object, name: str | None = "2025-03-17.json") -> ParseResult:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return hf_json.parse(data, name=name, as_of=TODAY, today=TODAY)


def test_list_of_items() -> None:
    result = parse(items())
    assert result.format == "hf-json"
    assert result.problems == []
    old, mid, new = result.entries

    assert old.arxiv_id == "2405.01234"
    assert old.title == "Folding Maps: Hierarchical Origami for Large\n  Multimodal Models"  # raw
    assert old.authors == ["Ada Example", "Ben Sample"]
    assert old.published == date(2024, 5, 24)  # 23:34Z stays the 24th in every time zone
    assert old.votes == 12
    assert old.num_comments == 1
    assert old.digest_date == date(2025, 3, 17)  # no submittedOnDailyAt: the file's date
    assert old.links == [Link("https://github.com/example/folding-maps", "code")]
    assert old.github_repo is None and old.organization is None
    assert old.where == "item 0"

    assert mid.digest_date == date(2025, 3, 17)
    assert mid.github_repo == "https://github.com/qq-lab/quiet-queues"
    assert mid.github_stars == 321
    assert mid.project_page == "https://quiet-queues.example.net"
    assert mid.ai_summary == "A scheduler that keeps queues quiet."
    assert mid.ai_keywords == ["scheduling", "queues"]
    assert mid.organization == "Quiet Queues Lab"
    assert mid.num_comments == 4
    assert mid.links == [
        Link("https://github.com/qq-lab/quiet-queues", "code"),
        Link("https://quiet-queues.example.net", "project"),
        Link("https://quiet-queues.example.net/demo", "other"),
    ]

    assert new.published == date(2026, 3, 2)
    assert new.digest_date == date(2026, 3, 3)
    assert new.authors == []
    assert new.organization == "midnight"  # the outer organization, by name
    assert new.num_comments == 0
    assert new.links == [
        Link("https://github.com/midnight/utc-dates//", "code"),
        Link("https://huggingface.co/midnight/utc-model", "code"),
    ]
    # The paper page and arXiv abstract are derived by the app, not stored as links.
    assert not any("arxiv.org" in link.url or "/papers/" in link.url for link in new.links)

    assert result.digest_date == date(2025, 3, 17)  # the most common entry digest date


def test_single_item_and_flat_papers() -> None:
    single = parse(items()[1])
    assert [e.arxiv_id for e in single.entries] == ["2503.04567"]
    assert single.entries[0].where == "item 0"

    flat = parse(items()[1]["paper"])
    assert flat.entries[0].title.startswith("Quiet Queues")
    assert flat.entries[0].num_comments is None

    flat_list = parse([item["paper"] for item in items()])
    assert [e.arxiv_id for e in flat_list.entries] == ["2405.01234", "2503.04567", "2603.00042"]


def test_digest_date_falls_back_to_today_without_a_dated_name() -> None:
    result = parse([items()[0]], name="export.json")
    assert result.entries[0].digest_date == TODAY
    assert result.digest_date == TODAY
    assert parse([], name=None).digest_date == TODAY


def test_empty_list_is_an_empty_digest() -> None:
    result = parse([])
    assert result.entries == [] and result.problems == []
    assert result.digest_date == date(2025, 3, 17)


def test_malformed_items_are_problems_and_the_rest_parse() -> None:
    document: list[Any] = items()
    no_title = json.loads(json.dumps(items()[0]))
    del no_title["paper"]["title"]
    del no_title["title"]
    wrong_title = json.loads(json.dumps(items()[0]))
    wrong_title["paper"]["title"] = 42
    wrong_authors = json.loads(json.dumps(items()[0]))
    wrong_authors["paper"]["authors"] = "Ada"
    wrong_paper = {"paper": [1], "title": "x"}
    document += [no_title, 7, wrong_title, wrong_authors, wrong_paper]
    result = parse(document)
    assert len(result.entries) == 3
    assert [p.where for p in result.problems] == ["item 3", "item 4", "item 5", "item 6", "item 7"]
    reasons = " | ".join(p.reason for p in result.problems)
    assert "no title" in reasons and "not a paper object" in reasons and "not text" in reasons


def test_wrong_types_in_optional_fields_are_ignored() -> None:
    item = items()[1]
    item["paper"].update(upvotes="many", githubStars=True, ai_keywords="x", organization=3)
    item["numComments"] = None
    entry = parse([item]).entries[0]
    assert entry.votes is None and entry.github_stars is None
    assert entry.ai_keywords == [] and entry.organization is None and entry.num_comments is None


def test_outer_title_is_used_when_paper_has_none() -> None:
    item = items()[0]
    del item["paper"]["title"]
    assert parse([item]).entries[0].title.startswith("Folding Maps")


@pytest.mark.parametrize("document", [{"foo": 1}, [1, 2], "text", 3, None, [{"a": 1}]])
def test_json_that_is_not_papers(document: object) -> None:
    with pytest.raises(NotADigestError, match="holds no papers"):
        parse(document)


@pytest.mark.parametrize("broken", [b'[{"paper": {"id": "1"}', b'{\n  "a": 1,\n}', b"[1,,2]"])
def test_invalid_json_names_line_and_column(broken: bytes) -> None:
    with pytest.raises(NotADigestError, match=r"not valid JSON \(line \d+, column \d+"):
        parse(broken)


def test_invalid_json_from_the_clipboard_is_not_called_a_file() -> None:
    from digestdesk.core.formats import parse as parse_any

    with pytest.raises(NotADigestError, match=r"“clipboard” .* saved \(or copied\)"):
        parse_any(b'{"not": "papers"} trailing', name="clipboard")


def test_absurd_json_is_refused_cleanly() -> None:
    with pytest.raises(NotADigestError):
        parse(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(NotADigestError):
        parse(b'[{"paper": {"upvotes": ' + b"9" * 5000 + b"}}]")


def test_bom_and_sniffing() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(items()).encode()
    assert hf_json.sniff(data, None) == 90
    assert len(hf_json.parse(data, name=None, as_of=TODAY, today=TODAY).entries) == 3
    assert hf_json.sniff(b'{"foo": 1}', None) == 10
    assert hf_json.sniff(b"plain text", None) == 0


@needs_samples
def test_every_real_api_file_parses_without_problems() -> None:
    files = sorted(API_DIR.glob("*.json"))
    assert len(files) == 93
    total = 0
    for path in files:
        data = path.read_bytes()
        assert hf_json.sniff(data, path.name) == 90, path.name
        result = hf_json.parse(data, name=path.name, as_of=TODAY, today=TODAY)
        assert result.problems == [], path.name
        assert result.digest_date == date.fromisoformat(path.stem), path.name
        raw = json.loads(data)
        assert len(result.entries) == len(raw)
        for entry, item in zip(result.entries, raw, strict=True):
            assert entry.arxiv_id, (path.name, entry.where)
            assert entry.arxiv_id == item["paper"]["id"]
            assert entry.title.strip() and entry.published is not None
            assert entry.authors == [a["name"] for a in item["paper"]["authors"]]
            # The UTC date as written, never shifted to local time.
            assert entry.published.isoformat() == item["paper"]["publishedAt"][:10]
            assert all(re.match(r"https?://", link.url) for link in entry.links)
        total += len(result.entries)
    assert total == 1627


@needs_samples
def test_2026_files_keep_their_date_only_published_dates() -> None:
    for path in sorted(API_DIR.glob("2026-*.json")):
        raw = json.loads(path.read_bytes())
        result = hf_json.parse(path.read_bytes(), name=path.name, as_of=TODAY, today=TODAY)
        for entry, item in zip(result.entries, raw, strict=True):
            assert entry.published == date.fromisoformat(item["paper"]["publishedAt"][:10])


@needs_samples
def test_real_files_optional_fields_appear_over_time() -> None:
    early = parse(json.loads((API_DIR / "2024-05-27.json").read_bytes()), name="2024-05-27.json")
    late = parse(json.loads((API_DIR / "2026-08-14.json").read_bytes()), name="2026-08-14.json")
    assert not any(e.ai_summary for e in early.entries)
    assert any(e.ai_summary for e in late.entries)
    assert any(e.github_repo and e.github_stars is not None for e in late.entries)
    assert all(e.num_comments is not None for e in early.entries + late.entries)


def test_null_paper_title_falls_back_to_the_outer_title() -> None:
    item = items()[0]
    item["paper"]["title"] = None
    item["paper"]["summary"] = None
    entry = parse([item]).entries[0]
    assert entry.title.startswith("Folding Maps")
    assert entry.abstract == "We fold maps into hierarchies."
