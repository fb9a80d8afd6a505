"""Where the reader was in each library, kept for the next start.

The entry selected, the search typed, the sort, how far the list was scrolled and the reader's
tab are saved when the window closes and restored when it opens the same library again; the
trends sidebar's pinned day is kept the same way. Each library has a settings group of its own,
``libraries/<key>/``, the key made from where the library is (its folder, or its server's URL
without the password), so one library's place never shows up in another. Only the window's
layout and the keymap are shared by every library.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PySide6.QtCore import QSettings

from digestdesk.paths import LibraryPaths


def library_group(paths: LibraryPaths) -> str:
    """The settings group of one library's own state."""
    place = str(paths.root.resolve()) if paths.root is not None else paths.describe()
    return "libraries/" + hashlib.sha256(place.encode("utf-8")).hexdigest()[:16]


def _int(value: object) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None


@dataclass
class ReadingPlace:
    """The list and reader as they were: restored by the window at its next start."""

    entry_id: int | None = None
    query: str = ""
    sort: str | None = None  # None: the query's own order
    ascending: bool = False
    scroll: int = 0
    reader_tab: int | None = None

    @classmethod
    def load(cls, settings: QSettings, group: str) -> ReadingPlace | None:
        """The place saved for this library, or None when it was never opened here."""
        if settings.value(f"{group}/saved") is None:
            return None
        sort = settings.value(f"{group}/sort")
        return cls(
            entry_id=_int(settings.value(f"{group}/entry")),
            query=str(settings.value(f"{group}/query") or ""),
            sort=str(sort) if sort else None,
            ascending=str(settings.value(f"{group}/ascending", "false")) == "true",
            scroll=max(_int(settings.value(f"{group}/scroll")) or 0, 0),
            reader_tab=_int(settings.value(f"{group}/reader_tab")),
        )

    def save(self, settings: QSettings, group: str, place_name: str) -> None:
        settings.setValue(f"{group}/saved", "1")
        settings.setValue(f"{group}/library", place_name)  # for a person reading the file
        settings.setValue(f"{group}/entry", "" if self.entry_id is None else str(self.entry_id))
        settings.setValue(f"{group}/query", self.query)
        settings.setValue(f"{group}/sort", self.sort or "")
        settings.setValue(f"{group}/ascending", "true" if self.ascending else "false")
        settings.setValue(f"{group}/scroll", str(self.scroll))
        settings.setValue(
            f"{group}/reader_tab", "" if self.reader_tab is None else str(self.reader_tab)
        )
