"""Trends for the sidebar and ``digestdesk trends``: what is rising, what is popular, your reading.

Callers import from here; the modules behind it, in the order data flows through them:

- :mod:`.terms`: an entry's terms (AI keywords, or words and word pairs of its title);
- :mod:`.term_index`: every entry's days, terms, votes, stars and status in memory, synced
  incrementally, and the per-bucket counts a report takes from it;
- :mod:`.scoring`: which terms rise (expected counts, lift and score rules);
- :mod:`.reading`: your reading (statuses, tags, the last digest, reads per week);
- :mod:`.report`: the report's dataclasses and their JSON form;
- :mod:`.computation`: :class:`Trends`, which builds and caches reports for one library.
"""

from digestdesk.core.trends.computation import (
    BY,
    DEFAULT_LIMIT,
    WINDOWS,
    Trends,
    parse_window,
)
from digestdesk.core.trends.report import (
    LastDigest,
    Repository,
    RisingTerm,
    TrendReport,
    VotedEntry,
    WeekReading,
)
from digestdesk.core.trends.scoring import MIN_COUNT
from digestdesk.core.trends.terms import (
    GENERIC_WORDS,
    STOP_WORDS,
    normalize_keyword,
    term_key,
    title_terms,
)

__all__ = [
    "BY",
    "DEFAULT_LIMIT",
    "GENERIC_WORDS",
    "MIN_COUNT",
    "STOP_WORDS",
    "WINDOWS",
    "LastDigest",
    "Repository",
    "RisingTerm",
    "TrendReport",
    "Trends",
    "VotedEntry",
    "WeekReading",
    "normalize_keyword",
    "parse_window",
    "term_key",
    "title_terms",
]
