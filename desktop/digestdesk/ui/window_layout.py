"""The main window's widgets and their layout: search bar, list, reader, trends dock, the
session page, the status bar, menus and toolbar.

:class:`WindowLayout` builds and arranges the widgets and answers layout questions (which pane
has the keys, which page is shown, the saved splitter sizes); it runs no use case. The
controllers (:mod:`digestdesk.ui.controllers`) work on these widgets; :class:`MainWindow
<digestdesk.ui.main_window.MainWindow>` builds both and wires them together.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from digestdesk.ui.abstract_pane import AbstractPane
from digestdesk.ui.actions import ActionRegistry, native
from digestdesk.ui.empty_state import EmptyState
from digestdesk.ui.entry_model import EntryModel
from digestdesk.ui.entry_view import EntryView
from digestdesk.ui.geometry import clamped
from digestdesk.ui.icons import icon
from digestdesk.ui.links_pane import LinksPane
from digestdesk.ui.notes_editor import NotesEditor
from digestdesk.ui.reader_tabs import ReaderTabs
from digestdesk.ui.related_pane import RelatedPane
from digestdesk.ui.safe_text import plain_message_box
from digestdesk.ui.search_bar import SearchBar
from digestdesk.ui.session_view import SessionView
from digestdesk.ui.styles import PANE_MARGINS, inset
from digestdesk.ui.task_indicator import TaskIndicator
from digestdesk.ui.trend_sidebar import TrendSidebar

log = logging.getLogger(__name__)

LOWER_HEIGHT = 150  # the links / related / note tabs under the abstract, px
LOWER_MIN_HEIGHT = 96
NOTE_TAB = "Note"
NOTE_TAB_WRITTEN = "Note •"  # the entry has a note: said on the tab, so it is not missed


class WindowLayout(QMainWindow):
    """The window's widgets, arranged; :meth:`build_layout` makes them."""

    settings: QSettings
    search_bar: SearchBar
    model: EntryModel
    view: EntryView
    abstract: AbstractPane
    links: LinksPane
    related: RelatedPane
    notes: NotesEditor
    lower_tabs: ReaderTabs
    reader_splitter: QSplitter
    splitter: QSplitter
    empty_state: EmptyState
    stack: QStackedWidget
    session_view: SessionView
    trend_dock: QDockWidget
    trend_sidebar: TrendSidebar
    counts_label: QLabel
    task_indicator: TaskIndicator
    registry: ActionRegistry
    menus: dict[str, QMenu]
    toolbar: QToolBar

    def __init__(self, *, show_dialogs: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.show_dialogs = show_dialogs  # False in tests and the self-test: no modal dialogs
        self.closing = False  # set once by shutdown: late results change nothing
        self.quit_requested = False  # set once by a quit signal (a second one changes nothing)
        self.in_session = False  # the session page is shown instead of the list
        self._splitter_sizes: list[int] = []

    # ================================================================ building
    def build_layout(self, model: EntryModel, settings: QSettings) -> None:
        self.settings = settings
        self.model = model
        self._build_widgets(settings)
        self.registry = ActionRegistry(
            self,
            settings,
            {
                "list": [self.view, self.abstract, self.links, self.related],
                "search": [self.search_bar.edit],
                "note": [self.notes],
            },
        )
        self.menus = self.registry.populate_menus(self.menuBar())
        self._build_toolbar()

    def _build_widgets(self, settings: QSettings) -> None:
        self.search_bar = SearchBar(self)
        self.view = EntryView(self.model, self)
        self.abstract = AbstractPane(self)
        self.links = LinksPane(self)
        self.notes = NotesEditor(self)

        # Below the abstract, one compact area with a tab per helper pane (links, related
        # papers, note): the abstract, which is what is read, keeps the height. A hidden tab
        # costs nothing on j/k; its pane is brought up to date when it is shown.
        self.lower_tabs = ReaderTabs(self)
        self.lower_tabs.setMinimumHeight(LOWER_MIN_HEIGHT)
        self.lower_tabs.addTab(self.links, icon("link.other"), "Links")
        self.lower_tabs.addTab(self.notes, icon("note"), NOTE_TAB)
        inset(self.links)
        self.notes.document().setDocumentMargin(PANE_MARGINS[0] - 2)

        self.reader_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.reader_splitter.setObjectName("readerSplitter")
        self.reader_splitter.addWidget(self.abstract)
        self.reader_splitter.addWidget(self.lower_tabs)
        self.reader_splitter.setStretchFactor(0, 1)
        self.reader_splitter.setStretchFactor(1, 0)
        self.reader_splitter.setSizes([600, LOWER_HEIGHT])
        self.reader_splitter.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.reader_splitter)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([700, 560])

        self.empty_state = EmptyState(
            lambda: self.registry.trigger("library.import_files"),
            lambda: self.registry.trigger("library.import_clipboard"),
            self.key_text,
            self,
        )
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_state)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.search_bar)
        line = QFrame(central)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.trend_dock = QDockWidget("Trends", self)
        self.trend_dock.setObjectName("trendDock")
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.trend_dock)
        self.trend_dock.hide()

        status = self.statusBar()
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("countsLabel")
        self.task_indicator = TaskIndicator(self, status)
        status.addPermanentWidget(self.counts_label)

        # Made last, in this order, as they always were: the keyboard's focus chain follows
        # the order widgets are made in.
        self.trend_sidebar = TrendSidebar(self.trend_dock)
        self.trend_dock.setWidget(self.trend_sidebar)
        # Related papers: a tab of the lower area, between the links and the note.
        self.related = RelatedPane(self)
        self.lower_tabs.insertTab(1, self.related, icon("related"), "Related")
        inset(self.related)
        # A reading session's page borrows the reader while the session runs.
        self.session_view = SessionView(self.key_text, self)
        self.session_view.hide()
        layout.addWidget(self.session_view)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.registry.populate_toolbar(toolbar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    # ================================================================ keys shown
    def key_text(self, action_id: str) -> str:
        """The first key of an action as the reader sees it ("" before the registry exists)."""
        if not hasattr(self, "registry"):
            return ""
        keys = self.registry.keys_of(action_id)
        return native(keys[0]) if keys else ""

    def refresh_key_hints(self) -> None:
        """The tab hints and the welcome page name the keys; they follow the keymap."""
        k = self.key_text
        self.lower_tabs.set_hints(
            {
                self.links: f"{k('entry.open_code_link')} opens code · "
                f"{k('link.open_1')}–{k('link.open_9')} open · {k('entry.copy_link')} copies",
                self.notes: f"{k('entry.edit_note')} writes · {k('note.leave')} back · "
                f"{k('entry.edit_tags')} edits tags",
                self.related: f"{k('related.open_1')}–{k('related.open_5')} jump · Enter jumps",
            }
        )
        self.empty_state.refresh_keys()

    # ================================================================ panes and pages
    def show_lower_tab(self, pane: QWidget) -> None:
        """Bring a helper pane (links, related, note) to the front of the lower area."""
        self.lower_tabs.bring_forward(pane)

    def mark_note_tab(self, written: bool) -> None:
        self.lower_tabs.set_tab_label(self.notes, NOTE_TAB_WRITTEN if written else NOTE_TAB)

    def focus_list(self) -> None:
        """The keys go to the list (to the reader during a session: the list is hidden)."""
        if self.in_session:
            self.abstract.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.view.currentIndex().isValid():
            self.view.move_to(0)

    def back_from_dialog(self) -> None:
        """Give the keyboard back to the list after a modal dialog (no WM may do it)."""
        self.activateWindow()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_session_page(self) -> None:
        """A reading session: its page, with the reader, replaces the search bar and list."""
        self.in_session = True
        self._splitter_sizes = self.splitter.sizes()
        self.search_bar.hide()
        self.stack.hide()
        self.session_view.host_reader(self.reader_splitter)
        self.session_view.show()

    def show_list_page(self) -> None:
        """Back from a session: the search bar and the list, the reader beside it again."""
        self.in_session = False
        self.session_view.stop_clock()
        self.session_view.hide()
        self.splitter.insertWidget(1, self.reader_splitter)
        if self._splitter_sizes:
            self.splitter.setSizes(self._splitter_sizes)
        self.search_bar.show()
        self.stack.show()

    # ================================================================ messages
    def show_problem(self, title: str, message: str) -> None:
        log.info("%s: %s", title, message)
        if self.show_dialogs:
            box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self)
            plain_message_box(box).exec()  # messages quote file names and titles
        else:
            self.statusBar().showMessage(f"{title}: {message}", 8000)

    def ask_bulk(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Change many entries?",
            question + " You can undo it with " + native(QKeySequence("Ctrl+Z").toString()) + ".",
        )
        return answer == QMessageBox.StandardButton.Yes

    # ================================================================ saved layout
    def restore_layout(self, s: QSettings) -> None:
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
            # Saved on a larger screen (or another monitor): keep all of it visible.
            if not self.isMaximized() and not self.isFullScreen():
                self.setGeometry(clamped(self.geometry(), self.screen()))
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for key, splitter in (
            ("window/splitter", self.splitter),
            ("window/reader_splitter2", self.reader_splitter),  # 2: abstract over tabs
        ):
            value = s.value(key)
            if isinstance(value, QByteArray):
                splitter.restoreState(value)
        tab = s.value("window/reader_tab")
        if tab is not None and str(tab).isdigit():
            self.lower_tabs.setCurrentIndex(int(str(tab)))
        header = s.value("list/header")
        if isinstance(header, QByteArray):
            self.view.horizontalHeader().restoreState(header)

    def save_layout(self, s: QSettings) -> None:
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/reader_splitter2", self.reader_splitter.saveState())
        s.setValue("window/reader_tab", self.lower_tabs.currentIndex())
        s.setValue("list/header", self.view.horizontalHeader().saveState())
