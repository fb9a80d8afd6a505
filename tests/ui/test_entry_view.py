"""The entry list draws no focus frame around the current cell, wherever the cursor goes, and
finishes a paint in parts whatever happens to its size meanwhile."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from digestdesk.ui.main_window import MainWindow

from .conftest import wait_idle
from .test_search_while_typing import _on_screen


def _list_image(qtbot: QtBot, window: MainWindow) -> QImage:
    qtbot.wait(50)
    return window.view.viewport().grab().toImage()


def test_the_focused_list_looks_like_the_unfocused_one(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    view = loaded_window.view
    view.setFocus(Qt.FocusReason.TabFocusReason)
    loaded_window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange, True)
    for row in (2, 5, 1):
        view.move_to(row)
        QTest.keyClick(view, Qt.Key.Key_Right)  # the current cell in another column
        assert view.hasFocus() and view.currentIndex().row() == row
        focused = _list_image(qtbot, loaded_window)
        loaded_window.search_bar.edit.setFocus()
        assert not view.hasFocus()
        assert _list_image(qtbot, loaded_window) == focused, f"a focus frame on row {row}"
        view.setFocus(Qt.FocusReason.TabFocusReason)


def test_a_paint_in_parts_ends_when_the_list_narrows_meanwhile(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    """Rows left for a later part that no longer lie in the list (a scroll bar appeared, the
    splitter moved) are not waited for: the paint ends, the window becomes idle."""
    window = loaded_window
    view = window.view
    width = view.viewport().width()
    narrowed: list[bool] = []

    def narrow() -> None:  # between two parts of the paint
        narrowed.append(view.painting_in_parts())
        sizes = window.splitter.sizes()
        window.splitter.setSizes([sizes[0] - 120, sizes[1] + 120])

    class FirstPart(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and view.paint_in_parts_ahead() and not narrowed:
                QTimer.singleShot(0, narrow)
            return False

    first_part = FirstPart(view)
    view.viewport().installEventFilter(first_part)
    window.search.set_sort("votes")  # the list is reset: painted in parts
    qtbot.waitUntil(lambda: bool(narrowed), timeout=5_000)
    assert narrowed == [True]
    assert view.viewport().width() < width
    qtbot.waitUntil(lambda: not view.paint_in_parts_ahead(), timeout=2_000)
    wait_idle(qtbot, window)
    # All parts painted: the list on screen is what a paint of the whole list draws.
    assert _on_screen(window) == view.viewport().grab().toImage().convertToFormat(
        QImage.Format.Format_RGB32
    )
