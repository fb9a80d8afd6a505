"""Tests of text cleanup for display/indexing and of title identity keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core.text import clean_text, normalize_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Large Multimodal\n  Models", "Large Multimodal Models"),
        ("a\r\nb\rc\td", "a b c d"),
        ("non\u00a0breaking\u00a0 space", "non breaking space"),
        ("   padded   ", "padded"),
        ("", ""),
        ("\n\n", ""),
    ],
)
def test_white_space_collapses(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"the {\em glassiness} they hide", "the glassiness they hide"),
        (r"{\it italic} and {\bf bold}", "italic and bold"),
        (r"\emph{x}, \textit{y} and \textbf{z}", "x, y and z"),
        (r"{\bf \emph{nested}}", "nested"),
        (r"ten Q\&As", "ten Q&As"),
        (r"99\% of it", "99% of it"),
        (r"snake\_case", "snake_case"),
        (r"costs \$5", "costs $5"),
        ("Transformer~(PVT)", "Transformer (PVT)"),
        ("the first ``deep'' methods", "the first \u201cdeep\u201d methods"),
        ("a -- b", "a -- b"),
    ],
)
def test_tex_left_overs_are_cleaned(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_math_is_left_alone() -> None:
    assert clean_text(r"rate $O(1/\log n)$ here") == r"rate $O(1/\log n)$ here"
    assert clean_text(r"$a~b$ and a~b") == r"$a~b$ and a b"


def test_urls_keep_their_tilde() -> None:
    assert clean_text("see https://example.org/~user/page.") == (
        "see https://example.org/~user/page."
    )


def test_normalize_title_ignores_case_punctuation_and_spacing() -> None:
    a = normalize_title("Read-ME: Refactorizing LLMs as Router-Decoupled Mixture of Experts")
    b = normalize_title("read me  refactorizing\nllms as router decoupled mixture of experts")
    assert a == b == "read me refactorizing llms as router decoupled mixture of experts"


def test_normalize_title_applies_nfkc_and_tex_cleanup() -> None:
    assert normalize_title("\uff2c\uff2c\uff41\uff2d\uff21 2") == "llama 2"  # full-width
    assert normalize_title(r"The {\em Lottery} Ticket") == "the lottery ticket"
    assert normalize_title("``Deep'' Nets") == normalize_title('"Deep" nets')


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert isinstance(normalize_title(text), str)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_clean_text_is_idempotent_on_plain_text(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == clean_text(once)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"2.3\times greater token efficiency", "2.3× greater token efficiency"),
        (r"recall of (0.673 \pm 0.019)", "recall of (0.673 ± 0.019)"),
        (r"Fisher exact p\approx0.37", "Fisher exact p≈0.37"),
        (r"LLaMA\nobreakdash-3.1 and Gemma\nobreakdash-3", "LLaMA-3.1 and Gemma-3"),
        (r"edits, \eg, colour; \ie all of it", "edits, e.g., colour; i.e. all of it"),
        (r"a\leq b\geq c \cdot d \ldots", "a≤ b≥ c · d …"),
        (r"each 1.5\,s chunk, 2\, s, x\!y", "each 1.5 s chunk, 2 s, xy"),
        (r"\timesheet and \pmatrix stay", r"\timesheet and \pmatrix stay"),
        (r"math $2\times 3$ stays", r"math $2\times 3$ stays"),
    ],
)
def test_tex_symbols_outside_math_become_characters(raw: str, expected: str) -> None:
    """As arXiv abstracts in the daily-papers API write them (found in the real samples)."""
    assert clean_text(raw) == expected
