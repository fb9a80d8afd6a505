"""THE action registry: every command of the window, declared once as data.

Menus, the toolbar, keyboard shortcuts, the command palette (Ctrl+K), the ``?`` help overlay
and the keymap editor are all generated from :data:`ACTIONS`. Nothing else in the UI creates
shortcuts. A spec is plain data that tests and the help overlay read without a window; the
code that runs it is a method of a controller, marked where it is written with
``@handles("entry.mark_read", ...)`` and bound to the window's actions by
:meth:`ActionRegistry.bind` (one handler per action). The spec's ``args`` are passed to it.

Keys live in a *context*: ``window`` keys work anywhere in the window; ``list`` keys (single
letters such as ``j`` or ``r``) only while the list or the reader panes have focus, so they
never fire while typing in the search bar or a note; ``search`` and ``note`` keys belong to
those editors. The user's key overrides are stored in QSettings under ``keymap/<id>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

from digestdesk.ui.icons import icon

CONTEXTS: dict[str, str] = {
    "window": "Anywhere",
    "list": "List and reader",
    "search": "Search bar",
    "note": "Note editor",
}

#: Menus in the order they appear in the menu bar.
MENUS = ("&File", "&Edit", "&Entry", "&Go", "&View", "&Help")


@dataclass(frozen=True)
class ActionSpec:
    """One command: what it is called, its default keys, where it shows, what it is given."""

    id: str  # dotted, e.g. "entry.mark_read"
    title: str
    help: str
    keys: tuple[str, ...] = ()
    context: str = "window"
    icon: str | None = None
    menu: str | None = None  # one of MENUS, or None for palette-only commands
    section: str = ""  # menu entries of one section are grouped between separators
    toolbar: bool = False
    args: tuple[object, ...] = field(default=())  # passed to the handler
    checkable: bool = False  # an on/off option; the handler reads the action's state


def _status(key: str, status: str, help_text: str) -> ActionSpec:
    return ActionSpec(
        f"entry.mark_{status}",
        f"Mark {status.capitalize()}",
        help_text,
        keys=(key,),
        context="list",
        icon=f"status.{status}",
        menu="&Entry",
        section="status",
        toolbar=status in ("read", "queued", "skipped"),
        args=(status,),
    )


def _open_related(n: int) -> ActionSpec:
    return ActionSpec(
        f"related.open_{n}",
        f"Go to Related Paper {n}",
        f"Jump to related paper number {n} (as numbered under “Related” in the reader).",
        keys=(f"Alt+{n}",),
        context="list",
        icon="related",
        args=(n,),
    )


def _open_nth(n: int) -> ActionSpec:
    return ActionSpec(
        f"link.open_{n}",
        f"Open Link {n}",
        f"Open the entry's link number {n} (as numbered in the links pane) in the browser.",
        keys=(str(n),),
        context="list",
        icon="open",
        menu=None,
        args=(n,),
    )


ACTIONS: tuple[ActionSpec, ...] = (
    # ---- File
    ActionSpec(
        "library.import_files",
        "Import Files…",
        "Import one or more digest files (Hugging Face JSON or page text, arXiv Atom, "
        "Digest Desk export).",
        keys=("Ctrl+O",),
        icon="import",
        menu="&File",
        section="import",
        toolbar=True,
    ),
    ActionSpec(
        "library.import_clipboard",
        "Import from Clipboard…",
        "Import copied page text or JSON from the clipboard; page text lets you check the "
        "as-of date first.",
        keys=("Ctrl+Shift+V",),
        icon="paste",
        menu="&File",
        section="import",
    ),
    ActionSpec(
        "fetch.run",
        "Fetch New Digests",
        "Fetch the days not fetched yet from the chosen source (Hugging Face daily papers or "
        "an arXiv category), in the background; the status bar shows progress and cancel.",
        keys=("F5",),
        icon="fetch",
        menu="&File",
        section="fetch",
        toolbar=True,
    ),
    ActionSpec(
        "fetch.at_launch",
        "Fetch at Launch",
        "Fetch new digests each time the window opens (remembered).",
        menu="&File",
        section="fetch",
        checkable=True,
    ),
    ActionSpec(
        "fetch.settings",
        "Fetch Settings…",
        "Choose the source to fetch (Hugging Face, or arXiv and a category) and how many "
        "days back to catch up.",
        icon="settings",
        menu="&File",
        section="fetch",
    ),
    ActionSpec(
        "app.quit",
        "Quit",
        "Close the window; a note being typed is saved first.",
        keys=("Ctrl+Q",),
        icon="quit",
        menu="&File",
        section="quit",
    ),
    # ---- Edit
    ActionSpec(
        "edit.undo",
        "Undo",
        "Undo the last status or tag change (also after a restart).",
        keys=("Ctrl+Z",),
        icon="undo",
        menu="&Edit",
        section="undo",
    ),
    ActionSpec(
        "edit.redo",
        "Redo",
        "Redo the change that was undone last.",
        keys=("Ctrl+Shift+Z", "Ctrl+Y"),
        icon="redo",
        menu="&Edit",
        section="undo",
    ),
    ActionSpec(
        "app.keymap",
        "Keyboard Shortcuts…",
        "Change the keys of any command; conflicts are shown before saving.",
        keys=("Ctrl+Alt+K",),
        icon="keymap",
        menu="&Edit",
        section="prefs",
    ),
    # ---- Entry
    _status("r", "read", "Mark the selected entries read and move to the next one."),
    _status("u", "unread", "Mark the selected entries unread and move to the next one."),
    _status("q", "queued", "Queue the selected entries for later and move to the next one."),
    _status("i", "reading", "Mark the selected entries as being read and move on."),
    _status("s", "skipped", "Skip the selected entries and move to the next one."),
    ActionSpec(
        "entry.edit_tags",
        "Edit Tags…",
        "Add or remove tags of the selected entries, with completion of existing tags.",
        keys=("t",),
        context="list",
        icon="tags",
        menu="&Entry",
        section="annotate",
    ),
    ActionSpec(
        "entry.edit_note",
        "Edit Note",
        "Write a note on the entry (saved as you type); Esc returns to the list.",
        keys=("n",),
        context="list",
        icon="note",
        menu="&Entry",
        section="annotate",
    ),
    ActionSpec(
        "entry.share_note",
        "Share Note with the Team",
        "On a team library: make your note on the entry a comment every member sees, with "
        "your name and its time (again: private again).",
        keys=("Shift+N",),
        context="list",
        icon="note",
        menu="&Entry",
        section="annotate",
    ),
    ActionSpec(
        "entry.open_code_link",
        "Open Code Repository",
        "Open the entry's code repository, or its paper page when it has no code.",
        keys=("o",),
        context="list",
        icon="code",
        menu="&Entry",
        section="links",
        toolbar=True,
    ),
    ActionSpec(
        "entry.copy_link",
        "Copy Link",
        "Copy the link chosen in the links pane (the code link by default) to the clipboard.",
        keys=("y",),
        context="list",
        icon="copy",
        menu="&Entry",
        section="links",
    ),
    *(_open_nth(n) for n in range(1, 10)),
    ActionSpec(
        "entry.toggle_selection",
        "Toggle Selection",
        "Mark the current entry for a bulk change, or unmark it: j, k and the arrows keep "
        "the marks, r, s, q, t change every marked entry, Esc drops the marks.",
        keys=("x",),
        context="list",
        menu="&Entry",
        section="select",
    ),
    # ---- Go
    ActionSpec(
        "go.next",
        "Next Entry",
        "Move to the next entry (the arrow keys work too).",
        keys=("j",),
        context="list",
        icon="nav.next",
        menu="&Go",
        section="move",
    ),
    ActionSpec(
        "go.previous",
        "Previous Entry",
        "Move to the previous entry (the arrow keys work too).",
        keys=("k",),
        context="list",
        icon="nav.previous",
        menu="&Go",
        section="move",
    ),
    ActionSpec(
        "go.first",
        "First Entry",
        "Jump to the first entry of the list.",
        keys=("g",),
        context="list",
        icon="nav.first",
        menu="&Go",
        section="jump",
    ),
    ActionSpec(
        "go.last",
        "Last Entry",
        "Jump to the last entry of the list.",
        keys=("Shift+G",),
        context="list",
        icon="nav.last",
        menu="&Go",
        section="jump",
    ),
    ActionSpec(
        "go.next_unread",
        "Next Unread Entry",
        "Move down the list to the next unread entry (skipping the ones already decided).",
        keys=("]",),
        context="list",
        icon="nav.next_unread",
        menu="&Go",
        section="unread",
    ),
    ActionSpec(
        "go.previous_unread",
        "Previous Unread Entry",
        "Move up the list to the previous unread entry.",
        keys=("[",),
        context="list",
        icon="nav.previous_unread",
        menu="&Go",
        section="unread",
    ),
    ActionSpec(
        "go.back",
        "Back",
        "Go back to the entry you were on before (also after jumping to a related paper "
        "or a trend); the list shows everything when the search hides it.",
        keys=("Alt+Left",),
        context="list",
        icon="nav.back",
        menu="&Go",
        section="history",
    ),
    ActionSpec(
        "go.forward",
        "Forward",
        "Go forward again to the entry you went back from.",
        keys=("Alt+Right",),
        context="list",
        icon="nav.forward",
        menu="&Go",
        section="history",
    ),
    ActionSpec(
        "go.page_abstract",
        "Page Through Abstract",
        "Scroll the abstract down by a page; at its end, move to the next entry.",
        keys=("Space",),
        context="list",
        icon="nav.page",
        menu="&Go",
        section="read",
    ),
    ActionSpec(
        "go.page_abstract_back",
        "Page Back Through Abstract",
        "Scroll the abstract up by a page.",
        keys=("Shift+Space",),
        context="list",
        menu="&Go",
        section="read",
    ),
    ActionSpec(
        "go.cycle_panes",
        "Next Pane",
        "Move the keyboard focus to the next pane: list, abstract, links, related papers.",
        keys=("Tab",),
        context="list",
        icon="nav.panes",
        menu="&Go",
        section="panes",
    ),
    ActionSpec(
        "go.cycle_panes_back",
        "Previous Pane",
        "Move the keyboard focus to the previous pane.",
        keys=("Shift+Tab",),
        context="list",
        menu="&Go",
        section="panes",
    ),
    *(_open_related(n) for n in range(1, 6)),
    ActionSpec(
        "session.start",
        "Start Reading Session",
        "Read the current search's entries one at a time, or with no search the unread ones "
        "(r, s, q decide; t, n, o work as usual); resumes the open session if there is one.",
        keys=("Shift+S",),
        context="list",
        icon="session",
        menu="&Go",
        section="session",
    ),
    ActionSpec(
        "session.start_queue",
        "Read the Queue",
        "Start a reading session over the queued entries, oldest first.",
        keys=("Shift+Q",),
        context="list",
        icon="session",
        menu="&Go",
        section="session",
    ),
    ActionSpec(
        "session.resume",
        "Resume Reading Session",
        "Go back to the paused reading session (also after a restart).",
        keys=("Ctrl+Shift+S",),
        icon="session",
        menu="&Go",
        section="session",
    ),
    ActionSpec(
        "session.leave",
        "Leave Reading Session or Search",
        "Pause the reading session and go back to the list (resume it any time); outside a "
        "session, drop the marks of x, else clear the search and show the whole list.",
        keys=("Esc",),
        context="list",
    ),
    ActionSpec(
        "session.stop",
        "Stop Reading Session",
        "End the reading session and show its summary: read, skipped, queued, tagged, notes, "
        "time spent.",
        keys=("Ctrl+Shift+E",),
        icon="cancel",
        menu="&Go",
        section="session",
    ),
    ActionSpec(
        "search.focus",
        "Search",
        'Type a query: words, "phrases", tag:x, status:unread, year:2025, has:code…',
        keys=("/",),
        context="list",
        icon="search",
        menu="&Go",
        section="search",
    ),
    ActionSpec(
        "search.find",
        "Find",
        "Put the cursor in the search bar from anywhere in the window.",
        keys=("Ctrl+F",),
        icon="search",
        menu="&Go",
        section="search",
    ),
    ActionSpec(
        "search.leave",
        "Clear Search",
        "Clear the query and go back to the list.",
        keys=("Esc",),
        context="search",
        icon="search.clear",
    ),
    ActionSpec(
        "search.to_list",
        "Go to Results",
        "Keep the query and move into the result list.",
        keys=("Down", "Return"),
        context="search",
    ),
    ActionSpec(
        "note.leave",
        "Back to List",
        "Save the note and return to the list.",
        keys=("Esc",),
        context="note",
    ),
    ActionSpec(
        "view.show_unread",
        "Show Unread",
        "Show the unread entries only (the query status:unread).",
        menu="&View",
        section="filters",
        args=("status:unread",),
    ),
    ActionSpec(
        "view.show_queued",
        "Show Queued",
        "Show the queued entries (the query status:queued).",
        menu="&View",
        section="filters",
        args=("status:queued",),
    ),
    ActionSpec(
        "view.show_with_code",
        "Show Entries with Code",
        "Show entries that link a code repository (the query has:code).",
        menu="&View",
        section="filters",
        args=("has:code",),
    ),
    ActionSpec(
        "view.show_all",
        "Show All",
        "Clear the query and show every entry, newest first.",
        menu="&View",
        section="filters",
        args=("",),
    ),
    ActionSpec(
        "view.sort_date",
        "Sort by Date",
        "Newest publications first.",
        menu="&View",
        section="sort",
        args=("date",),
    ),
    ActionSpec(
        "view.sort_votes",
        "Sort by Votes",
        "Most voted first.",
        menu="&View",
        section="sort",
        args=("votes",),
    ),
    ActionSpec(
        "view.sort_relevance",
        "Sort by Relevance",
        "Best matches of the query first (date order without words in the query).",
        menu="&View",
        section="sort",
        args=("relevance",),
    ),
    ActionSpec(
        "view.toggle_trends",
        "Trends Sidebar",
        "Show or hide the trends sidebar.",
        keys=("F9",),
        icon="trends",
        menu="&View",
        section="panes",
    ),
    ActionSpec(
        "trends.pin",
        "Pin Trends Date",
        "Keep the trends sidebar on the date it shows, whatever is imported (kept per "
        "library); off, it follows the newest day in the library.",
        keys=("Shift+F9",),
        icon="trends.pinned",
        menu="&View",
        section="panes",
        checkable=True,
    ),
    ActionSpec(
        "view.toggle_reader",
        "Reader Pane",
        "Show or hide the reader (abstract, links, tags and note).",
        keys=("F8",),
        icon="reader",
        menu="&View",
        section="panes",
    ),
    # ---- Help
    ActionSpec(
        "app.command_palette",
        "Command Palette…",
        "Find and run any command by typing part of its name.",
        keys=("Ctrl+K", "Ctrl+Shift+P"),
        icon="palette",
        menu="&Help",
        section="help",
    ),
    ActionSpec(
        "app.help",
        "Keyboard Help",
        "Show every key, by where it works.",
        # Anywhere (the trends sidebar too): the editors type a "?" themselves (Qt hands
        # them printable keys before a window shortcut), and F1 works even there.
        keys=("?", "F1"),
        icon="help",
        menu="&Help",
        section="help",
    ),
)


def normalized(key: str) -> str:
    """A key in Qt's portable text form ("Ctrl+Shift+Z"), for comparing and storing."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)


