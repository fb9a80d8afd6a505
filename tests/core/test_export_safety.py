"""Exports are safe for the program that opens them, whatever the entries' text holds.

CSV: a text cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return) starts with ``'`` (OWASP's rule); everything else reads back exactly.
Markdown: rendered by a CommonMark renderer, entry text is text: no HTML element, no link or
image that the entry's text made; the export's own links still work.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digestdesk.core import export
from digestdesk.core.drafts import EntryDraft, Link, ParseResult, UserState
from digestdesk.core.library import Library

markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is a test dependency")

HOSTILE_TITLES = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3 is a formula",
    "@SUM(A1)",
    "\tTabbed start",
    "<img src=http://127.0.0.1:9/pixel.png> tracked",
    "<script>alert(1)</script> scripted",
    "![pixel](http://127.0.0.1:9/p.png) image syntax",
    "[click](javascript:alert(1)) link syntax",
    "a & b &amp; <b>bold</b> `tick` *em* _u_ | pipe",
]


def _drafts() -> list[EntryDraft]:
    drafts = [
        EntryDraft(
            title=title,
            arxiv_id=f"2501.{n:05d}",
            authors=['=HYPERLINK("http://x")', "<i>Ann</i> O'Neil"],
            abstract="# not a heading\n<iframe src=x></iframe> 1. not a list",
            published=date(2025, 1, 2),
            votes=-5 if n == 0 else n,
            links=[Link('https://github.com/a/b?q=<x>&y="z"', "code")],
            user_state=UserState(
                status="read",
                tags=["@mention", "ok"],
                note="-note\n=1+1\n> <img src=x>\nplain",
            ),
        )
        for n, title in enumerate(HOSTILE_TITLES)
    ]
    drafts.append(
        EntryDraft(
            title="Quiet title",
            links=[Link("javascript:alert(1)", "code")],
            user_state=UserState(tags=["`odd`"]),
        )
    )
    return drafts


@pytest.fixture
def hostile(library: Library) -> Library:
    report = library.import_parsed(ParseResult("digestdesk", _drafts()), source="hostile.json")
    assert report.new == len(HOSTILE_TITLES) + 1 and not report.skipped
    return library


# ---------------------------------------------------------------------------------- CSV
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\uff1d"])
def test_csv_cell_neutralises_each_formula_start(start: str) -> None:
    assert export.csv_cell(f"{start}1+1") == f"'{start}1+1"


@given(st.text())
@settings(max_examples=300)
def test_csv_cell_never_starts_a_formula_and_only_adds_a_quote(text: str) -> None:
    cell = export.csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text)


def test_csv_export_neutralises_formulas_and_round_trips_the_rest(hostile: Library) -> None:
    rows = list(csv.DictReader(io.StringIO(export.export_text(hostile, "csv"), newline="")))
    by_id = {row["arxiv_id"]: row for row in rows}
    for n, title in enumerate(HOSTILE_TITLES):
        row = by_id[f"2501.{n:05d}"]
        shown = title.strip()  # titles are cleaned to one trimmed line
        expected = ("'" + shown) if shown[0] in "=+-@" else shown
        assert row["title"] == expected
        assert row["authors"] == "'=HYPERLINK(\"http://x\"); <i>Ann</i> O'Neil"
        assert row["tags"] == "'@mention, ok"
        assert row["note"] == "'-note\n=1+1\n> <img src=x>\nplain"
        assert row["code"] == 'https://github.com/a/b?q=<x>&y="z"'
        assert row["votes"] == ("-5" if n == 0 else str(n))  # numbers stay numbers
        assert (row["published"], row["status"]) == ("2025-01-02", "read")
    for row in rows:
        for name, value in row.items():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), (name, value)
            assert not value.startswith("-") or name == "votes", (name, value)


# ----------------------------------------------------------------------------- Markdown
def _render(text: str) -> str:
    html: str = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    return html


def test_markdown_export_carries_no_html_and_no_links_from_entry_text(hostile: Library) -> None:
    text = export.export_text(hostile, "markdown")
    html = _render(text)
    tags = set(re.findall(r"<([a-z0-9]+)", html))
    assert tags <= {"h1", "h2", "p", "a", "code", "blockquote", "br"}, tags
    hrefs = re.findall(r'<a href="([^"]*)"', html)
    assert all(
        h.startswith(("https://arxiv.org/abs/2501.", "https://github.com/a/b")) for h in hrefs
    )
    assert len([h for h in hrefs if "arxiv.org" in h]) == len(HOSTILE_TITLES)  # links still work
    assert "https://github.com/a/b?q=%3Cx%3E&amp;y=%22z%22" in hrefs[1]
    assert "javascript" not in "".join(hrefs)
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert len(headings) == len(HOSTILE_TITLES) + 1
    # Each title reads exactly as it was (as HTML text: escaped once, by the renderer).
    plain = [re.sub(r"<[^>]+>", "", h) for h in headings]
    for title in HOSTILE_TITLES:
        shown = title.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert shown.replace('"', "&quot;") in plain or shown in plain, title
    assert html.count("<h1>") == 1  # "# not a heading" in an abstract stays text
    assert "<ol" not in html and "<ul" not in html and "<table" not in html


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_md_text_renders_as_the_text_itself(text: str) -> None:
    line = " ".join(text.split())  # clean_text makes titles one line
    if not line:
        return
    html = _render("## " + export.md_text(line))
    inner = re.fullmatch(r"<h2>(.*)</h2>\n", html, re.S)
    assert inner is not None, html
    assert "<" not in inner.group(1)  # no element came from the text
