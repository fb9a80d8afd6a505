"""The one icon table: every icon the window shows, by role, drawn with qtawesome.

Widgets ask for ``icon("status.read")``; the glyph behind a role is chosen here only, so a
different icon set is a one-file change. Icons follow the palette (light or dark) because
they are drawn in the current text colour and rebuilt when the colour scheme changes.

Every icon is a Material Design Icons 6 glyph from qtawesome's font files. Importing
qtawesome costs about 0.35 s at start (it imports all of QtCore, QtGui and QtWidgets through
qtpy, then loads all of its ten fonts); the window needs one font, so it is loaded here and the
glyphs are drawn the way qtawesome draws them (the text colour, 0.875 of the icon's height).
Where the font files cannot be found, qtawesome itself draws the icons.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from functools import cache
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)

log = logging.getLogger(__name__)

MDI6_FONT = "materialdesignicons6-webfont-6.9.96"  # as shipped with qtawesome 1.4
GLYPH_SCALE = 0.875  # qtawesome's: a 16 px icon draws a 14 px glyph (room for the bearing)

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
    "nav.next_unread": ("mdi6.arrow-down-circle-outline", "#3b82f6"),
    "nav.previous_unread": ("mdi6.arrow-up-circle-outline", "#3b82f6"),
    "nav.back": ("mdi6.arrow-left", None),
    "nav.forward": ("mdi6.arrow-right", None),
    "trends.pinned": ("mdi6.pin", "#d97706"),
    "trends.follow": ("mdi6.pin-off-outline", None),
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
    name, fixed = ICONS[role]
    colour = QColor(fixed or text_colour)
    disabled = QColor(colour)
    disabled.setAlpha(90)
    glyphs = _mdi6()
    prefix, _, glyph = name.partition(".")
    if glyphs is not None and prefix == "mdi6" and glyph in glyphs[1]:
        family, charmap = glyphs
        return QIcon(GlyphIconEngine(family, charmap[glyph], colour, disabled))
    import qtawesome  # the fallback (and what packaging tools see to bundle the fonts)

    return qtawesome.icon(name, color=colour, color_disabled=disabled)


class GlyphIconEngine(QIconEngine):
    """Draws one font glyph in one colour (a lighter one when disabled), at any size."""

    def __init__(self, family: str, char: str, colour: QColor, disabled: QColor) -> None:
        super().__init__()
        self.family = family
        self.char = char
        self.colour = colour
        self.disabled = disabled

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        painter.setPen(self.disabled if mode == QIcon.Mode.Disabled else self.colour)
        font = QFont(self.family)
        font.setPixelSize(max(1, round(GLYPH_SCALE * rect.height())))
        painter.setFont(font)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        # Qt owns a clone (a QIcon detaching), but the binding does not hand it over: kept
        # here, or Python frees it under Qt's feet (qtawesome's engine crashes the same way).
        twin = GlyphIconEngine(self.family, self.char, self.colour, self.disabled)
        _CLONES.append(twin)
        return twin


_CLONES: list[GlyphIconEngine] = []  # a few at most: the app never detaches its icons


@cache
def _mdi6() -> tuple[str, dict[str, str]] | None:
    """The MDI 6 font's family and its glyph names, from qtawesome's files (not imported)."""
    spec = importlib.util.find_spec("qtawesome")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        fonts = Path(location) / "fonts"
        font = fonts / f"{MDI6_FONT}.ttf"
        charmap = fonts / f"{MDI6_FONT.replace('-webfont-', '-webfont-charmap-')}.json"
        if not (font.is_file() and charmap.is_file()):
            continue
        font_id = QFontDatabase.addApplicationFont(str(font))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            break
        codes = json.loads(charmap.read_text(encoding="utf-8"))
        return families[0], {name: chr(int(code, 16)) for name, code in codes.items()}
    log.info("the MDI 6 font was not found next to qtawesome; qtawesome draws the icons")
    return None


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
