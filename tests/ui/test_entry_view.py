"""The entry list draws no focus frame around the current cell, wherever the cursor goes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from digestdesk.ui.main_window import MainWindow


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
