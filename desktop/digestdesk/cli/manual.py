"""The man page and the bash, zsh and fish completions, generated from the command table.

``python -m digestdesk.cli.manual DIR`` writes ``digestdesk.1``, ``digestdesk.bash``,
``_digestdesk`` (zsh) and ``digestdesk.fish`` into DIR; ``packaging/build.sh`` ships them and
the installers put them where man and the shells look. Everything comes from
:data:`~digestdesk.cli.commands.COMMAND_TABLE` and the window's own options, so a new command
or flag appears in all four without touching this module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from digestdesk import __version__
from digestdesk.cli.commands import (
    COMMAND_TABLE,
    DESCRIPTION,
    GLOBAL_ARGUMENTS,
    PROGRAM,
    Argument,
    Command,
)
from digestdesk.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

#: What each exit code means (the CLI's public contract, see :mod:`digestdesk.cli`).
EXIT_CODES = (
    (EXIT_OK, "success"),
    (EXIT_FAILED, "refused or failed; a message on standard error says why"),
    (EXIT_USAGE, "usage error (an unknown command or option, a bad value)"),
    (EXIT_PARTIAL, "partial import: some entries were skipped and reported, the rest imported"),
)

ENVIRONMENT = (
    ("DIGESTDESK_LIBRARY", "the library folder (like --library)"),
    (
        "DIGESTDESK_DATABASE_URL",
        "a PostgreSQL database to use instead of the library's SQLite file, for example "
        "postgresql+psycopg://user@host/db (a password belongs in ~/.pgpass, not here)",
    ),
    ("HF_ENDPOINT", "the Hugging Face server fetch asks (default https://huggingface.co)"),
)


@dataclass(frozen=True)
class Option:
    """One option or positional, reduced to what a manual and a completion need."""

    names: tuple[str, ...]
    metavar: str | None
    help: str
    choices: tuple[str, ...] = ()
    takes_value: bool = True
    is_file: bool = False
    repeats: bool = False

    @property
    def positional(self) -> bool:
        return not self.names[0].startswith("-")


def _from_table(argument: Argument) -> Option:
    metavar = argument.metavar or (argument.names[0] if argument.positional else None)
    if metavar is None and not argument.flag:
        metavar = argument.dest.upper()
    help_text = argument.help or ""
    if argument.choices and not argument.positional:
        help_text = (
            (help_text + "; " if help_text else "") + "one of " + ", ".join(argument.choices)
        )
    if argument.default not in (None, False) and "default" not in help_text:
        help_text += f" (default: {argument.default})"
    label = " ".join(argument.names) + " " + (argument.metavar or "")
    return Option(
        names=argument.names,
        metavar=None if argument.flag else metavar,
        help=help_text.strip("; "),
        choices=tuple(argument.choices or ()),
        takes_value=not argument.flag,
        is_file=any(word in label.upper() for word in ("PATH", "FILE", "DIR")),
        repeats=argument.nargs is not None,
    )


def window_options() -> list[Option]:
    """The options of ``digestdesk`` without a command (the desktop app), from its parser."""
    from digestdesk.app import build_gui_parser

    found: list[Option] = []
    for action in build_gui_parser()._actions:  # argparse has no public list of its actions
        if isinstance(action, argparse._HelpAction):
            continue
        names = tuple(action.option_strings) or (action.dest,)
        takes_value = action.nargs != 0
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if takes_value and metavar is None:
            metavar = action.dest.upper()
        label = " ".join(names) + " " + (metavar or "")
        found.append(
            Option(
                names=names,
                metavar=metavar if takes_value else None,
                help=action.help or "",
                choices=tuple(action.choices or ()),
                takes_value=takes_value,
                is_file=any(word in label.upper() for word in ("PATH", "FILE", "DIR")),
                repeats=action.nargs in ("*", "+"),
            )
        )
    return found


def command_options(command: Command) -> list[Option]:
    return [_from_table(argument) for argument in command.arguments]


def global_options() -> list[Option]:
    return [_from_table(argument) for argument in GLOBAL_ARGUMENTS]


# ---------------------------------------------------------------- man page (roff)
def _roff(text: str) -> str:
    """Text safe in a roff line: backslashes and hyphens escaped, no line starting with a dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def _synopsis_word(option: Option) -> str:
    if option.positional:
        word = f"\\fI{_roff(option.metavar or option.names[0])}\\fR"
        return word + "..." if option.repeats else word
    name = f"\\fB{_roff(option.names[-1])}\\fR"
    return f"{name} \\fI{_roff(option.metavar)}\\fR" if option.metavar else name


