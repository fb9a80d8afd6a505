"""Tests of the Hugging Face papers page text parser (saved pages and browser copies)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digestdesk.core.drafts import Link
from digestdesk.core.formats import hf_page
from digestdesk.errors import NotADigestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(
    not (SAMPLES / "hf-papers-page.txt").is_file(),
    reason="real samples not available (../shared/samples is absent)",
)
AS_OF = date(2025, 11, 20)


def small_page() -> str:
    return (FIXTURES / "hf_page_small.txt").read_text(encoding="utf-8")


def parse(text: str | bytes, as_of: date = AS_OF) -> hf_page.ParseResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hf_page.parse(data, name="page.txt", as_of=as_of, today=as_of)


def test_small_page_parses() -> None:
    result = parse(small_page())
    assert result.format == "hf-page"
    assert result.problems == []
    assert result.digest_date == date(2025, 11, 20)
    assert result.as_of == AS_OF
    first, second, third = result.entries

    assert first.title.startswith("Sparse Lanterns")
    assert first.abstract.startswith("We study how to prune")
    assert first.published == date(2024, 2, 3)
    assert not first.published_year_inferred
    assert first.votes == 7
    assert first.authors_count == 5 and first.authors == []
    assert first.links == [Link("https://github.com/example-lab/sparse-lanterns", "code")]
    assert first.where == "line 13"
    assert first.digest_date == date(2025, 11, 20)

    assert second.authors_count == 1 and second.authors == []
    assert second.published == date(2025, 11, 18) and second.published_year_inferred
    assert second.votes is None
    assert second.links == [Link("https://github.com/solo-author/tiny-tides", "code")]

    # "Dec 31" seen on 2025-11-20 can only be last year's.
    assert third.published == date(2024, 12, 31) and third.published_year_inferred
    assert third.authors_count == 2  # the line had no bullet
    assert third.links == [
        Link("https://orchard-lab.github.io/winter/", "project"),
        Link("https://arxiv.org/abs/2412.01234v2", "paper"),
    ]


def test_text_fields_stay_raw() -> None:
    entry = parse(small_page()).entries[0]
    assert r"{\em Faster}" in entry.title
    assert r"99\%" in entry.abstract


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: t.replace("\n\n", "\n"), id="no-blank-lines"),
        pytest.param(lambda t: t.replace("\n", "\n\n\n"), id="extra-blank-lines"),
        pytest.param(lambda t: t.replace(" ", "\u00a0"), id="nbsp"),
        pytest.param(lambda t: t.replace("\u00b7\n", ""), id="no-middle-dot"),
        pytest.param(lambda t: t.replace("  \u2022 ", ""), id="no-bullets"),
        pytest.param(lambda t: t.replace("\n", "  \n"), id="trailing-spaces"),
        pytest.param(
            lambda t: "Hugging Face\nModels\nDatasets\nSpaces\nPricing\n" + t, id="leading-junk"
        ),
        pytest.param(lambda t: t + "\nPrevious\n1\n2\nNext\nSystem theme\n", id="trailing-junk"),
        pytest.param(lambda t: t.split("Nov 20\n", 1)[1], id="no-header"),
        pytest.param(lambda t: t.replace("\n\u00b7\n", " \u00b7 "), id="joined-anchor-line"),
    ],
)
def test_browser_copy_variants_parse_the_same(variant: object) -> None:
    assert callable(variant)
    expected = parse(small_page())
    result = parse(variant(small_page()))
    assert result.problems == []
    assert [e.title.replace("\u00a0", " ") for e in result.entries] == [
        e.title for e in expected.entries
    ]
    assert [(e.published, e.votes, e.authors_count) for e in result.entries] == [
        (e.published, e.votes, e.authors_count) for e in expected.entries
    ]
    assert [e.links for e in result.entries] == [e.links for e in expected.entries]


def test_cp1252_bytes_decode() -> None:
    text = small_page().replace("Tiny Tides", "Tiny Tid\u00e9s").replace("\u2022", "-")
    text = text.replace("\u00b7\n", "")
    result = parse(text.encode("cp1252"))
    assert result.entries[1].title.startswith("Tiny Tid\u00e9s")


def test_malformed_entry_is_a_problem_and_the_rest_parse() -> None:
    lines = small_page().split("\n")
    # Drop the second entry's abstract: its title stands alone before the authors line.
    abstract_index = next(i for i, line in enumerate(lines) if line.startswith("A study of"))
    del lines[abstract_index]
    result = parse("\n".join(lines))
    assert [e.title[:6] for e in result.entries] == ["Sparse", "Winter"]
    assert len(result.problems) == 1
    title_line = next(i for i, line in enumerate(lines, 1) if line.startswith("Tiny Tides"))
    assert result.problems[0].where == f"line {title_line}"
    assert "no abstract" in result.problems[0].reason


def test_entry_without_date_line_is_a_problem() -> None:
    text = small_page().replace("\u00b7\nNov 18\n", "")
    result = parse(text)
    assert [e.title[:6] for e in result.entries] == ["Sparse", "Winter"]
    assert [p.where for p in result.problems] == ["line 21"]
    assert "no date" in result.problems[0].reason


def test_impossible_date_is_a_problem() -> None:
    result = parse(small_page().replace("Feb 3, 2024 7", "Feb 30, 2024 7"))
    assert [p.where for p in result.problems] == ["line 13"]
    assert len(result.entries) == 2


def test_trailing_lost_abstract_is_reported() -> None:
    result = parse(small_page() + "\nOrphan title\n\n" + "An abstract. " * 30 + "\n")
    assert len(result.entries) == 3
    assert len(result.problems) == 1


@pytest.mark.parametrize(
    ("month", "day", "as_of", "expected"),
    [
        (6, 1, date(2025, 11, 20), date(2025, 6, 1)),
        (11, 20, date(2025, 11, 20), date(2025, 11, 20)),
        (11, 21, date(2025, 11, 20), date(2024, 11, 21)),
        (2, 29, date(2025, 11, 20), date(2024, 2, 29)),
        (2, 29, date(2024, 2, 28), date(2020, 2, 29)),
        (2, 29, date(2024, 3, 1), date(2024, 2, 29)),
        (1, 1, date(2025, 1, 1), date(2025, 1, 1)),
    ],
)
def test_year_less_dates_resolve_against_as_of(
    month: int, day: int, as_of: date, expected: date
) -> None:
    assert hf_page.resolve_date(month, day, None, as_of) == (expected, True)


def test_impossible_year_less_date_raises_value_error() -> None:
    with pytest.raises(ValueError):
        hf_page.resolve_date(2, 30, None, AS_OF)


def test_as_of_changes_inferred_years() -> None:
    result = parse(small_page(), as_of=date(2026, 1, 5))
    assert result.digest_date == date(2025, 11, 20)
    assert result.entries[1].published == date(2025, 11, 18)
    assert result.entries[2].published == date(2025, 12, 31)


def test_prose_is_not_a_page() -> None:
    prose = b"Dear reader,\n\nthis is a letter about papers.\nIt mentions 3 authors inline.\n"
    assert hf_page.sniff(prose, None) == 0
    with pytest.raises(NotADigestError, match="not a Hugging Face papers page"):
        parse(prose)


def test_sniff_likes_pages() -> None:
    assert hf_page.sniff(small_page().encode(), "x.txt") >= 60


@needs_samples
def test_real_page_sample() -> None:
    result = parse((SAMPLES / "hf-papers-page.txt").read_bytes())
    assert result.problems == []
    assert len(result.entries) == 12
    assert result.digest_date == date(2025, 11, 20)
    by_date = {(e.published, e.votes, e.published_year_inferred) for e in result.entries}
    assert (date(2025, 6, 1), None, True) in by_date  # "Jun 1"
    assert (date(2025, 3, 4), 2, True) in by_date  # "Mar 4 2"
    assert (date(2021, 11, 25), None, False) in by_date  # "Nov 25, 2021"
    assert (date(2018, 3, 9), 1, False) in by_date  # "Mar 9, 2018 1"
    assert sum(e.published_year_inferred for e in result.entries) == 2
    assert all(e.title and len(e.abstract) > 500 for e in result.entries)
    assert all(e.authors_count and e.authors == [] for e in result.entries)
    assert [e.authors_count for e in result.entries].count(1) == 1

    urls = [link for entry in result.entries for link in entry.links]
    assert Link("https://github.com/VITA-Group/Random_Pruning", "code") in urls  # "." stripped
    assert Link("https://ku-cvlab.github.io/DiffMatch/", "project") in urls
    markdown = [link for link in urls if "gnn-jamming" in link.url]
    assert markdown == [
        Link("https://github.com/daniaherzalla/gnn-jamming-source-localization", "code")
    ]
    assert all(not link.url.endswith((".", ")", "]")) for link in urls)


@needs_samples
def test_real_page_sample_as_crlf_browser_copy() -> None:
    text = (SAMPLES / "hf-papers-page.txt").read_text(encoding="utf-8")
    copy = "Hugging Face\nPapers\n" + text.replace("\n\n", "\n").replace(" ", "\u00a0")
    result = parse(copy.replace("\n", "\r\n"))
    assert result.problems == []
    assert len(result.entries) == 12


def test_a_stray_short_line_between_entries_is_ignored() -> None:
    text = small_page().replace("Tiny Tides:", "12\n\nTiny Tides:")
    result = parse(text)
    assert result.problems == []
    assert [e.title[:4] for e in result.entries] == ["Spar", "Tiny", "Wint"]


def test_entry_without_authors_and_date_is_a_problem() -> None:
    text = small_page().replace("  \u2022 1 authors\n\u00b7\nNov 18\n", "")
    result = parse(text)
    assert [e.title[:4] for e in result.entries] == ["Spar", "Wint"]
    assert [p.where for p in result.problems] == ["line 21"]
    assert "Tiny Tides" in result.problems[0].reason
