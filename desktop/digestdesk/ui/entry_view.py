"""The entry list view: a compact, keyboard-first table over :class:`EntryModel`.

Uniform row heights and fixed-size columns keep painting cheap for very long results; the
title column stretches. Moving the current row is the view's job, so the window's ``j``/``k``
and triage keys go through :meth:`EntryView.move_to`.

A paint of the whole list (a search result, focus moving to or from the list) draws every
visible cell anew, 10-25 ms of the GUI thread in one go: a key typed meanwhile waits for all
of it. Such a paint is done a few rows at a time, one part per turn of the event loop, top
first; the rows not painted yet keep their old pixels until their turn, milliseconds later.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFocusEvent, QHideEvent, QInputEvent, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from digestdesk.ui.entry_model import COL, COLUMNS, SORT_KEYS, EntryModel
from digestdesk.ui.styles import slim

#: rows drawn per turn of the event loop in a paint of many rows (24 cells, 3-5 ms)
PAINT_PART_ROWS = 4
NO_FOCUS_FRAME = "QTableView { outline: 0; }"


class EntryView(QTableView):
    """The list of entries; emits ``current_entry_changed(id or -1)``."""

    current_entry_changed = Signal(int)

    def __init__(self, model: EntryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Entries marked with x for one bulk change: moving keeps them (see set_marking).
        self.marking = False
        self.setObjectName("entryList")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(False)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setIconSize(QSize(16, 16))
        self.setSortingEnabled(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAccessibleName("Entries")
        # The whole row is highlighted; a dotted focus frame around one cell is noise (except
        # while entries are marked: the current row may be unmarked, the frame shows it).
        self.setStyleSheet(NO_FOCUS_FRAME)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(24, self.fontMetrics().height() + 10))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL["published"], Qt.SortOrder.DescendingOrder)
        header.sectionClicked.connect(self._header_clicked)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(28)
        char = self.fontMetrics().horizontalAdvance("0")
        widths = {"status": 30, "published": char * 11 + 16, "votes": char * 6 + 12, "code": 44}
        for name, _ in COLUMNS:
            column = COL[name]
            if name == "title":
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            elif name == "tags":
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                self.setColumnWidth(column, char * 12)  # the title gets the room
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                self.setColumnWidth(column, widths[name])
        self._sort_column = COL["published"]
        self._sort_order = Qt.SortOrder.DescendingOrder
        # The header shares the view's selection model by default and repaints whole on
        # every row selection (a selected row covers every column): j/k does not need that.
        header.setSelectionModel(QItemSelectionModel(model, header))
        slim(self.verticalScrollBar())
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        model.modelReset.connect(self._after_reset)
        # Large paints in parts: see the module docstring. The viewport is not erased before
        # a paint (each paint fills its own background), so rows left for a later part keep
        # their old pixels meanwhile instead of flashing blank.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._unpainted: QRegion | None = None
        self._split_next = False  # the next paint is one of the whole list, or a later part
        self._next_part = QTimer(self)
        self._next_part.setSingleShot(True)
        self._next_part.setInterval(0)
        self._next_part.timeout.connect(self._paint_next_part)

    # ------------------------------------------------------------ painting
    def painting_in_parts(self) -> bool:
        """Rows are left to be painted by a later turn of the event loop."""
        return self._unpainted is not None

    def paint_in_parts_ahead(self) -> bool:
        """A paint in parts is asked for (its first part may not have run yet) or under way."""
        return self._split_next or self._unpainted is not None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        region = event.region()  # only this is painted now, whatever else is left over
        if not self._split_next:
            # Painted whole: any paint but those after a reset or a change of focus, and
            # the render of a grab (which must not be cut short).
            self._ensure_rows(region.boundingRect())
            self._fill_background(region)
            QTableView.paintEvent(self, event)
            if self._unpainted is not None and not self._next_part.isActive():
                self._next_part.start()  # a grab cannot tell: the parts left still come
            return
        self._split_next = False
        bounds = region.boundingRect()
        part_height = self.verticalHeader().defaultSectionSize() * PAINT_PART_ROWS
        last = self.entry_model().rowCount() - 1
        rows_bottom = self.rowViewportPosition(last) + self.rowHeight(last) if last >= 0 else 0
        if min(bounds.bottom() + 1, rows_bottom) <= bounds.top() + part_height:
            part = region  # a few rows (below the last row there is only background)
        else:
            part = region.intersected(QRect(bounds.x(), bounds.y(), bounds.width(), part_height))
        rest = region.subtracted(part)
        if self._unpainted is not None:
            rest = rest.united(self._unpainted.subtracted(part))
        if rest.isEmpty():
            self._finish_parts()
        else:
            self._unpainted = rest
            self._next_part.start()
        self._ensure_rows(part.boundingRect())
        self._fill_background(part)
        QTableView.paintEvent(self, event if part is region else QPaintEvent(part))

    def _ensure_rows(self, rect: QRect) -> None:
        """The model fills the items of the rows in ``rect`` (viewport coordinates) that
        have none yet: painting itself asks the model nothing it must compute."""
        model = self.entry_model()
        count = model.rowCount()
        if count == 0:
            return
        first = self.rowAt(rect.top())
        last = self.rowAt(rect.bottom())
        if first < 0:
            first = 0 if rect.top() < self.rowViewportPosition(0) else count
        model.ensure_rows(first, count - 1 if last < 0 else last)

    def _fill_background(self, region: QRegion) -> None:
        viewport = self.viewport()
        painter = QPainter(viewport)
        painter.setClipRegion(region)
        painter.fillRect(region.boundingRect(), viewport.palette().brush(viewport.backgroundRole()))
        painter.end()

    def _paint_next_part(self) -> None:
        if self._unpainted is None:
            return
        # The viewport may have narrowed since the paint began (a scroll bar appeared as the
        # rows came in, the splitter moved): rows outside it get no paint event, and waiting
        # for one would leave the paint unfinished for good.
        self._unpainted = self._unpainted.intersected(self.viewport().rect())
        if self._unpainted.isEmpty():
            self._finish_parts()
            return
        self._split_next = True
        self.viewport().update(self._unpainted)

    def _finish_parts(self) -> None:
        self._unpainted = None
        self._next_part.stop()

    def _paint_all_in_parts(self) -> None:
        if self.isVisible():
            self._split_next = True
            self.viewport().update()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)  # repaints the whole list
        self._paint_all_in_parts()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)  # repaints the whole list
        self._paint_all_in_parts()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        # Scrolling moves the pixels on screen, rows left for later with the others.
        super().scrollContentsBy(dx, dy)
        if self._unpainted is not None:
            self._finish_parts()
            self._paint_all_in_parts()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        self._finish_parts()  # shown again, the view is painted whole
        self._split_next = False
        super().hideEvent(event)

    # ------------------------------------------------------------- sorting
    def _header_clicked(self, column: int) -> None:
        model = self.entry_model()
        if SORT_KEYS.get(COLUMNS[column][0]) is None:
            # Not sortable: put the indicator back where the real order is.
            self.horizontalHeader().setSortIndicator(self._sort_column, self._sort_order)
            return
        if column == self._sort_column:
            order = (
                Qt.SortOrder.AscendingOrder
                if self._sort_order == Qt.SortOrder.DescendingOrder
                else Qt.SortOrder.DescendingOrder
            )
        else:
            order = Qt.SortOrder.DescendingOrder
        self.show_sort(column, order)
        model.sort(column, order)

    def show_sort(self, column: int, order: Qt.SortOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.horizontalHeader().setSortIndicator(column, order)

    def show_sort_key(self, key: str, ascending: bool) -> None:
        """Show the sort indicator for a sort chosen elsewhere (menu, saved state)."""
        order = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        for name, sort_key in SORT_KEYS.items():
            if sort_key == key:
                self.show_sort(COL[name], order)
                return
        self.horizontalHeader().setSortIndicator(-1, order)
        self._sort_column = -1

    # ------------------------------------------------------------ movement
    def entry_model(self) -> EntryModel:
        model = self.model()
        assert isinstance(model, EntryModel)
        return model

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return self.entry_model().id_at(index.row()) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        """The selected entries in list order, or the current one when nothing is selected."""
        model = self.entry_model()
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        ids = [i for i in (model.id_at(r) for r in rows) if i is not None]
        if not ids:
            current = self.current_id()
            return [current] if current is not None else []
        return ids

    def move_to(self, row: int, *, keep_selection: bool | None = None) -> None:
        """Make ``row`` current; the selection follows it, unless entries are marked (or
        ``keep_selection`` says otherwise)."""
        count = self.entry_model().rowCount()
        if count == 0:
            return
        row = max(0, min(row, count - 1))
        index = self.entry_model().index(row, COL["title"])
        keep = self.marking if keep_selection is None else keep_selection
        flags = (
            QItemSelectionModel.SelectionFlag.NoUpdate
            if keep
            else QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def move_by(self, delta: int) -> None:
        current = self.currentIndex().row()
        self.move_to(0 if current < 0 else current + delta)

    def select_id(self, entry_id: int | None) -> bool:
        row = self.entry_model().row_of(entry_id) if entry_id is not None else None
        if row is None:
            return False
        self.move_to(row)
        return True

    def toggle_current_selection(self) -> None:
        """x: mark the current entry for a bulk change, or unmark it. The first x keeps the
        current entry selected (it was, as the cursor) and starts marking."""
        index = self.currentIndex()
        if not index.isValid():
            return
        selection = self.selectionModel()
        rows = QItemSelectionModel.SelectionFlag.Rows
        if not self.marking:
            selection.select(index, QItemSelectionModel.SelectionFlag.Select | rows)
            self.set_marking(True)
            return
        selection.select(index, QItemSelectionModel.SelectionFlag.Toggle | rows)
        if not selection.hasSelection():
            self.set_marking(False)

    def set_marking(self, on: bool) -> None:
        """Entries are marked: moving keeps them. Off: the selection is the current row."""
        if on == self.marking:
            return
        self.marking = on
        self.setStyleSheet("" if on else NO_FOCUS_FRAME)

    def clear_marks(self) -> bool:
        """Unmark everything (the current entry stays selected); whether any were marked."""
        if not self.marking:
            return False
        self.set_marking(False)
        current = self.currentIndex()
        if current.isValid():
            self.move_to(current.row())
        return True

    def selectionCommand(  # noqa: N802 - Qt override
        self, index: QModelIndex | QPersistentModelIndex, /, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        """The arrow keys move on like j and k while entries are marked; a click without
        Ctrl or Shift starts over with its row."""
        if self.marking and isinstance(event, QInputEvent):
            plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
            if event.type() == QEvent.Type.KeyPress and plain:
                return QItemSelectionModel.SelectionFlag.NoUpdate
            if event.type() == QEvent.Type.MouseButtonPress and plain:
                self.set_marking(False)
        return super().selectionCommand(index, event)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry_id = self.entry_model().id_at(current.row()) if current.isValid() else None
        self.current_entry_changed.emit(-1 if entry_id is None else entry_id)

    def _after_reset(self) -> None:
        self.set_marking(False)  # another list: its rows are other entries
        self._paint_all_in_parts()
        self.current_entry_changed.emit(-1)
