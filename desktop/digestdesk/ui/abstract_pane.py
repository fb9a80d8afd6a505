"""The reader: one entry's title, people, dates, status, tags, abstract and AI summary.

Rendering is safe by construction: every imported string is HTML-escaped, the only links are
ones we build from URLs that passed ``safe_url`` (http and https), the browser never follows
a link itself (the window decides, through its URL opener) and ``loadResource`` refuses
everything, so no remote image, stylesheet or file is ever fetched.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QPalette, QTextDocument
from PySide6.QtWidgets import QFrame, QTextBrowser, QWidget

from digestdesk.core.links import safe_url
from digestdesk.core.query import TermMatcher
from digestdesk.core.records import Colleagues, EntryDetail
from digestdesk.core.text import tag_label
from digestdesk.ui.highlight import highlighted_html
from digestdesk.ui.styles import slim

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "unread": "Unread",
    "queued": "Queued",
    "reading": "Reading",
    "read": "Read",
    "skipped": "Skipped",
}
#: The characters of a team member's comment the reader shows (the rest: in ``show``).
COMMENT_SHOWN = 4000
STATUS_COLOURS = {
    "unread": "#3b82f6",
    "queued": "#d97706",
    "reading": "#7c3aed",
    "read": "#16a34a",
    "skipped": "#8b8f97",
}


def _mix(a: QColor, b: QColor, amount: float) -> str:
    """``a`` moved ``amount`` of the way towards ``b``, as #rrggbb."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    ).name()


_URL = re.compile(r"https?://[^\s<>\"'\]\[(){}]+", re.IGNORECASE)


def linked_html(text: str, matcher: TermMatcher, mark: str, link_colour: str) -> str:
    """Escaped, highlighted text whose http(s) URLs are links (a trailing full stop is not
    part of the URL)."""
    out: list[str] = []
    cursor = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        end = match.start() + len(url)
        safe = safe_url(url)
        if safe is None:
            continue
        out.append(highlighted_html(text[cursor : match.start()], matcher, mark))
        out.append(
            f'<a href="{html.escape(safe, quote=True)}" style="color:{link_colour};">'
            f"{html.escape(url)}</a>"
        )
        cursor = end
    out.append(highlighted_html(text[cursor:], matcher, mark))
    return "".join(out)


def authors_text(detail: EntryDetail, limit: int = 12) -> str:
    names = list(detail.authors)
    if names:
        if len(names) > limit:
            return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
        return ", ".join(names)
    if detail.authors_count:
        return f"{detail.authors_count} author{'s' if detail.authors_count != 1 else ''}"
    return "Authors unknown"


