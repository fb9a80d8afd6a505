"""The two ways a fetch stops: it failed (with a message for the reader) or it was cancelled."""

from __future__ import annotations

from digestdesk.errors import DigestDeskError


class FetchError(DigestDeskError):
    """A fetch failed; ``stop_all`` when later requests to the same source would fail too."""

    def __init__(self, user_message: str, *, stop_all: bool = False) -> None:
        super().__init__(user_message)
        self.stop_all = stop_all


class FetchCancelled(DigestDeskError):
    def __init__(self) -> None:
        super().__init__("The fetch was cancelled; days already imported stay imported.")
