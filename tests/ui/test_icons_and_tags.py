"""Icons drawn from the MDI font (no qtawesome import) survive a detach; the tag editor
completes from the library's tags."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.ui.application import apply_color_scheme
from digestdesk.ui.entry_model import COL
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.tag_editor import TagEditorDialog

CHILD = textwrap.dedent(
    """
    import gc, sys
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from digestdesk.ui.icons import icon
    original = icon("code")
    gc.collect()
    copy = QIcon(original)
    copy.addPixmap(original.pixmap(QSize(16, 16)))  # detaches: Qt clones the engine
    gc.collect()
    assert not copy.pixmap(QSize(24, 24)).isNull()
    del original, copy
    gc.collect()
    assert "qtawesome" not in sys.modules, "the window's icons need no qtawesome import"
    print("ok")
    """
)


def test_icons_survive_a_detach_without_qtawesome() -> None:
    # A child process: a freed engine would crash it, not the test run.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_tag_editor_completes_known_tags(qtbot: QtBot) -> None:
    dialog = TagEditorDialog([], [("reading-group", 3), ("long-context", 1)], 1)
    qtbot.addWidget(dialog)
    gc.collect()  # the completer's model must outlive the constructor
    model = dialog.completer.model()
    assert model is not None and model.rowCount() == 2


def test_a_colour_scheme_switch_redraws_the_list_icons(
    qtbot: QtBot, loaded_window: MainWindow
) -> None:
    window = loaded_window
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.view.grab()  # the visible rows are filled
    decoration = Qt.ItemDataRole.DecorationRole
    index = window.model.index(0, COL["status"])
    before = window.model.data(index, decoration).cacheKey()
    try:
        apply_color_scheme(app, Qt.ColorScheme.Dark)
        window.follow_color_scheme()
        after = window.model.data(index, decoration)
        assert after is not None and after.cacheKey() != before
    finally:
        apply_color_scheme(app, Qt.ColorScheme.Light)
        window.follow_color_scheme()
