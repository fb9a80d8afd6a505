"""The entry list model: a table over the ids of the current query, rows filled lazily.

The model holds the ordered ids the search returned. Row data (title, date, votes, status,
tags...) is fetched with ``library.rows`` a page at a time, or handed over when the reader
thread read it ahead, and kept as :class:`EntryRow` values.

Painting asks ``data()`` six or seven times per cell: over a thousand calls for a full
repaint. Answered by Python, each call is a trip into the interpreter, and the GIL must be
taken back from the reader thread, which is usually busy with the next query while the user
types. So the cells live in C++: this is a :class:`QStandardItemModel` whose items are filled
from the cached rows just before they are first painted (:meth:`EntryModel.ensure_rows`,
called by the view's paint) and dropped again with their page. A paint then runs no Python
per cell at all. Rows never shown have no items: ``data()`` answers ``None`` for them until
:meth:`ensure_rows` (or :meth:`cell`) fills them.

Sorting re-runs the query: the model only tells the window which order was asked for.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel

from digestdesk.core.records import EntryRow
from digestdesk.core.text import tag_label
from digestdesk.ui.icons import small_icon
from digestdesk.ui.safe_text import tooltip

log = logging.getLogger(__name__)

PAGE = 100  # rows fetched per library.rows call
CACHE_PAGES = 60  # pages kept; older pages are forgotten, their items with them

COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", ""),
    ("title", "Title"),
    ("published", "Published"),
    ("votes", "Votes"),
    ("code", "Code"),
    ("tags", "Tags"),
)
COL = {name: i for i, (name, _) in enumerate(COLUMNS)}
HEADER_TIPS = {"status": "Status", "code": "Has a code repository", "votes": "Votes in the digest"}

#: column -> sort key understood by library.search (None: not sortable)
SORT_KEYS: dict[str, str | None] = {
    "status": None,
    "title": None,
    "published": "date",
    "votes": "votes",
    "code": None,
    "tags": None,
}

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
#: a row whose data could not be read (the entry is gone): an ellipsis in the title column
_LOADING: tuple[dict[int, Any], ...] = tuple(
    {_DISPLAY: "…"} if name == "title" else {} for name, _ in COLUMNS
)
Cells = tuple[dict[int, Any], ...]

_Index = QModelIndex | QPersistentModelIndex


class EntryModel(QStandardItemModel):
    """Rows are entries of the current result; data comes from ``fetch_rows(ids)``.

    No Qt virtual that painting calls (``data``, ``flags``, ``rowCount``, ``headerData``...)
    is overridden here, so Qt answers them without entering Python.
    """

    sort_requested = Signal(str, bool)  # sort key, ascending

    def __init__(
        self,
        fetch_rows: Callable[[Sequence[int]], dict[int, EntryRow]],
        dispose: Callable[[object], None] | None = None,
    ) -> None:
        """``dispose(obj)``, when given, takes the previous result's structures off this
        thread: freeing a 100k-long result (its ids, and the row of each) is 3-6 ms."""
        super().__init__(0, len(COLUMNS))
        self._fetch_rows = fetch_rows
        self._dispose = dispose
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._cache: dict[int, EntryRow] = {}
        self._pages: OrderedDict[int, list[int]] = OrderedDict()
        self._filled: set[int] = set()  # rows whose items hold their entry's cells
        self._placeholders: set[int] = set()  # rows showing "…": their entry could not be read
        self._bold = QFont()
        self._bold.setBold(True)
        prototype = QStandardItem()  # items made for a row: selectable, never editable
        prototype.setFlags(_FLAGS)
        self.setItemPrototype(prototype)
        horizontal = Qt.Orientation.Horizontal
        for column, (name, title) in enumerate(COLUMNS):
            self.setHeaderData(column, horizontal, title, Qt.ItemDataRole.DisplayRole)
            self.setHeaderData(
                column, horizontal, HEADER_TIPS.get(name, title), Qt.ItemDataRole.ToolTipRole
            )
        self.total = 0
        self.generation = 0  # bumped by every reset: rows read for an older one are dropped

    # ------------------------------------------------------------ contents
    def set_ids(
        self,
        ids: Sequence[int],
        total: int | None = None,
        row_of: dict[int, int] | None = None,
        rows: dict[int, EntryRow] | None = None,
    ) -> None:
        """Show ``ids`` (a list is taken over, not copied: 1 ms at 100k); ``row_of``
        (id -> row) and the first page's ``rows`` may be read off the GUI thread beforehand,
        so the first paint runs no query here."""
        self.beginResetModel()
        # One reset for the views, not the row removals and insertions it is made of. The
        # rows painted before lose their items; the row count changes by the difference only
        # (emptying the model and growing it again to 100k rows was 4 ms: the row table was
        # allocated anew).
        blocked = self.blockSignals(True)
        try:
            self._drop_items(self._filled | self._placeholders)
            self.setRowCount(len(ids))
        finally:
            self.blockSignals(blocked)
        self.generation += 1
        old = (self._ids, self._row_of, self._cache)
        self._ids = ids if isinstance(ids, list) else list(ids)
        self._row_of = row_of
        self._cache = {}
        self._pages.clear()
        if self._dispose is not None:
            self._dispose(old)
        if rows:
            self.add_rows(rows)
        self.total = len(self._ids) if total is None else total
        self.endResetModel()

    def pages_of(self, first_row: int, last_row: int) -> list[int]:
        """The pages holding rows ``first_row``..``last_row`` (clamped) not loaded yet."""
        last_row = min(last_row, len(self._ids) - 1)
        first = max(first_row, 0) // PAGE
        return [p for p in range(first, last_row // PAGE + 1) if p not in self._pages]

    def page_ids(self, page: int) -> list[int]:
        return self._ids[page * PAGE : (page + 1) * PAGE]

    def add_rows(self, rows: dict[int, EntryRow]) -> None:
        """Rows read off the GUI thread: every page they complete needs no query here."""
        pages = {row // PAGE for i in rows if (row := self.row_of(i)) is not None}
        for page in sorted(pages - set(self._pages)):
            ids = self.page_ids(page)
            if ids and all(i in rows for i in ids):
                self._cache.update((i, rows[i]) for i in ids)
                self._remember_page(page, ids)

    def ids(self) -> list[int]:
        return self._ids

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, entry_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {entry_id: row for row, entry_id in enumerate(self._ids)}
        return self._row_of.get(entry_id)

    def cached_row(self, row: int) -> EntryRow | None:
        """The row's data if it is loaded (never a query)."""
        entry_id = self.id_at(row)
        return self._cache.get(entry_id) if entry_id is not None else None

    def entry_row(self, row: int) -> EntryRow | None:
        entry_id = self.id_at(row)
        if entry_id is None:
            return None
        if entry_id not in self._cache:
            self._load_page(row // PAGE)
        return self._cache.get(entry_id)

    def ensure_rows(self, first_row: int, last_row: int) -> None:
        """Fill the items of rows ``first_row``..``last_row`` (clamped) not filled yet, reading
        their pages if need be. The view calls this before it paints those rows."""
        first_row = max(first_row, 0)
        last_row = min(last_row, len(self._ids) - 1)
        self._fill([r for r in range(first_row, last_row + 1) if r not in self._filled])

    def _fill(self, todo: list[int]) -> None:
        if not todo:
            return
        for page in sorted({r // PAGE for r in todo} - set(self._pages)):
            self._load_page(page)
        # Quietly: the rows' data is not changing, it is being handed to Qt; a view about to
        # paint them must not be told to paint them again.
        blocked = self.blockSignals(True)
        try:
            for row in todo:
                entry = self._cache.get(self._ids[row])
                if entry is None:
                    self._set_cells(row, _LOADING)  # gone meanwhile: try again next time
                    self._placeholders.add(row)
                else:
                    self._set_cells(row, row_cells(entry, self._bold))
                    self._filled.add(row)
                    self._placeholders.discard(row)
        finally:
            self.blockSignals(blocked)

    def cell(self, row: int, column: int, role: int = _DISPLAY) -> Any:
        """What the list shows in a cell (filling its row first, unlike ``data()``)."""
        self.ensure_rows(row, row)
        return self.data(self.index(row, column), role)

    def _set_cells(self, row: int, cells: Cells) -> None:
        for column, cell in enumerate(cells):
            item = self.item(row, column)
            if item is not None:
                item.clearData()  # a role the new cell lacks (bold, note icon) must go
            if cell:
                self.setItemData(self.index(row, column), cell)

    def _load_page(self, page: int) -> None:
        ids = self._ids[page * PAGE : (page + 1) * PAGE]
        if not ids:
            return
        rows = self._fetch_rows(ids)
        self._cache.update(rows)
        self._remember_page(page, ids)

    def _remember_page(self, page: int, ids: list[int]) -> None:
        self._pages[page] = ids
        self._pages.move_to_end(page)
        while len(self._pages) > CACHE_PAGES:
            old_page, old = self._pages.popitem(last=False)
            for entry_id in old:
                self._cache.pop(entry_id, None)
            self._forget_items(old_page)

    def _forget_items(self, page: int) -> None:
        rows = range(page * PAGE, min((page + 1) * PAGE, len(self._ids)))
        blocked = self.blockSignals(True)
        try:
            self._drop_items([r for r in rows if r in self._filled or r in self._placeholders])
        finally:
            self.blockSignals(blocked)

    def _drop_items(self, rows: Iterable[int]) -> None:
        """Delete the items of ``rows`` (signals are the caller's business)."""
        for row in list(rows):
            self._filled.discard(row)
            self._placeholders.discard(row)
            for column in range(len(COLUMNS)):
                self.takeItem(row, column)  # dropped: Python owns it now

    def refresh(self, entry_ids: Sequence[int]) -> None:
        """Reload the given entries if they are shown (after a status, tag or note change)."""
        shown = [i for i in entry_ids if i in self._cache]
        if not shown:
            return
        self._cache.update(self._fetch_rows(shown))
        self._refill(shown)

    def patch_status(self, entry_ids: Sequence[int], status: str) -> None:
        """Show a status at once, before the writer has stored it (the write follows)."""
        patched = []
        for entry_id in entry_ids:
            row = self._cache.get(entry_id)
            if row is not None and row.status != status:
                self._cache[entry_id] = dataclasses.replace(row, status=status)
                patched.append(entry_id)
        self._refill(patched)

    def restyle(self) -> None:
        """Redraw every row with the current palette's icons (after a colour-scheme change)."""
        self._refill([self._ids[row] for row in self._filled])

    def _refill(self, entry_ids: Sequence[int]) -> None:
        """Fill the filled rows of ``entry_ids`` anew from the cache, then say they changed."""
        rows = sorted(r for r in (self.row_of(i) for i in entry_ids) if r is not None)
        filled = [r for r in rows if r in self._filled]
        self._filled.difference_update(filled)
        self._fill(filled)
        if not rows:
            return
        last = self.columnCount() - 1
        # One signal per contiguous run keeps repaints small for scattered ids.
        start = prev = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == prev + 1:
                prev = row
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last))
            if row is not None:
                start = prev = row

    # ------------------------------------------------------------ Qt model API
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = SORT_KEYS[COLUMNS[column][0]]
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.AscendingOrder)


