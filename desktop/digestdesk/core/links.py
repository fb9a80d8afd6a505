"""Links found in digests: extraction from prose, safety filtering, classification, arXiv ids.

Abstracts mention code and project pages in running text (``https://github.com/o/r.`` with the
sentence's full stop, Markdown ``[url](url)``). This module finds those URLs, keeps only safe
http(s) ones, sorts them into kinds (:data:`~digestdesk.core.drafts.LINK_KINDS`) and names
repositories for display. Every function is total: it accepts any ``str`` and never raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from digestdesk.core.drafts import LINK_KINDS, Link

__all__ = [
    "arxiv_id_from_url",
    "classify",
    "collect_links",
    "extract_links",
    "normalize_arxiv_id",
    "repo_display_name",
    "safe_url",
]

# URL characters: printable ASCII minus what never belongs to a URL in prose. Non-ASCII is
# excluded on purpose: in abstracts it is far more often adjoining text (CJK full stops,
# curly quotes) than an IRI.
_URL_CHARS = r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]"
_URL = re.compile(rf"https?://{_URL_CHARS}+", re.IGNORECASE)
# `[text](target)`: the target may hold one level of balanced parentheses.
_MARKDOWN_LINK = re.compile(
    r"\[[^\[\]\n]*\]\((https?://(?:[^\s()<>\"]|\([^\s()<>\"]*\))+)\)", re.IGNORECASE
)
_TEX_ESCAPE = re.compile(r"\\([_%&#~])")
_TRAILING_PUNCTUATION = ".,;:!?'\"*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_HOST_PUNCTUATION = frozenset("._~%!$&'()*+,;=:[]-")
# Removed anywhere in a URL, as browsers do: C0/C1 controls (tab, CR, LF), zero-width marks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff]")

CODE_HOSTS = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org")
# Host suffixes of static-site services that serve project pages.
PROJECT_HOST_SUFFIXES = (
    ".github.io",
    ".gitlab.io",
    ".codeberg.page",
    ".bitbucket.io",
    ".pages.dev",
    ".netlify.app",
    ".vercel.app",
    ".readthedocs.io",
)
# First path segments on code hosts that are site pages, not owners.
_CODE_HOST_RESERVED = frozenset(
    {
        "about",
        "apps",
        "collections",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "organizations",
        "pricing",
        "search",
        "security",
        "settings",
        "signup",
        "site",
        "sponsors",
        "topics",
        "trending",
        "users",
        "-",
        "help",
        "dashboard",
        "projects",
        "snippets",
    }
)
# First path segments on huggingface.co that are not `<owner>/<model>` pages.
_HF_RESERVED = frozenset(
    {
        "datasets",
        "docs",
        "blog",
        "learn",
        "login",
        "join",
        "pricing",
        "models",
        "spaces",
        "papers",
        "collections",
        "organizations",
        "settings",
        "tasks",
        "chat",
        "posts",
        "enterprise",
        "api",
        "search",
        "notifications",
        "new",
        "new-space",
        "changelog",
        "terms-of-service",
        "privacy",
        "inference-endpoints",
        "welcome",
    }
)
_HF_HOSTS = ("huggingface.co", "hf.co")
_ARXIV_HOSTS = ("arxiv.org", "export.arxiv.org", "xxx.lanl.gov")

_NEW_ARXIV_ID = re.compile(r"(\d{2})(\d{2})\.(\d{4,5})(?:v\d+)?")
_OLD_ARXIV_ID = re.compile(r"([a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]{2})?)/(\d{7})(?:v\d+)?")
_ARXIV_PREFIX = re.compile(r"^\s*arxiv\s*:\s*", re.IGNORECASE)


def _trim(url: str) -> str:
    """Strip sentence punctuation and unbalanced closing brackets from the end of ``url``."""
    while url:
        last = url[-1]
        if (
            last in _TRAILING_PUNCTUATION
            or last in _CLOSERS
            and url.count(last) > url.count(_CLOSERS[last])
        ):
            url = url[:-1]
        else:
            break
    return url


def extract_links(text: str) -> list[str]:
    """Return the http(s) URLs in ``text`` in order of appearance, without duplicates.

    Sentence punctuation after a URL is not part of it; a Markdown link contributes its
    target once (``[url](url)`` and ``[text](url)`` both give ``url``).
    """
    if not text or "://" not in text:
        return []
    # `\_` in a URL is a TeX escape of `_` (abstracts come from TeX sources).
    text = _TEX_ESCAPE.sub(r"\1", text)
    found: list[str] = []
    seen: set[str] = set()

    def add(url: str) -> None:
        url = _trim(url)
        if url and url not in seen and re.fullmatch(r"https?://.+", url, re.IGNORECASE):
            seen.add(url)
            found.append(url)

    position = 0
    for match in _MARKDOWN_LINK.finditer(text):
        for bare in _URL.finditer(text, position, match.start()):
            add(bare.group(0))
        add(match.group(1))
        position = match.end()
    for bare in _URL.finditer(text, position):
        add(bare.group(0))
    return found


def safe_url(url: str) -> str | None:
    """Return ``url`` cleaned if it is an http(s) URL with a host, else ``None``.

    Surrounding white space and embedded control characters (a line break inside a copied
    URL) are removed; white space inside leaves no URL. ``javascript:``,
    ``file:``, ``data:``, ``mailto:``, ``ftp:``, relative and malformed URLs give ``None``.
    """
    if not isinstance(url, str):
        return None
    cleaned = _CONTROL.sub("", url.strip())
    if not cleaned or any(char.isspace() for char in cleaned):
        return None
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or not cleaned.lower().startswith(scheme):
        return None
    # Letters and digits of any script (internationalised hosts) and URL punctuation only.
    if not all(char.isalnum() or char in _HOST_PUNCTUATION for char in host):
        return None
    return scheme + cleaned[len(scheme) :]


def _split(url: str) -> tuple[str, list[str]] | None:
    """Host (lower case, no ``www.``) and non-empty path segments, or ``None``."""
    try:
        parts: SplitResult = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    return host, [segment for segment in parts.path.split("/") if segment]


def classify(url: str) -> str:
    """Return the kind of ``url``: ``"code"``, ``"project"``, ``"paper"`` or ``"other"``."""
    split = _split(url)
    if split is None:
        return "other"
    host, segments = split
    if host in CODE_HOSTS:
        if len(segments) >= 2 and segments[0].lower() not in _CODE_HOST_RESERVED:
            return "code"
        return "other"
    if host in ("gist.github.com", "raw.githubusercontent.com"):
        return "code" if len(segments) >= 2 else "other"
    if host in _HF_HOSTS:
        first = segments[0].lower() if segments else ""
        if first == "papers" and len(segments) >= 2:
            return "paper"
        if first == "spaces" and len(segments) >= 3:
            return "code"
        if len(segments) >= 2 and first not in _HF_RESERVED:
            return "code"
        return "other"
    if host.endswith(".hf.space"):
        return "code"  # a Hugging Face Space served on its own domain
    if host.endswith(PROJECT_HOST_SUFFIXES) or host in ("sites.google.com",):
        return "project"
    if host in _ARXIV_HOSTS:
        first = segments[0].lower() if segments else ""
        return "paper" if first in ("abs", "pdf", "html") and len(segments) >= 2 else "other"
    if host in ("doi.org", "dx.doi.org"):
        return "paper" if segments else "other"
    if host == "openreview.net":
        return "paper" if segments and segments[0].lower() in ("forum", "pdf") else "other"
    return "other"


def _dedupe_key(url: str) -> str:
    return url.rstrip("/")


def collect_links(*texts: str, extra_urls: Iterable[str | tuple[str, str]] = ()) -> list[Link]:
    """Return the safe, classified, deduplicated links of ``texts`` and ``extra_urls``.

    ``extra_urls`` are links an input declares outside its prose (a paper's code repository,
    its project page); they come first. An item may be ``(url, kind)``: ``kind`` is used
    when :func:`classify` cannot tell (``"other"``), so a project page on its own domain is
    a ``"project"`` link while a declared "project page" on GitHub stays ``"code"``. URLs
    that differ only by trailing slashes count once; the first seen is kept.
    """
    links: list[Link] = []
    seen: set[str] = set()

    def add(raw: str, hint: str | None) -> None:
        url = safe_url(raw)
        if url is None:
            return
        key = _dedupe_key(url)
        if key in seen:
            return
        seen.add(key)
        kind = classify(url)
        if kind == "other" and hint in LINK_KINDS:
            kind = hint
        links.append(Link(url=url, kind=kind))

    for extra in extra_urls:
        if isinstance(extra, tuple):
            if len(extra) == 2 and isinstance(extra[0], str):
                add(extra[0], extra[1])
        elif isinstance(extra, str):
            add(extra, None)
    for text in texts:
        if isinstance(text, str):
            for url in extract_links(text):
                add(url, None)
    return links


def repo_display_name(url: str) -> str:
    """A short name for a link: ``owner/name`` for repositories, else host and path."""
    split = _split(url)
    if split is None:
        return url.strip()
    host, segments = split
    kind = classify(url)
    if kind == "code" and host in _HF_HOSTS and segments[0].lower() == "spaces":
        return f"{segments[1]}/{segments[2]}"
    if kind == "code" and len(segments) >= 2 and host != "raw.githubusercontent.com":
        name = segments[1]
        if name.lower().endswith(".git"):
            name = name[:-4]
        return f"{segments[0]}/{name}"
    path = "/".join(segments)
    return f"{host}/{path}" if path else host


def normalize_arxiv_id(value: str) -> str | None:
    """Return the versionless arXiv id in ``value``, or ``None`` when it is not one.

    Accepts ``2405.15738``, ``2405.15738v2``, ``arXiv:2405.15738``, old-style
    ``cond-mat/0102536v1`` and arXiv or Hugging Face paper URLs.
    """
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if "://" in text or text.lower().startswith(("arxiv.org/", "www.arxiv.org/")):
        return arxiv_id_from_url(text if "://" in text else "https://" + text)
    text = _ARXIV_PREFIX.sub("", text)
    if text.lower().endswith(".pdf"):
        text = text[:-4]
    new = _NEW_ARXIV_ID.fullmatch(text)
    if new:
        month = int(new.group(2))
        # YYMM.NNNNN: 5-digit numbers exist from 1501 on; 4-digit ones until 1412.
        if not 1 <= month <= 12 or (len(new.group(3)) == 5) != (
            new.group(1) + new.group(2) >= "1501"
        ):
            return None
        return f"{new.group(1)}{new.group(2)}.{new.group(3)}"
    old = _OLD_ARXIV_ID.fullmatch(text)
    if old:
        month = int(old.group(2)[2:4])
        if not 1 <= month <= 12:
            return None
        return f"{old.group(1)}/{old.group(2)}"
    return None


def arxiv_id_from_url(url: str) -> str | None:
    """Return the versionless arXiv id of an arXiv abs/pdf/html or Hugging Face paper URL."""
    split = _split(url) if isinstance(url, str) else None
    if split is None:
        return None
    host, segments = split
    if (
        host in _ARXIV_HOSTS
        and len(segments) >= 2
        and segments[0].lower() in ("abs", "pdf", "html")
    ):
        return normalize_arxiv_id(segments[1]) or (
            normalize_arxiv_id(f"{segments[1]}/{segments[2]}") if len(segments) >= 3 else None
        )
    if host in _HF_HOSTS and len(segments) == 2 and segments[0].lower() == "papers":
        return normalize_arxiv_id(segments[1])
    return None
