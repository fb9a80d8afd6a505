"""The reader marks the searched words as the index found them: stems, prefixes, fuzzy words."""

from __future__ import annotations

from digestdesk.ui.highlight import TermMatcher, spans


def _marked(text: str, terms: list[tuple[str, str]]) -> list[str]:
    return [text[a:b] for a, b in spans(text, TermMatcher(terms))]


def test_a_stemmed_word_marks_its_forms() -> None:
    marked = _marked("Models model the modelling.", [("abstract", "model")])
    assert marked == ["Models", "model", "modelling"]


def test_a_prefix_typed_past_the_stem_still_marks_its_words() -> None:
    text = "Diffusion models diffuse; diffusional kernels."
    assert _marked(text, [("abstract", "diffusio*")]) == ["Diffusion", "diffusional"]
    assert _marked(text, [("abstract", "diffu*")]) == ["Diffusion", "diffuse", "diffusional"]


def test_terms_of_other_fields_mark_nothing() -> None:
    assert _marked("Hinton wrote it.", [("authors", "hinton")]) == []
