"""Marking the searched words as the index found them (stems, prefixes, fuzzy words), with one
matcher for the reader pane and the search's snippets, and the marking's analysis equal to the
index's own."""

from __future__ import annotations

import pytest

from digestdesk.core.index import text_analysis
from digestdesk.core.query import TermMatcher, matching_spans, within_edits


def _marked(text: str, terms: list[tuple[str, str]]) -> list[str]:
    spans = matching_spans(text, TermMatcher(terms), text_analysis("abstract"))
    return [text[a:b] for a, b in spans]


def test_a_stemmed_word_marks_its_forms() -> None:
    marked = _marked("Models model the modelling.", [("abstract", "model")])
    assert marked == ["Models", "model", "modelling"]


def test_a_prefix_typed_past_the_stem_still_marks_its_words() -> None:
    text = "Diffusion models diffuse; diffusional kernels."
    assert _marked(text, [("abstract", "diffusio*")]) == ["Diffusion", "diffusional"]
    assert _marked(text, [("abstract", "diffu*")]) == ["Diffusion", "diffuse", "diffusional"]
    # the search's own snippets mark the same (its stem "tokeniz" is past "token" too)
    tokens = "Byte pair encoding, unigram models and their tokenizers compared."
    assert _marked(tokens, [("abstract", "tokeniz*")]) == ["tokenizers"]


def test_terms_of_other_fields_mark_nothing() -> None:
    assert _marked("Hinton wrote it.", [("authors", "hinton")]) == []
    matcher = TermMatcher([("title", "graph"), ("abstract", "tree")], fields=("title",))
    assert matcher("graph") and not matcher("tree")


def test_fuzzy_words_mark_words_within_their_edits() -> None:
    text = "Diffusion models and difusion typos; confusion."
    assert _marked(text, [("abstract", "difus~1")]) == ["Diffusion", "difusion"]  # stems
    assert within_edits("difusion", "diffusion", 1)
    assert not within_edits("confusion", "diffusion", 2)
    assert within_edits("kitten", "sitting", 3) and not within_edits("kitten", "sitting", 2)


@pytest.mark.parametrize("fieldname", ["abstract", "title", "note", "authors"])
def test_matching_spans_agree_with_the_analyzer(fieldname: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from digestdesk.core.index.schema import SCHEMA, analyzer

    analyse = analyzer(SCHEMA, fieldname)  # the index's own analyser of that field
    words = st.sampled_from(
        [
            "Learning",
            "learned",
            "a",
            "the",
            "x",
            "models",
            "Model's",
            "A.I.",
            "x-ray",
            "Müller",
            "naïve",
            "2024",
            "gpt-4o",
            "über",
            "happy",
            "happiness",
            "of",
            "LLMs",
            "—",
            "*",
            "_",
        ]
    )
    seps = st.sampled_from([" ", "  ", ", ", ".\n", "(", ") ", "\u00a0", "/"])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(words, seps), max_size=30), st.lists(words, min_size=1, max_size=3))
    def check(parts: list[tuple[str, str]], wanted: list[str]) -> None:
        text = "".join(w + s for w, s in parts)
        terms = {t.text for w in wanted for t in analyse(w)}
        prefixes = {"happ*", "mülle*"} if len(wanted) > 1 else set()
        matcher = TermMatcher([(fieldname, w) for w in terms | prefixes], fields=(fieldname,))
        expected = [
            (t.startchar, t.endchar)
            for t in analyse(text, chars=True, mode="index")
            if matcher(t.text, text[t.startchar : t.endchar].lower())
        ]
        assert matching_spans(text, matcher, text_analysis(fieldname)) == expected

    check()


def test_a_phrase_marks_its_words_only_where_they_stand_together() -> None:
    text = "Learning rates matter. Reinforcement learning and learning rate schedules."
    assert _marked(text, [("abstract", "learn rate")]) == [
        "Learning",
        "rates",
        "learning",
        "rate",
    ]
    # Stop words between count for nothing, as in the index ("state of the art").
    art = "The state of the art; a state, an old art."
    assert _marked(art, [("abstract", "state art")]) == ["state", "art"]
    # A lone word of the query beside the phrase is marked wherever it stands.
    assert _marked(text, [("abstract", "learn rate"), ("abstract", "schedul")]) == [
        "Learning",
        "rates",
        "learning",
        "rate",
        "schedules",
    ]
    assert TermMatcher([("abstract", "learn rate")])  # a phrase alone is something to mark
