"""The entry list model: a table over the ids of the current query, rows loaded lazily.

The model holds only the ordered ids the search returned. Row data (title, date, votes,
status, tags...) is fetched with ``library.rows`` a page at a time when a row is first
painted and cached, so a 100k-entry result costs one list of ints until scrolled. Sorting
re-runs the query (the model only tells the window which order was asked for).
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
        self._pages: OrderedDict[int, list[int]] = OrderedDict()
        self._bold = QFont()
        self._bold.setBold(True)
        self.total = 0

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
        self._ids = list(ids)
        self._row_of = row_of
        self._cache.clear()
        self._pages.clear()
        if rows and self._ids[:PAGE] and all(i in rows for i in self._ids[:PAGE]):
            self._cache.update(rows)
            self._pages[0] = self._ids[:PAGE]
        self.total = len(self._ids) if total is None else total
        self.endResetModel()

    def ids(self) -> list[int]:
        return self._ids

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, entry_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {entry_id: row for row, entry_id in enumerate(self._ids)}
        return self._row_of.get(entry_id)

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
        self._pages[page] = ids
        self._pages.move_to_end(page)
        while len(self._pages) > CACHE_PAGES:
            _, old = self._pages.popitem(last=False)
            for entry_id in old:
                self._cache.pop(entry_id, None)

    def refresh(self, entry_ids: Sequence[int]) -> None:
        """Reload the given entries if they are shown (after a status, tag or note change)."""
        shown = [i for i in entry_ids if i in self._cache]
        if not shown:
            return
        self._cache.update(self._fetch_rows(shown))
        self._emit_changed(shown)

    def patch_status(self, entry_ids: Sequence[int], status: str) -> None:
        """Show a status at once, before the writer has stored it (the write follows)."""
        patched = []
        for entry_id in entry_ids:
            row = self._cache.get(entry_id)
            if row is not None and row.status != status:
                self._cache[entry_id] = dataclasses.replace(row, status=status)
                patched.append(entry_id)
        self._emit_changed(patched)

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
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[row]
        entry = self.entry_row(row)
        if entry is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == 1 else None
        column = COLUMNS[index.column()][0]
        if role == ROW_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "title":
                return entry.title
            if column == "published":
                return entry.published.isoformat() if entry.published else ""
            if column == "votes":
                return "" if entry.votes is None else str(entry.votes)
            if column == "tags":
                return " ".join(f"#{t}" for t in entry.tags)
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            if column == "status":
                return small_icon(f"status.{entry.status}")
            if column == "code" and entry.has_code:
                return small_icon("code")
            if column == "title" and entry.has_note:
                return small_icon("note")
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if entry.status == "unread" and column == "title" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "status":
                return entry.status.capitalize()
            if column == "code":
                return "Has a code repository" if entry.has_code else None
            if column == "title":
                return entry.title
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == "votes":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column in ("status", "code"):
                return int(Qt.AlignmentFlag.AlignCenter)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == "status":
            return entry.status
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = SORT_KEYS[COLUMNS[column][0]]
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.AscendingOrder)
