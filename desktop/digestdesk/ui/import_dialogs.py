"""Dialogs of the import flow: the summary after an import and the check before a paste.

The summary lists new / updated / unchanged / skipped per input with the reasons for skipped
entries; the details are an expandable tree. Pasted page text carries no years, so the paste
dialog shows the as-of date the parser assumed and lets the reader change it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.drafts import ParseResult
from digestdesk.core.records import ImportReport
from digestdesk.ui.icons import icon
from digestdesk.ui.safe_text import tooltip


class ImportSummaryDialog(QDialog):
    """What an import did, file by file; failures are listed with their message."""

    def __init__(
        self,
        reports: Sequence[ImportReport],
        failures: Sequence[tuple[str, str]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importSummary")
        self.setWindowTitle("Import Summary")
        self.resize(720, 480)
        new = sum(r.new for r in reports)
        updated = sum(r.updated for r in reports)
        unchanged = sum(r.unchanged for r in reports)
        skipped = sum(len(r.skipped) for r in reports)
        headline = QLabel(self)
        headline.setObjectName("importHeadline")
        headline.setTextFormat(Qt.TextFormat.RichText)
        parts = [
            f"<b style='font-size:14pt;'>{new}</b> new",
            f"<b style='font-size:14pt;'>{updated}</b> updated",
            f"<b style='font-size:14pt;'>{unchanged}</b> unchanged",
            f"<b style='font-size:14pt;'>{skipped}</b> skipped",
        ]
        files = len(reports) + len(failures)
        headline.setText(
            f"<p>Imported {len(reports)} of {files} input{'s' if files != 1 else ''}.</p>"
            f"<p>{' &nbsp;·&nbsp; '.join(parts)}</p>"
        )
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("importDetails")
        self.tree.setHeaderLabels(["Input / entry", "Outcome", "Where"])
        self.tree.setColumnWidth(0, 400)
        self.tree.setColumnWidth(1, 200)
        self.tree.setAlternatingRowColors(True)
        for report in reports:
            top = QTreeWidgetItem(
                [report.source, report.summary(), report.format + self._as_of_text(report)]
            )
            top.setIcon(0, icon("import"))
            self.tree.addTopLevelItem(top)
            for problem in report.skipped:
                child = QTreeWidgetItem([problem.reason, "skipped", problem.where])
                child.setIcon(0, icon("error"))
                child.setToolTip(0, tooltip(problem.reason))
                top.addChild(child)
            for item in report.items:
                top.addChild(QTreeWidgetItem([item.title, item.outcome, item.where]))
            top.setExpanded(bool(report.skipped) or len(reports) == 1)
        for name, message in failures:
            top = QTreeWidgetItem([name, "not imported", ""])
            top.setIcon(0, icon("error"))
            child = QTreeWidgetItem([message, "", ""])
            child.setToolTip(0, tooltip(message))
            top.addChild(child)
            top.setExpanded(True)
            self.tree.addTopLevelItem(top)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    @staticmethod
    def _as_of_text(report: ImportReport) -> str:
        if report.format == "hf-page" and report.as_of:
            return f", years as of {report.as_of.isoformat()}"
        return ""


class PasteImportDialog(QDialog):
    """Shows what the clipboard holds before importing it; the as-of date is editable."""

    def __init__(self, parsed: ParseResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pasteImport")
        self.setWindowTitle("Import from Clipboard")
        self.setMinimumWidth(480)
        form = QFormLayout()
        form.addRow("Format:", QLabel(parsed.format, self))
        form.addRow("Entries found:", QLabel(str(len(parsed.entries)), self))
        if parsed.problems:
            problems = QLabel(
                "\n".join(str(p) for p in parsed.problems[:8])
                + ("\n…" if len(parsed.problems) > 8 else ""),
                self,
            )
            problems.setWordWrap(True)
            form.addRow(f"Skipped ({len(parsed.problems)}):", problems)
        self.as_of_edit: QDateEdit | None = None
        if parsed.format == "hf-page":
            as_of = parsed.as_of or date.today()
            self.as_of_edit = QDateEdit(QDate(as_of.year, as_of.month, as_of.day), self)
            self.as_of_edit.setObjectName("asOfEdit")
            self.as_of_edit.setCalendarPopup(True)
            self.as_of_edit.setDisplayFormat("yyyy-MM-dd")
            form.addRow("Dates without a year are before:", self.as_of_edit)
            hint = QLabel(
                "Page text shows dates like “Mar 4” without a year. They are read as the "
                "latest such day not after this date — set it to the day the page was copied.",
                self,
            )
            hint.setWordWrap(True)
            form.addRow(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def as_of(self) -> date | None:
        if self.as_of_edit is None:
            return None
        value = self.as_of_edit.date()
        return date(value.year(), value.month(), value.day())
