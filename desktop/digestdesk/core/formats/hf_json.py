"""The Hugging Face daily-papers API JSON (``/api/daily_papers?date=...``), in every era.

Accepted shapes: the API's list of items (``{"paper": {...}, "numComments": ...}``), a single
item, a flat paper object (what sits under ``"paper"``) and a list of flat papers. Fields
appeared over time and more will: everything but the title is optional here and unknown
fields are ignored. ``paper.publishedAt`` is read as a UTC date, never shifted to local time.
The digest day is ``paper.submittedOnDailyAt``, else a ``YYYY-MM-DD`` in the file name, else
today.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

from digestdesk.core.drafts import EntryDraft, ParseProblem, ParseResult
from digestdesk.core.formats._common import date_in_name, decode, display_name, parse_utc_date
from digestdesk.core.links import collect_links, normalize_arxiv_id
from digestdesk.errors import NotADigestError

NAME = "hf-json"
TITLE = "Hugging Face daily-papers JSON"

# Keys of a flat paper object; two of them make an object paper-like.
PAPER_KEYS = frozenset({"id", "title", "summary", "authors", "publishedAt", "upvotes"})
_PAPER_HINT = re.compile(r'"(?:paper|summary|upvotes|publishedAt|authors)"\s*:')


def sniff(data: bytes | str, name: str | None = None) -> int:
    """Confidence (0..100): JSON with paper keys is ours; other JSON-looking text a little."""
    text = decode(data).lstrip()
    if not text.startswith(("[", "{")):
        return 0
    if _PAPER_HINT.search(text[:200_000]):
        return 90
    # Claim JSON weakly so a broken or foreign JSON file gets a JSON-specific message.
    return 10


def _is_paper_like(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("paper"), dict):
        return True
    return len(PAPER_KEYS.intersection(value)) >= 2


#: Text longer than this that holds a JSON array is read an element at a time
#: (:func:`_loads_in_pieces`).
PIECES_FROM = 1_000_000
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _loads_in_pieces(text: str) -> Any:
    """``json.loads(text)`` for a large array, one element per call into the C decoder: a
    30 MB file read in one call held the interpreter lock for 0.4 s, a stall of the window
    when the import runs on one of its threads; between two elements the other threads run.
    The same values and the same errors (their positions in the whole text)."""
    at = _WHITESPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", at):
        return json.loads(text)
    at = _WHITESPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    items: list[Any] = []
    if text.startswith("]", at):
        at += 1
    else:
        while True:
            value, at = _DECODER.raw_decode(text, at)
            items.append(value)
            at = _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]
            if text.startswith(",", at):
                at = _WHITESPACE.match(text, at + 1).end()  # type: ignore[union-attr]
                continue
            if text.startswith("]", at):
                at += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
    end = _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return items


def load_json(data: bytes | str, name: str | None, *, pieces_from: int = PIECES_FROM) -> Any:
    """Decode and parse JSON, or raise :class:`NotADigestError` saying where it broke. Text
    longer than ``pieces_from`` that holds an array is read an element at a time."""
    text = decode(data)
    try:
        if len(text) > pieces_from:
            return _loads_in_pieces(text)
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotADigestError(
            f"{display_name(name)} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}). Nothing was imported; check that all of it was "
            "saved (or copied)."
        ) from None
    except (ValueError, RecursionError) as error:
        # Numbers too long for int() and absurd nesting are not JSON we can use either.
        raise NotADigestError(
            f"{display_name(name)} could not be read as JSON ({error}). Nothing was imported."
        ) from None


class _ItemError(Exception):
    """An item is malformed; the message is the reader-facing reason."""


def _first_present(paper: dict[str, Any], outer: dict[str, Any], key: str) -> Any:
    """``paper[key]``, or the outer item's copy when the paper's is missing or null."""
    value = paper.get(key)
    return value if value is not None else outer.get(key)


def _optional_str(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _optional_int(mapping: dict[str, Any], key: str) -> int | None:
    value = mapping.get(key)
    # bool is an int subclass; `true` is not a count.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _organization(value: object) -> str | None:
    if isinstance(value, dict):
        return _optional_str(value, "fullname") or _optional_str(value, "name")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _authors(paper: dict[str, Any]) -> list[str]:
    authors = paper.get("authors")
    if authors is None:
        return []
    if not isinstance(authors, list):
        raise _ItemError("its “authors” is not a list")
    names: list[str] = []
    for author in authors:
        if isinstance(author, dict):
            author_name = _optional_str(author, "name")
        elif isinstance(author, str):
            author_name = author.strip() or None
        else:
            author_name = None
        if author_name:
            names.append(author_name)
    return names


def entry_from_item(item: object, *, where: str, fallback_digest_date: date) -> EntryDraft:
    """Build a draft from one API item or flat paper; raises ``_ItemError`` when malformed."""
    if not isinstance(item, dict):
        raise _ItemError(f"it is {_json_type(item)}, not a paper object")
    if "paper" in item:
        paper = item["paper"]
        outer: dict[str, Any] = item
        if not isinstance(paper, dict):
            raise _ItemError(f"its “paper” is {_json_type(paper)}, not an object")
    else:
        paper, outer = item, {}

    title = _first_present(paper, outer, "title")
    if title is None:
        raise _ItemError("it has no title")
    if not isinstance(title, str):
        raise _ItemError(f"its title is {_json_type(title)}, not text")
    if not title.strip():
        raise _ItemError("its title is empty")
    summary = _first_present(paper, outer, "summary")
    if summary is None:
        summary = ""
    if not isinstance(summary, str):
        raise _ItemError(f"its summary is {_json_type(summary)}, not text")
    raw_id = paper.get("id")
    if raw_id is not None and not isinstance(raw_id, str):
        raise _ItemError(f"its id is {_json_type(raw_id)}, not text")

    keywords = paper.get("ai_keywords")
    github_repo = _optional_str(paper, "githubRepo")
    project_page = _optional_str(paper, "projectPage")
    extra_urls: list[tuple[str, str]] = []
    if github_repo:
        extra_urls.append((github_repo, "code"))
    if project_page:
        extra_urls.append((project_page, "project"))
    return EntryDraft(
        title=title,
        abstract=summary,
        arxiv_id=normalize_arxiv_id(raw_id) if raw_id else None,
        authors=_authors(paper),
        published=parse_utc_date(paper.get("publishedAt")),
        votes=_optional_int(paper, "upvotes"),
        links=collect_links(summary, extra_urls=extra_urls),
        ai_summary=_optional_str(paper, "ai_summary"),
        ai_keywords=(
            [k.strip() for k in keywords if isinstance(k, str) and k.strip()]
            if isinstance(keywords, list)
            else []
        ),
        github_repo=github_repo,
        github_stars=_optional_int(paper, "githubStars"),
        project_page=project_page,
        organization=_organization(paper.get("organization"))
        or _organization(outer.get("organization")),
        num_comments=_optional_int(outer, "numComments"),
        digest_date=parse_utc_date(paper.get("submittedOnDailyAt")) or fallback_digest_date,
        where=where,
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def parse(data: bytes | str, *, name: str | None = None, as_of: date, today: date) -> ParseResult:
    """Parse API JSON. Malformed items become problems (``item N``, the list index)."""
    document = load_json(data, name)
    not_papers = NotADigestError(
        f"{display_name(name)} is JSON but holds no papers: expected Hugging Face "
        "daily-papers items (objects with “paper”, “title”, “summary”...)."
    )
    if isinstance(document, dict):
        if not _is_paper_like(document):
            raise not_papers
        items: list[Any] = [document]
    elif isinstance(document, list):
        if document and not any(_is_paper_like(item) for item in document):
            raise not_papers
        items = document
    else:
        raise not_papers

    fallback = date_in_name(name) or today
    entries: list[EntryDraft] = []
    problems: list[ParseProblem] = []
    for index, item in enumerate(items):
        where = f"item {index}"
        try:
            entries.append(entry_from_item(item, where=where, fallback_digest_date=fallback))
        except _ItemError as error:
            problems.append(ParseProblem(where=where, reason=f"skipped: {error}"))

    digest_dates = Counter(entry.digest_date for entry in entries if entry.digest_date)
    digest_date = digest_dates.most_common(1)[0][0] if digest_dates else fallback
    return ParseResult(
        format=NAME, entries=entries, problems=problems, digest_date=digest_date, as_of=as_of
    )
