"""Compiling the query language into Whoosh queries: which fields a word is searched in and
with what boost, and the query shapes words, phrases, prefixes, fuzzy words, operators and
nested filters become."""

from __future__ import annotations

from whoosh import query as wq

from digestdesk.core.index import parse_query
from digestdesk.core.index.compiler import TopPrefix


def test_default_fields_and_title_boost() -> None:
    plan = parse_query("graph")
    assert isinstance(plan.text, wq.Or)
    fields = {(q.fieldname, q.boost) for q in plan.text.subqueries}
    assert ("title", 2.0) in fields and ("abstract", 1.0) in fields
    # keywords, ai_summary and note are searched through one combined field
    assert {f for f, _ in fields} == {"title", "abstract", "extra", "authors"}
    assert {"keywords", "ai_summary", "note"} <= {f for f, _ in plan.terms}


def test_phrase_prefix_fuzzy_shapes() -> None:
    assert isinstance(parse_query('title:"graph networks"').text, wq.Phrase)
    prefix = parse_query("title:trans*").text
    assert isinstance(prefix, TopPrefix) and "trans" in prefix.prefixes
    fuzzy = parse_query("title:netwrk~").text
    assert isinstance(fuzzy, wq.FuzzyTerm) and fuzzy.maxdist == 1
    assert parse_query("title:netwrk~2").text.maxdist == 2  # type: ignore[union-attr]
    assert isinstance(parse_query("title:netwrk").text, wq.Term)


def test_a_word_with_punctuation_is_a_phrase() -> None:
    q = parse_query("title:state-of-the-art").text
    assert isinstance(q, wq.Phrase) and q.words == ["state", "art"]


def test_nested_filter_queries() -> None:
    q = parse_query("graph OR status:read").text
    assert isinstance(q, wq.Or)
    assert wq.Term("status", "read") in q.subqueries
    q = parse_query("graph OR year:2020..2021").text
    assert any(isinstance(s, wq.NumericRange) and s.fieldname == "year" for s in q.subqueries)
    q = parse_query("graph OR date:>2020-01-31").text
    rng = next(s for s in q.subqueries if isinstance(s, wq.NumericRange))
    assert (rng.fieldname, rng.start, rng.end, rng.startexcl) == ("published", 20200131, None, True)
    q = parse_query("graph OR digest:2020-01-01..2020-02-01").text
    assert any(isinstance(s, wq.TermRange) and s.fieldname == "digests" for s in q.subqueries)


def test_operators_are_upper_case_only() -> None:
    plan = parse_query("graph or trees")
    assert isinstance(plan.text, wq.And)  # "or" is a (stop) word, dropped; AND of the rest
    assert isinstance(parse_query("graph OR trees").text, wq.Or)


def test_precedence_and_binds_tighter_than_or() -> None:
    q = parse_query("title:a1 OR title:b1 title:c1").text
    assert isinstance(q, wq.Or)
    assert isinstance(q.subqueries[1], wq.And)


def test_minus_and_not_build_and_not() -> None:
    q = parse_query("title:graph -title:trees").text
    assert isinstance(q, wq.AndNot)
    q = parse_query("title:graph NOT title:trees").text
    assert isinstance(q, wq.AndNot)
    assert isinstance(parse_query("-title:trees").text, wq.Not)
