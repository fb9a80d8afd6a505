"""Commands on entries: list, search, show, related, status, tag, note, undo and redo."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import EXIT_OK, UsageError, undecodable
from digestdesk.cli.output import print_json, print_rows, show_text

if TYPE_CHECKING:
    from digestdesk.core.library import Library


def cmd_list(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    ids = library.list_ids(status=args.status, tag=args.tag, sort=args.sort, limit=args.limit)
    if args.json:
        print_json([d.to_json() for d in library.entries(ids)], out)
    else:
        print_rows(library, ids, out)
    return EXIT_OK


def cmd_search(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    query = " ".join(args.query)
    result = library.search(query, sort=args.sort, limit=args.limit)
    if args.json:
        print_json([d.to_json() for d in library.entries(result.ids)], out)
    else:
        if not result.ids:
            out.write("no matches\n")
        print_rows(library, result.ids, out, total=result.total)
    return EXIT_OK


def cmd_show(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    detail = library.entry(args.id)
    if args.json:
        print_json(detail.to_json(), out)
    else:
        show_text(detail, out)
    return EXIT_OK


def cmd_related(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    library.entry(args.id)  # an unknown id is an error, not an empty list
    matches = library.related(args.id, limit=args.limit)
    ids = [m.entry_id for m in matches]
    if args.json:
        details = {d.id: d for d in library.entries(ids)}
        print_json(
            [
                {
                    **details[m.entry_id].to_json(),
                    "score": round(m.score, 4),
                    "because": list(m.shared),
                }
                for m in matches
                if m.entry_id in details
            ],
            out,
        )
        return EXIT_OK
    if not matches:
        out.write("no similar entries\n")
    reasons = {m.entry_id: f"shares {', '.join(m.shared)}" for m in matches if m.shared}
    print_rows(library, ids, out, notes=reasons)
    return EXIT_OK


def _changed(
    library: Library, ids: Sequence[int], args: argparse.Namespace, out: TextIO, message: str
) -> int:
    if args.json:
        print_json([d.to_json() for d in library.entries(ids)], out)
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


def _read_text(stdin: TextIO) -> str:
    """All of stdin as text; a usage error when it is not UTF-8."""
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
    else:
        text = stdin.read()
        found = undecodable(text)
        if found is None:
            return text
        where = found
    raise UsageError(f"note: the text on stdin is not valid UTF-8 ({where}); nothing was changed.")


def cmd_note(library: Library, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    text = _read_text(stdin) if args.text == "-" else args.text
    library.set_note(args.id, text)
    return _changed(library, [args.id], args, out, "note saved" if text else "note removed")


def cmd_undo_redo(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    changes = library.undo() if args.command == "undo" else library.redo()
    if args.json:
        print_json({"label": changes.label, "ids": sorted(changes.entry_ids)}, out)
    else:
        out.write((changes.label or f"nothing to {args.command}") + "\n")
    return EXIT_OK
