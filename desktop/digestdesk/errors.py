"""Expected problems, each with a message written for the person reading it.

Anything raised that is not a :class:`DigestDeskError` is a bug and is reported as one.
"""

from __future__ import annotations

from pathlib import Path


class DigestDeskError(Exception):
    """An expected problem; ``user_message`` says what went wrong and what to do."""

    exit_code = 1

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class NotADigestError(DigestDeskError):
    """The input is not a digest in any format we know (or not in the format forced)."""


class ParseError(DigestDeskError):
    """One entry (or the whole input) could not be parsed; ``where`` locates it."""

    def __init__(self, user_message: str, where: str = "") -> None:
        super().__init__(f"{where}: {user_message}" if where else user_message)
        self.where = where
        self.reason = user_message


class QueryError(DigestDeskError):
    """A search query is malformed; ``position`` points at the problem when known."""

    exit_code = 2

    def __init__(self, user_message: str, position: int | None = None) -> None:
        super().__init__(user_message)
        self.position = position


class QueryTooComplex(QueryError):
    """A query past one of the language's limits (words, prefix or fuzzy terms, operators,
    nesting); the message names the limit."""


class LibraryError(DigestDeskError):
    """The library cannot be opened or changed (locked, newer schema, missing entry...)."""


class LibraryLockedError(LibraryError):
    """Another Digest Desk process is writing this library."""


class NewerSchemaError(LibraryError):
    """The database was written by a newer Digest Desk."""


class DatabaseDamagedError(LibraryError):
    """The database file is damaged, empty or not a library: restore a backup or ``recover``."""

    def __init__(self, user_message: str, file: Path | None = None) -> None:
        super().__init__(user_message)
        self.file = file


class StorageFullError(LibraryError):
    """The disk holding the library is full; the change was not made."""


class ReadOnlyLibraryError(LibraryError):
    """The library's folder or file cannot be written; a change was refused."""


class SearchIndexUnavailableError(LibraryError):
    """The search index cannot be opened (missing, damaged, being rebuilt): rebuild it."""


class SearchIndexDamagedError(SearchIndexUnavailableError):
    """A file of the search index is not as it was written (a checksum or size differs, or
    Whoosh could not decode it). Never a wrong answer: the index is marked damaged and rebuilt
    from the database; ``file`` names the damaged file (a path, or "" when unknown)."""

    def __init__(self, file: str = "", detail: str = "") -> None:
        where = f" (file {file})" if file else ""
        super().__init__(f"The search index was damaged{where}; rebuilding it from the library.")
        self.file = file
        self.detail = detail  # what exactly was wrong, for the log and `check`


class EntryNotFoundError(LibraryError):
    """No entry has the id given."""


class IndexNotReadyError(DigestDeskError):
    """A word search while the index is being built: say so instead of stale results."""

    def __init__(self, percent: int) -> None:
        super().__init__(
            f"The search index is being built ({percent}%). Word searches work when it is "
            "done; filters such as status:unread or year:2025 work now."
        )
        self.percent = percent
