"""Drafts are checked before insert: text repaired, an entry that cannot be stored skipped."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from digestdesk.core.drafts import (
    Appearance,
    EntryDraft,
    ParseResult,
    StatusChange,
    UserState,
)
from digestdesk.core.formats import hf_json
from digestdesk.core.validation import INT_MAX, clean_str, validate
from tests.core import factories


def test_lone_surrogates_are_replaced_and_pairs_joined() -> None:
    assert clean_str("Bad \ud800 title") == "Bad \ufffd title"
    assert clean_str("emoji \ud83d\ude00 pair") == "emoji \U0001f600 pair"
    assert clean_str("nul\x00byte") == "nulbyte"
    assert clean_str("plain") == "plain"


@given(st.text())
def test_clean_str_always_encodes(text: str) -> None:
    assert "\x00" not in clean_str(text)
    clean_str(text).encode("utf-8")


def test_terminal_controls_and_bidi_overrides_are_dropped_white_space_kept() -> None:
    # A title with ESC sequences would recolour or rewrite a terminal on `digestdesk list`;
    # bidi overrides display "evil" as "live" (Trojan Source). White space stays for clean_text.
    assert clean_str("bell\x07 \x1b[31mred\x1b[0m \x9b2J") == "bell [31mred[0m 2J"
    assert clean_str("RTL \u202eevil\u202c \u2066iso\u2069") == "RTL evil iso"
    assert clean_str("tab\tline\nfeed\rcr\x0cff\x85nel") == "tab\tline\nfeed\rcr\x0cff\x85nel"
    kept = "Arabic \u0627\u0644 and zero\u200bwidth"
    assert clean_str(kept) == kept


@given(st.text())
def test_clean_str_leaves_no_control_but_white_space(text: str) -> None:
    cleaned = clean_str(text)
    assert all(unicodedata.category(c) != "Cc" or c.isspace() for c in cleaned)
    assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_an_imported_title_keeps_no_escape_sequence() -> None:
    item = {"paper": {"id": "2699.00001", "title": "Red \x1b[31mtitle\x07", "summary": "ok"}}
    data = json.dumps([item]).encode()
    day = date(2026, 8, 20)
    (entry,) = validate(hf_json.parse(data, name="x.json", as_of=day, today=day)).entries
    assert entry.title == "Red [31mtitle"


def test_an_entry_that_cannot_be_stored_is_skipped_with_its_place() -> None:
    good = EntryDraft(title="Good", votes=3, where="item 1")
    huge = EntryDraft(title="Huge", votes=2**63, where="item 2")
    stars = EntryDraft(title="Stars", github_stars=INT_MAX + 1, where="item 3")
    state = EntryDraft(title="State", user_state=UserState(status="binned"), where="entry 4")
    history = EntryDraft(
        title="History",
        user_state=UserState(
            status="read", history=[StatusChange("gone", datetime(2025, 1, 1, tzinfo=UTC))]
        ),
        where="entry 5",
    )
    snapshot = EntryDraft(
        title="Snapshot", appearances=[Appearance("d1", votes=-(2**40))], where="entry 6"
    )
    dated = EntryDraft(title="Dated", published=date(9999, 1, 1), where="entry 7")
    empty = EntryDraft(title=" \x00 ", where="entry 8")
    result = validate(
        ParseResult("hf-json", [good, huge, stars, state, history, snapshot, dated, empty])
    )
    assert [e.title for e in result.entries] == ["Good"]
    reasons = {p.where: p.reason for p in result.problems}
    assert set(reasons) == {f"item {n}" for n in (2, 3)} | {f"entry {n}" for n in range(4, 9)}
    assert "votes 9223372036854775808 is out of range" in reasons["item 2"]
    assert "github_stars" in reasons["item 3"]
    assert "'binned'" in reasons["entry 4"] and "'gone'" in reasons["entry 5"]
    assert "title is empty" in reasons["entry 8"]


def test_text_is_repaired_everywhere_in_a_draft() -> None:
    draft = EntryDraft(
        title="T\ud800",
        abstract="A\x00",
        authors=["Ann \udfff"],
        ai_keywords=["k\ud800"],
        user_state=UserState(tags=["t\ud800"], note="n\ud800"),
    )
    (cleaned,) = validate(ParseResult("digestdesk", [draft])).entries
    assert cleaned.title == "T\ufffd" and cleaned.abstract == "A"
    assert cleaned.authors == ["Ann \ufffd"] and cleaned.ai_keywords == ["k\ufffd"]
    assert cleaned.user_state is not None
    assert cleaned.user_state.tags == ["t\ufffd"] and cleaned.user_state.note == "n\ufffd"


def test_an_api_file_with_bad_fields_parses_and_validates_to_the_good_entries() -> None:
    items = [
        factories.api_item("2511.00001", "Fine paper"),
        factories.api_item("2511.00002", "Overflowing votes", upvotes=2**63),
        factories.api_item("2511.00003", "Bad \ud800 title"),
    ]
    data = json.dumps(items).encode()  # json escapes the lone surrogate as \ud800
    parsed = validate(
        hf_json.parse(data, name="x.json", as_of=date(2025, 11, 20), today=date(2025, 11, 20))
    )
    assert [e.title for e in parsed.entries] == ["Fine paper", "Bad \ufffd title"]
    assert len(parsed.problems) == 1 and "out of range" in parsed.problems[0].reason
