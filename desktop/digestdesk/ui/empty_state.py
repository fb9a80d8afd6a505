"""The welcome shown instead of the list while the library is empty."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from digestdesk.ui.icons import icon


class EmptyState(QWidget):
    """Says what the app is for and offers the import actions and the main keys."""

    def __init__(
        self,
        on_import: Callable[[], None],
        on_paste: Callable[[], None],
        keys: Callable[[str], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self._keys = keys
        picture = QLabel(self)
        app_icon = QApplication.windowIcon()
        picture.setPixmap(
            (app_icon if not app_icon.isNull() else icon("empty")).pixmap(QSize(88, 88))
        )
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to Digest Desk", self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(
            "Your library is empty. Import a paper digest — a Hugging Face daily-papers JSON "
            "file, a copied papers page or an arXiv feed — or drop files onto this window.",
            self,
        )
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro.setFixedWidth(540)
        intro.setMinimumHeight(intro.heightForWidth(540))
        self.import_button = QPushButton(icon("import"), "Import Files…", self)
        self.import_button.clicked.connect(on_import)
        self.paste_button = QPushButton(icon("paste"), "Paste from Clipboard…", self)
        self.paste_button.clicked.connect(on_paste)
        for button in (self.import_button, self.paste_button):
            button.setMinimumWidth(240)
            button.setMinimumHeight(34)
        self.keys_label = QLabel(self)
        self.keys_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keys_label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (picture, title, intro):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.paste_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(20)
        layout.addWidget(self.keys_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
        self.refresh_keys()

    def refresh_keys(self) -> None:
        rows = [
            ("library.import_files", "import files"),
            ("library.import_clipboard", "paste a digest"),
            ("go.next", "next entry"),
            ("entry.mark_read", "mark read and move on"),
            ("app.command_palette", "all commands"),
            ("app.help", "every key"),
        ]
        cells = "".join(
            f"<tr><td align='right' style='padding:2px 10px;'><b>{self._keys(i)}</b></td>"
            f"<td style='padding:2px 10px;'>{text}</td></tr>"
            for i, text in rows
        )
        self.keys_label.setText(f"<table>{cells}</table>")
