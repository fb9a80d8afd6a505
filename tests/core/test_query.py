"""The query language: parsing, filter extraction, validation and error positions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestdesk.core.index import IndexDoc, WhooshIndex, parse_query
from digestdesk.core.query import Filter, FilterGroup, QueryPlan
from digestdesk.errors import DigestDeskError, QueryError


def test_empty_query() -> None:
    for text in ("", "   ", "\t\n"):
        plan = parse_query(text)
        assert plan.text is None and plan.filters == [] and plan.terms == []
        assert plan.sort == "relevance" and plan.raw == text


def test_default_sort_and_override() -> None:
    assert parse_query("", default_sort="date").sort == "date"
    assert parse_query("sort:votes", default_sort="date").sort == "votes"
    plan = parse_query("graph sort:date")
    assert plan.sort == "date" and plan.filters == []
    assert plan.text is not None and "sort" not in str(plan.text)
    assert parse_query("sort:RELEVANCE", default_sort="date").sort == "relevance"


def test_words_are_stemmed_for_highlighting() -> None:
    plan = parse_query("Networks learning")
    assert ("title", "network") in plan.terms and ("abstract", "learn") in plan.terms
    assert ("authors", "networks") in plan.terms  # names are not stemmed


def test_negated_words_are_not_highlighted() -> None:
    plan = parse_query("graph -networks NOT trees")
    words = {w for _, w in plan.terms}
    assert "graph" in words and "network" not in words and "tree" not in words


def test_stop_words_alone_match_nothing_rather_than_everything() -> None:
    plan = parse_query("the of")
    assert plan.text is not None and plan.filters == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:read", Filter("status", "=", "read")),
        ("status:READ", Filter("status", "=", "read")),
        ("tag:ML", Filter("tag", "=", "ml")),
        ('tag:"my tag"', Filter("tag", "=", "my tag")),
        ("year:2024", Filter("year", "=", 2024)),
        ("year:2023..2025", Filter("year", "range", (2023, 2025))),
        ("year:2023..", Filter("year", ">=", 2023)),
        ("year:..2023", Filter("year", "<=", 2023)),
        ("year:<2020", Filter("year", "<", 2020)),
        ("date:>2025-01-01", Filter("date", ">", date(2025, 1, 1))),
        ("date:>=2025-01-01", Filter("date", ">=", date(2025, 1, 1))),
        ("date:<=2025-01-01", Filter("date", "<=", date(2025, 1, 1))),
        ("date:=2025-01-01", Filter("date", "=", date(2025, 1, 1))),
        (
            "date:2024-01-01..2024-06-30",
            Filter("date", "range", (date(2024, 1, 1), date(2024, 6, 30))),
        ),
        ("votes:>10", Filter("votes", ">", 10)),
        ("votes:10..20", Filter("votes", "range", (10, 20))),
        ("has:code", Filter("has", "=", "code")),
        ("has:note", Filter("has", "=", "note")),
        ("has:project", Filter("has", "=", "project")),
        ("digest:2025-11-20", Filter("digest", "=", date(2025, 11, 20))),
        ("arxiv:2405.15738v3", Filter("arxiv", "=", "2405.15738")),
        ("-status:read", Filter("status", "=", "read", negate=True)),
        ("NOT tag:x", Filter("tag", "=", "x", negate=True)),
    ],
)
def test_filters_at_top_level(text: str, expected: Filter) -> None:
    plan = parse_query(text)
    assert plan.filters == [expected]
    assert plan.text is None


def test_filters_and_text_together() -> None:
    plan = parse_query("graph status:read -tag:old networks votes:>5")
    assert [(f.field, f.negate) for f in plan.filters] == [
        ("status", False),
        ("tag", True),
        ("votes", False),
    ]
    assert plan.text is not None
    assert "status" not in str(plan.text) and "tags" not in str(plan.text)


def test_parenthesised_and_at_top_level_still_gives_filters() -> None:
    plan = parse_query("(status:read graph)")
    assert plan.filters == [Filter("status", "=", "read")]


@pytest.mark.parametrize("text", ["graph OR status:read", "(graph OR tag:x) votes:>5 OR trees"])
def test_filters_joined_with_words_by_or_stay_in_whoosh(text: str) -> None:
    plan = parse_query(text)
    assert plan.filters == []
    assert plan.text is not None


def _status(value: str) -> Filter:
    return Filter("status", "=", value)


@pytest.mark.parametrize(
    ("text", "group", "words"),
    [
        (
            "graph (status:read OR tag:x)",
            FilterGroup("or", [_status("read"), Filter("tag", "=", "x")]),
            True,
        ),
        (
            "NOT (status:read OR status:queued)",
            FilterGroup("or", [_status("read"), _status("queued")], negate=True),
            False,
        ),
        ("status:(read OR queued)", FilterGroup("or", [_status("read"), _status("queued")]), False),
        (
            "(graph OR trees) AND (year:2024 OR -votes:>10)",
            FilterGroup("or", [Filter("year", "=", 2024), Filter("votes", ">", 10, negate=True)]),
            True,
        ),
        (
            "arxiv:2503.10004 OR (status:read tag:x)",
            FilterGroup(
                "or",
                [
                    Filter("arxiv", "=", "2503.10004"),
                    FilterGroup("and", [_status("read"), Filter("tag", "=", "x")]),
                ],
            ),
            False,
        ),
    ],
)
def test_filters_joined_by_or_go_to_sql_as_a_group(
    text: str, group: FilterGroup, words: bool
) -> None:
    plan = parse_query(text)
    assert plan.filters == [group]
    assert (plan.text is not None) == words


def test_colon_in_non_field_words_is_text() -> None:
    plan = parse_query("10:30 ratio")
    assert plan.filters == [] and plan.text is not None


def test_field_names_inside_quotes_are_text() -> None:
    assert parse_query('"foo:bar"').text is not None


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("date:2025-13-01", "date:2025-13-01: not a date (use YYYY-MM-DD)", 0),
        ("graph date:2025-02-30", "date:2025-02-30: not a date", 6),
        ("digest:yesterday", "digest:yesterday: not a date", 0),
        ("x year:twenty", "year:twenty: not a year", 2),
        ("year:123456", "not a year", 0),
        ("votes:many", "votes:many: not a number", 0),
        ("votes:>", "needs a value", 0),
        ("votes:99999999999999999999", "not a number", 0),
        ("year:2025..2020", "backwards", 0),
        ("year:..", "range needs at least one end", 0),
        (
            "status:done",
            "status:done: not a status (use unread, queued, reading, read, skipped)",
            0,
        ),
        ("status:>read", "only matches exact values", 0),
        ("has:pdf", "has:pdf: unknown", 0),
        ("foo:bar", "Unknown field foo: (fields are title, abstract, author", 0),
        ("graph Foo:bar", "Unknown field Foo:", 6),
        ('graph "neural nets', 'Unbalanced quote: the " at position 7', 6),
        ("(graph OR trees", "the ( at position 1 is never closed", 0),
        ("graph (", "the ( at position 7 is never closed", 6),
        ("graph)", "the ) at position 6 has no matching (", 5),
        ("graph ) trees", "the ) at position 7 has no matching (", 6),
        ("()", "Empty parentheses", 0),
        ("tra*", "at least 4 characters before *", 0),
        ("x title:ab*", "at least 4 characters", 8),
        ("a*b", "only allowed at the end", 0),
        ("grap?", "only allowed at the end", 0),
        ("graph~3", "1 or 2 edits", 0),
        ("AND graph", "AND at position 1 needs something before it", 0),
        ("graph AND", "AND at position 7 needs something after it", 6),
        ("graph OR", "OR at position 7 needs something after it", 6),
        ("graph OR OR trees", "OR at position 7 needs something after it", 6),
        ("NOT", "NOT at position 1 needs something after it", 0),
        ("title:", "title: needs a value right after the colon", 0),
        ("title: graph", "title: needs a value", 0),
        ("sort:random", "sort:random: unknown order", 0),
        ("-sort:date", "cannot be negated", 1),
        ("tag:", "needs a value", 0),
    ],
)
def test_malformed_queries(text: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert message in err.value.user_message
    assert err.value.position == position
    assert isinstance(err.value, DigestDeskError)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(QueryError):
        parse_query("(" * 5000 + "x" + ")" * 5000)
    with pytest.raises(QueryError):
        parse_query("NOT " * 5000 + "x")


# ---------------------------------------------------------------- fuzzing

_ALPHABET = st.sampled_from(
    list("abcdeghnrst019 -+*~?:\"()<>=.,_\\'\t\nÄé字")
    + [
        "AND",
        "OR",
        "NOT",
        "title:",
        "status:",
        "date:",
        "year:",
        "votes:",
        "tag:",
        "has:",
        "digest:",
        "sort:",
        "author:",
        "arxiv:",
        "2025-01-01",
        "..",
        "read",
        "code",
        "date",
        " AND ",
        " OR ",
        " NOT ",
        "trans",
        "network",
        "the",
    ]
)
_QUERIES = st.one_of(st.text(max_size=40), st.lists(_ALPHABET, max_size=14).map("".join))


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> WhooshIndex:
    ix = WhooshIndex(Path(tmp_path_factory.mktemp("fuzz")) / "index")
    ix.rebuild(
        [
            IndexDoc(
                i,
                f"network transformer {i}",
                "the graph read code",
                ["Ann Bee"],
                ["kw"],
                "",
                ["t"],
                "",
                "read",
                date(2025, 1, 1),
                i,
                ["code"],
                [date(2025, 1, 2)],
            )
            for i in range(1, 6)
        ],
        library_uuid="fuzz",
        last_seq=1,
    )
    return ix


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=_QUERIES)
def test_random_text_parses_or_raises_query_error(text: str, small_index: WhooshIndex) -> None:
    try:
        plan = parse_query(text)
    except QueryError as err:
        assert err.user_message
        assert err.position is None or 0 <= err.position <= len(text)
        return
    assert isinstance(plan, QueryPlan)
    # and whatever parsed also runs, counts and highlights without error
    hits = small_index.search(plan, allowed={1, 2, 3}, limit=10)
    small_index.count(plan)
    small_index.highlights([h.id for h in hits], plan)
