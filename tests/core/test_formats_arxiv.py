"""Tests of the arXiv API Atom feed parser, including its refusal of entity declarations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digestdesk.core.drafts import Link, ParseResult
from digestdesk.core.formats import arxiv_atom
from digestdesk.errors import NotADigestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
ATOM_SAMPLE = SAMPLES / "arxiv" / "atom_example_entry.xml"
needs_samples = pytest.mark.skipif(
    not ATOM_SAMPLE.is_file(), reason="real samples not available (../shared/samples is absent)"
)
TODAY = date(2025, 11, 20)
FEED = '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>'


def parse(data: bytes | str) -> ParseResult:
    raw = data.encode() if isinstance(data, str) else data
    return arxiv_atom.parse(raw, name="feed.xml", as_of=TODAY, today=TODAY)


def test_small_feed() -> None:
    result = parse((FIXTURES / "arxiv_small.xml").read_bytes())
    assert result.format == "arxiv"
    first, old = result.entries
    assert first.arxiv_id == "2501.00123"
    assert first.title == "Gentle Gradients: A Study\n  of Slow Learning"  # raw
    assert first.abstract.startswith("We learn slowly")
    assert first.authors == ["Dana Writer", "Eli Reader"]
    assert first.categories == ["cs.LG", "stat.ML"]  # primary first, no repeats
    assert first.published == date(2025, 1, 2)  # 23:30 at -05:00 is the 2nd in UTC
    assert first.links == [
        Link("http://arxiv.org/abs/2501.00123v2", "paper"),
        Link("http://arxiv.org/pdf/2501.00123v2", "paper"),
        Link("https://github.com/gentle/gradients", "code"),
        Link("https://gentle.github.io/gradients/", "project"),
    ]
    assert first.where == "entry 1"

    assert old.arxiv_id == "math.GT/0309136"
    assert old.categories == ["math.GT"]
    assert Link("https://doi.org/10.1000/example.42", "paper") in old.links
    assert old.where == "entry 3"

    assert [(p.where, "title" in p.reason) for p in result.problems] == [("entry 2", True)]


def test_empty_feed_is_a_valid_empty_day() -> None:
    result = parse(FEED.format("<title>nothing</title>"))
    assert result.entries == [] and result.problems == []


def test_single_entry_document() -> None:
    entry = '<entry xmlns="http://www.w3.org/2005/Atom"><id>http://arxiv.org/abs/2501.00001v1</id><title>T</title></entry>'
    assert [e.arxiv_id for e in parse(entry).entries] == ["2501.00001"]


def test_entry_without_id_is_a_problem() -> None:
    result = parse(FEED.format("<entry><title>No id</title></entry>"))
    assert result.entries == []
    assert [p.where for p in result.problems] == ["entry 1"]


def test_arxiv_error_entry_is_a_problem() -> None:
    error = (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>"
        "<title>Error</title><summary>incorrect id format for 1234</summary></entry>"
    )
    result = parse(FEED.format(error))
    assert result.entries == []
    assert "incorrect id format" in result.problems[0].reason


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>',
        '<!DOCTYPE feed SYSTEM "http://example.org/evil.dtd">'
        '<feed xmlns="http://www.w3.org/2005/Atom"/>',
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&e;</title></feed>',
    ],
)
def test_declarations_are_refused(document: str) -> None:
    with pytest.raises(NotADigestError, match="DOCTYPE or entities"):
        parse(document)


def test_utf16_declarations_are_refused_too() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "x">]><feed/>'
    with pytest.raises(NotADigestError, match="DOCTYPE or entities"):
        parse(document.encode("utf-16"))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<rss><channel/></rss>", "not an Atom feed"),
        ("<feed><entry/></feed>", "not an Atom feed"),  # no Atom namespace
        ("<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "not well-formed XML"),
        ("", "not well-formed XML"),
        ('<?xml version="1.0" encoding="TF-8"?><feed/>', "could not be read as XML"),
    ],
)
def test_not_atom(document: str, message: str) -> None:
    with pytest.raises(NotADigestError, match=message):
        parse(document)


def test_sniff() -> None:
    assert arxiv_atom.sniff((FIXTURES / "arxiv_small.xml").read_bytes(), None) == 100
    assert arxiv_atom.sniff(FEED.format(""), None) == 80
    assert arxiv_atom.sniff(b"<?xml version='1.0'?><rss/>", None) == 5
    assert arxiv_atom.sniff(b"<!DOCTYPE html><html><body>x</body></html>", None) == 0
    assert arxiv_atom.sniff(b"just text", None) == 0


@needs_samples
def test_manual_example_entry() -> None:
    result = parse(ATOM_SAMPLE.read_bytes())
    assert result.problems == []
    (entry,) = result.entries
    assert entry.arxiv_id == "cond-mat/0102536"
    assert entry.title == "Impact of Electron-Electron Cusp on Configuration Interaction Energies"
    assert len(entry.authors) == 5
    assert entry.authors[0] == "David Prendergast" and entry.authors[-1] == "J. C. Greer"
    assert entry.published == date(2001, 2, 28)
    assert entry.categories == ["cond-mat.str-el"]
    assert Link("http://dx.doi.org/10.1063/1.1383585", "paper") in entry.links
    assert entry.links[0] == Link("http://arxiv.org/abs/cond-mat/0102536v1", "paper")
    assert Link("http://arxiv.org/pdf/cond-mat/0102536v1", "paper") in entry.links
    assert not any("doi.org/10.1063" in link.url for link in entry.links[3:])  # one DOI link
