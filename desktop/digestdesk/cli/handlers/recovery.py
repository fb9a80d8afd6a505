"""``digestdesk recover``: copy what can be read from a damaged library into a new one.

It works on the library's files, not on an opened library (a damaged one does not open), so its
handler takes the library's paths. Exit codes: 0 everything was copied; 3 a new library was
made but some rows could not be read (listed); 1 nothing could be done (a message says why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from digestdesk.cli.errors import EXIT_OK, EXIT_PARTIAL
from digestdesk.cli.output import print_json
from digestdesk.errors import LibraryLockedError
from digestdesk.paths import LibraryPaths


def cmd_recover(paths: LibraryPaths, args: argparse.Namespace, out: TextIO) -> int:
    from digestdesk.core import recovery
    from digestdesk.core.storage_problems import library_folder_problem
    from digestdesk.core.store import WriterLock

    problem = library_folder_problem(paths)
    if problem is not None:
        raise problem

    target = Path(args.to) if args.to else recovery.default_target(paths)
    lock = WriterLock(paths.lock_file)
    held = True
    try:
        lock.acquire()  # nobody writes the damaged file while it is copied
    except LibraryLockedError:
        raise
    except OSError:
        held = False  # a read-only folder: nobody can write it either

    def say(text: str) -> None:
        sys.stderr.write(f"recover: {text}\n")

    try:
        report = recovery.recover(
            paths, target, method=args.method, progress=None if args.json else say
        )
    finally:
        if held:
            lock.release()
    if args.json:
        print_json(report.to_json(), out)
        return EXIT_OK if report.complete else EXIT_PARTIAL
    out.write(f"recovered {report.source}\n     into {report.target}  (method: {report.method})\n")
    if report.header_repaired:
        out.write(f"repaired in the copy's header: {', '.join(report.header_repaired)}\n")
    for table in report.tables:
        out.write(f"  {table.describe()}\n")
    if report.orphans:
        out.write(f"  {report.orphans} rows were found whose table could not be told; not copied\n")
    out.write(
        (
            "everything that was in the library was copied.\n"
            if report.complete
            else "some rows could not be read (above); everything else was copied.\n"
        )
        + f"The damaged file was left as it was. Open the new library with "
        f"`digestdesk --library {report.target} list`; to use it in place of the damaged one, "
        f"close Digest Desk, move {report.source} aside and move "
        f"{report.target / report.source.name} to its place.\n"
    )
    return EXIT_OK if report.complete else EXIT_PARTIAL
