"""The command line's exit codes and the errors that choose them.

Exit codes: 0 success; 1 refused or failed (a message on stderr, no traceback); 2 usage;
3 partial import (some entries skipped, the rest imported); 130 interrupted.
"""

from __future__ import annotations

from digestdesk.errors import DigestDeskError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


def undecodable(text: str) -> str | None:
    """Where ``text`` is not valid Unicode, said for a message (None when it is).

    Python decodes the arguments (and, in some locales, stdin) with ``surrogateescape``: a byte
    that is not UTF-8 becomes a lone surrogate, which nothing downstream can store or print.
    """
    if text.isascii():
        return None
    for position, char in enumerate(text):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            return f"byte 0x{code - 0xDC00:02x} at position {position}"
        if 0xD800 <= code <= 0xDFFF:
            return f"a lone surrogate U+{code:04X} at position {position}"
    return None


def printable(text: str) -> str:
    """``text`` safe to print: bytes that are not UTF-8 shown as ``\\xff``, as a shell quotes."""
    if undecodable(text) is None:
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


class CliError(DigestDeskError):
    """A command cannot do what it was asked (exit code 1)."""


class UsageError(DigestDeskError):
    """The arguments make no sense together (exit code 2, like argparse's own errors)."""

    exit_code = EXIT_USAGE
