"""Dialogs of the import flow: the summary after an import and the checks before one.

The summary lists new / updated / unchanged / skipped per input with the reasons for skipped
entries; the details are an expandable tree. Page text carries no years: the paste dialog
shows the as-of date the parser assumed, and the file dialog the date each page-text file will
be read as of (the day it was saved, from its modification time); both let the reader change
it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.drafts import ParseResult
from digestdesk.core.records import ImportReport
from digestdesk.errors import NotADigestError
from digestdesk.ui.date_field import DateField
from digestdesk.ui.icons import icon
from digestdesk.ui.safe_text import plain_label, tooltip

AS_OF_HINT = (
    "Page text shows dates like “Mar 4” without a year. They are read as the latest such day "
    "not after this date: the day the page was viewed."
)


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
                [report.source, report.summary(), _title(report.format) + self._as_of_text(report)]
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
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)  # after adding it: an item outside a tree does not expand
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    @staticmethod
    def _as_of_text(report: ImportReport) -> str:
        note = report.as_of_note()
        return f", {note}" if note else ""


class PasteImportDialog(QDialog):
    """Shows what the clipboard holds before importing it; the as-of date is editable."""

    def __init__(self, parsed: ParseResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pasteImport")
        self.setWindowTitle("Import from Clipboard")
        self.setMinimumWidth(480)
        form = QFormLayout()
        form.addRow("Format:", QLabel(_title(parsed.format), self))
        form.addRow("Entries found:", QLabel(str(len(parsed.entries)), self))
        if parsed.problems:
            problems = QLabel(
                "\n".join(str(p) for p in parsed.problems[:8])
                + ("\n…" if len(parsed.problems) > 8 else ""),
                self,
            )
            problems.setWordWrap(True)
            form.addRow(f"Skipped ({len(parsed.problems)}):", problems)
        self.as_of_edit: DateField | None = None
        if parsed.format == "hf-page":
            self.as_of_edit = DateField(self)
            self.as_of_edit.set_day(parsed.as_of or date.today())
            self.as_of_edit.setObjectName("asOfEdit")
            form.addRow("Dates without a year are before:", self.as_of_edit)
            hint = QLabel(AS_OF_HINT + " Set it to the day the page was copied.", self)
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
        return self.as_of_edit.day() if self.as_of_edit is not None else None


def _title(name: str) -> str:
    """A format as the reader knows it ("Hugging Face papers page (text)", not "hf-page")."""
    from digestdesk.core import formats

    try:
        return str(formats.get_format(name).TITLE)
    except NotADigestError:
        return name


def _format_title(name: str | None) -> str:
    """What a file other than page text is, for the dialog: its dates are its own."""
    if name is None:
        return "not a digest Digest Desk knows (the import will say why)"
    from digestdesk.core import formats

    return f"{formats.get_format(name).TITLE}, dated"


@dataclass(frozen=True)
class FileCheck:
    """A file chosen for import, looked at before importing it."""

    path: Path
    format: str | None  # the format it looks like (None: not a digest, the import says why)
    modified: date | None  # the day it was last modified (saved)


class FileImportDialog(QDialog):
    """Before importing files with page text: the as-of date each will be read with (its
    modification day), editable. Other files are listed with their format."""

    def __init__(self, checks: Sequence[FileCheck], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileImport")
        self.setWindowTitle("Import Files")
        self.setMinimumWidth(600)
        self.checks = list(checks)
        self.date_fields: dict[Path, DateField] = {}
        self._shown: dict[Path, date] = {}
        intro = QLabel(
            "Page text shows dates like “Mar 4” without a year: they are read as the latest "
            "such day not after the day the page was viewed. A saved page was viewed on the "
            "day it was saved (its modification date); change it if it was later.",
            self,
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for check in self.checks:
            name = plain_label(QLabel(check.path.name, self))
            name.setToolTip(tooltip(str(check.path)))
            if check.format == "hf-page":
                day = check.modified or date.today()
                field = DateField(self)
                field.setObjectName("asOfEdit")
                field.set_day(day)
                origin = "the file's modification date" if check.modified else "today"
                field.setToolTip(f"The day the page was viewed ({origin} unless you change it).")
                self.date_fields[check.path] = field
                self._shown[check.path] = day
                row = QHBoxLayout()
                row.addWidget(field)
                muted = QLabel("the day it was saved" if check.modified else "today", self)
                muted.setEnabled(False)
                row.addWidget(muted)
                row.addStretch(1)
                form.addRow(name, row)
            else:
                what = _format_title(check.format)
                form.addRow(name, QLabel(what, self))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.import_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def as_of(self) -> dict[Path, date]:
        """The dates the reader changed (files left as shown are read as of their own day)."""
        return {
            path: field.day()
            for path, field in self.date_fields.items()
            if field.day() != self._shown[path]
        }
