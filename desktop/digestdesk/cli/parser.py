"""The argparse parser, generated from the command table, and the parsing rules argparse lacks."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, NoReturn

from digestdesk import __version__
from digestdesk.cli.commands import (
    COMMAND_TABLE,
    COMMANDS_BY_NAME,
    DESCRIPTION,
    GLOBAL_ARGUMENTS,
    PROGRAM,
    Argument,
    Command,
    ValueType,
)
from digestdesk.cli.errors import printable, undecodable


def _date_arg(text: str) -> date:
    from digestdesk.core.validation import YEAR_MAX, YEAR_MIN

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside the years {YEAR_MIN} to {YEAR_MAX}, the dates entries have"
        )
    return day


def _not_too_large(text: str, value: int, what: str) -> int:
    from digestdesk.core.validation import INT_MAX  # what every integer column holds

    if value > INT_MAX:
        raise argparse.ArgumentTypeError(f"{text.strip()!r} is too large {what}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return _not_too_large(text, value, "(at most 2147483647)")


def _entry_ref(text: str) -> int | str:
    """An entry's id (a whole number) or an arXiv id, versionless (resolved once the library
    is open: :func:`digestdesk.cli.runner.resolve_entry_refs`)."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        return _not_too_large(text, int(stripped), "to be an entry id")
    from digestdesk.core.links import normalize_arxiv_id  # its patterns cost --help 20 ms

    arxiv_id = normalize_arxiv_id(stripped)
    if arxiv_id is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an entry id (a number; `digestdesk list` shows them) nor an "
            "arXiv id (such as 2608.17253, 2608.17253v2, arXiv:2608.17253 or hep-th/9901001)"
        )
    return arxiv_id


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """ "; did you mean 'x'?" for the candidate closest to a mistyped ``word``, else ""."""
    import difflib  # only when something was mistyped

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _one_of(choices: Sequence[str]) -> Callable[[str], str]:
    """A value among ``choices``; a mistyped one is refused with the closest as a suggestion."""

    def convert(text: str) -> str:
        if text in choices:
            return text
        raise argparse.ArgumentTypeError(
            f"{text!r} is not one of {', '.join(choices)}{did_you_mean(text, choices)}"
        )

    return convert


# argparse names a plain type in its messages ("invalid int value: 'x'"): keep ``int`` itself.
_CONVERTERS: dict[ValueType, Callable[[str], Any] | None] = {
    "text": None,
    "path": None,
    "integer": int,
    "count": _positive_int,
    "date": _date_arg,
    "entry": _entry_ref,
}


def _add_argument(target: Any, argument: Argument, *, default: object = None) -> None:
    """Add one table argument to a parser or a group, passing argparse only what is set
    (``default`` overrides the table's: ``argparse.SUPPRESS`` for a global option repeated
    after the command, so that it only counts where it is given)."""
    options: dict[str, Any] = {}
    if argument.flag:
        options["action"] = "store_true"
    converter = _CONVERTERS[argument.type]
    if converter is None and argument.choices is not None:
        converter = _one_of(argument.choices)
    if converter is not None:
        options["type"] = converter
    for name in ("nargs", "metavar", "choices", "default", "help"):
        value = getattr(argument, name)
        if value is not None:
            options[name] = value
    if default is not None:
        options["default"] = default
    target.add_argument(*argument.names, **options)


class _Reparse(Exception):
    """A command's own parser met help, ``--version`` or a usage error."""


class _CommandParser(argparse.ArgumentParser):
    """The parser with one command's subparser alone. It prints nothing and never exits:
    help, ``--version`` and usage errors are answered by the whole parser, as they always
    were (the top-level help and an invalid choice list every command), and argparse may
    take a word for another command than the one :func:`command_word` found ("--lib
    search list": --library's value, abbreviated, then the command)."""

    def _print_message(self, message: str, file: object = None) -> None:
        raise _Reparse

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _Reparse

    def error(self, message: str) -> NoReturn:
        raise _Reparse


