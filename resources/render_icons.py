"""Render resources/icons/digestdesk.svg to the PNG sizes desktops and packagers need.

Run ``QT_QPA_PLATFORM=offscreen python resources/render_icons.py`` after changing the SVG.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> None:
    app = QGuiApplication([])
    folder = Path(__file__).resolve().parent / "icons"
    renderer = QSvgRenderer(str(folder / "digestdesk.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(folder / f"digestdesk-{size}.png"))
    del app


if __name__ == "__main__":
    main()