def _option_items(options: Iterable[Option]) -> list[str]:
    lines: list[str] = []
    for option in options:
        if option.positional:
            label = f"\\fI{_roff(option.metavar or option.names[0])}\\fR"
        else:
            label = ", ".join(f"\\fB{_roff(name)}\\fR" for name in option.names)
            if option.metavar:
                label += f" \\fI{_roff(option.metavar)}\\fR"
        lines += [".TP", label]
        help_text = option.help
        if option.positional and option.choices:
            help_text = (
                (help_text + "; " if help_text else "") + "one of " + ", ".join(option.choices)
            )
        lines.append(_roff(help_text[:1].upper() + help_text[1:]) if help_text else "")
    return lines


def man_page(today: date | None = None) -> str:
    """``digestdesk.1``: name, synopsis, the window's options, every command, exit codes."""
    day = (today or date.today()).isoformat()
    lines = [
        f'.TH DIGESTDESK 1 "{day}" "Digest Desk {__version__}" "User Commands"',
        ".SH NAME",
        f"{PROGRAM} \\- a keyboard\\-driven reading manager for research\\-paper digests",
        ".SH SYNOPSIS",
        f"\\fB{PROGRAM}\\fR [\\fIOPTION\\fR]... [\\fIFILE\\fR]...",
        ".br",
        f"\\fB{PROGRAM}\\fR [\\fB\\-\\-library\\fR \\fIDIR\\fR] \\fICOMMAND\\fR "
        "[\\fIARGUMENT\\fR]...",
        ".SH DESCRIPTION",
        _roff(DESCRIPTION),
        ".PP",
        "Without a command it opens the window on the library, importing any digest "
        "\\fIFILE\\fRs given. With a command it works headless, for scripts: commands, flags, "
        "\\fB\\-\\-json\\fR fields and exit codes are a stable interface.",
        ".SH OPTIONS",
        *_option_items(window_options()),
        ".SH COMMANDS",
        "Each command takes the global option",
        *_option_items(global_options()),
    ]
    for command in COMMAND_TABLE:
        options = command_options(command)
        synopsis = " ".join(_synopsis_word(o) for o in options if o.positional)
        flags = " ".join(f"[{_synopsis_word(o)}]" for o in options if not o.positional)
        lines += [
            ".SS " + _roff(f"{command.name}"),
            f"\\fB{PROGRAM} {_roff(command.name)}\\fR {flags} {synopsis}".rstrip(),
            ".PP",
            _roff(command.help[:1].upper() + command.help[1:]) + ".",
            *_option_items(options),
        ]
    lines += [".SH EXIT STATUS"]
    for code, meaning in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", _roff(meaning[:1].upper() + meaning[1:]) + "."]
    lines += [".SH ENVIRONMENT"]
    for name, meaning in ENVIRONMENT:
        lines += [".TP", f"\\fB{name}\\fR", _roff(meaning[:1].upper() + meaning[1:]) + "."]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI~/.local/share/digestdesk/\\fR",
        "The default library: the database, the search index, automatic backups in "
        "\\fIbackups/\\fR.",
        ".SH EXAMPLES",
        ".nf",
        f"{PROGRAM} fetch \\-\\-days 7",
        f"{PROGRAM} search \\(aqdiffusion has:code year:2026\\(aq \\-\\-json",
        f"{PROGRAM} status 2608.17253 read",
        f"{PROGRAM} export \\-\\-format bibtex \\-\\-query \\(aqtag:thesis\\(aq \\-o thesis.bib",
        ".fi",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- completions
