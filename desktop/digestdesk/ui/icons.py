"""The one icon table: every icon the window shows, by role, drawn with qtawesome.

Widgets ask for ``icon("status.read")``; the glyph behind a role is chosen here only, so a
different icon set is a one-file change. Icons follow the palette (light or dark) because
they are drawn in the current text colour and rebuilt when the colour scheme changes.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

#: role -> (qtawesome name, optional fixed colour; None follows the palette's text colour)
ICONS: dict[str, tuple[str, str | None]] = {
    "app": ("mdi6.book-open-variant", "#3b82f6"),
    # statuses
    "status.unread": ("mdi6.circle", "#3b82f6"),
    "status.queued": ("mdi6.bookmark-outline", "#d97706"),
    "status.reading": ("mdi6.book-open-page-variant-outline", "#7c3aed"),
    "status.read": ("mdi6.check-circle-outline", "#16a34a"),
    "status.skipped": ("mdi6.skip-next-circle-outline", "#9ca3af"),
    # list columns and markers
    "code": ("mdi6.github", None),
    "note": ("mdi6.note-edit-outline", None),
    # links by kind
    "link.code": ("mdi6.github", None),
    "link.project": ("mdi6.web", None),
    "link.paper": ("mdi6.file-document-outline", None),
    "link.pdf": ("mdi6.file-pdf-box", "#dc2626"),
    "link.search": ("mdi6.file-search-outline", None),
    "link.other": ("mdi6.link-variant", None),
    # actions
    "nav.next": ("mdi6.arrow-down", None),
    "nav.previous": ("mdi6.arrow-up", None),
    "nav.first": ("mdi6.chevron-double-up", None),
    "nav.last": ("mdi6.chevron-double-down", None),
    "nav.page": ("mdi6.page-next-outline", None),
    "nav.panes": ("mdi6.swap-horizontal", None),
    "search": ("mdi6.magnify", None),
    "search.clear": ("mdi6.close", None),
    "tags": ("mdi6.tag-outline", None),
    "undo": ("mdi6.undo", None),
    "redo": ("mdi6.redo", None),
    "import": ("mdi6.file-import-outline", None),
    "paste": ("mdi6.content-paste", None),
    "keymap": ("mdi6.keyboard-outline", None),
    "help": ("mdi6.help-circle-outline", None),
    "palette": ("mdi6.console", None),
    "open": ("mdi6.open-in-new", None),
    "copy": ("mdi6.content-copy", None),
    "quit": ("mdi6.exit-to-app", None),
    "cancel": ("mdi6.cancel", None),
    "error": ("mdi6.alert-circle-outline", "#dc2626"),
    "crash": ("mdi6.bug-outline", "#dc2626"),
    "sidebar": ("mdi6.page-layout-sidebar-left", None),
    "reader": ("mdi6.page-layout-sidebar-right", None),
    "trends": ("mdi6.chart-timeline-variant", None),
    "related": ("mdi6.file-tree-outline", None),
    "session": ("mdi6.timer-play-outline", None),
    "fetch": ("mdi6.cloud-download-outline", None),
    "settings": ("mdi6.cog-outline", None),
    "votes": ("mdi6.thumb-up-outline", None),
    "empty": ("mdi6.inbox-arrow-down", None),
}


def _text_colour() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#333333"
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


def icon(role: str) -> QIcon:
    """The icon for ``role`` (a key of :data:`ICONS`) in the current palette's colours."""
    if QGuiApplication.instance() is None:
        # qtawesome loads its fonts once, and only with an application; a model used
        # headless (in a test) gets no icons rather than breaking every later icon.
        return QIcon()
    return _icon(role, _text_colour())


@cache
def _icon(role: str, text_colour: str) -> QIcon:
    import qtawesome

    name, fixed = ICONS[role]
    colour = fixed or text_colour
    disabled = QColor(colour)
    disabled.setAlpha(90)
    return qtawesome.icon(name, color=colour, color_disabled=disabled)


def small_icon(role: str, size: int = 16) -> QIcon:
    """``icon(role)`` drawn once at ``size`` px (for rows repainted on every j/k).

    qtawesome draws its glyph on every paint (about 0.4 ms each); list rows and link items
    repaint on each move, so they get a pixmap drawn once per colour scheme and screen."""
    if QGuiApplication.instance() is None:
        return QIcon()
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    return _small_icon(role, size, ratio, _text_colour())


@cache
def _small_icon(role: str, size: int, ratio: float, text_colour: str) -> QIcon:
    source = _icon(role, text_colour)
    result = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled, QIcon.Mode.Selected):
        result.addPixmap(source.pixmap(QSize(size, size), ratio, mode), mode)
    return result


def clear_cache() -> None:
    """Forget drawn icons (after a colour-scheme change)."""
    _icon.cache_clear()
    _small_icon.cache_clear()
