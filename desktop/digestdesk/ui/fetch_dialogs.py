"""Fetching in the window: where to fetch from, and what a fetch did, day by day.

The choice (source, arXiv category, days to catch up) is kept in QSettings under ``fetch/``.
The fetch itself runs on the writer thread (``core.fetch.fetch_days``); these are only the
settings dialog and the wording of its outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digestdesk.core.fetch import DEFAULT_CATEGORY, DayReport

SOURCE_NAMES = {"hf": "Hugging Face daily papers", "arxiv": "arXiv"}
DEFAULT_DAYS = 7
MAX_DAYS = 60


@dataclass(frozen=True)
class FetchChoice:
    source: str = "hf"
    category: str = DEFAULT_CATEGORY
    days: int = DEFAULT_DAYS

    @property
    def name(self) -> str:
        if self.source == "arxiv":
            return f"arXiv {self.category}"
        return SOURCE_NAMES.get(self.source, self.source)

    @classmethod
    def load(cls, settings: QSettings) -> FetchChoice:
        source = str(settings.value("fetch/source", "hf"))
        category = str(settings.value("fetch/category", DEFAULT_CATEGORY)) or DEFAULT_CATEGORY
        try:
            days = int(str(settings.value("fetch/days", DEFAULT_DAYS)))
        except ValueError:
            days = DEFAULT_DAYS
        return cls(
            source if source in SOURCE_NAMES else "hf", category, max(1, min(days, MAX_DAYS))
        )

    def save(self, settings: QSettings) -> None:
        settings.setValue("fetch/source", self.source)
        settings.setValue("fetch/category", self.category)
        settings.setValue("fetch/days", self.days)
        settings.sync()


class FetchSettingsDialog(QDialog):
    """Source (Hugging Face, or arXiv with a category) and how many days back to catch up."""

    def __init__(self, choice: FetchChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fetchSettings")
        self.setWindowTitle("Fetch Settings")
        self.source = QComboBox(self)
        for key, name in SOURCE_NAMES.items():
            self.source.addItem(name, key)
        self.source.setCurrentIndex(max(0, self.source.findData(choice.source)))
        self.category = QLineEdit(choice.category, self)
        self.category.setPlaceholderText(DEFAULT_CATEGORY)
        self.days = QSpinBox(self)
        self.days.setRange(1, MAX_DAYS)
        self.days.setValue(choice.days)
        self.days.setSuffix(" days")
        note = QLabel(
            "Each fetch asks for the days not fetched yet within this many days back; "
            "a day already fetched is not asked again.",
            self,
        )
        note.setWordWrap(True)
        note.setEnabled(False)
        form = QFormLayout()
        form.addRow("&Source:", self.source)
        form.addRow("arXiv &category:", self.category)
        form.addRow("Catch &up:", self.days)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.source.currentIndexChanged.connect(self._source_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self._source_changed()

    def _source_changed(self, _index: int = 0) -> None:
        self.category.setEnabled(self.source.currentData() == "arxiv")

    def choice(self) -> FetchChoice:
        return FetchChoice(
            str(self.source.currentData()),
            self.category.text().strip() or DEFAULT_CATEGORY,
            self.days.value(),
        )


def day_lines(reports: Sequence[DayReport]) -> list[str]:
    """One line per day, newest first: "2025-05-02: 12 new, 3 updated"."""
    return [f"{r.day.isoformat()}: {r.summary()}" for r in reversed(reports)]


def outcome_text(name: str, reports: Sequence[DayReport]) -> tuple[bool, str]:
    """(whether something failed, the one-line status message)."""
    imported = [r for r in reports if r.outcome == "imported"]
    new = sum(r.report.new for r in imported if r.report is not None)
    failed = [r for r in reports if r.outcome == "failed"]
    cancelled = any(r.outcome == "cancelled" for r in reports)
    if failed:
        first = failed[0].error or "failed"
        done = (
            f"{len(imported)} day{'s' if len(imported) != 1 else ''} fetched; " if imported else ""
        )
        return True, f"Fetching from {name} failed: {done}{first}"
    if cancelled:
        return False, f"Fetch cancelled after {len(imported)} days; those stay imported."
    if not imported:
        return False, f"{name}: nothing new (every day is fetched already or has no papers)."
    return False, (
        f"Fetched {len(imported)} day{'s' if len(imported) != 1 else ''} from {name}: "
        f"{new:,} new entries."
    )
