"""Commands on entries: list, search, show, related, recommend, status, tag, note, undo, redo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from digestdesk.cli.errors import EXIT_OK, CliError, UsageError, undecodable
from digestdesk.cli.output import print_json, print_rows, show_text

if TYPE_CHECKING:
    from digestdesk.core.library import Library
    from digestdesk.core.library.reader import LibraryReader


def cmd_list(library: LibraryReader, args: argparse.Namespace, out: TextIO) -> int:
    ids = library.list_ids(status=args.status, tag=args.tag, sort=args.sort, limit=args.limit)
    if args.json:
        print_json([d.to_json() for d in library.entries(ids)], out)
    else:
        print_rows(library, ids, out)
    return EXIT_OK


def cmd_search(library: LibraryReader, args: argparse.Namespace, out: TextIO) -> int:
    query = " ".join(args.query)
    result = library.search(query, sort=args.sort, limit=args.limit)
    if result.for_you_fell_back:
        from digestdesk.core.records import FOR_YOU_FELL_BACK

        sys.stderr.write(
            f"digestdesk: note: {FOR_YOU_FELL_BACK} (`digestdesk recommend` says how much more).\n"
        )
    if args.json:
        print_json([d.to_json() for d in library.entries(result.ids)], out)
    else:
        if not result.ids:
            out.write("no matches\n")
        print_rows(library, result.ids, out, total=result.total)
    return EXIT_OK


def cmd_show(library: LibraryReader, args: argparse.Namespace, out: TextIO) -> int:
    detail = library.entry(args.id)
    team = getattr(library, "team", None)  # a server's library: what the other members did
    if team is not None:
        (detail,) = team.attach([detail])
    if args.json:
        print_json(detail.to_json(), out)
    else:
        show_text(detail, out)
    return EXIT_OK


def _print_records(
    library: Library, ids: Sequence[int], extras: dict[int, dict[str, object]], out: TextIO
) -> None:
    """Entry records in the order of ``ids``, each with its extra fields (score, why)."""
    details = {d.id: d for d in library.entries(ids)}
    print_json([{**details[i].to_json(), **extras[i]} for i in ids if i in details], out)


def cmd_related(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    library.entry(args.id)  # an unknown id is an error, not an empty list
    matches = library.related(args.id, limit=args.limit)
    ids = [m.entry_id for m in matches]
    if args.json:
        extras = {
            m.entry_id: {"score": round(m.score, 4), "because": list(m.shared)} for m in matches
        }
        _print_records(library, ids, extras, out)
        return EXIT_OK
    if not matches:
        out.write("no similar entries\n")
    reasons = {m.entry_id: f"shares {', '.join(m.shared)}" for m in matches if m.shared}
    print_rows(library, ids, out, notes=reasons)
    return EXIT_OK


def cmd_recommend(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    # Here, not at the top: `search` and `show` run from this module too and must not pay for
    # the similarity model (tests/core/test_plain_reads.py).
    from digestdesk.core.similarity import NotEnoughTriage

    tag = library.normalize_tag(args.tag) if args.tag else None
    if tag is not None:
        tags = [name for name, _count in library.all_tags()]
        if tag not in tags:
            shown = ", ".join(tags[:12]) + (", ..." if len(tags) > 12 else "")
            raise CliError(
                f"No paper is tagged {tag}: recommendations for a tag learn from its papers"
                + (f" (the tags: {shown})" if tags else " (no paper has a tag yet)")
                + f". `digestdesk tag ID +{tag}` tags one."
            )
    found = library.recommend(tag=tag, query=args.query, limit=args.limit)
    if isinstance(found, NotEnoughTriage):
        raise CliError(found.message)
    ids = [r.entry_id for r in found]
    if args.json:
        extras = {
            r.entry_id: {
                "score": round(r.score, 4),
                "because": list(r.because),
                "resembles": list(r.resembles),
            }
            for r in found
        }
        _print_records(library, ids, extras, out)
        return EXIT_OK
    if not found:
        out.write("no unread papers to recommend\n")
    titles = {
        i: row.title for i, row in library.rows([i for r in found for i in r.resembles]).items()
    }
    notes = {}
    for r in found:
        why = [f"score {r.score:.2f}"]
        if r.because:
            why.append(f"because {', '.join(r.because)}")
        if r.resembles:
            why.append("like " + "; ".join(f"{titles.get(i, i)} ({i})" for i in r.resembles))
        notes[r.entry_id] = " · ".join(why)
    print_rows(library, ids, out, notes=notes)
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
    both = sorted(
        {library.normalize_tag(t) for t in add} & {library.normalize_tag(t) for t in remove}
    )
    if both:
        raise UsageError(
            f"tag: +{both[0]} and -{both[0]} both name the tag {both[0]!r}: give one; "
            "nothing was changed."
        )
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
    # From stdin the final newline that `echo` and editors add is not part of the note (as the
    # shell's $(...) drops it); the lines before it are kept as they are.
    text = args.text
    if text == "-":
        text = _read_text(stdin)
        if not text:
            # A command that failed before the pipe (`cat missing.txt | ...`) gives nothing:
            # that is not a wish to remove the note, which no undo brings back.
            raise CliError(
                f"note: stdin is empty; the note was not changed. To remove it: "
                f"digestdesk note {args.id} ''"
            )
        text = text.removesuffix("\n").removesuffix("\r")
    shared: bool | None = None  # unchanged unless --shared or --private says
    if args.shared or args.private:
        shared = bool(args.shared)
    if shared is not None and not text:
        raise CliError("note: --shared and --private are for a note; '' removes it.")
    library.set_note(args.id, text)
    said = "note saved" if text else "note removed"
    if shared is not None:
        library.team.share_note(args.id, shared)
        said = "note saved, shared with the team" if shared else "note saved, private"
    return _changed(library, [args.id], args, out, said)


def cmd_undo_redo(library: Library, args: argparse.Namespace, out: TextIO) -> int:
    changes = library.undo() if args.command == "undo" else library.redo()
    if args.json:
        print_json({"label": changes.label, "ids": sorted(changes.entry_ids)}, out)
    else:
        out.write((changes.label or f"nothing to {args.command}") + "\n")
    return EXIT_OK
