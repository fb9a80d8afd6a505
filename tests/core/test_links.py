"""Tests of link extraction, safety, classification, naming and arXiv ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core.drafts import LINK_KINDS, Link
from digestdesk.core.links import (
    arxiv_id_from_url,
    classify,
    collect_links,
    extract_links,
    normalize_arxiv_id,
    repo_display_name,
    safe_url,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/o/r.", ["https://github.com/o/r"]),
        ("at https://github.com/o/r, and", ["https://github.com/o/r"]),
        ("(see https://o.github.io/p/)", ["https://o.github.io/p/"]),
        ("[https://github.com/o/r](https://github.com/o/r).", ["https://github.com/o/r"]),
        ("[the code](https://github.com/o/r)", ["https://github.com/o/r"]),
        ("https://en.wikipedia.org/wiki/A_(b)!", ["https://en.wikipedia.org/wiki/A_(b)"]),
        (
            '"https://example.org/x" and \u201chttps://example.org/y\u201d',
            ["https://example.org/x", "https://example.org/y"],
        ),
        (
            "https://a.org/1; https://b.org/2: https://c.org/3?",
            ["https://a.org/1", "https://b.org/2", "https://c.org/3"],
        ),
        ("[list https://a.org/x]", ["https://a.org/x"]),
        ("escaped https://github.com/o/my\\_repo.", ["https://github.com/o/my_repo"]),
        ("twice https://a.org and https://a.org.", ["https://a.org"]),
        ("no links here", []),
        ("ftp://files.example.org/x", []),
        ("https://example.org/search?q=1&x=2#frag.", ["https://example.org/search?q=1&x=2#frag"]),
    ],
)
def test_extract_links(text: str, expected: list[str]) -> None:
    assert extract_links(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("  https://example.org/x\n", "https://example.org/x"),
        ("https://example.org/a\nb", "https://example.org/ab"),
        ("HTTP://Example.org", "http://Example.org"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert('https://x.org')", None),
        ("file:///etc/passwd", None),
        ("data:text/html,<b>x</b>", None),
        ("mailto:someone@example.org", None),
        ("ftp://example.org/f", None),
        ("/relative/path", None),
        ("//example.org/x", None),
        ("https://", None),
        ("https://exa mple.org", None),
        ("https://[::1", None),
        ("", None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/owner/repo", "code"),
        ("https://github.com/owner/repo/tree/main/sub", "code"),
        ("https://www.github.com/owner/repo.git", "code"),
        ("https://gitlab.com/group/project", "code"),
        ("https://codeberg.org/o/r", "code"),
        ("https://bitbucket.org/o/r", "code"),
        ("https://github.com/owner", "other"),
        ("https://github.com/topics/llm", "other"),
        ("https://huggingface.co/owner/model", "code"),
        ("https://huggingface.co/spaces/owner/demo", "code"),
        ("https://huggingface.co/papers/2405.15738", "paper"),
        ("https://huggingface.co/datasets/owner/data", "other"),
        ("https://huggingface.co/owner", "other"),
        ("https://owner.github.io/project/", "project"),
        ("https://group.gitlab.io/project", "project"),
        ("https://arxiv.org/abs/2405.15738", "paper"),
        ("http://arxiv.org/pdf/cond-mat/0102536v1", "paper"),
        ("https://arxiv.org/list/cs.LG/recent", "other"),
        ("https://doi.org/10.1063/1.1383585", "paper"),
        ("http://dx.doi.org/10.1063/1.1383585", "paper"),
        ("https://openreview.net/forum?id=abc", "paper"),
        ("https://example.org/", "other"),
        ("not a url", "other"),
    ],
)
def test_classify(url: str, kind: str) -> None:
    assert classify(url) == kind


def test_collect_links_dedupes_classifies_and_keeps_order() -> None:
    links = collect_links(
        "Code https://github.com/o/r/ and https://github.com/o/r. Page https://o.github.io/p.",
        "Again https://o.github.io/p/ and javascript:alert(1) and https://example.org/x",
    )
    assert links == [
        Link("https://github.com/o/r/", "code"),
        Link("https://o.github.io/p", "project"),
        Link("https://example.org/x", "other"),
    ]


def test_collect_links_extra_urls_come_first_and_hint_kinds() -> None:
    links = collect_links(
        "See https://github.com/o/r and https://lab.example.org/p",
        extra_urls=[
            ("https://github.com/o/r//", "code"),
            ("https://lab.example.org/p", "project"),  # classify says other: the hint wins
            ("https://github.com/o/other", "project"),  # classify says code: it stays code
            ("file:///etc/passwd", "code"),
        ],
    )
    assert links == [
        Link("https://github.com/o/r//", "code"),
        Link("https://lab.example.org/p", "project"),
        Link("https://github.com/o/other", "code"),
    ]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/VITA-Group/READ-ME", "VITA-Group/READ-ME"),
        ("https://github.com/o/r.git", "o/r"),
        ("https://github.com/o/r/tree/main/x", "o/r"),
        ("https://huggingface.co/spaces/o/demo", "o/demo"),
        ("https://huggingface.co/o/model", "o/model"),
        ("https://ku-cvlab.github.io/DiffMatch/", "ku-cvlab.github.io/DiffMatch"),
        ("https://www.example.org", "example.org"),
    ],
)
def test_repo_display_name(url: str, name: str) -> None:
    assert repo_display_name(url) == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2405.15738", "2405.15738"),
        ("2405.15738v2", "2405.15738"),
        ("arXiv:2405.15738v12", "2405.15738"),
        (" arxiv: 0704.0001 ", "0704.0001"),
        ("cond-mat/0102536v1", "cond-mat/0102536"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/2405.15738v2", "2405.15738"),
        ("https://arxiv.org/pdf/2405.15738v1.pdf", "2405.15738"),
        ("http://arxiv.org/abs/cond-mat/0102536v1", "cond-mat/0102536"),
        ("https://huggingface.co/papers/2405.15738", "2405.15738"),
        ("arxiv.org/abs/2405.15738", "2405.15738"),
        ("2413.12345", None),  # month 13
        ("1412.12345", None),  # 5-digit numbers start in 2015
        ("hello", None),
        ("", None),
        ("https://example.org/2405.15738", None),
    ],
)
def test_normalize_arxiv_id(value: str, expected: str | None) -> None:
    assert normalize_arxiv_id(value) == expected


def test_arxiv_id_from_url_ignores_other_urls() -> None:
    assert arxiv_id_from_url("https://arxiv.org/abs/2405.15738") == "2405.15738"
    assert arxiv_id_from_url("https://arxiv.org/list/cs.LG") is None
    assert arxiv_id_from_url("https://github.com/o/r") is None
    assert arxiv_id_from_url("nonsense") is None


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_link_functions_never_raise(text: str) -> None:
    for url in extract_links(text):
        assert url.lower().startswith(("http://", "https://"))
    for link in collect_links(text, extra_urls=[text, (text, "project")]):
        assert link.kind in LINK_KINDS
        assert safe_url(link.url) == link.url
    classify(text)
    repo_display_name(text)
    normalize_arxiv_id(text)
    arxiv_id_from_url(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=60))
def test_extracted_urls_of_url_like_text_are_safe_or_dropped(tail: str) -> None:
    for link in collect_links("see https://" + tail):
        assert link.url.startswith("https://")


def test_internationalised_hosts_are_kept_and_odd_hosts_dropped() -> None:
    assert safe_url("https://\u4f8b\u3048.jp/x") == "https://\u4f8b\u3048.jp/x"
    assert safe_url("https://a<b>.org/") is None


def test_malformed_extra_urls_are_skipped() -> None:
    extras: list[object] = [("https://a.org",), ("https://b.org", "project", 1), 3, None]
    assert collect_links(extra_urls=extras) == []  # type: ignore[arg-type]
