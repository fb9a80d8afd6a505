"""``digestdesk session``: a reading session from the command line, one step per call.

``session start [--queue | --query Q]`` opens a session (over the queue, a query's matches in
their order, or the unread entries, newest first), ``session status`` shows where it stands and
the entry to read, ``session next OUTCOME`` decides that entry (read, skipped, queued or
passed) and shows the next one, ``session back`` steps back, ``session stop`` ends it with its
summary. The same session the window runs: one started here is resumed there, and the other
way round.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from digestdesk.cli.errors import EXIT_OK, CliError, UsageError
from digestdesk.cli.output import print_json

if TYPE_CHECKING:
    from digestdesk.core.library import Library
    from digestdesk.core.sessions import ReadingSession


def cmd_session(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core.sessions import NoOpenSessionError

    try:
        return _session(library, args, out)
    except NoOpenSessionError:
        raise CliError(
            "No reading session is open: `digestdesk session start` starts one over the unread "
            "entries (--queue: over the queue; --query Q: over what Q matches)."
        ) from None


def _session(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core.sessions import OUTCOMES, Sessions, format_duration

    sessions = Sessions(library)
    action = args.action
    if action != "next" and args.outcome is not None:
        raise UsageError(f"session {action}: takes no outcome ({args.outcome!r})")
    if action != "start" and (args.queue or args.query):
        raise UsageError(f"session {action}: --queue and --query are for session start")
    if action == "start":
        current = sessions.current()
        if current is not None and not args.replace:
            raise CliError(
                f"A reading session is already open ({current.label or 'no label'}, at "
                f"{current.progress_text}): `digestdesk session status` shows where it stands, "
                "`session next OUTCOME` goes on, `session stop` ends it; `session start "
                "--replace` ends it and starts a new one."
            )
        if args.queue:
            session = sessions.start_queue(replace=args.replace)
        elif args.query:
            ids = library.search(args.query).ids
            if not ids:
                raise CliError(f"Nothing matches {args.query}: there is nothing to read.")
            session = sessions.start(
                ids, label=args.query, source_query=args.query, replace=args.replace
            )
        else:
            session = sessions.start_unread(replace=args.replace)
    elif action == "status":
        current = sessions.current()
        if current is None:
            if args.json:
                print_json({"session": None}, out)
            else:
                out.write("no open reading session (start one: digestdesk session start)\n")
            return EXIT_OK
        session = current
    elif action == "next":
        if args.outcome is None:
            raise UsageError(f"session next: give an outcome: {', '.join(OUTCOMES)}")
        if args.outcome not in OUTCOMES:
            raise UsageError(
                f"session next: {args.outcome!r} is not an outcome (use {', '.join(OUTCOMES)})"
            )
        session = sessions.record(args.outcome).session
    elif action == "back":
        session = sessions.back()
    else:
        summary = sessions.stop()
        if args.json:
            print_json(summary.to_json(), out)
        else:
            out.write(f"Session {summary.id} ended: {summary.text()}\n")
        return EXIT_OK
    if args.json:
        print_json(_session_json(library, session), out)
        return EXIT_OK
    label = f" ({session.label})" if session.label else ""
    left = format_duration(session.remaining_seconds)
    out.write(f"Session {session.id}{label}: {session.progress_text}, about {left} left\n")
    entry_id = session.current_entry_id
    if entry_id is None:
        out.write("  every entry is decided: digestdesk session stop shows the summary\n")
        return EXIT_OK
    detail = library.entry(entry_id)
    facts = [f"id {detail.id}"]
    if detail.arxiv_id:
        facts.append(f"arXiv:{detail.arxiv_id}")
    if detail.published:
        facts.append(detail.published.isoformat())
    if detail.votes is not None:
        facts.append(f"▲ {detail.votes}")
    out.write(f"  {detail.title}\n  {' · '.join(facts)}\n")
    abstract = " ".join(detail.abstract.split())
    if abstract:
        out.write(f"  {abstract[:400]}{'…' if len(abstract) > 400 else ''}\n")
    out.write(f"  next: digestdesk session next {'|'.join(OUTCOMES)}\n")
    return EXIT_OK


def _session_json(library: Library, session: ReadingSession) -> dict[str, Any]:
    entry_id = session.current_entry_id
    current = None
    if entry_id is not None:
        detail = library.entry(entry_id)
        current = {
            "id": detail.id,
            "arxiv_id": detail.arxiv_id,
            "title": detail.title,
            "published": detail.published.isoformat() if detail.published else None,
            "votes": detail.votes,
        }
    return {
        "session": {
            "id": session.id,
            "label": session.label,
            "source_query": session.source_query,
            "state": session.state,
            "position": session.position,
            "total": session.total,
            "decided": sum(1 for item in session.items if item.outcome is not None),
            "remaining_seconds": round(session.remaining_seconds, 1),
            "current": current,
        }
    }
