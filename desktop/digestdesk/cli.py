"""Headless commands: import, list, search, show, status, tag, note, export, stats, check, reindex.

This is a public interface that users' scripts rely on: commands, flags, ``--json`` fields and
exit codes are only ever extended. Exit codes: 0 success; 1 refused or failed (a message on
stderr, no traceback); 2 usage; 3 partial import (some entries skipped, the rest imported).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from digestdesk import __version__
from digestdesk.core.drafts import STATUSES
from digestdesk.core.library import Library
from digestdesk.errors import DigestDeskError
from digestdesk.paths import resolve_library

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
COMMANDS = (
    "import",
    "list",
    "search",
    "show",
    "status",
    "tag",
    "note",
    "export",
    "stats",
    "check",
    "reindex",
    "undo",
    "redo",
    "fetch",
    "trends",
    "sessions",
)


# The registry's names (a test keeps them equal); importing the parsers here would slow every
# command down.
FORMAT_NAMES = ("digestdesk", "hf-json", "arxiv", "hf-page")


class CliError(DigestDeskError):
    pass


class UsageError(DigestDeskError):
    exit_code = EXIT_USAGE


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestdesk",
        description="Digest Desk: a keyboard-driven reading manager for research-paper digests. "
        "Without a command it opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"digestdesk {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help="keep the database and the index in DIR (default: the user data dir; "
        "also DIGESTDESK_LIBRARY)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str, *, json_flag: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    p = add("import", "import digest files (- reads stdin)", json_flag=True)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--as-of",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="resolve year-less dates in page text against this day (default: today)",
    )
    p.add_argument(
        "--format",
        default="auto",
        choices=["auto", *FORMAT_NAMES],
        help="the input format (default: detect it)",
    )

    p = add("list", "list entries, newest first", json_flag=True)
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--tag")
    p.add_argument("--sort", choices=["date", "votes", "title", "added"], default="date")
    p.add_argument("--limit", type=_positive_int)

    p = add("search", "search with the query language (see the README)", json_flag=True)
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.add_argument("--sort", choices=["relevance", "date", "votes"])

    p = add("show", "show one entry", json_flag=True)
    p.add_argument("id", type=int)

    p = add("status", "set the reading status of entries", json_flag=True)
    p.add_argument("ids", type=int, nargs="+", metavar="ID")
    p.add_argument("status", choices=STATUSES)

    p = add("tag", "add (+T) or remove (-T) tags", json_flag=True)
    p.add_argument("id", type=int)
    # "-T" looks like an option to argparse; run() hands unknown "-..." words back as changes.
    p.add_argument("changes", nargs="*", metavar="+T|-T")

    p = add("note", "set an entry's note (- reads stdin; empty text removes it)", json_flag=True)
    p.add_argument("id", type=int)
    p.add_argument("text")

    p = add("export", "export the library (or a query's matches)")
    p.add_argument("--format", choices=["json", "bibtex", "csv", "markdown"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    p.add_argument("--query", help="export only what this query matches")

    add("stats", "library statistics", json_flag=True)
    add("check", "check that the database and the search index agree", json_flag=True)
    add("reindex", "rebuild the search index from the database")
    add("undo", "undo the last status or tag change", json_flag=True)
    add("redo", "redo the last undone change", json_flag=True)

    p = add("trends", "rising topics, most voted, repositories, your reading", json_flag=True)
    p.add_argument("--window", default="30d", choices=["7d", "30d", "90d", "365d"])
    p.add_argument("--as-of", type=_date_arg, metavar="YYYY-MM-DD", help="default: today")
    p.add_argument("--by", choices=["published", "digest"], default="published")
    p.add_argument("--query", help="trends within what this query matches")
    p.add_argument("--limit", type=_positive_int, default=20, help="rising topics to show")

    p = add("sessions", "list reading sessions, newest first", json_flag=True)
    p.add_argument("--limit", type=_positive_int)

    p = add(
        "fetch",
        "fetch digests from Hugging Face daily papers or the arXiv API (default: today, UTC)",
        json_flag=True,
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument("--date", type=_date_arg, metavar="YYYY-MM-DD", help="fetch this day")
    when.add_argument(
        "--since", type=_date_arg, metavar="YYYY-MM-DD", help="fetch each day from it to today"
    )
    when.add_argument(
        "--days", type=_positive_int, metavar="N", help="fetch the last N days, today included"
    )
    p.add_argument(
        "--source",
        choices=["hf", "arxiv"],
        default="hf",
        help="hf: Hugging Face daily papers (HF_ENDPOINT); arxiv: arXiv API listings",
    )
    p.add_argument(
        "--category", metavar="CAT", help="the arXiv category (default cs.LG; --source arxiv)"
    )
    p.add_argument(
        "--refresh",
        action="store_true",
        help="fetch days already fetched again (records new vote snapshots)",
    )
    return parser


class ProgressBar:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, label: str, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.stream = stream
        self.enabled = stream.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        if total:
            width = 30
            filled = int(width * done / total)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        else:
            self.stream.write(f"\r{self.label} {done}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _print_json(value: Any, out: TextIO) -> None:
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _print_rows(
    library: Library, ids: Sequence[int], out: TextIO, total: int | None = None
) -> None:
    rows = library.rows(ids)
    for entry_id in ids:
        row = rows[entry_id]
        published = row.published.isoformat() if row.published else "    -     "
        votes = "" if row.votes is None else str(row.votes)
        marks = ("</>" if row.has_code else "   ") + (" ✎" if row.has_note else "  ")
        tags = f"  [{', '.join(row.tags)}]" if row.tags else ""
        out.write(
            f"{row.id:>6}  {row.status:<7}  {published}  {votes:>4}  {marks}  {row.title}{tags}\n"
        )
    if total is not None and total > len(ids):
        out.write(f"({len(ids)} of {total} shown; use --limit)\n")


def _show_text(detail: Any, out: TextIO) -> None:
    out.write(f"{detail.title}\n")
    if detail.authors:
        out.write(f"{', '.join(detail.authors)}\n")
    elif detail.authors_count:
        out.write(f"{detail.authors_count} authors\n")
    facts = [f"id {detail.id}", detail.status]
    if detail.arxiv_id:
        facts.append(f"arXiv {detail.arxiv_id}")
    if detail.published:
        inferred = " (year inferred)" if detail.published_year_inferred else ""
        facts.append(f"published {detail.published.isoformat()}{inferred}")
    if detail.votes is not None:
        facts.append(f"{detail.votes} votes")
    out.write(" · ".join(facts) + "\n")
    if detail.digests:
        out.write("digests: " + ", ".join(d.isoformat() for d in detail.digests) + "\n")
    if detail.tags:
        out.write("tags: " + ", ".join(detail.tags) + "\n")
    out.write("\n" + detail.abstract + "\n")
    if detail.ai_summary:
        out.write(f"\nAI summary: {detail.ai_summary}\n")
    if detail.ai_keywords:
        out.write("keywords: " + ", ".join(detail.ai_keywords) + "\n")
    if detail.links:
        out.write("\n")
        for link in detail.links:
            out.write(f"  {link.kind:<8} {link.url}\n")
    if detail.note:
        out.write(f"\nnote:\n{detail.note}\n")


def _read_input(path: str, stdin: TextIO) -> tuple[bytes, str | None]:
    if path == "-":
        buffer = getattr(stdin, "buffer", None)
        data = buffer.read() if buffer is not None else stdin.read().encode("utf-8")
        return data, None
    file_path = Path(path)
    try:
        return file_path.read_bytes(), file_path.name
    except IsADirectoryError:
        raise CliError(f"{path} is a folder; give the digest files inside it.") from None
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror or exc}.") from None


def cmd_import(library: Library, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from digestdesk.core.records import ImportReport

    reports: list[ImportReport] = []
    failures: list[tuple[str, str]] = []
    for path in args.paths:
        label = "<stdin>" if path == "-" else path
        bar = ProgressBar(f"Importing {Path(label).name}")
        try:
            data, name = _read_input(path, stdin)
            # Index once after all files rather than once per file.
            report = library.import_bytes(
                data,
                name=name,
                format=args.format,
                as_of=args.as_of,
                progress=bar,
                index=len(args.paths) == 1,
            )
            report.source = label
        except DigestDeskError as exc:
            bar.close()
            failures.append((label, exc.user_message))
            sys.stderr.write(f"digestdesk: {label}: {exc.user_message}\n")
            continue
        bar.close()
        reports.append(report)
        if not args.json:
            as_of = (
                f" (year-less dates read as of {report.as_of.isoformat()})"
                if report.as_of and report.format == "hf-page"
                else ""
            )
            out.write(f"{label}: {report.summary()}{as_of}\n")
            for problem in report.skipped:
                out.write(f"  skipped {problem.where}: {problem.reason}\n")
    if len(args.paths) > 1:
        bar = ProgressBar("Indexing")
        library.ensure_index(progress=bar)
        bar.close()
    if args.json:
        _print_json(
            {
                "imports": [r.to_json() for r in reports],
                "failed": [{"source": s, "error": m} for s, m in failures],
            },
            out,
        )
    elif len(reports) > 1:
        new = sum(r.new for r in reports)
        updated = sum(r.updated for r in reports)
        unchanged = sum(r.unchanged for r in reports)
        skipped = sum(len(r.skipped) for r in reports)
        out.write(
            f"total: {new} new, {updated} updated, {unchanged} unchanged, {skipped} skipped"
            f" in {len(reports)} files\n"
        )
    if failures:
        return EXIT_FAILED
    if any(r.skipped for r in reports):
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_list(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    ids = library.list_ids(status=args.status, tag=args.tag, sort=args.sort, limit=args.limit)
    if args.json:
        _print_json([d.to_json() for d in library.entries(ids)], out)
    else:
        _print_rows(library, ids, out)
    return EXIT_OK


def cmd_search(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    query = " ".join(args.query)
    result = library.search(query, sort=args.sort, limit=args.limit)
    if args.json:
        _print_json([d.to_json() for d in library.entries(result.ids)], out)
    else:
        if not result.ids:
            out.write("no matches\n")
        _print_rows(library, result.ids, out, total=result.total)
    return EXIT_OK


def cmd_show(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    detail = library.entry(args.id)
    if args.json:
        _print_json(detail.to_json(), out)
    else:
        _show_text(detail, out)
    return EXIT_OK


def _changed(
    library: Library, ids: Sequence[int], args: argparse.Namespace, out: TextIO, message: str
) -> int:
    if args.json:
        _print_json([d.to_json() for d in library.entries(ids)], out)
    else:
        out.write(message + "\n")
    return EXIT_OK


def cmd_status(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    changes = library.set_status(args.ids, args.status)
    count = len(changes.entry_ids)
    return _changed(
        library,
        args.ids,
        args,
        out,
        f"{count} marked {args.status}" if count else "nothing changed",
    )


def cmd_tag(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    add, remove = [], []
    for change in args.changes:
        if change.startswith("+") and len(change) > 1:
            add.append(change[1:])
        elif change.startswith("-") and len(change) > 1:
            remove.append(change[1:])
        else:
            raise UsageError(f"{change!r}: write +TAG to add or -TAG to remove a tag.")
    library.change_tags([args.id], add=add, remove=remove)
    detail = library.entry(args.id)
    return _changed(library, [args.id], args, out, "tags: " + (", ".join(detail.tags) or "none"))


def cmd_note(library: Library, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    text = stdin.read() if args.text == "-" else args.text
    library.set_note(args.id, text)
    return _changed(library, [args.id], args, out, "note saved" if text else "note removed")


def cmd_export(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core import export

    ids = library.search(args.query).ids if args.query else None
    text = export.export_text(library, args.format, ids=ids)
    if args.output:
        target = Path(args.output)
        tmp = target.with_name(target.name + ".part")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            raise CliError(f"Cannot write {target}: {exc.strerror or exc}.") from None
        sys.stderr.write(f"exported to {target}\n")
    else:
        out.write(text)
    return EXIT_OK


def cmd_stats(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    stats = library.stats()
    if args.json:
        _print_json(stats, out)
        return EXIT_OK
    counts = stats["entries"]
    out.write(f"library   {stats['library']}\n")
    out.write(
        f"entries   {counts['total']}  (" + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + ")\n"
    )
    out.write(f"digests   {stats['digests']}  (last {stats['last_digest'] or '-'})\n")
    out.write(f"published {stats['published_from'] or '-'} .. {stats['published_to'] or '-'}\n")
    out.write(
        f"with code {stats['with_code']}, with notes {stats['with_notes']}, tags {stats['tags']}\n"
    )
    out.write(f"index     {stats['index']} ({stats['index_documents']} documents)\n")
    return EXIT_OK


def cmd_check(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    problems = library.check()
    if args.json:
        _print_json({"ok": not problems, "problems": problems}, out)
    elif problems:
        for problem in problems:
            out.write(f"problem: {problem}\n")
        out.write("run `digestdesk reindex` to rebuild the index from the database\n")
    else:
        out.write("ok: the database and the search index agree\n")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_reindex(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    bar = ProgressBar("Indexing")
    started = time.perf_counter()
    library.rebuild_index(progress=bar)
    bar.close()
    out.write(
        f"indexed {library.counts()['total']} entries in {time.perf_counter() - started:.1f} s\n"
    )
    return EXIT_OK


def cmd_fetch(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core import fetch

    if args.category is not None and args.source != "arxiv":
        raise UsageError("--category applies to --source arxiv.")
    try:
        days = fetch.days_to_fetch(day=args.date, since=args.since, last=args.days)
    except fetch.FetchError as exc:
        raise UsageError(exc.user_message) from None
    bar = ProgressBar(f"Fetching {len(days)} day{'s' if len(days) != 1 else ''}")

    def report_day(day: fetch.DayReport) -> None:
        if not args.json:
            bar.close()
            out.write(f"{day.day.isoformat()}: {day.summary()}\n")
            out.flush()

    try:
        reports = fetch.fetch_days(
            library,
            days,
            source=args.source,
            category=args.category or fetch.DEFAULT_CATEGORY,
            refresh=args.refresh,
            progress=bar,
            on_day=report_day,
            index=False,
        )
    finally:
        bar.close()
    bar = ProgressBar("Indexing")
    library.ensure_index(progress=bar)
    bar.close()
    if args.json:
        _print_json({"days": [r.to_json() for r in reports]}, out)
    elif len(reports) > 1:
        imported = [r.report for r in reports if r.report is not None]
        out.write(
            f"total: {sum(r.new for r in imported)} new, {sum(r.updated for r in imported)} "
            f"updated, {sum(r.unchanged for r in imported)} unchanged in {len(imported)} "
            f"of {len(reports)} days\n"
        )
    if any(r.failed for r in reports):
        return EXIT_FAILED
    if any(r.report is not None and r.report.skipped for r in reports):
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_undo_redo(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    changes = library.undo() if args.command == "undo" else library.redo()
    if args.json:
        _print_json({"label": changes.label, "ids": sorted(changes.entry_ids)}, out)
    else:
        out.write((changes.label or f"nothing to {args.command}") + "\n")
    return EXIT_OK


_SPARKS = "▁▂▃▄▅▆▇█"


def _sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if not top:
        return _SPARKS[0] * len(values)
    return "".join(_SPARKS[round(v / top * (len(_SPARKS) - 1))] for v in values)


def cmd_trends(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core.trends import Trends

    ids = library.search(args.query).ids if args.query else None
    report = Trends(library).report(
        window=args.window, by=args.by, as_of=args.as_of, ids=ids, limit=args.limit
    )
    if args.json:
        _print_json(report.to_json(), out)
        return EXIT_OK
    within = f" within {args.query!r}" if args.query else ""
    out.write(
        f"Rising topics{within}, {report.window_days} days to {report.as_of.isoformat()} by "
        f"{report.by} date ({report.entries} entries; {report.previous_entries} in the "
        f"{report.window_days} days before):\n"
    )
    if not report.rising:
        out.write("  nothing rises clearly in this window\n")
    width = max((len(t.term) for t in report.rising), default=0)
    for term in report.rising:
        out.write(
            f"  {term.term:<{width}}  {_sparkline(term.sparkline)}  {term.explanation}"
            f"  (score {term.score:.1f})\n"
        )
    if report.most_voted:
        out.write("\nMost voted:\n")
        for entry in report.most_voted:
            out.write(f"  {entry.votes:>5}  {entry.title}  (id {entry.id}, {entry.day})\n")
    if report.top_repositories:
        out.write("\nMost starred code:\n")
        for repo in report.top_repositories:
            out.write(f"  {repo.stars:>6}★  {repo.url}  (id {repo.entry_id})\n")
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
        _print_json([s.to_json() for s in summaries], out)
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


READ_ONLY = {"list", "search", "show", "export", "stats", "trends", "sessions"}


def run(argv: Sequence[str], *, out: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run one command; returns the exit code. Expected problems print a message, no traceback."""
    out = out or sys.stdout
    stdin = stdin or sys.stdin
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(list(argv))
        if unknown and args.command == "tag" and all(u.startswith("-") for u in unknown):
            args.changes = [*args.changes, *unknown]
        elif unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.command == "tag" and not args.changes:
            parser.error("tag: give at least one +TAG or -TAG")
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(out)
        return EXIT_OK
    handlers: dict[str, Callable[..., int]] = {
        "list": cmd_list,
        "search": cmd_search,
        "show": cmd_show,
        "status": cmd_status,
        "tag": cmd_tag,
        "export": cmd_export,
        "stats": cmd_stats,
        "check": cmd_check,
        "reindex": cmd_reindex,
        "undo": cmd_undo_redo,
        "redo": cmd_undo_redo,
        "trends": cmd_trends,
        "sessions": cmd_sessions,
        "fetch": cmd_fetch,
    }
    try:
        paths = resolve_library(args.library)
        # Readers do not take the writer lock, so they work while the app has the library open;
        # they only repair the index when nobody else is writing.
        writer = args.command not in READ_ONLY
        # `check` reports what it finds; every other command repairs the index first.
        library = _open(paths, writer=writer, repair=args.command != "check")
        try:
            if args.command == "import":
                return cmd_import(library, args, out, stdin)
            if args.command == "note":
                return cmd_note(library, args, out, stdin)
            return handlers[args.command](library, args, out)
        finally:
            library.close()
    except DigestDeskError as exc:
        sys.stderr.write(f"digestdesk: {exc.user_message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("digestdesk: interrupted; nothing was half-written.\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`digestdesk list | head`): not an error. Point stdout at
        # devnull so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _open(paths: Any, *, writer: bool, repair: bool = True) -> Library:
    from digestdesk.errors import LibraryLockedError

    if writer:
        return Library.open(
            paths, writer=True, repair_index=repair, progress=ProgressBar("Repairing the index")
        )
    library = Library.open(paths, writer=False)
    if library.index_status() != "ok":
        # Repair the index if no other process is writing; otherwise read what is there.
        library.close()
        try:
            repaired = Library.open(paths, writer=True, progress=ProgressBar("Repairing the index"))
        except LibraryLockedError:
            return Library.open(paths, writer=False)
        return repaired
    return library


def main(argv: Sequence[str] | None = None) -> int:
    return run(sys.argv[1:] if argv is None else argv)
