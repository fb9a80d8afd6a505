"""Commands that bring entries in: import (files or stdin) and fetch (from the sources)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    CliError,
    UsageError,
    printable,
)
from digestdesk.cli.output import ProgressBar, print_json
from digestdesk.errors import DigestDeskError

if TYPE_CHECKING:
    from digestdesk.core.library import Library


def _read_input(path: str, stdin: TextIO) -> tuple[bytes, str | None]:
    if path == "-":
        buffer = getattr(stdin, "buffer", None)
        data = buffer.read() if buffer is not None else stdin.read().encode("utf-8")
        return data, None
    file_path = Path(path)
    try:
        return file_path.read_bytes(), file_path.name
    except IsADirectoryError:
        raise CliError(f"{printable(path)} is a folder; give the digest files inside it.") from None
    except OSError as exc:
        raise CliError(f"Cannot read {printable(path)}: {exc.strerror or exc}.") from None


def cmd_import(library: Library, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    from digestdesk.core.library import modified_day
    from digestdesk.core.records import ImportReport

    reports: list[ImportReport] = []
    failures: list[tuple[str, str]] = []
    for path in args.paths:
        label = "<stdin>" if path == "-" else printable(path)  # a file name may be any bytes
        bar = ProgressBar(f"Importing {Path(label).name}")
        try:
            data, name = _read_input(path, stdin)
            # Without --as-of, a saved page's year-less dates are read as of the day the file
            # was saved (its modification time); stdin has none: today.
            as_of = args.as_of
            if as_of is None and path != "-":
                as_of = modified_day(Path(path))
            # Index once after all files rather than once per file.
            report = library.import_bytes(
                data,
                name=name,
                format=args.format,
                as_of=as_of,
                as_of_source="file" if args.as_of is None and as_of is not None else None,
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
            note = report.as_of_note()
            out.write(f"{label}: {report.summary()}{f' ({note})' if note else ''}\n")
            if report.reimported:
                out.write("  imported before: that import's digest and dates were updated\n")
            for problem in report.skipped:
                out.write(f"  skipped {problem.where}: {problem.reason}\n")
    if len(args.paths) > 1:
        bar = ProgressBar("Indexing")
        library.ensure_index(progress=bar)
        bar.close()
    if args.json:
        print_json(
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


def cmd_fetch(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core import fetch

    if args.category is not None and args.source != "arxiv":
        raise UsageError("--category applies to --source arxiv.")
    try:
        days = fetch.days_to_fetch(day=args.date, since=args.since, last=args.days)
    except fetch.FetchError as exc:
        raise UsageError(exc.user_message) from None
    bar = ProgressBar(f"Fetching {len(days)} day{'s' if len(days) != 1 else ''}")

    shown: set[str] = set()

    def report_day(day: fetch.DayReport) -> None:
        if not args.json:
            bar.close()
            # A run that stopped (no network, a deadline) says why once, not once per day.
            repeated = day.error is not None and day.error in shown
            out.write(f"{day.day.isoformat()}: {day.outcome if repeated else day.summary()}\n")
            for problem in day.report.skipped if day.report is not None else ():
                out.write(f"  skipped {problem.where}: {problem.reason}\n")
            out.flush()
            if day.error is not None:
                shown.add(day.error)

    client = None
    if args.timeout is not None:
        client = fetch.HttpClient(
            cache_dir=fetch.default_cache_dir(), request_deadline=float(args.timeout)
        )
    try:
        reports = fetch.fetch_days(
            library,
            days,
            client=client,
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
        print_json({"days": [r.to_json() for r in reports]}, out)
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