def row_cells(entry: EntryRow, bold: QFont) -> Cells:
    """What the list shows of one entry: per column, the value of each item role."""
    status_text = entry.status.capitalize()
    status: dict[int, Any] = {
        _DECORATION: small_icon(f"status.{entry.status}"),
        _TOOLTIP: status_text,
        _ALIGN: _ALIGN_CENTER,
        _ACCESSIBLE: entry.status,
    }
    title: dict[int, Any] = {_DISPLAY: entry.title, _TOOLTIP: tooltip(entry.title)}
    if entry.has_note:
        title[_DECORATION] = small_icon("note")
    if entry.status == "unread":
        title[_FONT] = bold
    published = {_DISPLAY: entry.published.isoformat() if entry.published else ""}
    votes = {_DISPLAY: "" if entry.votes is None else str(entry.votes), _ALIGN: _ALIGN_RIGHT}
    code: dict[int, Any] = {_ALIGN: _ALIGN_CENTER}
    if entry.has_code:
        code[_DECORATION] = small_icon("code")
        code[_TOOLTIP] = "Has a code repository"
    tags = {_DISPLAY: " ".join(tag_label(t) for t in entry.tags)}
    by_name = {
        "status": status,
        "title": title,
        "published": published,
        "votes": votes,
        "code": code,
        "tags": tags,
    }
    return tuple(by_name[name] for name, _ in COLUMNS)
