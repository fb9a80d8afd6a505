"""Tests of format detection and the registry's parse entry point."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from digestdesk.core import formats
from digestdesk.core.formats import arxiv_atom, digestdesk_json, hf_json, hf_page
from digestdesk.errors import NotADigestError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason="real samples not available (../shared/samples is absent)"
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_registry_lists_every_format() -> None:
    assert formats.format_names() == ["digestdesk", "hf-json", "arxiv", "hf-page"]
    for module in formats.FORMATS:
        assert callable(module.sniff) and callable(module.parse)
        assert module.TITLE and module.NAME


@pytest.mark.parametrize(
    ("file_name", "module"),
    [
        ("hf_page_small.txt", hf_page),
        ("hf_daily_small.json", hf_json),
        ("arxiv_small.xml", arxiv_atom),
        ("digestdesk_small.json", digestdesk_json),
    ],
)
def test_detect(file_name: str, module: object) -> None:
    assert formats.detect(fixture(file_name), file_name) is module
    assert formats.detect(fixture(file_name), None) is module  # the name is not needed


def test_parse_auto_uses_defaults() -> None:
    result = formats.parse(fixture("hf_page_small.txt"))
    assert result.format == "hf-page"
    assert result.as_of == date.today()
    assert len(result.entries) == 3


def test_parse_passes_as_of_and_today() -> None:
    result = formats.parse(
        fixture("hf_page_small.txt"), as_of=date(2025, 11, 20), today=date(2030, 1, 1)
    )
    assert result.as_of == date(2025, 11, 20)
    assert result.entries[1].published == date(2025, 11, 18)
    flat = json.dumps([{"title": "T", "summary": "S"}]).encode()
    assert formats.parse(flat, today=date(2030, 1, 1)).digest_date == date(2030, 1, 1)
    assert formats.parse(flat, name="2024-02-29.json").digest_date == date(2024, 2, 29)


def test_parse_accepts_text() -> None:
    text = fixture("hf_page_small.txt").decode()
    assert len(formats.parse(text, as_of=date(2025, 11, 20)).entries) == 3


def test_forced_format() -> None:
    data = fixture("hf_daily_small.json")
    assert formats.parse(data, format="hf-json").format == "hf-json"
    with pytest.raises(NotADigestError, match="not a Hugging Face papers page"):
        formats.parse(data, format="hf-page")
    with pytest.raises(NotADigestError, match="no input format called"):
        formats.parse(data, format="csv")


@pytest.mark.parametrize(
    "data",
    [
        b"Dear reader, this is plain prose.\nNothing to see.\n",
        bytes(range(256)) * 4,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    ],
)
def test_nothing_matches(data: bytes) -> None:
    with pytest.raises(NotADigestError, match="is not a digest Digest Desk can read") as caught:
        formats.parse(data, name="mystery.bin")
    message = caught.value.user_message
    assert "“mystery.bin”" in message
    for module in formats.FORMATS:
        assert module.TITLE in message


def test_html_gets_a_hint() -> None:
    with pytest.raises(NotADigestError, match="web page"):
        formats.parse(b"<!DOCTYPE html><html><body>Daily Papers</body></html>")


@pytest.mark.parametrize("data", [b"", b"   \n\t", b"\xef\xbb\xbf"])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(NotADigestError, match="empty"):
        formats.parse(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"foo": 1}', "holds no papers"),
        (b"[1, 2]", "holds no papers"),
        (b'[{"paper": ', "not valid JSON"),
        (b'{"format": "digestdesk", "version": 7}', "newer Digest Desk"),
        (b"<?xml version='1.0'?><rss/>", "not an Atom feed"),
    ],
)
def test_specific_messages_for_near_misses(data: bytes, message: str) -> None:
    with pytest.raises(NotADigestError, match=message):
        formats.parse(data)


def test_latin1_bytes_do_not_crash() -> None:
    page = fixture("hf_page_small.txt").decode().replace("\u2022", "-").replace("\u00b7\n", "")
    data = page.replace("Tiny", "T\u00eeny").encode("latin-1")
    result = formats.parse(data, as_of=date(2025, 11, 20))
    assert result.entries[1].title.startswith("T\u00eeny")


@needs_samples
def test_real_samples_are_detected() -> None:
    assert formats.detect((SAMPLES / "hf-papers-page.txt").read_bytes()) is hf_page
    assert formats.detect((SAMPLES / "arxiv" / "atom_example_entry.xml").read_bytes()) is arxiv_atom
    for path in sorted((SAMPLES / "hf-daily-api").glob("*.json")):
        assert formats.detect(path.read_bytes(), path.name) is hf_json, path.name
