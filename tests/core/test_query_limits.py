"""Query complexity limits, and filters joined by OR meaning what each one means alone.

The limits are tested by their mechanism (the tokenizer is lazy and the parse stops at the first
token past a limit: a later syntax error is never reached), not by a time.
"""

from __future__ import annotations

import io
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

from digestdesk import cli
from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.core.query import parse
from digestdesk.core.query.tokens import LIMITS, iter_tokens
from digestdesk.errors import QueryError, QueryTooComplex


# ------------------------------------------------------------------------------ limits
def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        (_words(LIMITS.words + 1), "at most 32 words"),
        ('"' + _words(LIMITS.words + 1) + '"', "at most 32 words"),
        ("status:read " * (LIMITS.words + 1), "at most 32 words"),
        (" ".join(f"trans{i}*" for i in range(LIMITS.expansions + 1)), "at most 4 prefix* or"),
        (" ".join(f"model{i}~" for i in range(LIMITS.expansions + 1)), "fuzzy~ words"),
        ("a " + "OR NOT a " * 25, "at most 48 AND, OR, NOT or -"),
        ("(" * (LIMITS.depth + 1) + "a" + ")" * (LIMITS.depth + 1), "parentheses at most 8 deep"),
    ],
)
def test_each_limit_is_named_in_its_message(query: str, named: str) -> None:
    with pytest.raises(QueryTooComplex, match="The query is too complex") as raised:
        parse(query)
    assert named in raised.value.user_message
    assert isinstance(raised.value, QueryError) and raised.value.position is not None


def test_queries_at_the_limits_parse() -> None:
    parse(_words(LIMITS.words))
    parse(" ".join(f"trans{i}*" for i in range(LIMITS.expansions)) + " plain words")
    parse("a " + "OR b " * 24)  # 24 operators
    parse("(" * LIMITS.depth + "a" + ")" * LIMITS.depth)
    parse(" ".join(f"-w{i}" for i in range(LIMITS.words)))  # 32 words, 32 operators


def test_the_tokenizer_stops_at_the_limit_and_never_reads_the_rest() -> None:
    # 10,000 × "model OR" ending in an unclosed quote: the quote is never reached.
    huge = "model OR " * 10_000 + '"never closed'
    with pytest.raises(QueryTooComplex, match="at most 32 words") as raised:
        parse(huge)
    assert raised.value.position == len("model OR ") * 32  # the 33rd word
    with pytest.raises(QueryTooComplex, match="at most 48 AND, OR, NOT or -"):
        parse("a" + " AND NOT a" * 10_000 + ' "never closed')
    # The tokenizer is lazy: taking a few tokens of it scans only the start of the text.
    tokens = iter_tokens("a b " + "c " * 1_000_000 + '"')
    assert [next(tokens).text for _ in range(3)] == ["a", "b", "c"]


def test_cli_and_library_report_the_limit(tmp_path: Path, library: Library) -> None:
    with pytest.raises(QueryTooComplex):
        library.search("model OR " * 10_000 + "model")
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = cli.run(
            ["--library", str(tmp_path / "library"), "search", "model OR " * 10_000 + "x"],
            out=io.StringIO(),
        )
    assert code == cli.EXIT_USAGE
    assert "too complex" in err.getvalue() and "Traceback" not in err.getvalue()


# ------------------------------------------------------------------------ OR of filters
@pytest.fixture
def four(library: Library) -> dict[str, int]:
    drafts = [
        EntryDraft(
            title=f"{word} study",
            arxiv_id=f"2503.1000{n}",
            abstract=f"About {word}.",
            published=date(2025, 3, n),
            votes=n,
        )
        for n, word in enumerate(("Lattice", "Sparse", "Robot", "Diffusion"), 1)
    ]
    library.import_parsed(ParseResult("hf-json", drafts), source="four.json")
    ids = {library.entry(i).arxiv_id or "": i for i in library.list_ids()}
    library.set_status([ids["2503.10001"]], "read")
    library.set_status([ids["2503.10002"]], "queued")
    library.change_tags([ids["2503.10002"], ids["2503.10003"]], add=["robots"])
    library.change_tags([ids["2503.10004"]], add=["ML Ops"])  # stored as ml-ops
    library.set_note(ids["2503.10003"], "a note")
    library.ensure_index()
    return ids


FILTERS = [
    "arxiv:2503.10001",
    "arxiv:2503.10004",
    "status:read",
    "status:queued",
    "tag:robots",
    "tag:ml-ops",
    "has:note",
    "votes:>=3",
    "year:2025",
]


def _found(library: Library, query: str) -> set[int]:
    return set(library.search(query).ids)


def test_arxiv_or_arxiv_finds_both(library: Library, four: dict[str, int]) -> None:
    found = _found(library, "arxiv:2503.10004 OR arxiv:2503.10001")
    assert found == {four["2503.10004"], four["2503.10001"]}


def test_filters_joined_by_or_and_and_not_mean_what_each_means_alone(
    library: Library, four: dict[str, int]
) -> None:
    every = set(four.values())
    alone = {f: _found(library, f) for f in FILTERS}
    assert all(alone.values())  # each filter finds something on its own
    for a, b in combinations(FILTERS, 2):
        assert _found(library, f"{a} OR {b}") == alone[a] | alone[b], (a, b)
        assert _found(library, f"({a} OR {b}) AND {a}") == alone[a], (a, b)
        assert _found(library, f"-({a} OR {b})") == every - alone[a] - alone[b], (a, b)
        assert _found(library, f"NOT {a} OR {b}") == (every - alone[a]) | alone[b], (a, b)


def test_words_joined_with_filters_by_or(library: Library, four: dict[str, int]) -> None:
    robot, lattice = four["2503.10003"], four["2503.10001"]
    assert _found(library, "robot") == {robot}
    for flt in FILTERS:
        expected = {robot} | _found(library, flt)
        assert _found(library, f"robot OR {flt}") == expected, flt
        assert _found(library, f"{flt} OR robot") == expected, flt
    assert _found(library, "(lattice OR tag:robots) -status:queued") == {lattice, robot}
    assert _found(library, "(sparse OR tag:ML-Ops) study") == {
        four["2503.10002"],
        four["2503.10004"],
    }
