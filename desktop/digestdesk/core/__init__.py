"""The Qt-free core of Digest Desk: formats, library, search, trends.

Nothing below this package may import PySide6 or qtawesome (a test enforces it).
"""
