"""The entry list model: a table over the ids of the current query, rows loaded lazily.

The model holds only the ordered ids the search returned. Row data (title, date, votes,
status, tags...) is fetched with ``library.rows`` a page at a time when a row is first
painted and cached, so a 100k-entry result costs one list of ints until scrolled. Sorting
re-runs the query (the model only tells the window which order was asked for).

Painting the list asks ``data()`` about seven roles per cell, a few thousand calls for a
full repaint after a search. Each row's answers are therefore worked out once, as one
``{role: value}`` dict per column, and ``data()`` is a dict lookup: a full repaint costs
milliseconds, not the tens of milliseconds a role-by-role ``if`` chain took.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from digestdesk.core.records import EntryRow
from digestdesk.ui.icons import small_icon

log = logging.getLogger(__name__)

PAGE = 100  # rows fetched per library.rows call
CACHE_PAGES = 60  # pages kept; older pages are forgotten

COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", ""),
    ("title", "Title"),
    ("published", "Published"),
    ("votes", "Votes"),
    ("code", "Code"),
    ("tags", "Tags"),
)
COL = {name: i for i, (name, _) in enumerate(COLUMNS)}

#: column -> sort key understood by library.search (None: not sortable)
SORT_KEYS: dict[str, str | None] = {
    "status": None,
    "title": None,
    "published": "date",
    "votes": "votes",
    "code": None,
    "tags": None,
}

ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ALIGN_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
#: a row whose data is not loaded (yet): an ellipsis in the title column
_LOADING: tuple[dict[int, Any], ...] = tuple(
    {_DISPLAY: "…"} if name == "title" else {} for name, _ in COLUMNS
)
Cells = tuple[dict[int, Any], ...]

_Index = QModelIndex | QPersistentModelIndex


class EntryModel(QAbstractTableModel):
    """Rows are entries of the current result; data comes from ``fetch_rows(ids)``."""

    sort_requested = Signal(str, bool)  # sort key, ascending

    def __init__(self, fetch_rows: Callable[[Sequence[int]], dict[int, EntryRow]]) -> None:
        super().__init__()
        self._fetch_rows = fetch_rows
        self._ids: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._cache: dict[int, EntryRow] = {}
        self._cells: dict[int, Cells] = {}  # entry id -> per column {role: value}
        self._pages: OrderedDict[int, list[int]] = OrderedDict()
        self._bold = QFont()
        self._bold.setBold(True)
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
        """Show ``ids``; ``row_of`` (id -> row) and the first page's ``rows`` may be read off
        the GUI thread beforehand, so the first paint runs no query here."""
        self.beginResetModel()
        self.generation += 1
        self._ids = list(ids)
        self._row_of = row_of
        self._cache.clear()
        self._cells.clear()
        self._pages.clear()
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
            _, old = self._pages.popitem(last=False)
            for entry_id in old:
                self._cache.pop(entry_id, None)
                self._cells.pop(entry_id, None)

    def refresh(self, entry_ids: Sequence[int]) -> None:
        """Reload the given entries if they are shown (after a status, tag or note change)."""
        shown = [i for i in entry_ids if i in self._cache]
        if not shown:
            return
        self._cache.update(self._fetch_rows(shown))
        for entry_id in shown:
            self._cells.pop(entry_id, None)
        self._emit_changed(shown)

    def patch_status(self, entry_ids: Sequence[int], status: str) -> None:
        """Show a status at once, before the writer has stored it (the write follows)."""
        patched = []
        for entry_id in entry_ids:
            row = self._cache.get(entry_id)
            if row is not None and row.status != status:
                self._cache[entry_id] = dataclasses.replace(row, status=status)
                self._cells.pop(entry_id, None)
                patched.append(entry_id)
        self._emit_changed(patched)

    def restyle(self) -> None:
        """Redraw every row with the current palette's icons (after a colour-scheme change)."""
        self._cells.clear()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1)
            )

    def _emit_changed(self, entry_ids: Sequence[int]) -> None:
        rows = sorted(r for r in (self.row_of(i) for i in entry_ids) if r is not None)
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
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        name, title = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        if role == Qt.ItemDataRole.DecorationRole and name == "code":
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return {
                "status": "Status",
                "code": "Has a code repository",
                "votes": "Votes in the digest",
            }.get(name, title)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The hot path of painting: no index validity walk (the view only asks about its
        # own valid indexes), one dict lookup per call once the row's cells exist.
        row = index.row()
        ids = self._ids
        if not 0 <= row < len(ids):
            return None
        entry_id = ids[row]
        if role == ID_ROLE:
            return entry_id
        cells = self._cells.get(entry_id)
        if cells is None:
            cells = self._row_cells(row, entry_id)
        return cells[index.column()].get(role)

    def _row_cells(self, row: int, entry_id: int) -> Cells:
        entry = self.entry_row(row)
        if entry is None:
            return _LOADING
        cells = row_cells(entry, self._bold)
        self._cells[entry_id] = cells
        return cells

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
    title: dict[int, Any] = {_DISPLAY: entry.title, _TOOLTIP: entry.title}
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
    tags = {_DISPLAY: " ".join(f"#{t}" for t in entry.tags)}
    by_name = {
        "status": status,
        "title": title,
        "published": published,
        "votes": votes,
        "code": code,
        "tags": tags,
    }
    for cell in by_name.values():
        cell[ROW_ROLE] = entry
    return tuple(by_name[name] for name, _ in COLUMNS)
