"""Hand-written digest inputs for library tests (invented papers; no sample text copied)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from digestdesk.core.drafts import EntryDraft

PAGE_HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nNov 20\n\n"
)


def page_entry(title: str, abstract: str, authors: int, date_line: str) -> str:
    return f"{title}\n\n{abstract}\n\n  \u2022 {authors} authors\n\u00b7\n{date_line}\n\n"


def page_text() -> str:
    """Three entries: a year-less date with votes, a full date, a code link with a full stop."""
    return PAGE_HEADER + "".join(
        [
            page_entry(
                "Sparse Lattice Transformers for Long Documents",
                "We study {\\em sparse lattices} for long-document modelling. Code is at "
                "https://github.com/example/sparse-lattice.",
                3,
                "Jun 1 7",
            ),
            page_entry(
                "Quantized Diffusion Policies",
                "Diffusion policies run slowly; we quantize them. See "
                "[https://qdp.github.io/](https://qdp.github.io/) for videos.",
                1,
                "Mar 9, 2023",
            ),
            page_entry(
                "Graph Priors for Protein Folding",
                "A graph prior improves folding accuracy by 3\\% on CASP.",
                12,
                "Nov 19",
            ),
        ]
    )


def api_item(
    arxiv_id: str,
    title: str,
    *,
    summary: str = "An abstract about models.",
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    upvotes: int = 5,
    published: str = "2025-11-18T00:00:00.000Z",
    daily: str | None = "2025-11-20T00:00:00.000Z",
    **paper_extra: Any,
) -> dict[str, Any]:
    paper: dict[str, Any] = {
        "id": arxiv_id,
        "title": title,
        "summary": summary,
        "authors": [
            {"_id": str(i), "name": name, "hidden": False} for i, name in enumerate(authors)
        ],
        "publishedAt": published,
        "upvotes": upvotes,
    }
    if daily:
        paper["submittedOnDailyAt"] = daily
    paper.update(paper_extra)
    return {"paper": paper, "title": title, "publishedAt": published, "numComments": 1}


def api_json(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(items, indent=1).encode()


def api_day(n: int = 5, *, day: str = "2025-11-20", start: int = 1, upvotes: int = 5) -> bytes:
    return api_json(
        [
            api_item(
                f"2511.{start + i:05d}",
                f"Invented Paper Number {start + i} on Efficient Reasoning",
                summary=f"We propose method {start + i} for efficient reasoning in language models",
                upvotes=upvotes + i,
                daily=f"{day}T00:00:00.000Z",
                githubRepo=f"https://github.com/example/paper-{start + i}" if i % 2 == 0 else None,
            )
            for i in range(n)
        ]
    )


def paper_draft(
    n: int, title: str, published: date, keywords: list[str], **extra: Any
) -> EntryDraft:
    """A parsed entry numbered ``n`` (its arXiv id and abstract follow from it)."""
    return EntryDraft(
        title=title,
        abstract=f"Abstract number {n} about {title.lower()}.",
        arxiv_id=f"2501.{n:05d}",
        published=published,
        ai_keywords=keywords,
        **extra,
    )


def arxiv_feed(entries: list[tuple[str, str, str]]) -> bytes:
    """A minimal arXiv API Atom feed of (id with version, title, published timestamp)."""
    items = "".join(
        f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}</id>
    <published>{published}</published>
    <title>{title}</title>
    <summary>An abstract about {title.lower()}.</summary>
    <author><name>Ada Lovelace</name></author>
  </entry>
"""
        for arxiv_id, title, published in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <title>ArXiv Query: invented</title>\n"
        f"{items}</feed>\n"
    ).encode()
