"""The crash dialog: an unexpected exception's traceback and the log tail, with a copy button.

Installed as ``sys.excepthook`` by the application, so a bug in a slot shows this dialog
and the app keeps running instead of vanishing.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from digestdesk import __version__

log = logging.getLogger(__name__)

_showing = False


def log_tail(path: str | Path, lines: int = 40) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no log: {exc.strerror or exc})"
    return "\n".join(text.splitlines()[-lines:])


class CrashDialog(QDialog):
    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("Digest Desk hit a bug")
        self.resize(760, 520)
        self.report = report
        intro = QLabel(
            "Something unexpected went wrong. Your library is safe: every change is saved as "
            "one transaction. You can keep working; please copy this report into a bug report.",
            self,
        )
        intro.setWordWrap(True)
        text = QPlainTextEdit(report, self)
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy Report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(text, 1)
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report)


def build_report(
    kind: type[BaseException] | None,
    value: BaseException | None,
    tb: TracebackType | None,
    log_path: str,
) -> str:
    trace = "".join(traceback.format_exception(kind, value, tb)) if kind else "(no traceback)"
    return (
        f"Digest Desk {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n\n"
        f"{trace}\n--- log tail ({log_path}) ---\n{log_tail(log_path)}\n"
    )


def install_excepthook(log_path: str) -> None:
    """Show unexpected exceptions in a :class:`CrashDialog` (once at a time)."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        global _showing
        log.critical("unexpected error", exc_info=(kind, value, tb))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        if _showing or QApplication.instance() is None:
            sys.__excepthook__(kind, value, tb)
            return
        _showing = True
        try:
            CrashDialog(build_report(kind, value, tb, log_path), QApplication.activeWindow()).exec()
        finally:
            _showing = False

    sys.excepthook = hook