def native(key: str) -> str:
    """A key as shown to the reader on this platform; a bare letter stays lower case
    (Qt writes ``r`` as "R", which reads like Shift+R in a list of vim-style keys)."""
    text = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
    return text.lower() if len(text) == 1 and text.isalpha() else text


@dataclass(frozen=True)
class Conflict:
    """Two or more commands wanting one key where both are active."""

    key: str
    action_ids: tuple[str, ...]

    def describe(self, titles: Mapping[str, str]) -> str:
        names = " and ".join(f"“{titles.get(i, i)}”" for i in self.action_ids)
        return f"{native(self.key)} is used by {names}."


def find_conflicts(
    keymap: Mapping[str, Sequence[str]], specs: Iterable[ActionSpec] = ACTIONS
) -> list[Conflict]:
    """Keys bound twice in one context, or in ``window`` and any other context."""
    context_of = {spec.id: spec.context for spec in specs}
    users: dict[tuple[str, str], list[str]] = defaultdict(list)
    for action_id, keys in keymap.items():
        for key in keys:
            users[(normalized(key), context_of[action_id])].append(action_id)
    conflicts: list[Conflict] = []
    seen: set[tuple[str, ...]] = set()
    for (key, context), ids in users.items():
        clash = list(ids)
        if context != "window":
            clash += users.get((key, "window"), [])
        if len(clash) > 1:
            group = tuple(sorted(set(clash)))
            if len(group) > 1 and (key, *group) not in seen:
                seen.add((key, *group))
                conflicts.append(Conflict(key, group))
    return conflicts


