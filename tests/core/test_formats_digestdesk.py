"""Tests of Digest Desk's own export format: reading, and the exact (de)serialisation inverse."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core.drafts import (
    LINK_KINDS,
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    Link,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.formats import digestdesk_json
from digestdesk.core.formats.digestdesk_json import (
    digest_from_json,
    digest_to_json,
    entry_from_json,
    entry_to_json,
    export_document,
)
from digestdesk.errors import NotADigestError, ParseError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2025, 11, 21)


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "digestdesk_small.json").read_text())
    return loaded


def parse(doc: object) -> ParseResult:
    data = json.dumps(doc).encode()
    return digestdesk_json.parse(data, name="export.json", as_of=TODAY, today=TODAY)


def test_small_export() -> None:
    result = parse(document())
    assert result.format == "digestdesk"
    assert result.problems == []
    assert [d.key for d in result.digests] == ["d1", "d2"]
    d1 = result.digests[0]
    assert d1 == DigestDraft(
        key="d1",
        source_kind="hf-json",
        file_name="2025-03-17.json",
        digest_date=date(2025, 3, 17),
        imported_at=datetime(2025, 3, 18, 7, tzinfo=UTC),
        counts={"new": 2, "updated": 0},
    )
    read, unread = result.entries
    assert read.where == "entry 0"
    assert read.arxiv_id == "2503.04567"
    assert read.links[1] == Link("https://quiet-queues.example.net", "project")
    assert read.user_state is not None
    assert read.user_state.status == "read"
    assert read.user_state.history[1] == StatusChange(
        "read", datetime(2025, 3, 19, 20, 45, 10, 250000, tzinfo=UTC)
    )
    assert read.user_state.tags == ["scheduling", "to-cite"]
    assert read.user_state.note == "Compare with fair queueing.\nSecond line."
    assert read.appearances == [Appearance("d1", 40, 321, 4), Appearance("d2", 41, None, None)]

    assert unread.user_state is None
    assert unread.authors_count == 1 and unread.published_year_inferred
    assert result.digest_date is None  # two digests: no single day


def full_draft() -> EntryDraft:
    return EntryDraft(
        title="T",
        abstract="A\nB",
        arxiv_id="cond-mat/0102536",
        authors=["X", "Y"],
        authors_count=2,
        published=date(2001, 2, 28),
        published_year_inferred=True,
        votes=3,
        links=[Link("https://github.com/o/r", "code")],
        categories=["cond-mat.str-el"],
        ai_summary="S",
        ai_keywords=["k"],
        github_repo="https://github.com/o/r",
        github_stars=9,
        project_page="https://o.github.io/r",
        organization="Org",
        num_comments=1,
        digest_date=date(2025, 1, 1),
        user_state=UserState(
            status="queued",
            history=[StatusChange("queued", datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC))],
            tags=["a"],
            note="n",
            note_edited_at=datetime(2025, 1, 2, tzinfo=UTC),
            added_at=datetime(2025, 1, 1, tzinfo=UTC),
        ),
        appearances=[Appearance("k1", 1, 2, 3)],
    )


def test_entry_round_trip_is_exact() -> None:
    draft = full_draft()
    assert entry_from_json(json.loads(json.dumps(entry_to_json(draft)))) == draft
    bare = EntryDraft(title="Only a title")
    assert entry_from_json(entry_to_json(bare)) == bare
    assert "status" not in entry_to_json(bare)


def test_entry_to_json_uses_the_draft_field_names() -> None:
    obj = entry_to_json(full_draft())
    skipped = {"where", "user_state", "appearances"}
    for field_name in EntryDraft.__dataclass_fields__:
        if field_name not in skipped:
            assert field_name in obj
    assert obj["published"] == "2001-02-28"
    assert obj["status_history"] == [{"status": "queued", "at": "2025-01-02T03:04:05.000006+00:00"}]
    assert obj["appearances"] == [{"digest": "k1", "votes": 1, "stars": 2, "comments": 3}]


def test_datetimes_are_written_in_utc() -> None:
    draft = full_draft()
    assert draft.user_state is not None
    draft.user_state.added_at = datetime(2025, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert entry_to_json(draft)["added_at"] == "2025-01-01T00:00:00+00:00"


def test_digest_round_trip_and_whole_document() -> None:
    digest = DigestDraft("k1", "hf-json", None, date(2025, 1, 1), None, {"new": 1})
    assert digest_from_json(digest_to_json(digest)) == digest
    doc = export_document(
        digests=[digest], entries=[full_draft()], exported_at=datetime(2025, 2, 1, tzinfo=UTC)
    )
    assert doc["format"] == "digestdesk" and doc["version"] == 1
    assert doc["exported_at"] == "2025-02-01T00:00:00+00:00"
    result = parse(json.loads(json.dumps(doc)))
    assert result.problems == []
    assert result.digests == [digest]
    assert result.digest_date == date(2025, 1, 1)
    (entry,) = result.entries
    entry.where = ""
    assert entry == full_draft()


def test_newer_version_is_refused() -> None:
    doc = document()
    doc["version"] = 2
    with pytest.raises(NotADigestError, match="written by a newer Digest Desk"):
        parse(doc)


@pytest.mark.parametrize("version", [0, "1", None, True, 1.5])
def test_unreadable_version_is_refused(version: object) -> None:
    doc = document()
    doc["version"] = version
    with pytest.raises(NotADigestError, match="version"):
        parse(doc)


@pytest.mark.parametrize("doc", [{"format": "other"}, [], {"digests": []}])
def test_not_an_export(doc: object) -> None:
    with pytest.raises(NotADigestError, match="not a Digest Desk export"):
        parse(doc)


def test_broken_json_is_refused_with_position() -> None:
    with pytest.raises(NotADigestError, match="line 2"):
        digestdesk_json.parse(
            b'{"format": "digestdesk",\n "version": 1,, }', name="x", as_of=TODAY, today=TODAY
        )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.pop("title"), "title"),
        (lambda e: e.update(title=""), "title"),
        (lambda e: e.update(status="done"), "status"),
        (lambda e: e.update(published="yesterday"), "published"),
        (lambda e: e.update(added_at="soon"), "added_at"),
        (lambda e: e.update(votes="3"), "votes"),
        (lambda e: e.update(votes=True), "votes"),
        (lambda e: e.update(tags=[1]), "tags"),
        (lambda e: e.update(links=[{"url": "https://x.org", "kind": "video"}]), "kind"),
        (lambda e: e.update(appearances=[{"digest": "nope"}]), "nope"),
        (lambda e: e.update(status_history=[{"status": "read"}]), "at"),
    ],
)
def test_malformed_entry_is_a_problem(change: Any, reason: str) -> None:
    doc = document()
    change(doc["entries"][0])
    result = parse(doc)
    assert [e.title[:4] for e in result.entries] == ["Tiny"]
    assert [p.where for p in result.problems] == ["entry 0"]
    assert reason in result.problems[0].reason


def test_malformed_and_repeated_digests_are_problems() -> None:
    doc = document()
    doc["digests"].append({"key": "d1", "source_kind": "hf-json"})
    doc["digests"].append({"source_kind": "hf-json"})
    result = parse(doc)
    assert [p.where for p in result.problems] == ["digest 2", "digest 3"]
    assert len(result.entries) == 2


def test_entry_from_json_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        entry_from_json([])
    with pytest.raises(ParseError):
        digest_from_json({"key": "k"})


def test_sniff() -> None:
    assert digestdesk_json.sniff(json.dumps(document()).encode(), None) == 100
    assert digestdesk_json.sniff(b'[{"paper": {}}]', None) == 0
    assert digestdesk_json.sniff(b'{"title": "the \\"format\\": \\"digestdesk\\" mark"}', None) == 0


_text = st.text(max_size=20)
_aware = st.datetimes(timezones=st.just(UTC))
_drafts = st.builds(
    EntryDraft,
    title=st.text(min_size=1, max_size=20).filter(str.strip),
    abstract=_text,
    arxiv_id=st.none() | _text,
    authors=st.lists(_text, max_size=3),
    authors_count=st.none() | st.integers(0, 10_000),
    published=st.none() | st.dates(),
    published_year_inferred=st.booleans(),
    votes=st.none() | st.integers(-5, 10**6),
    links=st.lists(st.builds(Link, url=_text, kind=st.sampled_from(LINK_KINDS)), max_size=3),
    categories=st.lists(_text, max_size=3),
    ai_summary=st.none() | _text,
    ai_keywords=st.lists(_text, max_size=3),
    digest_date=st.none() | st.dates(),
    user_state=st.none()
    | st.builds(
        UserState,
        status=st.sampled_from(STATUSES),
        history=st.lists(
            st.builds(StatusChange, status=st.sampled_from(STATUSES), at=_aware), max_size=3
        ),
        tags=st.lists(_text, max_size=3),
        note=st.none() | _text,
        note_edited_at=st.none() | _aware,
        added_at=st.none() | _aware,
    ),
    appearances=st.lists(
        st.builds(Appearance, digest_key=_text, votes=st.none() | st.integers()), max_size=2
    ),
)


@settings(max_examples=100, deadline=None)
@given(_drafts)
def test_round_trip_property(draft: EntryDraft) -> None:
    assert entry_from_json(json.loads(json.dumps(entry_to_json(draft)))) == draft
