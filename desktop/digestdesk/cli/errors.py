"""The command line's exit codes and the errors that choose them.

Exit codes: 0 success; 1 refused or failed (a message on stderr, no traceback); 2 usage;
3 partial import (some entries skipped, the rest imported); 130 interrupted.
"""

from __future__ import annotations

from digestdesk.errors import DigestDeskError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


class CliError(DigestDeskError):
    """A command cannot do what it was asked (exit code 1)."""


class UsageError(DigestDeskError):
    """The arguments make no sense together (exit code 2, like argparse's own errors)."""

    exit_code = EXIT_USAGE
