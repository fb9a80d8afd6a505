"""The window's policy numbers in one place: how much is read ahead, how long timers wait,
when a change is big enough to ask first.

The defaults were tuned against typing stalls and j/k latency in the 10k and 100k libraries
(see docs/benchmarks.md); change one with a benchmark run beside it. Tests build a window with
their own values (``MainWindow(..., tuning=Tuning(bulk_confirm=3))``) instead of patching.
"""

from __future__ import annotations

from dataclasses import dataclass

from digestdesk.ui.tasks import MAINTAIN_AFTER_S


@dataclass(frozen=True)
class Tuning:
    """Sizes and delays of the window's background work."""

    bulk_confirm: int = 50  # bulk changes of more entries than this ask first
    detail_cache: int = 64  # entry details kept for instant j/k
    prefetch_ahead: int = 10  # details read ahead in the direction of travel, one query
    prefetch_near: int = 3  # ...when one of this many next entries is not read yet
    rows_ahead: int = 60  # list rows read ahead of the cursor (about two screens)
    large_import_bytes: int = 256 * 1024  # larger imports are indexed afterwards, in the background
    show_after_search_max_s: float = 0.5  # longest the reader waits to show a search's entry
    show_while_typing_poll_ms: int = 20  # ...checking this often whether the typing paused
    typing_pause_s: float = 1.0  # no key in the search bar for this long: the user paused
    trends_debounce_ms: int = 350  # edits in a burst (triage) recompute trends once
    related_delay_ms: int = 150  # related papers are asked for once the cursor rests this long
    for_you_limit: int = 5  # papers in the sidebar's For-you section
    for_you_debounce_ms: int = 1500  # triage in a burst retrains the taste once, after it
    related_limit: int = 5  # related papers shown (Alt+1..Alt+5)
    session_prefetch: int = 3  # a session's next entries read ahead
    maintain_after_s: float = MAINTAIN_AFTER_S  # quiet seconds before the index is tidied
    # Index builds and catch-ups of this many entries or more run in a child process: Whoosh
    # is pure Python, and on a thread it starves the window and the edit lane of the GIL
    # (edits took 0.2-2 s to commit during an 8,000-entry rebuild). Smaller ones are quicker
    # on the index lane than a process start (about 0.5 s). In a library this large the
    # similarity model is built, and For you's taste learned, in a child too (training left
    # 200,000 live objects for the GUI thread's garbage collections to walk). None: never.
    index_in_child_from: int | None = 2000
    # Files of this many bytes or more (about 1,500 papers of API JSON) are imported in a child
    # process, for the same reason: parsing and planning them here made edits wait (a status
    # key 107-283 ms p95 during a 50,000-paper import). Smaller ones are quicker here than a
    # process start. None: never.
    import_in_child_from: int | None = 1024 * 1024
    # On a server: the index and the views look for other members' changes this often even
    # without a notification (a lost connection, a proxy that drops NOTIFY).
    changes_fallback_s: float = 30.0
