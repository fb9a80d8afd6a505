"""The argparse parser, generated from the command table, and the parsing rules argparse lacks."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from digestdesk import __version__
from digestdesk.cli.commands import (
    COMMAND_TABLE,
    COMMANDS_BY_NAME,
    DESCRIPTION,
    GLOBAL_ARGUMENTS,
    PROGRAM,
    Argument,
    ValueType,
)
from digestdesk.cli.errors import printable, undecodable


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


# argparse names a plain type in its messages ("invalid int value: 'x'"): keep ``int`` itself.
_CONVERTERS: dict[ValueType, Callable[[str], Any] | None] = {
    "text": None,
    "path": None,
    "integer": int,
    "count": _positive_int,
    "date": _date_arg,
}


def _add_argument(target: Any, argument: Argument) -> None:
    """Add one table argument to a parser or a group, passing argparse only what is set."""
    options: dict[str, Any] = {}
    if argument.flag:
        options["action"] = "store_true"
    converter = _CONVERTERS[argument.type]
    if converter is not None:
        options["type"] = converter
    for name in ("nargs", "metavar", "choices", "default", "help"):
        value = getattr(argument, name)
        if value is not None:
            options[name] = value
    target.add_argument(*argument.names, **options)


def build_parser() -> argparse.ArgumentParser:
    """The ``digestdesk`` parser: the global options and one subparser per command."""
    parser = argparse.ArgumentParser(prog=PROGRAM, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {__version__}")
    for argument in GLOBAL_ARGUMENTS:
        _add_argument(parser, argument)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMAND_TABLE:
        command_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        groups: dict[str, Any] = {}
        for argument in command.arguments:
            target: Any = command_parser
            if argument.exclusive is not None:
                if argument.exclusive not in groups:
                    groups[argument.exclusive] = command_parser.add_mutually_exclusive_group()
                target = groups[argument.exclusive]
            _add_argument(target, argument)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv``; a usage error (or ``--help``) raises SystemExit as argparse does.

    Words starting with "-" that no option claims are values of a command's ``dash_words``
    argument ("tag 7 -draft"); anywhere else they are unrecognised arguments.
    """
    args, unknown = parser.parse_known_args(list(argv))
    command = COMMANDS_BY_NAME.get(args.command) if args.command else None
    arguments = command.arguments if command is not None else ()
    dash = next((a for a in arguments if a.dash_words), None)
    if unknown and dash is not None and all(u.startswith("-") for u in unknown):
        setattr(args, dash.dest, [*getattr(args, dash.dest), *unknown])
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    for argument in arguments:
        if argument.empty_error and not getattr(args, argument.dest):
            parser.error(argument.empty_error)
    _refuse_undecodable(parser, args, (*GLOBAL_ARGUMENTS, *arguments))
    return args


def _label(argument: Argument) -> str:
    if not argument.positional:
        return next((n for n in argument.names if n.startswith("--")), argument.names[0])
    return argument.metavar or argument.dest.upper()


def _refuse_undecodable(
    parser: argparse.ArgumentParser, args: argparse.Namespace, arguments: Sequence[Argument]
) -> None:
    """A usage error for a text argument that is not valid UTF-8 (paths may be any bytes)."""
    for argument in arguments:
        if argument.type != "text":
            continue
        value = getattr(args, argument.dest, None)
        for text in value if isinstance(value, list) else [value]:
            where = undecodable(text) if isinstance(text, str) else None
            if isinstance(text, str) and where is not None:
                command = f"{args.command} " if args.command else ""
                parser.error(
                    f"{command}{_label(argument)}: '{printable(text)}' is not valid UTF-8"
                    f" ({where}); give text in UTF-8"
                )
