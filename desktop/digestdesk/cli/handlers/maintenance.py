"""Commands about the library as a whole: export, stats, check and reindex."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import EXIT_FAILED, EXIT_OK, CliError, printable
from digestdesk.cli.output import ProgressBar, print_json
from digestdesk.core.drafts import STATUSES

if TYPE_CHECKING:
    from digestdesk.core.library import Library
    from digestdesk.core.library.reader import LibraryReader


def cmd_export(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core import export

    ids = library.search(args.query).ids if args.query else None
    text = export.export_text(library, args.format, ids=ids)
    if args.output:
        target = Path(args.output)
        shown = printable(args.output)
        tmp = target.with_name(target.name + ".part")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            _remove_part(tmp)
            raise CliError(
                f"Cannot write {shown}: {exc.strerror or exc}. Nothing was written there."
            ) from None
        sys.stderr.write(f"exported to {shown}\n")
    else:
        out.write(text)
    return EXIT_OK


def _remove_part(tmp: Path) -> None:
    """Never leave a half-written export behind (a read-only folder has none to remove)."""
    try:
        if tmp.exists():
            tmp.unlink()
    except OSError as exc:
        sys.stderr.write(f"digestdesk: could not remove {printable(str(tmp))}: {exc.strerror}\n")


def cmd_stats(library: LibraryReader, args: argparse.Namespace, out: TextIO) -> int:
    stats = library.stats()
    if args.json:
        print_json(stats, out)
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
    documents = stats["index_documents"]
    state = "missing or unreadable" if documents is None else f"{documents} documents"
    out.write(f"index     {stats['index']} ({state})\n")
    return EXIT_OK


def cmd_check(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    problems = library.check(deep=args.deep)
    if args.json:
        print_json({"ok": not problems, "problems": problems}, out)
    elif problems:
        for problem in problems:
            out.write(f"problem: {problem}\n")
        out.write(
            "run `digestdesk reindex` to rebuild the index from the database (any other "
            "command rebuilds a damaged index first)\n"
        )
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
