"""The desktop application: QApplication setup, opening the library, and the window's life.

``run_app(options)`` is called by :mod:`digestdesk.app` with the parsed GUI options. It sets
the application's identity (name, icon, desktop file), follows the system's light or dark
colour scheme, installs the crash dialog, opens the library (a clear dialog for expected
problems such as a locked library or a newer database), keeps one instance per library and
runs ``--self-test`` and ``--demo``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QMessageLogContext,
    QSettings,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from digestdesk import APP_ID, APP_NAME, __version__
from digestdesk.errors import DigestDeskError, LibraryLockedError
from digestdesk.paths import ENV_DATABASE_URL, LibraryPaths, resolve_library, resource_path
from digestdesk.ui import icons
from digestdesk.ui.collector import collect_garbage_on_gui_thread, freeze_startup_objects
from digestdesk.ui.quitting import signal_name
from digestdesk.ui.stall_watch import watch_from_environment, write_report

if TYPE_CHECKING:  # imported when the window is made (the launch shows it first)
    from digestdesk.core.library import Library
    from digestdesk.ui.main_window import MainWindow

log = logging.getLogger(__name__)

ORGANIZATION = "digestdesk"
SAMPLE_NAME = "hf-daily-sample.json"
DEMO_ENTRIES = 2000
GUI_SWITCH_INTERVAL = 0.001  # seconds; see make_application
#: At most this long (ms) a quit signal first delivers the input that reached the app before it.
PENDING_INPUT_MS = 500


def sample_path() -> Path:
    """The built-in sample digest (invented papers) used by ``--self-test`` and the tests."""
    return Path(__file__).resolve().parents[1] / "samples" / SAMPLE_NAME


def app_icon() -> QIcon:
    result = QIcon()
    svg = resource_path("icons/digestdesk.svg")
    if svg.exists():
        result.addFile(str(svg))
    for size in (16, 32, 48, 64, 128, 256):
        png = resource_path(f"icons/digestdesk-{size}.png")
        if png.exists():
            result.addFile(str(png))
    return result if not result.isNull() else icons.icon("app")


# ---------------------------------------------------------------- colour scheme
def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#23252b"), QColor("#1b1d22"), QColor("#e6e6e6")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#212329"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#2c2f36"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#2c2f36"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8b8f97"))
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#2f5fa8"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#7aa7ff"))
        p.setColor(group, QPalette.ColorRole.Mid, QColor("#3a3d45"))
        p.setColor(group, QPalette.ColorRole.Light, QColor("#3a3d45"))
        p.setColor(group, QPalette.ColorRole.Dark, QColor("#15161a"))
        p.setColor(group, QPalette.ColorRole.Midlight, QColor("#30333a"))
        p.setColor(group, QPalette.ColorRole.Shadow, QColor("#000000"))
        p.setColor(group, QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    muted = QColor("#7d818a")
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, muted)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor("#2c2f36"))
    return p


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    palette = style.standardPalette() if style is not None else QPalette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe0fb"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#111827"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f7f9"))
    palette.setColor(QPalette.ColorRole.Link, QColor("#1d4ed8"))
    return palette


def apply_color_scheme(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Use the system's scheme (or the one given) with the Fusion style's palette."""
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    app.setPalette(dark_palette() if scheme == Qt.ColorScheme.Dark else light_palette())
    icons.clear_cache()


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with Digest Desk's identity (or the existing one, in tests)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setStyle("Fusion")
    apply_color_scheme(app)
    app.setWindowIcon(app_icon())
    collect_garbage_on_gui_thread(app)
    # The GUI thread shares the GIL with the reader and writer threads, which run pure-Python
    # work (Whoosh indexing, SQLAlchemy) for seconds at a time; every Python callback of a
    # paint or key press must take the GIL back. Python's default 5 ms switch interval made
    # each of those waits up to 5 ms; 1 ms keeps keys and paints prompt for a few per cent of
    # background throughput.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    return app


