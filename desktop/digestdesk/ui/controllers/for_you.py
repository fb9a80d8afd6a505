"""The sidebar's "For you" section: the newest digest's papers the reader's triage says they
want, each with why, and the taste behind it retrained in the background after triage.

Triage (a status, a tag) and imports change what the taste is learned from; after a burst of
them (debounced) the controller asks the window's "similar" lane, which retrains the taste when
the library changed (:meth:`~digestdesk.core.similarity.SimilarityStore.taste`) and ranks the
digest. The GUI thread only shows the answer; in a library of
:attr:`~digestdesk.ui.tuning.Tuning.index_in_child_from` papers or more the lane only waits
for a child process that learns and ranks (:mod:`digestdesk.core.library.index_worker`), so
the training neither holds this process's interpreter lock nor leaves objects for the GUI
thread's garbage collections to walk. ``sort:foryou`` in the search bar trains its own taste.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject, QTimer

from digestdesk.core.library import Library
from digestdesk.core.records import Changes
from digestdesk.core.similarity import BuildAbandoned, NotEnoughTriage
from digestdesk.ui.change_hub import ChangeHub
from digestdesk.ui.tasks import ReaderThread
from digestdesk.ui.trend_sidebar import Pick
from digestdesk.ui.tuning import Tuning
from digestdesk.ui.window_layout import WindowLayout

ForYouAnswer = tuple[str, list[Pick], str]


class ForYouController(QObject):
    """Keeps the For-you section in step with the triage and the newest digest."""

    def __init__(
        self,
        window: WindowLayout,
        similar: ReaderThread,
        hub: ChangeHub,
        tuning: Tuning,
        as_of: Callable[[], date | None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.similar = similar
        self.limit = tuning.for_you_limit
        #: The sidebar's day (the newest digest not after it is shown); None is today.
        self.as_of = as_of
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(tuning.for_you_debounce_ms)
        self._timer.timeout.connect(self.compute)
        similar.route("foryou", lambda answer: window.trend_sidebar.show_for_you(*answer))
        hub.changed.connect(self._changed)
        window.trend_sidebar.settings_changed.connect(self._timer.start)

    def pending(self) -> bool:
        return self._timer.isActive()

    def _changed(self, changes: Changes) -> None:
        if changes.entry_ids:
            self._timer.start()

    def compute(self) -> int:
        """Ask the similar lane to (re)train the taste and rank the digest; returns the request."""
        self._timer.stop()
        limit, as_of = self.limit, self.as_of() or date.today()

        def job(library: Library) -> ForYouAnswer:
            try:
                return for_you(library, as_of, limit)
            except BuildAbandoned:
                return "", [], ""  # closing

        return self.similar.request("foryou", job)


def for_you(library: Library, as_of: date, limit: int) -> ForYouAnswer:
    """The heading, the picks and a note of the For-you section for the digest of ``as_of``
    (the newest one not after it)."""
    days = [d for d in library.digest_dates() if d <= as_of]
    if not days:
        return "", [], "No digest yet: fetch or import one."
    day = days[-1]
    heading = f"Digest of {day:%-d %b %Y}"
    ids = library.search(f"digest:{day.isoformat()}").ids
    found = library.recommend(ids=ids, limit=limit)
    if isinstance(found, NotEnoughTriage):
        return heading, [], found.message
    if not found:
        return heading, [], "Every paper of this digest is triaged."
    rows = library.rows([r.entry_id for r in found] + [i for r in found for i in r.resembles])
    picks = []
    for r in found:
        why = []
        if r.because:
            why.append(", ".join(r.because))
        like = [rows[i].title for i in r.resembles[:1] if i in rows]
        if like:
            why.append(f"like “{like[0]}”")
        reason = " · ".join(why) or "ranked high by what you read, queued and tagged"
        picks.append(Pick(r.entry_id, rows[r.entry_id].title, reason))
    return heading, picks, ""
