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
    assert model.data(model.index(150, COL["title"])) == "Paper 151"
    assert len(calls) == 1 and len(calls[0]) == entry_model.PAGE
    model.data(model.index(151, COL["title"]))
    assert len(calls) == 1  # cached
    font = model.data(model.index(150, COL["title"]), Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()  # unread is bold


def test_model_over_the_real_library(
    qtmodeltester: object, library: Library, sample: object
) -> None:
    library.import_file(sample)  # type: ignore[arg-type]
    model = EntryModel(library.rows)
    model.set_ids(library.search("").ids)
    assert model.rowCount() == 8
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.patch_status([model.id_at(0)], "read")  # type: ignore[list-item]
    assert model.entry_row(0).status == "read"  # type: ignore[union-attr]
