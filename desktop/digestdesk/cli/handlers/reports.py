"""Commands that report: trends (rising topics, most voted, your reading) and reading sessions."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import EXIT_OK
from digestdesk.cli.output import print_json, sparkline
from digestdesk.core.drafts import STATUSES

if TYPE_CHECKING:
    from digestdesk.core.library import Library


def cmd_trends(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from datetime import UTC, datetime

    from digestdesk.core.trends import Trends

    ids = library.search(args.query).ids if args.query else None
    # Today unless asked for another day, as the help says (the sidebar instead follows the
    # newest digest).
    as_of = args.as_of or datetime.now(UTC).date()
    report = Trends(library).report(
        window=args.window, by=args.by, as_of=as_of, ids=ids, limit=args.limit
    )
    if args.json:
        print_json(report.to_json(), out)
        return EXIT_OK
    within = f" within {args.query!r}" if args.query else ""
    out.write(
        f"Rising topics{within}, {report.window_days} days to {report.as_of.isoformat()} by "
        f"{report.by} date ({report.entries} entries; {report.previous_entries} in the "
        f"{report.window_days} days before):\n"
    )
    if report.notice:
        out.write(f"  {report.notice}\n")
        newest = Trends(library).newest_day(args.by) if args.as_of is None else None
        if newest is not None and newest < report.window_start:
            out.write(f"  The newest paper is from {newest.isoformat()}: try --as-of {newest}\n")
    elif not report.rising:
        out.write("  nothing rises clearly in this window\n")
    width = max((len(t.term) for t in report.rising), default=0)
    for term in report.rising:
        out.write(
            f"  {term.term:<{width}}  {sparkline(term.sparkline)}  {term.explanation}"
            f"  (score {term.score:.1f})\n"
        )
    if report.most_voted:
        out.write("\nMost voted:\n")
        for entry in report.most_voted:
            out.write(f"  {entry.votes:>5}  {entry.title}  (id {entry.id}, {entry.day})\n")
    if report.late_risers:
        out.write("\nLate risers (votes gained since first listed):\n")
        for riser in report.late_risers:
            out.write(
                f"  +{riser.gain:<5} {riser.title}  ({riser.first_votes} → {riser.votes} in "
                f"{riser.days} days, id {riser.id})\n"
            )
    if report.top_repositories:
        out.write("\nCode gaining stars (stars a day):\n")
        for repo in report.top_repositories:
            how = "growth" if repo.basis == "growth" else "since first seen"
            out.write(
                f"  {repo.stars_per_day:>7.1f}/day  {repo.stars:>6}★  {repo.url}  "
                f"({how}, id {repo.entry_id})\n"
            )
    counts = report.statuses
    out.write(
        f"\nStatuses: {counts['total']} entries, "
        + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
        + "\n"
    )
    if report.last_digest is not None:
        digest = report.last_digest
        day = digest.day.isoformat() if digest.day else "the last import"
        out.write(f"Last digest ({day}): {digest.entries} entries, {digest.unread} unread\n")
    if report.tags:
        out.write("Tags: " + ", ".join(f"{name} {n}" for name, n in report.tags) + "\n")
    out.write("\nYour reading (entries read per week):\n")
    for week in report.reading_per_week:
        sessions = (
            f"  {week.sessions} sessions, {week.session_seconds / 60:.0f} min"
            if week.sessions
            else ""
        )
        out.write(f"  {week.week}  {week.read:>4}{sessions}\n")
    return EXIT_OK


def cmd_sessions(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core.sessions import Sessions

    summaries = Sessions(library).list_sessions(limit=args.limit)
    if args.json:
        print_json([s.to_json() for s in summaries], out)
        return EXIT_OK
    if not summaries:
        out.write("no reading sessions yet\n")
    for summary in summaries:
        started = summary.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        label = f"  {summary.label}" if summary.label else ""
        out.write(
            f"{summary.id:>5}  {summary.state:<8}  {started}{label}  "
            f"{summary.total} entries: {summary.text()}\n"
        )
    return EXIT_OK