#: Messages of Qt's offscreen platform (self-test, CI) that say nothing about the app.
_QT_NOISE = ("This plugin does not support",)


def route_qt_messages() -> None:
    """Send Qt's own warnings to our log instead of straight to stderr."""
    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if message.startswith(_QT_NOISE):
            qt_log.debug("%s", message)
            return
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def settings() -> QSettings:
    return QSettings(ORGANIZATION, APP_ID)


# ---------------------------------------------------------------- single instance
def _server_name(paths: LibraryPaths) -> str:
    digest = hashlib.sha256(paths.describe().encode()).hexdigest()[:16]
    return f"{APP_ID}-{digest}"


class Request(NamedTuple):
    """What a second launch on the same library asks of the open window."""

    files: list[str]  # absolute paths of digest files to import
    action: str | None = None  # an action of the registry to run (``--action``)


def _raise_running_instance(
    paths: LibraryPaths, files: Sequence[str | Path] = (), action: str | None = None
) -> bool:
    """Ask the window already open on this library to come to the front, to import ``files``
    (sent as absolute paths: the two processes need not share a directory) and to run
    ``action``."""
    try:
        from PySide6.QtNetwork import QLocalSocket
    except ImportError:  # pragma: no cover - QtNetwork ships with PySide6-Essentials
        return False
    socket = QLocalSocket()
    socket.connectToServer(_server_name(paths))
    if not socket.waitForConnected(500):
        return False
    message: dict[str, object] = {"raise": True, "files": [str(Path(f).resolve()) for f in files]}
    if action:
        message["action"] = action
    socket.write(json.dumps(message).encode("utf-8") + b"\n")
    socket.flush()
    sent = socket.waitForBytesWritten(2000) or socket.bytesToWrite() == 0
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(2000)
    return sent