def _value_options(options: Iterable[Option]) -> list[Option]:
    return [o for o in options if not o.positional and o.takes_value]


def _bash_value_cases(options: Iterable[Option], indent: str) -> list[str]:
    """``case "$prev"`` arms completing the values of the options that take one."""
    lines: list[str] = []
    for option in _value_options(options):
        if option.choices:
            action = f'COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur"))'
        elif option.is_file:
            kind = "-d" if option.metavar == "DIR" else "-f"
            action = f'COMPREPLY=($(compgen {kind} -- "$cur"))'
        else:
            action = "COMPREPLY=()"
        lines.append(f"{indent}{'|'.join(option.names)}) {action}; return ;;")
    return lines


def _bash_words(words: Iterable[str]) -> str:
    return f'COMPREPLY=($(compgen -W "{" ".join(words)}" -- "$cur"))'


def bash_completion() -> str:
    """A bash completion function: commands, each command's options and their values."""
    commands = [c.name for c in COMMAND_TABLE]
    globals_ = global_options()
    lines = [
        "# bash completion for digestdesk (generated from its command table)",
        "_digestdesk() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local command="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f'            {"|".join(commands)}) command="${{COMP_WORDS[i]}}"; break ;;',
        "        esac",
        "    done",
        '    case "$command" in',
    ]
    for command in COMMAND_TABLE:
        options = command_options(command)
        flags = [name for o in [*options, *globals_] if not o.positional for name in o.names]
        choices = [c for o in options if o.positional for c in o.choices]
        rest = _bash_words(choices)
        if any(o.positional and o.is_file for o in options):
            rest = 'COMPREPLY=($(compgen -f -- "$cur"))'
        lines += [
            f"        {command.name})",
            '            case "$prev" in',
            *_bash_value_cases([*options, *globals_], " " * 16),
            "            esac",
            f"            if [[ $cur == -* ]]; then {_bash_words(flags)}; else {rest}; fi ;;",
        ]
    window = window_options()
    flags = [name for o in window if not o.positional for name in o.names]
    lines += [
        "        *)",
        '            case "$prev" in',
        *_bash_value_cases(window, " " * 16),
        "            esac",
        "            if [[ $cur == -* ]]; then",
        f"                {_bash_words([*flags, '--help-commands'])}",
        "            else",
        f'                COMPREPLY=($(compgen -W "{" ".join(commands)}" -- "$cur") '
        '$(compgen -f -- "$cur"))',
        "            fi ;;",
        "    esac",
        "}",
        "complete -o filenames -F _digestdesk digestdesk",
    ]
    return "\n".join(lines) + "\n"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_completion() -> str:
    commands = [c.name for c in COMMAND_TABLE]
    lines = [
        "# fish completion for digestdesk (generated from its command table)",
        "complete -c digestdesk -f",
        f"set -l digestdesk_commands {' '.join(commands)}",
    ]
    for command in COMMAND_TABLE:
        lines.append(
            'complete -c digestdesk -n "not __fish_seen_subcommand_from $digestdesk_commands" '
            f"-a {command.name} -d {_fish_quote(command.help)}"
        )
    lines.append(
        'complete -c digestdesk -n "not __fish_seen_subcommand_from $digestdesk_commands" -F'
    )

    def option_line(condition: str, option: Option) -> str:
        parts = [f"complete -c digestdesk -n {_fish_quote(condition)}"]
        for name in option.names:
            parts.append(f"-l {name[2:]}" if name.startswith("--") else f"-s {name[1:]}")
        if option.takes_value:
            parts.append("-r")
            if option.choices:
                parts.append("-a " + _fish_quote(" ".join(option.choices)))
            elif option.is_file:
                parts.append("-F")
        if option.help:
            parts.append("-d " + _fish_quote(option.help[:80]))
        return " ".join(parts)

    top = "not __fish_seen_subcommand_from " + " ".join(commands)
    for option in window_options():
        if not option.positional:
            lines.append(option_line(top, option))
    for option in global_options():
        lines.append(option_line("true", option))
    for command in COMMAND_TABLE:
        condition = f"__fish_seen_subcommand_from {command.name}"
        for option in command_options(command):
            if option.positional:
                if option.choices:
                    lines.append(
                        f"complete -c digestdesk -n {_fish_quote(condition)} "
                        f"-a {_fish_quote(' '.join(option.choices))}"
                    )
                elif option.is_file:
                    lines.append(f"complete -c digestdesk -n {_fish_quote(condition)} -F")
            else:
                lines.append(option_line(condition, option))
    return "\n".join(lines) + "\n"


