"""Fetching digests from their sources: Hugging Face daily papers and arXiv API listings.

Callers use this package's names (``from digestdesk.core import fetch``;
``fetch.fetch_days(...)``); behind it:

- :mod:`.http`: the polite HTTP client (User-Agent, size caps, deadlines, redirects to
  http(s) only, retries honouring ``Retry-After``, conditional requests, per-host pacing);
- :mod:`.connection`: its sockets, every wait a short slice (cancel and deadlines are seen
  mid-transfer), and name resolution with a timeout;
- :mod:`.sources`: one fetcher per source, turning "this source, this day" into a
  :class:`~digestdesk.core.drafts.ParseResult`;
- :mod:`.runner`: which days to fetch and :func:`fetch_days`, which imports them one
  transaction per day;
- :mod:`.errors`: :class:`FetchError` and :class:`FetchCancelled`.

Nothing here imports Qt; :func:`fetch_days` may run on the app's writer thread.
"""

from digestdesk.core.fetch.errors import FetchCancelled, FetchError
from digestdesk.core.fetch.http import (
    MAX_BODY,
    MAX_REDIRECTS,
    REQUEST_DEADLINE,
    RESOLVE_TIMEOUT,
    RETRY_STATUSES,
    RUN_DEADLINE,
    USER_AGENT,
    Cancelled,
    Clock,
    ConditionalCache,
    HttpClient,
    RateLimiter,
    Response,
    Sleep,
    retry_after_seconds,
)
from digestdesk.core.fetch.runner import (
    DayReport,
    Progress,
    combined_changes,
    days_to_fetch,
    default_cache_dir,
    fetch_days,
    today_utc,
)
from digestdesk.core.fetch.sources import (
    ARXIV_DEFAULT_ENDPOINT,
    ARXIV_INTERVAL,
    DEFAULT_CATEGORY,
    ENV_ARXIV_ENDPOINT,
    ENV_HF_ENDPOINT,
    HF_DEFAULT_ENDPOINT,
    HF_INTERVAL,
    SOURCES,
    ArxivListing,
    Fetcher,
    HfDailyPapers,
    arxiv_endpoint,
    hf_endpoint,
    make_fetcher,
)

__all__ = [
    "ARXIV_DEFAULT_ENDPOINT",
    "ARXIV_INTERVAL",
    "DEFAULT_CATEGORY",
    "ENV_ARXIV_ENDPOINT",
    "ENV_HF_ENDPOINT",
    "HF_DEFAULT_ENDPOINT",
    "HF_INTERVAL",
    "MAX_BODY",
    "MAX_REDIRECTS",
    "REQUEST_DEADLINE",
    "RESOLVE_TIMEOUT",
    "RETRY_STATUSES",
    "RUN_DEADLINE",
    "SOURCES",
    "USER_AGENT",
    "ArxivListing",
    "Cancelled",
    "Clock",
    "ConditionalCache",
    "DayReport",
    "FetchCancelled",
    "FetchError",
    "Fetcher",
    "HfDailyPapers",
    "HttpClient",
    "Progress",
    "RateLimiter",
    "Response",
    "Sleep",
    "combined_changes",
    "days_to_fetch",
    "default_cache_dir",
    "fetch_days",
    "hf_endpoint",
    "arxiv_endpoint",
    "make_fetcher",
    "retry_after_seconds",
    "today_utc",
]