class Keymap:
    """Default keys from the specs, with the user's overrides from QSettings."""

    GROUP = "keymap"

    def __init__(self, settings: QSettings, specs: Sequence[ActionSpec] = ACTIONS) -> None:
        self._settings = settings
        self._specs = {spec.id: spec for spec in specs}

    def defaults(self) -> dict[str, tuple[str, ...]]:
        return {i: tuple(normalized(k) for k in s.keys) for i, s in self._specs.items()}

    def overrides(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        self._settings.beginGroup(self.GROUP)
        try:
            for action_id in self._settings.childKeys():
                if action_id not in self._specs:
                    continue  # a command that no longer exists
                value = self._settings.value(action_id, "")
                text = value if isinstance(value, str) else ""
                found[action_id] = tuple(
                    normalized(k) for k in text.split("\t") if k.strip() and normalized(k)
                )
        finally:
            self._settings.endGroup()
        return found

    def current(self) -> dict[str, tuple[str, ...]]:
        keys = self.defaults()
        keys.update(self.overrides())
        return keys

    def save(self, keymap: Mapping[str, Sequence[str]]) -> None:
        """Store the keys that differ from the defaults (and forget the rest)."""
        defaults = self.defaults()
        self._settings.remove(self.GROUP)
        self._settings.beginGroup(self.GROUP)
        try:
            for action_id, keys in keymap.items():
                keys = tuple(normalized(k) for k in keys)
                if keys != defaults.get(action_id):
                    # A tab separates keys: "," is itself a key.
                    self._settings.setValue(action_id, "\t".join(keys))
        finally:
            self._settings.endGroup()
        self._settings.sync()


Handler = TypeVar("Handler", bound=Callable[..., Any])

_HANDLED_IDS = "_handles_action_ids"
_UNMARKED_MODULES = ("PySide6", "shiboken6", "Shiboken")


def handles(*action_ids: str) -> Callable[[Handler], Handler]:
    """Mark a controller method as the handler of ``action_ids``; the action's ``args`` are
    its arguments. :meth:`ActionRegistry.bind` binds it to the window's actions."""

    def mark(function: Handler) -> Handler:
        setattr(function, _HANDLED_IDS, (*getattr(function, _HANDLED_IDS, ()), *action_ids))
        return function

    return mark


def handlers_of(owner: object) -> dict[str, Callable[..., Any]]:
    """The action ids ``owner``'s methods are marked to handle, with the bound methods."""
    found: dict[str, Callable[..., Any]] = {}
    for cls in reversed(type(owner).__mro__):
        if cls is object or cls.__module__.split(".")[0] in _UNMARKED_MODULES:
            continue  # Qt's classes mark nothing (and have hundreds of members)
        for name, member in vars(cls).items():
            for action_id in getattr(member, _HANDLED_IDS, ()):
                found[action_id] = getattr(owner, name)
    return found


class ActionRegistry(QObject):
    """The QActions of one window, generated from the specs and the keymap; :meth:`bind`
    connects each to its handler."""

    def __init__(
        self,
        window: QWidget,
        settings: QSettings,
        context_widgets: Mapping[str, Sequence[QWidget]],
        specs: Sequence[ActionSpec] = ACTIONS,
    ) -> None:
        super().__init__(window)
        self.specs = {spec.id: spec for spec in specs}
        self.keymap = Keymap(settings, specs)
        self.actions: dict[str, QAction] = {}
        self.handlers: dict[str, Callable[..., Any]] = {}
        self._window = window
        for spec in specs:
            action = QAction(spec.title, window)
            action.setObjectName(spec.id)
            if spec.icon:
                action.setIcon(icon(spec.icon))
            action.setStatusTip(spec.help)
            action.setWhatsThis(spec.help)
            action.setCheckable(spec.checkable)
            if spec.context == "window":
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                window.addAction(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                for widget in context_widgets.get(spec.context, ()):
                    widget.addAction(action)
            self.actions[spec.id] = action
        self.apply_keymap()

    def bind(self, *owners: object) -> None:
        """Connect each action to the method of ``owners`` marked with ``@handles`` for it."""
        for owner in owners:
            for action_id, handler in handlers_of(owner).items():
                if action_id not in self.specs:
                    raise ValueError(f"{type(owner).__name__} handles unknown {action_id!r}")
                if action_id in self.handlers:
                    raise ValueError(f"{action_id!r} has two handlers")
                self.handlers[action_id] = handler
                args = self.specs[action_id].args
                self.actions[action_id].triggered.connect(self._caller(handler, args))

    def unbound(self) -> list[str]:
        """The ids of actions no handler was bound to (none, once the window is built)."""
        return [action_id for action_id in self.specs if action_id not in self.handlers]

    @staticmethod
    def _caller(handler: Callable[..., Any], args: tuple[object, ...]) -> Callable[[bool], None]:
        def call(_checked: bool = False) -> None:
            handler(*args)

        return call

    def apply_keymap(self, keymap: Mapping[str, Sequence[str]] | None = None) -> None:
        keymap = keymap or self.keymap.current()
        for action_id, action in self.actions.items():
            keys = [QKeySequence(k) for k in keymap.get(action_id, ())]
            action.setShortcuts(keys)
            spec = self.specs[action_id]
            shown = ", ".join(native(k) for k in keymap.get(action_id, ()))
            action.setToolTip(f"{spec.title} ({shown})" if shown else spec.title)

    def refresh_icons(self) -> None:
        """Redraw the icons in the current palette (after a light/dark switch)."""
        for action_id, action in self.actions.items():
            role = self.specs[action_id].icon
            if role:
                action.setIcon(icon(role))

    def keys_of(self, action_id: str) -> tuple[str, ...]:
        return tuple(
            k.toString(QKeySequence.SequenceFormat.PortableText)
            for k in self.actions[action_id].shortcuts()
        )

    def trigger(self, action_id: str) -> None:
        self.actions[action_id].trigger()

    def populate_menus(self, menubar: QMenuBar) -> dict[str, QMenu]:
        menus: dict[str, QMenu] = {}
        last_section: dict[str, str] = {}
        for name in MENUS:
            menus[name] = menubar.addMenu(name)
        for spec in self.specs.values():
            if spec.menu is None:
                continue
            menu = menus[spec.menu]
            if spec.menu in last_section and last_section[spec.menu] != spec.section:
                menu.addSeparator()
            last_section[spec.menu] = spec.section
            menu.addAction(self.actions[spec.id])
        return menus

    def populate_toolbar(self, toolbar: QToolBar) -> None:
        for spec in self.specs.values():
            if spec.toolbar:
                toolbar.addAction(self.actions[spec.id])
