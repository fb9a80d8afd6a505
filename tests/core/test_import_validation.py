"""Every import path validates its drafts: a bad entry is skipped and reported, the rest imported.

The drafts here go all the way into the database (SQLite, or PostgreSQL when
``DIGESTDESK_DATABASE_URL`` is set, whose INTEGER is 32-bit and whose VARCHAR has a length),
so what is checked is what the database takes, not only what the parsers produce.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from digestdesk import cli
from digestdesk.core import schema
from digestdesk.core.drafts import (
    STATUSES,
    Appearance,
    DigestDraft,
    EntryDraft,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.library import Library
from digestdesk.core.validation import INT_MAX, INT_MIN
from tests.core import factories


def _hostile_day() -> bytes:
    items = [
        factories.api_item("2511.00001", "Fine paper"),
        factories.api_item("2511.00002", "Bad \ud800 title"),
        factories.api_item("2511.00003", "Overflowing votes", upvotes=2**63),
        factories.api_item("2511.00004", "Just past int32", upvotes=INT_MAX + 1),
        factories.api_item("2511.00005", "Also fine"),
    ]
    return json.dumps(items).encode()  # json escapes the lone surrogate as \ud800


def _titles(library: Library) -> list[str]:
    with library.engine.connect() as conn:
        return sorted(conn.execute(select(schema.entries.c.title)).scalars())


def test_a_file_with_bad_entries_imports_the_rest_and_reports_each(library: Library) -> None:
    report = library.import_bytes(_hostile_day(), name="2025-11-20.json")
    assert report.new == 3
    assert _titles(library) == ["Also fine", "Bad \ufffd title", "Fine paper"]
    reasons = {p.where: p.reason for p in report.skipped}
    assert set(reasons) == {"item 2", "item 3"}  # zero-based item numbers, like the parser's
    assert "votes 9223372036854775808 is out of range" in reasons["item 2"]
    assert f"votes {INT_MAX + 1:d} is out of range" in reasons["item 3"]
    counts = {"new": 3, "updated": 0, "unchanged": 0, "skipped": 2}
    with library.engine.connect() as conn:
        assert conn.execute(select(schema.digests.c.counts)).scalar_one() == counts
    assert len(library.search("title").ids) == 1  # the repaired title is indexed


def test_cli_import_exits_3_with_a_clear_message(
    tmp_path: Path, library_paths: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "2025-11-20.json"
    path.write_bytes(_hostile_day())
    out = io.StringIO()
    code = cli.run(["--library", str(tmp_path / "library"), "import", str(path)], out=out)
    text = out.getvalue()
    assert code == cli.EXIT_PARTIAL, text
    assert "3 new" in text and "2 skipped" in text
    assert "skipped item 2: not imported: votes 9223372036854775808 is out of range" in text
    assert "Traceback" not in capsys.readouterr().err


def test_cli_import_from_stdin_validates_too(tmp_path: Path, library_paths: object) -> None:
    out = io.StringIO()
    code = cli.run(
        ["--library", str(tmp_path / "library"), "import", "-", "--json"],
        out=out,
        stdin=io.TextIOWrapper(io.BytesIO(_hostile_day())),
    )
    assert code == cli.EXIT_PARTIAL
    summary = json.loads(out.getvalue())["imports"][0]
    assert summary["new"] == 3 and len(summary["skipped"]) == 2


def test_a_paste_goes_through_import_parsed_and_is_validated(library: Library) -> None:
    result = ParseResult(
        "hf-page",
        [
            EntryDraft(title="Pasted \ud83d\ude00 pair \udfff half", where="line 1"),
            EntryDraft(title="Pasted huge", authors_count=2**40, where="line 4"),
            EntryDraft(title="\x00", where="line 7"),
        ],
    )
    report = library.import_parsed(result, source="clipboard")
    assert report.new == 1
    assert _titles(library) == ["Pasted \U0001f600 pair \ufffd half"]
    assert [p.where for p in report.skipped] == ["line 4", "line 7"]


def test_export_state_that_the_columns_cannot_hold_is_repaired_or_skipped(
    library: Library,
) -> None:
    at = datetime(2025, 1, 2, tzinfo=UTC)
    digest = DigestDraft("d1", "x" * 40, None, date(2025, 1, 2), at)
    result = ParseResult(
        "digestdesk",
        [
            EntryDraft(
                title="Tagged",
                arxiv_id="2501.00001",
                user_state=UserState(tags=["Dup Tag", "dup-tag", "#x" * 150, "  "]),
                appearances=[Appearance("d1", votes=3)],
            ),
            EntryDraft(title="Long id", arxiv_id="9" * 65, where="entry 2"),
        ],
        digests=[digest],
    )
    report = library.import_parsed(result, source="export.json")
    assert report.new == 1
    reasons = " | ".join(str(p) for p in report.skipped)
    assert "source_kind" in reasons and "arxiv_id" in reasons and "entry 2" in reasons
    (entry_id,) = library.search("Tagged").ids
    tags = library.entry(entry_id).tags
    assert "dup-tag" in tags and len(tags) == 2 and all(len(t) <= 200 for t in tags)


# ---------------------------------------------------------------------------- fuzzing
_text = st.text(
    st.characters(codec=None, categories=None),  # surrogates, NULs and controls included
    max_size=30,
)
_int = st.one_of(
    st.none(),
    st.integers(-5, 5000),
    st.integers(INT_MIN - 5, INT_MIN + 5),
    st.integers(INT_MAX - 5, INT_MAX + 5),
    st.integers(-(2**70), 2**70),
)
_dates = st.one_of(st.none(), st.dates())
_times = st.datetimes(timezones=st.just(UTC)) | st.datetimes()
_status = st.sampled_from((*STATUSES, "binned", ""))


@st.composite
def _drafts(draw: st.DrawFn) -> EntryDraft:
    state = None
    if draw(st.booleans()):
        state = UserState(
            status=draw(_status),
            history=draw(st.lists(st.builds(StatusChange, _status, _times), max_size=3)),
            tags=draw(st.lists(_text, max_size=4)),
            note=draw(st.one_of(st.none(), _text)),
            note_edited_at=draw(st.one_of(st.none(), _times)),
            added_at=draw(st.one_of(st.none(), _times)),
        )
    return EntryDraft(
        title=draw(_text | st.sampled_from(["Same title", "same TITLE", "Model"])),
        abstract=draw(_text),
        arxiv_id=draw(st.one_of(st.none(), _text, st.sampled_from(["2501.00001", "x" * 70]))),
        authors=draw(st.lists(_text, max_size=3)),
        authors_count=draw(_int),
        published=draw(_dates),
        votes=draw(_int),
        categories=draw(st.lists(_text, max_size=2)),
        ai_summary=draw(st.one_of(st.none(), _text)),
        ai_keywords=draw(st.lists(_text, max_size=2)),
        github_repo=draw(st.one_of(st.none(), _text)),
        github_stars=draw(_int),
        project_page=draw(st.one_of(st.none(), _text)),
        organization=draw(st.one_of(st.none(), _text)),
        num_comments=draw(_int),
        where=draw(_text),
        user_state=state,
        appearances=draw(
            st.lists(st.builds(Appearance, st.sampled_from(["d1", "d2", "gone"]), _int, _int, _int))
        ),
    )


_digests = st.lists(
    st.builds(
        DigestDraft,
        st.sampled_from(["d1", "d2"]),
        _text | st.just("hf-api"),
        st.one_of(st.none(), _text),
        _dates,
        st.one_of(st.none(), _times),
        st.dictionaries(_text, st.integers(-(2**40), 2**40), max_size=2),
    ),
    max_size=2,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drafts=st.lists(_drafts(), max_size=6), digests=_digests)
def test_random_drafts_are_inserted_or_reported_never_raise(
    library: Library, drafts: list[EntryDraft], digests: list[DigestDraft]
) -> None:
    with library.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(schema.entries)).scalar_one()
    report = library.import_parsed(
        ParseResult("digestdesk" if digests else "hf-json", drafts, digests=digests),
        source="fuzz",
    )
    placed = report.new + report.updated + report.unchanged
    duplicates = sum(1 for item in report.items if item.outcome == "duplicate")
    entry_problems = [p for p in report.skipped if not p.where.startswith("digest ")]
    assert placed + duplicates + len(entry_problems) == len(drafts)
    with library.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(schema.entries)).scalar_one()
    assert after == before + report.new
    for problem in report.skipped:
        problem.where.encode("utf-8")
        problem.reason.encode("utf-8")


def test_a_bad_count_under_a_broken_key_is_reported_in_valid_text(library: Library) -> None:
    """Found by the fuzz test: a digest's counts key with a lone surrogate named the count
    that did not fit in a message that could not be encoded."""
    digest = DigestDraft("d1", "hf-api", None, None, None, {"\ud800": 2**40})
    report = library.import_parsed(
        ParseResult("digestdesk", [], digests=[digest]), source="broken key"
    )
    [problem] = report.skipped
    problem.where.encode("utf-8")
    problem.reason.encode("utf-8")
    assert "\ufffd" in problem.reason


def test_an_import_that_stores_nothing_leaves_no_digest_and_keeps_the_earlier_one(
    library: Library,
) -> None:
    """Every entry skipped: no empty digest becomes "the last digest", and the same page
    imported again with an as-of day that makes every date implausible does not rewrite the
    earlier import's digest (its date and counts) either."""
    bad = json.dumps([factories.api_item("2511.00009", "Votes", upvotes=2**63)]).encode()
    report = library.import_bytes(bad, name="2025-11-21.json")
    assert report.total == 0 and len(report.skipped) == 1 and report.digest_id is None
    with library.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.digests)).scalar() == 0
    page = factories.page_text().encode()
    first = library.import_bytes(page, name="page.txt", as_of=date(2025, 11, 20))
    assert first.new == 3
    again = library.import_bytes(page, name="page.txt", as_of=date(9999, 12, 31))
    assert again.total == 0 and again.skipped
    with library.engine.connect() as conn:
        [(day, counts)] = conn.execute(
            select(schema.digests.c.digest_date, schema.digests.c.counts)
        ).all()
    assert day == first.digest_date and counts["new"] == 3