def _parse_request(line: bytes) -> Request | None:
    """One request line (``raise`` alone, from an older version, has no files)."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if text == "raise":
        return Request([])
    try:
        message = json.loads(text)
    except ValueError:
        log.info("ignored a malformed second-launch request: %.80r", text)
        return None
    if not isinstance(message, dict):
        return Request([])
    files = message.get("files", [])
    action = message.get("action")
    return Request(
        [str(f) for f in files if isinstance(f, str)] if isinstance(files, list) else [],
        action if isinstance(action, str) else None,
    )


def _listen_for_second_launch(paths: LibraryPaths, on_request: Callable[[Request], None]) -> object:
    """Serve the second launches on this library: each request raises the window and hands
    over the files and the action it was started with (``on_request(request)``)."""
    try:
        from PySide6.QtNetwork import QLocalServer, QLocalSocket
    except ImportError:  # pragma: no cover
        return None
    server = QLocalServer()
    name = _server_name(paths)
    QLocalServer.removeServer(name)  # a stale socket of a crashed instance
    if not server.listen(name):
        log.info("single-instance server not available: %s", server.errorString())
        return None

    def serve(connection: QLocalSocket) -> None:
        buffer = bytearray()

        def read() -> None:
            buffer.extend(bytes(connection.readAll().data()))
            while b"\n" in buffer:
                line, _, rest = bytes(buffer).partition(b"\n")
                buffer[:] = rest
                request = _parse_request(line)
                if request is not None:
                    on_request(request)

        def closed() -> None:
            read()
            if buffer:  # a last line without its newline
                request = _parse_request(bytes(buffer))
                buffer.clear()
                if request is not None:
                    on_request(request)
            connection.deleteLater()

        connection.readyRead.connect(read)
        connection.disconnected.connect(closed)
        if connection.bytesAvailable():
            read()

    def connected() -> None:
        while server.hasPendingConnections():
            connection = server.nextPendingConnection()
            if connection is not None:
                serve(connection)

    server.newConnection.connect(connected)
    return server


# ---------------------------------------------------------------- running
def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Process events until ``predicate()`` holds (self-test, screenshots)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def window_idle(window: object) -> bool:
    """Nothing left to do: see :meth:`MainWindow.pending_work`."""
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    return window.pending_work() == 0


def open_library(paths: LibraryPaths) -> object:
    from digestdesk.core.library import Library

    return Library.open(paths, writer=True, repair_index=False)


def run_app(options: argparse.Namespace) -> int:
    route_qt_messages()
    app = make_application()
    from digestdesk.logs import enable_crash_traces, log_file_path
    from digestdesk.ui.crash_dialog import install_excepthook
    from digestdesk.ui.main_window import MainWindow
    from digestdesk.ui.quitting import SignalQuitter

    if options.self_test:
        # Nobody is there to close a crash dialog: report and fail at once.
        sys.excepthook = _fail_self_test
    else:
        install_excepthook(log_file_path())
        enable_crash_traces()
    temporary: tempfile.TemporaryDirectory[str] | None = None
    if options.self_test or options.demo:
        # A throw-away library is always an embedded one, whatever database is configured.
        os.environ.pop(ENV_DATABASE_URL, None)
        temporary = tempfile.TemporaryDirectory(prefix="digestdesk-")
        paths = resolve_library(temporary.name)
    else:
        paths = resolve_library(options.library)
    files = [f for f in getattr(options, "files", []) if Path(f).is_file()]
    try:
        library = open_library(paths)
    except LibraryLockedError as error:
        if _raise_running_instance(paths, files, options.action):
            handed = f" and given {len(files)} file(s) to import" if files else ""
            sys.stderr.write(
                f"Digest Desk is already open on {paths.describe()}; its window was raised"
                f"{handed}.\n"
            )
            return 0
        _show_error("Library in use", error.user_message, options)
        return 1
    except DigestDeskError as error:
        _show_error("Cannot open the library", error.user_message, options)
        return 1
    from digestdesk.core.library import Library

    assert isinstance(library, Library)
    qsettings = settings()
    if options.self_test and temporary is not None:
        # A self-test must not depend on (or change) the user's saved window state.
        qsettings = QSettings(
            str(Path(temporary.name) / "settings.ini"), QSettings.Format.IniFormat
        )
    window = MainWindow(library, qsettings, show_dialogs=not options.self_test)
    if temporary is not None:  # not the temporary folder's random name
        name = "Self-test" if options.self_test else "Demo library"
        window.setWindowTitle(f"{name} — {APP_NAME}")
    server = _listen_for_second_launch(paths, lambda request: _second_launch(window, request))

    def scheme_changed(scheme: Qt.ColorScheme) -> None:
        apply_color_scheme(app, scheme)
        window.follow_color_scheme()

    QGuiApplication.styleHints().colorSchemeChanged.connect(scheme_changed)
    window.imports.ensure_index()
    # Every way out stores the user's work first: a signal (kill, Ctrl+C, a closed terminal)
    # shuts the window down and leaves the event loop, dialogs' loops included; the desktop
    # session's logout asks for the work to be stored (it may still be cancelled).
    quitter = SignalQuitter(lambda signum: _quit_on_signal(app, window, signum))
    app.commitDataRequest.connect(lambda _manager: window.commit_data())
    code = 1
    stalls = watch_from_environment(window)  # opt-in measurement (DIGESTDESK_STALL_REPORT)
    try:
        if options.self_test:
            code = self_test(window, options.screenshot)
            return code
        freeze_startup_objects()
        window.show()
        if options.demo:
            window.imports.fill_demo(DEMO_ENTRIES)
        if files:
            window.imports.import_paths(files)
        if options.action:
            QTimer.singleShot(0, lambda: run_action(window, options.action))
        code = app.exec()
        return code
    finally:
        quitter.uninstall()
        if stalls is not None:
            write_report(*stalls)
        window.shutdown()
        if not close_library(window, library):
            if temporary is not None:
                temporary.cleanup()
            logging.shutdown()
            os._exit(code)
        del server
        if temporary is not None:
            temporary.cleanup()


def close_library(window: MainWindow, library: Library) -> bool:
    """Close the library after the window's :meth:`~MainWindow.shutdown`. Returns False when
    the process must end at once (``os._exit``): a lane is still at work (an index build
    between two checks, a job past its last one). Nothing of the user's is in it (edits have
    a lane of their own and were stored), SQLite rolls an unfinished transaction back, and
    the index catches up at the next start. The database is closed all the same, so that
    the clean close is noted (the next launch need not read every page of the file) unless
    a job is still writing."""
    if not window.abandoned_work:
        library.close()
        return True
    log.info("exiting without waiting for background work")
    library.close_for_exit()
    return False


def _quit_on_signal(app: QApplication, window: object, signum: int) -> None:
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if window.closing or window.quit_requested:
        return
    window.quit_requested = True
    log.info("quitting on %s", signal_name(signum))
    # Keys that reached the app before the signal are the user's too (the end of a note typed
    # just before logout, queued while a background thread had the interpreter): deliver them
    # first, within a bounded time, so that the note saved below is the whole of it.
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, PENDING_INPUT_MS)
    window.shutdown()  # the note being typed and the queued edits are stored here
    app.quit()  # ends the event loops of open dialogs too


def _fail_self_test(
    kind: type[BaseException], value: BaseException, tb: types.TracebackType | None
) -> None:
    traceback.print_exception(kind, value, tb, file=sys.stderr)
    sys.stderr.write("digestdesk: self-test failed\n")
    sys.stderr.flush()
    os._exit(1)


def _second_launch(window: object, request: Request) -> None:
    """Another launch on this library: come to the front, import what it was given and run
    its action."""
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    _bring_to_front(window)
    if request.files:
        # One that cannot be read is listed in the import summary.
        window.imports.import_paths(request.files)
    if request.action:
        run_action(window, request.action)


def run_action(window: object, action_id: str) -> bool:
    """Trigger one of the window's actions by id (``--action``, the desktop file's actions);
    an unknown or disabled one is said in the status bar and the log."""
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    action = window.registry.actions.get(action_id)
    if action is None or not action.isEnabled():
        why = "no such action" if action is None else "not available now"
        log.warning("--action %s: %s", action_id, why)
        window.statusBar().showMessage(f"Cannot run {action_id}: {why}", 8000)
        return False
    action.trigger()
    return True


def _bring_to_front(window: object) -> None:
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.showNormal()
    window.raise_()
    window.activateWindow()


def _show_error(title: str, message: str, options: argparse.Namespace) -> None:
    sys.stderr.write(f"digestdesk: {message}\n")
    if not options.self_test:
        QMessageBox.critical(None, title, message)


def self_test(window: object, screenshot: str | None) -> int:
    """Import the built-in sample, search, render the window and save the screenshot."""
    from digestdesk.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.resize(1360, 820)
    window.show()
    window.imports.import_paths([sample_path()])
    if not wait_until(lambda: window.imports.last_import is not None and window_idle(window), 60):
        sys.stderr.write("self-test: the import did not finish\n")
        return 1
    assert window.imports.last_import is not None
    if not window.imports.last_import.reports or window.imports.last_import.reports[0].new == 0:
        sys.stderr.write(f"self-test: nothing imported ({window.imports.last_import.failures})\n")
        return 1
    window.search.set_query("attention")
    wait_until(lambda: window_idle(window), 30)
    if window.model.rowCount() == 0:
        sys.stderr.write("self-test: the search found nothing\n")
        return 1
    window.search.set_query("")
    wait_until(lambda: window_idle(window), 30)
    window.view.move_to(0)
    wait_until(lambda: window_idle(window), 5)
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(screenshot):
            sys.stderr.write(f"self-test: cannot write {screenshot}\n")
            return 1
    print(
        f"self-test ok: {window.model.rowCount()} entries"
        + (f", screenshot {screenshot}" if screenshot else "")
    )
    QTimer.singleShot(0, window.close)
    return 0
