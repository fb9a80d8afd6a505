"""The lazy entry model passes Qt's model tester and loads rows a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt

from digestdesk.core.library import Library
from digestdesk.core.records import EntryRow
from digestdesk.ui import entry_model
from digestdesk.ui.entry_model import COL, EntryModel


def fake_rows(calls: list[Sequence[int]]) -> object:
    def fetch(ids: Sequence[int]) -> dict[int, EntryRow]:
        calls.append(list(ids))
        return {
            i: EntryRow(
                i,
                f"Paper {i}",
                date(2025, 1, 1 + i % 28),
                i % 7 or None,
                "unread" if i % 2 else "read",
                bool(i % 3),
                False,
                ("x",) if i % 5 else (),
            )
            for i in ids
        }

    return fetch


def test_model_tester_on_a_large_result(qtmodeltester: object) -> None:
    calls: list[Sequence[int]] = []
    model = EntryModel(fake_rows(calls))  # type: ignore[arg-type]
    model.set_ids(list(range(1, 5001)))
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_rows_load_lazily_in_pages() -> None:
    calls: list[Sequence[int]] = []
    model = EntryModel(fake_rows(calls))  # type: ignore[arg-type]
    model.set_ids(list(range(1, 100_001)))
    assert calls == []
    assert model.data(model.index(150, COL["title"])) is None  # no items before shown
    assert model.cell(150, COL["title"]) == "Paper 151"
    assert len(calls) == 1 and len(calls[0]) == entry_model.PAGE
    model.ensure_rows(140, 160)
    assert model.data(model.index(151, COL["title"])) == "Paper 152"
    assert len(calls) == 1  # cached
    font = model.data(model.index(150, COL["title"]), Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()  # unread is bold
    assert model.data(model.index(149, COL["title"]), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(150, COL["votes"])) == "4"
    assert not model.flags(model.index(150, COL["title"])) & Qt.ItemFlag.ItemIsEditable


def test_forgotten_pages_drop_their_items() -> None:
    calls: list[Sequence[int]] = []
    model = EntryModel(fake_rows(calls))  # type: ignore[arg-type]
    model.set_ids(list(range(1, 100_001)))
    model.ensure_rows(0, 0)
    for page in range(1, entry_model.CACHE_PAGES + 1):
        model.ensure_rows(page * entry_model.PAGE, page * entry_model.PAGE)
    assert model.item(0, COL["title"]) is None  # page 0 was the oldest: forgotten
    assert model.cached_row(0) is None
    last = entry_model.CACHE_PAGES * entry_model.PAGE
    assert model.data(model.index(last, COL["title"])) == f"Paper {last + 1}"
    assert model.cell(0, COL["title"]) == "Paper 1"  # read again when shown again


def test_a_change_refills_the_row_and_says_so(qtbot: object) -> None:
    calls: list[Sequence[int]] = []
    model = EntryModel(fake_rows(calls))  # type: ignore[arg-type]
    model.set_ids([1, 2, 3])
    model.ensure_rows(0, 2)
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    font = Qt.ItemDataRole.FontRole
    assert model.data(model.index(0, COL["title"]), font).bold()  # id 1 is unread
    model.patch_status([1, 3], "read")
    assert changed == [(0, 0), (2, 2)]
    assert model.data(model.index(0, COL["title"]), font) is None  # not bold any more
    assert model.data(model.index(0, COL["status"]), Qt.ItemDataRole.ToolTipRole) == "Read"
    model.set_ids([3])
    assert model.item(0, COL["title"]) is None  # a reset drops the old result's items
    assert model.cell(0, COL["title"]) == "Paper 3"


def test_header_is_answered_by_qt() -> None:
    model = EntryModel(fake_rows([]))  # type: ignore[arg-type]
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(COL["title"], horizontal) == "Title"
    assert model.headerData(COL["code"], horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "Has a code repository"
    )
    # Nothing Qt calls while painting is answered in Python (the point of the model).
    for name in ("data", "flags", "rowCount", "columnCount", "headerData", "index", "parent"):
        assert name not in EntryModel.__dict__, name


def test_model_over_the_real_library(
    qtmodeltester: object, library: Library, sample: object
) -> None:
    library.import_file(sample)  # type: ignore[arg-type]
    model = EntryModel(library.rows)
    model.set_ids(library.search("").ids)
    assert model.rowCount() == 8
    model.ensure_rows(0, 7)  # shown
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.patch_status([model.id_at(0)], "read")  # type: ignore[list-item]
    assert model.entry_row(0).status == "read"  # type: ignore[union-attr]


def test_a_view_fills_the_rows_it_paints_and_no_others(qtbot: object) -> None:
    from digestdesk.ui.entry_view import EntryView

    calls: list[Sequence[int]] = []
    model = EntryModel(fake_rows(calls))  # type: ignore[arg-type]
    model.set_ids(list(range(1, 10_001)))
    view = EntryView(model)
    view.resize(600, 300)
    view.grab()  # paints every visible row
    title = COL["title"]
    visible = view.rowAt(view.viewport().height() - 1)
    assert visible > 3
    assert all(model.item(row, title) is not None for row in range(visible + 1))
    assert model.item(5_000, title) is None
    assert len(calls) == 1  # the first page only
    view.scrollTo(model.index(5_000, title))
    view.grab()
    assert model.data(model.index(5_000, title)) == "Paper 5001"


def test_the_previous_result_is_handed_over_to_be_freed() -> None:
    disposed: list[object] = []
    model = EntryModel(fake_rows([]), dispose=disposed.append)  # type: ignore[arg-type]
    first = list(range(1, 1001))
    model.set_ids(first)
    model.ensure_rows(0, 5)
    model.set_ids([7, 8])
    old_ids, _old_row_of, old_cache = disposed[-1]  # type: ignore[misc]
    assert old_ids == first and 1 in old_cache
    assert model.ids() == [7, 8] and model.cached_row(0) is None


def test_a_reset_leaves_no_cell_of_the_old_result_behind() -> None:
    def fetch(ids: Sequence[int]) -> dict[int, EntryRow]:
        return {i: row for i, row in fake_rows([])(ids).items() if i != 2}  # type: ignore[operator]

    model = EntryModel(fetch)
    model.set_ids([1, 2, 3])
    model.ensure_rows(0, 2)
    assert model.data(model.index(1, COL["title"])) == "…"  # entry 2 could not be read
    model.set_ids([4, 5, 6, 7])
    assert all(model.item(row, COL["title"]) is None for row in range(4))
    model.ensure_rows(0, 3)
    assert [model.data(model.index(r, COL["title"])) for r in range(4)] == [
        "Paper 4",
        "Paper 5",
        "Paper 6",
        "Paper 7",
    ]