class AbstractPane(QTextBrowser):
    """Shows one entry; ``link_activated(url)`` when the reader clicks a (safe) link."""

    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("abstractPane")
        self.setAccessibleName("Abstract")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # A scroll bar that comes and goes re-lays the text out twice per entry (the width
        # changes when the old text is cleared and again for the new one): keep it.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        slim(self.verticalScrollBar())
        self.document().setDocumentMargin(18)
        self.anchorClicked.connect(self._anchor_clicked)
        self._detail: EntryDetail | None = None
        self._terms: Sequence[tuple[str, str]] = ()
        self.show_placeholder("Select an entry to read its abstract.")

    # ------------------------------------------------------------ safety
    def loadResource(self, type_: int, name: QUrl | str) -> Any:  # noqa: N802 - Qt override
        # Nothing we render refers to a resource; refuse anything an input might sneak in.
        log.debug("refused resource %s", name)
        return None

    def _anchor_clicked(self, url: QUrl) -> None:
        safe = safe_url(url.toString())
        if safe is not None:
            self.link_activated.emit(safe)

    # ------------------------------------------------------------ content
    def current_id(self) -> int | None:
        return self._detail.id if self._detail else None

    def show_placeholder(self, text: str) -> None:
        self._detail = None
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        self.setHtml(
            f'<div style="margin-top:48px; color:{muted}; font-size:11pt;" align="center">'
            f"{html.escape(text)}</div>"
        )

    def show_loading(self, title: str) -> None:
        """The entry's title while its record is read (a key held down outran the read-ahead)."""
        self._detail = None
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        self.setHtml(
            f'<div style="font-size:15pt; font-weight:600;">{html.escape(title)}</div>'
            f'<p style="color:{muted};">…</p>'
        )

    def show_entry(self, detail: EntryDetail, terms: Sequence[tuple[str, str]] = ()) -> None:
        self._detail = detail
        self._terms = terms
        self.setHtml(self.render_html(detail, terms))
        self.verticalScrollBar().setValue(0)

    def rerender(self) -> None:
        if self._detail is not None:
            self.show_entry(self._detail, self._terms)

    def render_html(self, detail: EntryDetail, terms: Sequence[tuple[str, str]]) -> str:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        base = pal.color(QPalette.ColorRole.Base)
        muted = _mix(text, base, 0.42)
        faint = _mix(base, text, 0.07)
        link = pal.color(QPalette.ColorRole.Link).name()
        dark = base.lightness() < 128
        mark = "background-color:#6b5a12; color:#fff7d6;" if dark else "background-color:#fde68a;"
        matcher = TermMatcher(terms)
        e = html.escape

        title = highlighted_html(detail.title, matcher, mark)
        status = detail.status
        chips = [
            f'<span style="color:{STATUS_COLOURS.get(status, muted)}; font-weight:600;">'
            f"● {e(STATUS_LABELS.get(status, status))}</span>"
        ]
        if detail.published:
            published = detail.published.isoformat()
            if detail.published_year_inferred:
                published += " (year assumed)"
            chips.append(f"Published&nbsp;{e(published)}")
        if detail.votes is not None:
            chips.append(f"▲&nbsp;{detail.votes}&nbsp;votes")
        if detail.arxiv_id:
            chips.append(
                f'<a href="https://arxiv.org/abs/{e(detail.arxiv_id)}" '
                f'style="color:{link}; text-decoration:none;">arXiv:{e(detail.arxiv_id)}</a>'
            )
        if detail.github_stars:
            chips.append(f"★&nbsp;{detail.github_stars:,}&nbsp;stars")
        meta = f'<span style="color:{muted};">  ·  </span>'.join(chips)

        parts = [
            f'<div style="font-size:15pt; font-weight:600; line-height:125%;">{title}</div>',
            f'<p style="margin-top:6px; color:{muted};">{e(authors_text(detail))}'
            + (f" — {e(detail.organization)}" if detail.organization else "")
            + "</p>",
            f'<p style="margin-top:2px;">{meta}</p>',
        ]
        if detail.digests:
            days = ", ".join(d.isoformat() for d in detail.digests[-6:])
            more = len(detail.digests) - 6
            plural = "s" if len(detail.digests) > 1 else ""
            parts.append(
                f'<p style="color:{muted}; margin-top:0;">In the digest{plural} of {e(days)}'
                f"{f' and {more} more' if more > 0 else ''}</p>"
            )
        if detail.tags:
            # A team tag's name starts with # (a team library's, every member's): bold.
            tags = " ".join(
                f'<span style="background-color:{faint}; color:{link};'
                + (" font-weight:600;" if t.startswith("#") else "")
                + f'">&nbsp;{e(tag_label(t))}&nbsp;</span>'
                for t in detail.tags
            )
            parts.append(f'<p style="margin-top:2px;">{tags}</p>')
        if detail.colleagues:
            parts.append(self._colleagues_html(detail.colleagues, muted, faint))

        if detail.ai_summary or detail.ai_keywords:
            summary_rows = []
            if detail.ai_summary:
                summary_rows.append(
                    f'<div style="font-style:italic;">'
                    f"{highlighted_html(detail.ai_summary, matcher, mark)}</div>"
                )
            if detail.ai_keywords:
                keywords = f'<span style="color:{muted};"> · </span>'.join(
                    highlighted_html(k, matcher, mark) for k in detail.ai_keywords
                )
                summary_rows.append(
                    f'<div style="margin-top:6px; color:{muted}; font-size:9pt;">{keywords}</div>'
                )
            parts.append(
                f'<table width="100%" cellpadding="10" cellspacing="0" '
                f'style="margin-top:12px; background-color:{faint};"><tr><td>'
                f'<div style="font-size:8pt; font-weight:600; color:{muted};">AI SUMMARY</div>'
                + "".join(summary_rows)
                + "</td></tr></table>"
            )

        abstract = detail.abstract.strip()
        if abstract:
            parts.append(
                f'<div style="font-size:8pt; font-weight:600; color:{muted}; margin-top:16px;">'
                "ABSTRACT</div>"
            )
            for paragraph in abstract.split("\n\n"):
                parts.append(
                    f'<p style="line-height:145%; margin-top:4px;">'
                    f"{linked_html(paragraph, matcher, mark, link)}</p>"
                )
        else:
            parts.append(f'<p style="color:{muted}; margin-top:16px;">No abstract.</p>')
        body = "\n".join(parts)
        return f'<html><body style="font-size:10.5pt;">{body}</body></html>'

    # ------------------------------------------------------------ paging
    @staticmethod
    def _colleagues_html(colleagues: Colleagues, muted: str, faint: str) -> str:
        """Who else in the team read, queued or skipped the paper, and the comments on it."""
        e = html.escape
        rows = []
        if colleagues.states:
            said = ", ".join(
                f"<b>{e(s.member)}</b> {e(STATUS_LABELS.get(s.status, s.status).lower())}"
                + (f" {e(s.at.strftime('%d %b'))}" if s.at else "")
                for s in colleagues.states[:12]
            )
            more = len(colleagues.states) - 12
            rows.append(
                f'<div style="color:{muted};">Also: {said}'
                + (f" and {more} more" if more > 0 else "")
                + "</div>"
            )
        for comment in colleagues.comments[-20:]:
            body = (
                comment.text
                if len(comment.text) <= COMMENT_SHOWN
                else (comment.text[:COMMENT_SHOWN] + " …")
            )
            rows.append(
                f'<div style="margin-top:6px;"><b>{e(comment.member)}</b>'
                f'<span style="color:{muted};"> · {e(comment.at.strftime("%d %b %Y %H:%M"))}'
                f"</span><br>{e(body)}</div>"
            )
        return (
            f'<table width="100%" cellpadding="8" cellspacing="0" '
            f'style="margin-top:10px; background-color:{faint};"><tr><td>'
            f'<div style="font-size:8pt; font-weight:600; color:{muted};">TEAM</div>'
            + "".join(rows)
            + "</td></tr></table>"
        )

    def page_down(self) -> bool:
        """Scroll a page; False when already at the end (the caller may move on)."""
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum():
            return False
        bar.setValue(bar.value() + max(bar.pageStep() - 40, 40))
        return True

    def page_up(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() - max(bar.pageStep() - 40, 40))

    def plain_text(self) -> str:
        doc: QTextDocument = self.document()
        return doc.toPlainText()
