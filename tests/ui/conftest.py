"""Fixtures for the desktop window tests: offscreen Qt, a temporary library and settings.

``QT_QPA_PLATFORM=offscreen`` is set before anything imports Qt. Every test fails on an
unexpected Qt warning. Settings never touch the user's real configuration.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "0")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QtMsgType  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402
from digestdesk.ui.application import make_application, sample_path, window_idle  # noqa: E402
from digestdesk.ui.main_window import MainWindow  # noqa: E402
from digestdesk.ui.tuning import Tuning  # noqa: E402

#: Qt warnings that say nothing about our code (the offscreen platform's limits).
IGNORED_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
    "QFont::setPointSizeF: Point size <= 0",
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))


@pytest.fixture(scope="session")
def qapp_cls() -> type:
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(scope="session")
def qapp(qapp_args: list[str], qapp_cls: type) -> object:  # noqa: ARG001
    return make_application(qapp_args)


@pytest.fixture(autouse=True)
def _fail_on_qt_warnings(qtlog: object) -> Iterator[None]:
    yield
    bad = [
        record.message
        for record in qtlog.records  # type: ignore[attr-defined]
        if record.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        and not record.message.startswith(IGNORED_QT_MESSAGES)
    ]
    assert not bad, f"unexpected Qt warnings: {bad}"


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def library_dir(tmp_path: Path) -> Path:
    return tmp_path / "library"


@pytest.fixture
def library(library_dir: Path) -> Iterator[Library]:
    lib = Library.open(resolve_library(library_dir), writer=True)
    yield lib
    lib.close()


@pytest.fixture
def sample() -> Path:
    return sample_path()


class Opened(list[str]):
    """URLs the window asked to open (no browser is ever started in tests)."""


@pytest.fixture
def opened() -> Opened:
    return Opened()


def make_window(
    qtbot: QtBot,
    library: Library,
    settings: QSettings,
    opened: list[str],
    *,
    confirm_bulk: Callable[[str], bool] = lambda _question: True,
    tuning: Tuning | None = None,
) -> MainWindow:
    window = MainWindow(
        library,
        settings,
        url_opener=opened.append,
        confirm_bulk=confirm_bulk,
        show_dialogs=False,
        tuning=tuning,
    )
    qtbot.addWidget(window)
    window.resize(1200, 760)
    with qtbot.waitExposed(window):
        window.show()
    window.activateWindow()
    wait_idle(qtbot, window)
    return window


def wait_idle(qtbot: QtBot, window: MainWindow, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: window_idle(window), timeout=timeout)


@pytest.fixture
def window(
    qtbot: QtBot, library: Library, settings: QSettings, opened: Opened
) -> Iterator[MainWindow]:
    win = make_window(qtbot, library, settings, opened)
    yield win
    win.close()


def load_sample(qtbot: QtBot, window: MainWindow, sample: Path) -> MainWindow:
    """Import the built-in sample into the window's (empty) library."""
    window.imports.import_paths([sample])
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 8
    window.focus_list()
    return window


@pytest.fixture
def loaded_window(qtbot: QtBot, window: MainWindow, sample: Path) -> MainWindow:
    """The window over a library holding the built-in sample."""
    return load_sample(qtbot, window, sample)