def build_parser(only: Command | None = None) -> argparse.ArgumentParser:
    """The ``digestdesk`` parser: the global options and one subparser per command (``only``:
    that command's alone, all that parsing its arguments needs, and quiet: see
    :class:`_CommandParser`)."""
    parser_class = argparse.ArgumentParser if only is None else _CommandParser
    parser = parser_class(prog=PROGRAM, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {__version__}")
    for argument in GLOBAL_ARGUMENTS:
        _add_argument(parser, argument)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMAND_TABLE if only is None else (only,):
        command_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        groups: dict[str, Any] = {}
        for argument in command.arguments:
            target: Any = command_parser
            if argument.exclusive is not None:
                if argument.exclusive not in groups:
                    groups[argument.exclusive] = command_parser.add_mutually_exclusive_group()
                target = groups[argument.exclusive]
            _add_argument(target, argument)
        for argument in GLOBAL_ARGUMENTS:  # `digestdesk stats --library DIR` works too
            _add_argument(command_parser, argument, default=argparse.SUPPRESS)
    return parser


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser to try first for ``argv``: a command's own when ``argv`` names one
    (argparse makes a parser per command: a third of what ``digestdesk search`` does once
    its modules are loaded), the whole one otherwise (no command, an unknown one)."""
    word = command_word(argv)
    return build_parser(COMMANDS_BY_NAME.get(word) if word is not None else None)


def parse_command_line(argv: Sequence[str]) -> argparse.Namespace:
    """:func:`parse_arguments` with the parser :func:`parser_for` gives, and with the whole
    parser when that one stops (help, a usage error): the same result and the same messages
    as the whole parser's, which a clean parse only builds in those cases."""
    parser = parser_for(argv)
    if isinstance(parser, _CommandParser):
        try:
            return parse_arguments(parser, argv)
        except _Reparse:
            parser = build_parser()
    return parse_arguments(parser, argv)


def _option_names(arguments: Iterable[Argument]) -> list[str]:
    return [name for argument in arguments for name in argument.names if name.startswith("-")]


def command_word(argv: Sequence[str]) -> str | None:
    """The first word that is neither an option nor a global option's value: the command."""
    takes_value = {n for n in _option_names(GLOBAL_ARGUMENTS) if not _flag(n, GLOBAL_ARGUMENTS)}
    top_level = ["--help", "--version", *_option_names(GLOBAL_ARGUMENTS)]
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if option_named(word, top_level) in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def option_named(word: str, names: Sequence[str]) -> str | None:
    """The option of ``names`` that ``word`` names as argparse reads it: in full, or
    abbreviated to a prefix of one option's name alone ("--lib" for "--library")."""
    if word in names:
        return word
    if not word.startswith("--") or "=" in word:
        return None
    matches = [name for name in names if name.startswith(word)]
    return matches[0] if len(matches) == 1 else None


def _flag(name: str, arguments: Iterable[Argument]) -> bool:
    return any(name in argument.names and argument.flag for argument in arguments)


def _unknown_option_error(unknown: Sequence[str], command: Command | None) -> str:
    arguments = [*GLOBAL_ARGUMENTS, *(command.arguments if command is not None else ())]
    known = [*_option_names(arguments), "--help", *(("--version",) if command is None else ())]
    message = f"unrecognized arguments: {' '.join(unknown)}"
    for word in unknown:
        if word.startswith("-"):
            suggestion = did_you_mean(word.split("=", 1)[0], known)
            if suggestion:
                return message + suggestion
    return message


#: Marks a word starting with "-" that is a value (``tag 7 -draft``) while argparse parses: it
#: would take it for an unknown option, and a value after it for one more unknown argument.
_KEPT = "\ufdd0"


def _dash_words_kept(argv: Sequence[str], command: Command) -> list[str]:
    """``argv`` with the words after ``command``'s name that start with one "-" but are none
    of its options (nor -h) marked as values."""
    arguments = (*GLOBAL_ARGUMENTS, *command.arguments)
    known = {*_option_names(arguments), "-h", "--help"}
    takes_value = {n for n in _option_names(arguments) if not _flag(n, arguments)}
    kept: list[str] = []
    seen_command = False
    words = iter(argv)
    for word in words:
        kept.append(word)
        if word == "--":
            kept.extend(words)  # argparse takes the rest as values itself
            break
        if not seen_command:
            seen_command = word == command.name
        elif word in takes_value:
            kept.append(next(words, ""))
        elif word.startswith("-") and not word.startswith("--") and word not in known:
            kept[-1] = _KEPT + word  # "--jsn" stays an option: a typo of --json is said so
    return kept


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv``; a usage error (or ``--help``) raises SystemExit as argparse does.

    Words starting with "-" that no option claims are values of a command's ``dash_words``
    argument ("tag 7 -draft"); anywhere else they are unrecognised arguments. A mistyped command
    or option is refused with the closest one as a suggestion.
    """
    word = command_word(argv)
    if word is not None and word not in COMMANDS_BY_NAME:
        parser.error(
            f"unknown command {word!r}{did_you_mean(word, COMMANDS_BY_NAME)} "
            f"(`{PROGRAM} --help` lists the commands)"
        )
    command = COMMANDS_BY_NAME.get(word) if word is not None else None
    dash = next((a for a in command.arguments if a.dash_words), None) if command else None
    if command is not None and dash is not None:
        argv = _dash_words_kept(argv, command)
    args, unknown = parser.parse_known_args(list(argv))
    arguments = command.arguments if command is not None else ()
    if dash is not None:
        values = getattr(args, dash.dest)
        setattr(args, dash.dest, [v.removeprefix(_KEPT) for v in values])
    if unknown:
        parser.error(_unknown_option_error(unknown, command))
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
