"""Popularity that moves: late risers and repositories gaining stars, from the snapshots.

Every digest records each paper's votes and its repository's stars as seen that day
(``digest_entries``). A paper listed again later, or fetched again with ``--refresh``, has
several snapshots: :func:`late_risers` ranks the window's papers by the votes they gained
between their first and last snapshot. :func:`rising_repositories` ranks repositories by the
stars they gain per day between snapshots, or, with one snapshot only, by their stars per day
since the library first saw them (the earliest paper citing them), never by all-time stars: an
old, famous repository cited again by a new paper does not top the list.

SQL here is SQLAlchemy Core only, so it runs on PostgreSQL as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Text, func, select, type_coerce
from sqlalchemy.engine import Connection

from digestdesk.core import schema
from digestdesk.core.library import CHUNK
from digestdesk.core.trends.report import LateRiser, Repository
from digestdesk.core.trends.term_index import as_date
from digestdesk.core.validation import without_controls

E = schema.entries
#: Shown in each list.
TOP = 10

# (day, votes, stars) of one snapshot
_Snapshot = tuple[date, int | None, int | None]


def snapshots(conn: Connection, ids: Iterable[int]) -> dict[int, list[_Snapshot]]:
    """Each paper's snapshots, oldest first (digests without a date are left out)."""
    de, dg = schema.digest_entries, schema.digests
    found: dict[int, list[_Snapshot]] = defaultdict(list)
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(
            select(de.c.entry_id, type_coerce(dg.c.digest_date, Text), de.c.votes, de.c.stars)
            .join(dg, dg.c.id == de.c.digest_id)
            .where(de.c.entry_id.in_(wanted[start : start + CHUNK]))
            .where(dg.c.digest_date.is_not(None))
            .order_by(dg.c.digest_date, dg.c.id)
        )
        for entry_id, day, votes, stars in rows:
            found[entry_id].append((as_date(day), votes, stars))
    return found


def _growth(series: list[tuple[date, int]]) -> tuple[int, int] | None:
    """(gain, days) between the first and the last snapshot of different days."""
    if len(series) < 2 or series[-1][0] <= series[0][0]:
        return None
    return series[-1][1] - series[0][1], (series[-1][0] - series[0][0]).days


def late_risers(
    conn: Connection, window: list[tuple[int, int]], titles: dict[int, str], limit: int = TOP
) -> tuple[LateRiser, ...]:
    """The window's papers whose votes grew most between their first and last snapshot."""
    ids = [entry_id for entry_id, _day in window]
    rows = []
    for entry_id, series in snapshots(conn, ids).items():
        voted = [(day, votes) for day, votes, _stars in series if votes is not None]
        grown = _growth(voted)
        if grown is None or grown[0] <= 0:
            continue
        rows.append((grown[0], entry_id, voted[0][1], voted[-1][1], grown[1]))
    rows.sort(key=lambda r: (-r[0], r[1]))
    missing = [r[1] for r in rows[:limit] if r[1] not in titles]
    titles = {**titles, **_titles(conn, missing)}
    return tuple(
        LateRiser(entry_id, titles.get(entry_id, ""), first, last, gain, days)
        for gain, entry_id, first, last, days in rows[:limit]
    )


def rising_repositories(
    conn: Connection,
    window: list[tuple[int, int]],
    as_of: date,
    limit: int = TOP,
    first_seen: dict[str, date] | None = None,
) -> tuple[Repository, ...]:
    """Repositories of the window's papers by the stars they gain per day: between snapshots
    where there are two days or more, else over the paper's age (stars since it was published
    or first listed, never fewer than 7 days, so a new repository with a handful of stars does
    not outrank one gaining hundreds a week)."""
    ids = [entry_id for entry_id, _day in window]
    first_day = dict(window)
    details: dict[int, tuple[str, str | None, int | None, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        for entry_id, title, repo, stars, published in conn.execute(
            select(E.c.id, E.c.title, E.c.github_repo, E.c.github_stars, E.c.published)
            .where(E.c.id.in_(ids[start : start + CHUNK]))
            .where(E.c.github_repo.is_not(None))
        ):
            details[entry_id] = (without_controls(title), repo, stars, published)
    history = snapshots(conn, list(details))
    # ``first_seen`` caches what earlier reports looked up (the caller drops it on an import).
    seen_since = first_seen if first_seen is not None else {}
    unknown = {repo for _t, repo, _s, _p in details.values() if repo and repo not in seen_since}
    seen_since.update(_first_seen(conn, unknown))
    best: dict[str, Repository] = {}
    for entry_id, (title, repo, stars, published) in details.items():
        if not repo:
            continue
        starred = [(day, s) for day, _votes, s in history.get(entry_id, []) if s is not None]
        grown = _growth(starred)
        current: int
        if grown is not None:
            gain, days = grown
            rate, basis, current = gain / days, "growth", starred[-1][1]
            growth: int | None = gain
        else:
            latest = starred[-1][1] if starred else stars
            if latest is None:
                continue
            current = latest
            born = as_date(published) if published is not None else None
            listed = date.fromordinal(first_day[entry_id])
            candidates = (born, listed, seen_since.get(repo, date.max))
            known = [d for d in candidates if d is not None and d != date.max]
            age = (as_of - min(known)).days
            rate, basis, growth = current / max(7, age), "age", None
        found = Repository(
            repo, current, entry_id, title, star_growth=growth, stars_per_day=rate, basis=basis
        )
        key = repo.rstrip("/").lower()
        if key not in best or found.stars_per_day > best[key].stars_per_day:
            best[key] = found
    ranked = sorted(best.values(), key=lambda r: (-r.stars_per_day, -r.stars, r.entry_id))
    return tuple(ranked[:limit])


def _first_seen(conn: Connection, repos: set[str]) -> dict[str, date]:
    """The earliest publication date of any paper in the library citing each repository: a
    repository cited since long ago is old, whatever the new paper's date."""
    wanted = sorted(repos)
    found: dict[str, date] = {}
    for start in range(0, len(wanted), CHUNK):
        for repo, first in conn.execute(
            select(E.c.github_repo, func.min(type_coerce(E.c.published, Text)))
            .where(E.c.github_repo.in_(wanted[start : start + CHUNK]))
            .group_by(E.c.github_repo)
        ):
            if first is not None:
                found[repo] = as_date(first)
    return found | {repo: date.max for repo in repos if repo not in found}


def _titles(conn: Connection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(select(E.c.id, E.c.title).where(E.c.id.in_(ids)))
    return {entry_id: without_controls(title) for entry_id, title in rows}  # as library reads
