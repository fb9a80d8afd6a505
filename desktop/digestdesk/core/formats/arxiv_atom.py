"""arXiv API responses: Atom feeds (``export.arxiv.org/api/query``) of paper entries.

Each ``<entry>`` gives an arXiv id (from ``<id>``, version dropped), title, summary,
authors, categories (the primary one first), the publication date (UTC) and links: the
abstract page, the PDF, the DOI and any URLs in the summary or the author's comment.

Documents with a DOCTYPE or entity declarations are refused before the tree is built: the
standard library parser would expand entities, and no arXiv response has any.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from datetime import date

from digestdesk.core.drafts import EntryDraft, ParseProblem, ParseResult
from digestdesk.core.formats._common import decode, display_name, parse_utc_date
from digestdesk.core.links import arxiv_id_from_url, collect_links, normalize_arxiv_id
from digestdesk.errors import NotADigestError

NAME = "arxiv"
TITLE = "arXiv API Atom feed"

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
_A = f"{{{ATOM}}}"
_X = f"{{{ARXIV}}}"

_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


def sniff(data: bytes | str, name: str | None = None) -> int:
    """Confidence (0..100): an Atom feed is ours, arXiv's the more so; other XML a little."""
    text = decode(data)[:65536]
    stripped = text.lstrip()
    if not stripped.startswith("<") or _HTML_START.match(text):
        return 0
    if ATOM in text and re.search(r"<(?:\w+:)?(?:feed|entry)\b", text):
        return 100 if ARXIV in text or "arxiv.org" in text else 80
    # Other XML: claim it weakly so the reader hears "XML, but not an Atom feed".
    return 5 if stripped.startswith(("<?xml", "<feed", "<entry")) else 0


class _RefusedDeclaration(Exception):
    """The document declares a DOCTYPE or entities."""


def _refuse(*_args: object) -> None:
    raise _RefusedDeclaration


def _xml_bytes(data: bytes | str) -> bytes:
    if isinstance(data, bytes):
        return data
    # Text is re-encoded as UTF-8, so an encoding declaration in it no longer holds.
    text = re.sub(r"^\ufeff?\s*<\?xml[^>]*\?>", "", data)
    return text.encode("utf-8", errors="replace")


def _load(data: bytes | str, name: str | None) -> ET.Element:
    """Parse XML safely, or raise :class:`NotADigestError`."""
    raw = _xml_bytes(data)
    # A first pass with handlers that refuse declarations: the tree builder would
    # otherwise expand internal entities (the "billion laughs").
    guard = xml.parsers.expat.ParserCreate()
    guard.StartDoctypeDeclHandler = _refuse
    guard.EntityDeclHandler = _refuse
    guard.UnparsedEntityDeclHandler = _refuse
    guard.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    try:
        guard.Parse(raw, True)
    except _RefusedDeclaration:
        raise NotADigestError(
            f"{display_name(name)} declares a DOCTYPE or entities, which arXiv feeds never "
            "do; it was not read, for safety."
        ) from None
    except xml.parsers.expat.ExpatError as error:
        raise NotADigestError(
            f"{display_name(name)} is not well-formed XML (line {error.lineno}, column "
            f"{error.offset + 1}: {xml.parsers.expat.ErrorString(error.code)}). "
            "Nothing was imported."
        ) from None
    except (ValueError, LookupError) as error:
        # LookupError: an encoding declaration Python does not know.
        raise NotADigestError(
            f"{display_name(name)} could not be read as XML ({error}). Nothing was imported."
        ) from None
    try:
        return ET.fromstring(raw)
    except (ET.ParseError, ValueError, LookupError) as error:
        raise NotADigestError(
            f"{display_name(name)} is not well-formed XML ({error}). Nothing was imported."
        ) from None


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _links(entry: ET.Element) -> list[tuple[str, str]]:
    """The entry's declared links, abstract page first, each with a kind hint."""
    ranked: list[tuple[int, str, str]] = []
    has_doi = False
    for link in entry.findall(f"{_A}link"):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        rel, title = link.get("rel", "alternate"), (link.get("title") or "").lower()
        if rel == "alternate":
            ranked.append((0, href, "paper"))
        elif title == "pdf" or link.get("type") == "application/pdf":
            ranked.append((1, href, "paper"))
        elif title == "doi":
            has_doi = True
            ranked.append((2, href, "paper"))
        else:
            ranked.append((3, href, "other"))
    doi = _text(entry.find(f"{_X}doi"))
    if doi and not has_doi:
        ranked.append((2, f"https://doi.org/{doi.split()[0]}", "paper"))
    return [(href, kind) for _, href, kind in sorted(ranked, key=lambda item: item[0])]


def _categories(entry: ET.Element) -> list[str]:
    categories: list[str] = []
    primary = entry.find(f"{_X}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [category.get("term", "") for category in entry.findall(f"{_A}category")]
    for term in terms:
        term = term.strip()
        if term and term not in categories:
            categories.append(term)
    return categories


def _entry(entry: ET.Element, where: str) -> EntryDraft | ParseProblem:
    raw_id = _text(entry.find(f"{_A}id"))
    title = _text(entry.find(f"{_A}title"))
    summary = _text(entry.find(f"{_A}summary"))
    if "/api/errors" in raw_id:
        return ParseProblem(where, f"arXiv reported an error: {summary or title or raw_id}")
    if not raw_id:
        return ParseProblem(where, "skipped: the entry has no <id>")
    if not title:
        return ParseProblem(where, "skipped: the entry has no <title>")
    comment = _text(entry.find(f"{_X}comment"))
    authors = [_text(author.find(f"{_A}name")) for author in entry.findall(f"{_A}author")]
    return EntryDraft(
        title=title,
        abstract=summary,
        arxiv_id=arxiv_id_from_url(raw_id) or normalize_arxiv_id(raw_id),
        authors=[author for author in authors if author],
        published=parse_utc_date(_text(entry.find(f"{_A}published"))),
        links=collect_links(summary, comment, extra_urls=_links(entry)),
        categories=_categories(entry),
        where=where,
    )


def parse(data: bytes | str, *, name: str | None = None, as_of: date, today: date) -> ParseResult:
    """Parse an Atom feed; a feed with no entries is a valid, empty result.

    Malformed entries become problems at ``entry N`` (1-based, as in XPath).
    """
    root = _load(data, name)
    if root.tag == f"{_A}feed":
        elements = root.findall(f"{_A}entry")
    elif root.tag == f"{_A}entry":
        elements = [root]
    else:
        tag = root.tag.rsplit("}", 1)[-1]
        where = " outside the Atom namespace" if tag in ("feed", "entry") else ""
        raise NotADigestError(
            f"{display_name(name)} is XML but not an Atom feed (its root element is "
            f"<{tag}>{where}); Digest Desk reads arXiv API responses."
        )
    result = ParseResult(format=NAME, as_of=as_of)
    for number, element in enumerate(elements, start=1):
        parsed = _entry(element, f"entry {number}")
        if isinstance(parsed, ParseProblem):
            result.problems.append(parsed)
        else:
            result.entries.append(parsed)
    return result
