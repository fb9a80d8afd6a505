"""The reader marks the searched words (as the core's matcher finds them) in escaped HTML."""

from __future__ import annotations

from digestdesk.core.query import TermMatcher
from digestdesk.ui.highlight import highlighted_html


def test_marks_are_styled_spans_around_escaped_text() -> None:
    text = "Diffusion <models> & diffusional kernels."
    html = highlighted_html(text, TermMatcher([("abstract", "diffusio*")]), "color:red;")
    assert html == (
        '<span style="color:red;">Diffusion</span> &lt;models&gt; &amp; '
        '<span style="color:red;">diffusional</span> kernels.'
    )


def test_without_terms_text_is_only_escaped() -> None:
    assert highlighted_html("a < b", TermMatcher([]), "x") == "a &lt; b"
    assert highlighted_html("Hinton", TermMatcher([("authors", "hinton")]), "x") == "Hinton"
