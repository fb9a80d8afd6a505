"""The tags in use in the library, with their counts: the tag editors complete from them.

Read on the reader thread at start and again after a job that changed tags (or everything).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from digestdesk.core.records import Changes
from digestdesk.core.text import normalize_tag
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.tasks import ReaderThread


class KnownTags(QObject):
    """The library's tags and how many entries carry each, kept up to date."""

    def __init__(
        self,
        parent: QObject,
        reader: ReaderThread,
        hub: ChangeHub,
        normalize: Callable[[str], str] = normalize_tag,
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        #: A typed name as the library stores it (a team library keeps a team tag's ``#``).
        self.normalize = normalize
        self.tags: list[tuple[str, int]] = []
        reader.route("tags", self._read)
        hub.changed.connect(self._changes_made)

    def refresh(self) -> None:
        self.reader.request("tags", lambda library: library.all_tags())

    def _read(self, tags: list[tuple[str, int]]) -> None:
        self.tags = list(tags)

    def _changes_made(self, changes: Changes) -> None:
        if "tags" in changes.kinds or changes.reset:
            self.refresh()
