"""Team library commands (a library on a PostgreSQL server shared by a reading group):
``team init`` makes it one, ``team add ROLE`` lets a member in, ``team members`` lists them,
``team push --from DIR`` copies a member's own library into it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.commands import TEAM_ACTIONS
from digestdesk.cli.errors import EXIT_OK, CliError, printable
from digestdesk.cli.output import print_json

if TYPE_CHECKING:
    from digestdesk.core.library import Library


def cmd_team(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    source = getattr(args, "from", None)
    role = getattr(args, "role", None)
    if args.action != "add" and role is not None:
        raise CliError(f"team {args.action} takes no role (only team add ROLE does).")
    if args.action == "push":
        if source is None:
            raise CliError("team push needs the folder of your own library: --from DIR.")
        return _push(library, source, args, out)
    if source is not None:
        raise CliError("--from is for team push.")
    if args.action == "init":
        return _init(library, args, out)
    if args.action == "add":
        if not role:
            raise CliError(
                "team add needs the role to let in: team add ROLE (made first by an "
                "administrator with CREATE ROLE name LOGIN)."
            )
        return _add(library, role, args, out)
    if args.action == "members":
        return _members(library, args, out)
    raise CliError(f"Unknown team action {args.action!r}: use one of {', '.join(TEAM_ACTIONS)}.")


def _init(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    report = library.team.init()
    if args.json:
        print_json({"team": True, "already": report.already, "you": report.you}, out)
        return EXIT_OK
    if report.already:
        out.write("this was a team library already: its policies and views are up to date\n")
    else:
        out.write(
            f"this library is now a team library; its reading state until now is {report.you}'s."
            " Let members in with: digestdesk team add ROLE\n"
        )
    return EXIT_OK


def _add(library: Library, role: str, args: argparse.Namespace, out: TextIO) -> int:
    warning = library.team.add(role)
    if args.json:
        print_json({"added": role, "warning": warning}, out)
        return EXIT_OK
    out.write(f"{printable(role)} may now read and write this team library\n")
    if warning:
        out.write(f"warning: {warning}\n")
    return EXIT_OK


def _members(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    names = library.team.members()
    if args.json:
        print_json({"members": names}, out)
        return EXIT_OK
    for name in names:
        out.write(f"{printable(name)}\n")
    return EXIT_OK


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
