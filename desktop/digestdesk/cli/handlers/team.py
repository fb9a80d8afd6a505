"""Team library commands (a library on a PostgreSQL server shared by a reading group):
``team push --from DIR`` copies a member's own library into it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import EXIT_OK, CliError, printable
from digestdesk.cli.output import print_json

if TYPE_CHECKING:
    from digestdesk.core.library import Library

ACTIONS = ("push",)


def cmd_team(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    source = getattr(args, "from", None)
    if args.action == "push":
        if source is None:
            raise CliError("team push needs the folder of your own library: --from DIR.")
        return _push(library, source, args, out)
    raise CliError(f"Unknown team action {args.action!r}: use one of {', '.join(ACTIONS)}.")


def _push(library: Library, source: str, args: argparse.Namespace, out: TextIO) -> int:
    report = library.push_from(source)
    if args.json:
        print_json(
            {
                "from": str(source),
                "papers": report.papers,
                "new": report.new,
                "merged": report.merged,
                "state_changed": report.state_changed,
                "sessions": report.sessions,
                "sessions_there": report.sessions_there,
                "skipped": report.skipped,
            },
            out,
        )
        return EXIT_OK
    out.write(
        f"pushed {report.papers} papers from {printable(str(source))}: {report.new} new to the "
        f"team library, {report.merged} it had (your status, tags and notes merged into "
        f"{report.state_changed} of them); {report.sessions} reading sessions copied"
        + (f", {report.sessions_there} there already" if report.sessions_there else "")
        + "\n"
    )
    for problem in report.skipped:
        out.write(f"skipped: {problem}\n")
    return EXIT_OK