def _zsh_spec(option: Option) -> str:
    help_text = option.help.replace("'", "'\\''").replace("[", "(").replace("]", ")")
    help_text = help_text.replace(":", "\\:")
    action = ""
    if option.takes_value:
        if option.choices:
            action = f":{option.metavar or 'value'}:({' '.join(option.choices)})"
        elif option.is_file:
            action = f":{option.metavar or 'file'}:" + (
                "_directories" if option.metavar == "DIR" else "_files"
            )
        else:
            action = f":{(option.metavar or 'value').lower()}:"
    names = option.names
    if len(names) > 1:
        return f"'({' '.join(names)})'{{{','.join(names)}}}'[{help_text}]{action}'"
    return f"'{names[0]}[{help_text}]{action}'"


def zsh_completion() -> str:
    lines = [
        "#compdef digestdesk",
        "# zsh completion for digestdesk (generated from its command table)",
        "_digestdesk() {",
        "  local -a commands",
        "  commands=(",
    ]
    for command in COMMAND_TABLE:
        help_text = command.help.replace("'", "'\\''").replace(":", "\\:")
        lines.append(f"    '{command.name}:{help_text}'")
    lines += [
        "  )",
        "  if (( CURRENT == 2 )) || [[ ${words[2]} == -* && CURRENT -le 3 ]]; then",
        "    _arguments -s \\",
    ]
    for option in window_options():
        if not option.positional:
            lines.append(f"      {_zsh_spec(option)} \\")
    lines += [
        "      '1: :->first' && return",
        "    _describe -t commands 'digestdesk command' commands",
        "    _files",
        "    return",
        "  fi",
        "  local command=${words[2]}",
        "  (( CURRENT-- )); shift words",
        "  case $command in",
    ]
    for command in COMMAND_TABLE:
        specs = [
            _zsh_spec(o) for o in [*command_options(command), *global_options()] if not o.positional
        ]
        for index, option in enumerate(o for o in command_options(command) if o.positional):
            rest = "*" if option.repeats else str(index + 1)
            kind = (
                f"({' '.join(option.choices)})"
                if option.choices
                else "_files"
                if option.is_file
                else " "
            )
            specs.append(f"'{rest}:{(option.metavar or option.names[0]).lower()}:{kind}'")
        lines.append(f"    {command.name}) _arguments -s {' '.join(specs)} ;;")
    lines += ["  esac", "}", '_digestdesk "$@"']
    return "\n".join(lines) + "\n"


FILES = {
    "digestdesk.1": man_page,
    "digestdesk.bash": bash_completion,
    "_digestdesk": zsh_completion,
    "digestdesk.fish": fish_completion,
}


def write_all(folder: Path, today: date | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in FILES.items():
        text = man_page(today) if render is man_page else render()
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m digestdesk.cli.manual",
        description="Write the man page and the shell completions into FOLDER.",
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--date", type=date.fromisoformat, help="the man page's date (default: today)"
    )
    options = parser.parse_args(argv)
    for path in write_all(options.folder, options.date):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
