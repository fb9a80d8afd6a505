"""The link opener: an entry's links by kind, numbered for the ``1``-``9`` keys.

Code comes first (shown as ``owner/name``), then project pages, paper pages and the rest,
then derived links the entry does not list itself: the arXiv abstract and PDF and the
Hugging Face paper page when the arXiv id is known, an arXiv title search when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListWidgetItem, QWidget

from digestdesk.core.links import repo_display_name, safe_url
from digestdesk.core.records import EntryDetail
from digestdesk.ui.icons import small_icon
from digestdesk.ui.lazy_list import LazyListWidget
from digestdesk.ui.safe_text import tooltip

KIND_ORDER = {"code": 0, "project": 1, "paper": 2, "other": 3}
KIND_LABELS = {"code": "Code", "project": "Project", "paper": "Paper", "other": "Link"}

URL_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class LinkChoice:
    url: str
    label: str
    kind: str  # code, project, paper, other
    icon: str  # an icons.ICONS role
    derived: bool = False


def entry_links(detail: EntryDetail) -> list[LinkChoice]:
    """The entry's links in display order, then the derived ones, without duplicates."""
    seen: set[str] = set()
    own: list[LinkChoice] = []
    for link in detail.links:
        url = safe_url(link.url)
        if url is None or url.rstrip("/") in seen:
            continue
        seen.add(url.rstrip("/"))
        kind = link.kind if link.kind in KIND_ORDER else "other"
        label = repo_display_name(url)
        own.append(LinkChoice(url, label, kind, f"link.{kind}"))
    own.sort(key=lambda c: KIND_ORDER[c.kind])
    derived: list[LinkChoice] = []
    if detail.arxiv_id:
        aid = detail.arxiv_id
        candidates = [
            LinkChoice(
                f"https://arxiv.org/abs/{aid}", f"arXiv abstract {aid}", "paper", "link.paper", True
            ),
            LinkChoice(
                f"https://arxiv.org/pdf/{aid}", f"arXiv PDF {aid}", "paper", "link.pdf", True
            ),
            LinkChoice(
                f"https://huggingface.co/papers/{aid}",
                "Hugging Face paper page",
                "paper",
                "link.paper",
                True,
            ),
        ]
    else:
        query = quote_plus(detail.title)
        candidates = [
            LinkChoice(
                f"https://arxiv.org/search/?query={query}&searchtype=title",
                "Search arXiv for the title",
                "paper",
                "link.search",
                True,
            )
        ]
    for choice in candidates:
        key = choice.url.rstrip("/")
        if key not in seen:
            seen.add(key)
            derived.append(choice)
    return own + derived


def primary_link(links: list[LinkChoice]) -> LinkChoice | None:
    """What ``o`` opens: the code repository, else a paper page, else the first link."""
    for kind in ("code", "paper", "project", "other"):
        for choice in links:
            if choice.kind == kind:
                return choice
    return None


class LinksPane(LazyListWidget):
    """A numbered list of links; Enter or a double click opens one."""

    link_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linksPane")
        self.setAccessibleName("Links")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setIconSize(QSize(16, 16))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.itemActivated.connect(self._activated)
        self.links: list[LinkChoice] = []

    def show_links(self, links: list[LinkChoice]) -> None:
        """Show ``links`` (the data at once; the items when the pane is visible)."""
        self.links = list(links)
        self.contents_changed()

    def render_items(self) -> None:
        # The items are reused, not rebuilt: j/k changes their text and icons in place.
        for number, choice in enumerate(self.links, 1):
            prefix = f"{number}  " if number <= 9 else "    "
            text = f"{prefix}{choice.label}"
            item = self.item(number - 1)
            if item is None:
                item = QListWidgetItem(self)
            if item.text() != text:
                item.setText(text)
            if item.data(URL_ROLE) != choice.url:
                item.setIcon(small_icon(choice.icon))
                item.setToolTip(tooltip(f"{KIND_LABELS[choice.kind]}: {choice.url}"))
                item.setData(URL_ROLE, choice.url)
        while self.count() > len(self.links):
            self.takeItem(self.count() - 1)
        if self.links and self.currentRow() != 0:
            self.setCurrentRow(0)

    def chosen(self) -> LinkChoice | None:
        """The highlighted link, or the primary one."""
        row = self.currentRow()
        if self.hasFocus() and 0 <= row < len(self.links):
            return self.links[row]
        return primary_link(self.links)

    def nth(self, number: int) -> LinkChoice | None:
        return self.links[number - 1] if 1 <= number <= len(self.links) else None

    def _activated(self, item: QListWidgetItem) -> None:
        url = item.data(URL_ROLE)
        if isinstance(url, str):
            self.link_activated.emit(url)
