"""The fetch runner: which days to fetch, and fetching them into a library one day at a time.

:func:`fetch_days` imports each day through :meth:`Library.import_parsed` (one transaction per
day, identity and user state as for any file) and records the digest as ``hf-api`` or
``arxiv-api`` so later runs know which days are done. Nothing here imports Qt; it may run on the
app's writer thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from digestdesk.core.fetch.errors import FetchCancelled, FetchError
from digestdesk.core.fetch.http import Cancelled, HttpClient
from digestdesk.core.fetch.sources import DEFAULT_CATEGORY, Fetcher, make_fetcher
from digestdesk.core.records import Changes, ImportReport
from digestdesk.errors import DigestDeskError

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def today_utc() -> date:
    return datetime.now(UTC).date()


#: The first day a fetch may ask for (entries' dates begin in 1900).
EARLIEST_DAY = date(1900, 1, 1)


def days_to_fetch(
    *,
    day: date | None = None,
    since: date | None = None,
    last: int | None = None,
    today: date | None = None,
) -> list[date]:
    """The days a request names, oldest first: one day, ``since`` through today, or the last N.

    Raises :class:`FetchError` for a day after today (UTC): no source lists the future.
    """
    today = today or today_utc()
    if day is not None:
        days = [day]
    elif since is not None:
        days = [since + timedelta(n) for n in range((today - since).days + 1)]
        if not days:
            days = [since]
    elif last is not None:
        if last > (today - EARLIEST_DAY).days + 1:
            raise FetchError(
                f"The last {last} days reach back before {EARLIEST_DAY.isoformat()}: ask for "
                "fewer (the dates entries have are in the years 1900 to 2200)."
            )
        days = [today - timedelta(n) for n in range(last - 1, -1, -1)]
    else:
        days = [today]
    future = [d for d in days if d > today]
    if future:
        raise FetchError(
            f"{future[0].isoformat()} is in the future (today is {today.isoformat()}, UTC); "
            "there is nothing to fetch yet."
        )
    return days


@dataclass
class DayReport:
    """What happened to one day of one source."""

    day: date
    source: str
    outcome: str  # "imported", "already fetched", "no papers", "failed", "cancelled", "not tried"
    report: ImportReport | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "not tried")

    @property
    def changes(self) -> Changes:
        return self.report.changes if self.report is not None else Changes()

    def summary(self) -> str:
        if self.outcome == "imported" and self.report is not None:
            return self.report.summary()
        if self.error:
            return f"{self.outcome}: {self.error}"
        return self.outcome

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "day": self.day.isoformat(),
            "source": self.source,
            "outcome": self.outcome,
            "error": self.error,
        }
        if self.report is not None:
            value.update(
                new=self.report.new,
                updated=self.report.updated,
                unchanged=self.report.unchanged,
                skipped=[{"where": p.where, "reason": p.reason} for p in self.report.skipped],
            )
        return value


def combined_changes(reports: Iterable[DayReport]) -> Changes:
    """One :class:`Changes` for all the days imported (for the views after a fetch)."""
    ids: set[int] = set()
    added: set[int] = set()
    kinds: set[str] = set()
    for report in reports:
        ids |= report.changes.entry_ids
        added |= report.changes.added
        kinds |= report.changes.kinds
    return Changes(frozenset(ids), frozenset(added), frozenset(kinds), label="Fetch digests")


def default_cache_dir() -> Path:
    from digestdesk.paths import user_cache_dir

    return user_cache_dir() / "http"


def fetch_days(
    library: Any,
    days: Sequence[date],
    *,
    source: str = "hf",
    category: str = DEFAULT_CATEGORY,
    refresh: bool = False,
    client: HttpClient | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    on_day: Callable[[DayReport], None] | None = None,
    index: bool = True,
    today: date | None = None,
    deadline: float | None = None,
) -> list[DayReport]:
    """Fetch and import each day that is not done yet; one transaction per day.

    A day is done when it was fetched after it settled (see ``settled_after_days``), unless
    ``refresh``, which fetches again and records new vote snapshots. A failing day does not stop
    the others, except when the source is unreachable or refusing (the rest are "not tried").
    ``progress(done, total)`` counts days; ``on_day`` hears each day as it finishes;
    ``cancelled`` is checked during every network wait (a cancelled day is rolled back). The run
    ends by ``deadline`` seconds (:data:`~digestdesk.core.fetch.http.RUN_DEADLINE` by default);
    the source's host is resolved once first, so a run without network stops at once with one
    message. The index is brought up to date once at the end. ``library`` is a writer
    :class:`~digestdesk.core.library.Library`; call this on the writer thread.
    """
    days = sorted(set(days))
    if days:
        days_to_fetch(day=days[-1], today=today)  # refuses a day in the future
    if client is None:
        client = HttpClient(cache_dir=default_cache_dir(), cancelled=cancelled)
    elif cancelled is not None and client.cancelled is None:
        client.cancelled = cancelled
    fetcher = make_fetcher(source, client, category=category)
    done: set[date] = set()
    if not refresh:
        done = library.fetched_days(
            fetcher.source_kind,
            file_name=fetcher.label,
            settled_after_days=fetcher.settled_after_days,
        )
    client.begin_run(deadline)
    reports: list[DayReport] = []
    stopped: str | None = None
    failed_first: date | None = None  # the day that carries the message of a run that stopped
    was_cancelled = False
    pending = [d for d in days if d not in done]
    if pending and not (cancelled is not None and cancelled()):
        try:
            client.resolve(fetcher.endpoint)
        except FetchError as exc:
            stopped, failed_first = exc.user_message, pending[0]
        except FetchCancelled:
            was_cancelled = True
    for number, day in enumerate(days, start=1):
        if not was_cancelled and cancelled is not None and cancelled():
            was_cancelled = True
        if was_cancelled:
            report = DayReport(day, source, "cancelled")
        elif day in done:
            report = DayReport(day, source, "already fetched")
        elif day == failed_first:
            report = DayReport(day, source, "failed", error=stopped)
        elif stopped is not None:
            report = DayReport(day, source, "not tried", error=stopped)
        else:
            report, stop_all = _fetch_one(library, fetcher, day, source, cancelled)
            if report.outcome == "cancelled":
                was_cancelled = True
            elif stop_all:
                stopped = report.error
        reports.append(report)
        if progress is not None:
            progress(number, len(days))
        if on_day is not None:
            on_day(report)
    if index and any(r.outcome == "imported" for r in reports):
        library.ensure_index()
    return reports


def _fetch_one(
    library: Any, fetcher: Fetcher, day: date, source: str, cancelled: Cancelled | None
) -> tuple[DayReport, bool]:
    """One day's report, and whether the source is failing as a whole."""
    from digestdesk.core.library import ImportCancelled

    try:
        result = fetcher.fetch(day)
        if not result.entries and not result.problems:
            return DayReport(day, source, "no papers"), False
        imported = library.import_parsed(
            result,
            source=fetcher.label,
            source_kind=fetcher.source_kind,
            cancelled=cancelled,
            index=False,
        )
    except (FetchCancelled, ImportCancelled):
        return DayReport(day, source, "cancelled"), False
    except FetchError as exc:
        log.info("fetching %s %s failed: %s", source, day, exc.user_message)
        return DayReport(day, source, "failed", error=exc.user_message), exc.stop_all
    except DigestDeskError as exc:
        log.info("fetching %s %s failed: %s", source, day, exc.user_message)
        return DayReport(day, source, "failed", error=exc.user_message), False
    imported.source = f"{source} {day.isoformat()}"
    return DayReport(day, source, "imported", report=imported), False
