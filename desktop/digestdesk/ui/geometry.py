"""Window sizes that fit the screen they open on."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen

#: The largest share of the screen's free area a window opens with.
SCREEN_SHARE = 0.9


def available_area(screen: QScreen | None) -> QRect | None:
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fitted_size(wanted: QSize, screen: QScreen | None) -> QSize:
    """``wanted``, shrunk to at most 90% of the screen's free area (in logical pixels, so a
    1280x800 window fits a 1600x1000 screen at scale 2: 720x450)."""
    area = available_area(screen)
    if area is None or area.isEmpty():
        return wanted
    return QSize(
        min(wanted.width(), int(area.width() * SCREEN_SHARE)),
        min(wanted.height(), int(area.height() * SCREEN_SHARE)),
    )


def clamped(frame: QRect, screen: QScreen | None) -> QRect:
    """``frame`` moved and shrunk so all of it lies on the screen's free area."""
    area = available_area(screen)
    if area is None or area.isEmpty():
        return frame
    size = frame.size().boundedTo(area.size())
    result = QRect(frame.topLeft(), size)
    result.moveLeft(max(area.left(), min(result.left(), area.right() - size.width() + 1)))
    result.moveTop(max(area.top(), min(result.top(), area.bottom() - size.height() + 1)))
    return result
