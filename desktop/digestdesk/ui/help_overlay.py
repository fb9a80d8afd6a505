"""The ``?`` help overlay: every key of every command, by where it works, from the registry."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from digestdesk.ui.actions import CONTEXTS, ActionSpec, native


def help_html(specs: Sequence[ActionSpec], keymap: Mapping[str, Sequence[str]]) -> str:
    """Tables of keys and what they do, one per context, in registry order."""
    sections = []
    for context, title in CONTEXTS.items():
        rows = []
        for spec in specs:
            if spec.context != context:
                continue
            keys = keymap.get(spec.id, ())
            if not keys:
                continue
            shown = " ".join(
                f"<span style='font-family:monospace; font-weight:600; white-space:nowrap;'>"
                f"&nbsp;{html.escape(native(k))}&nbsp;</span>"
                for k in keys
            )
            rows.append(
                f"<tr><td width='22%' align='right' style='padding:3px 12px; "
                f"white-space:nowrap;'>{shown}</td>"
                f"<td style='padding:3px 6px;'><b>{html.escape(spec.title.rstrip('…'))}</b>"
                f" — {html.escape(spec.help)}</td></tr>"
            )
        if context == "list":
            rows.append(
                "<tr><td align='right' style='padding:3px 12px; white-space:nowrap;'>"
                "<b>↑ ↓ PgUp PgDn</b></td>"
                "<td style='padding:3px 6px;'><b>Move</b> — the usual list keys work too; "
                "Shift extends the selection.</td></tr>"
            )
        if rows:
            sections.append(
                f"<h3 style='margin-top:14px;'>{html.escape(title)}</h3>"
                f"<table width='100%' cellspacing='0'>{''.join(rows)}</table>"
            )
    return "".join(sections)


class HelpOverlay(QDialog):
    """A large, scrollable sheet of keys; any of Esc, ? or q closes it."""

    def __init__(
        self,
        specs: Sequence[ActionSpec],
        keymap: Mapping[str, Sequence[str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setWindowTitle("Keyboard Help")
        self.resize(820, 640)
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setHtml(
            "<h2>Keyboard</h2><p>Digest Desk works without the mouse. Keys of the list also "
            "work in the reader panes; Ctrl+K finds any command by name.</p>"
            + help_html(specs, keymap)
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def keyPressEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.text() in ("?", "q"):
            self.reject()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]
