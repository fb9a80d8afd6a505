"""Logging, configured once for the whole process: a rotating file under the user log dir,
warnings (or, with ``--verbose``, everything) to stderr.

Both the composition root (:mod:`digestdesk.app`) and the desktop application
(:mod:`digestdesk.ui.application`, which names the log file in its crash dialog) import it.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
from typing import IO

from digestdesk.paths import user_log_dir

LOG_FILE_NAME = "digestdesk.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

_logging_configured = False


class LogFile(logging.Handler):
    """The rotating log file, opened at the first record: a command that logs nothing (most
    reads) neither imports ``logging.handlers`` nor looks up the log dir (about 8 ms of a
    100 ms ``digestdesk search``). A log dir that cannot be written (a full disk, a
    read-only home) leaves stderr only, as it always did."""

    def __init__(self) -> None:
        super().__init__()
        self._file: logging.Handler | None = None
        self._failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            if self._failed:
                return
            try:
                self._file = _open_log_file()
            except OSError:
                self._failed = True
                return
        self._file.emit(record)

    @property
    def unusable(self) -> bool:
        """The log file could not be opened: records go nowhere but stderr."""
        return self._failed

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def _open_log_file() -> logging.Handler:
    import logging.handlers

    log_dir = user_log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE_NAME,
        maxBytes=2_000_000,
        backupCount=3,
        encoding="utf-8",
        errors="backslashreplace",  # a path or argument that is not UTF-8 still logs
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def configure_logging(*, verbose: bool = False) -> None:
    """Configure logging once: a rotating file under the user log dir, warnings to stderr."""
    global _logging_configured
    if _logging_configured:
        return
    _logging_configured = True
    # A log file that cannot be written (a full disk) must not print tracebacks on stderr.
    logging.raiseExceptions = False
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.addHandler(LogFile())
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console_format = "digestdesk: %(levelname)s: %(message)s"
    console.setFormatter(logging.Formatter(console_format) if verbose else _OneLine(console_format))
    root.addHandler(console)


class _OneLine(logging.Formatter):
    """A record as one line, its exception as a short reason: the traceback goes to the log
    file only (``--verbose`` shows it on stderr too)."""

    def format(self, record: logging.LogRecord) -> str:
        kept = record.exc_info, record.exc_text, record.stack_info
        error = record.exc_info[1] if record.exc_info else None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = kept
        if error is not None and f"{type(error).__name__}:" not in line:
            line += f" ({type(error).__name__}: {error})"
        return line


def log_file_unusable() -> bool:
    """Whether the log file was tried and could not be written (a read-only home)."""
    return any(
        isinstance(handler, LogFile) and handler.unusable
        for handler in logging.getLogger().handlers
    )


def log_file_path() -> str:
    return str(user_log_dir() / LOG_FILE_NAME)


_crash_file: IO[str] | None = None  # kept open: faulthandler writes to its descriptor


def enable_crash_traces() -> None:
    """A native crash (a segfault in Qt, SQLite or Whoosh's C parts, an abort) writes every
    thread's Python stack to the log file, where no excepthook can reach."""
    global _crash_file
    try:
        user_log_dir().mkdir(parents=True, exist_ok=True)
        handle = open(log_file_path(), "a", encoding="utf-8")  # noqa: SIM115 - kept open
    except OSError:
        faulthandler.enable(all_threads=True)  # stderr, then
        return
    if _crash_file is not None:
        _crash_file.close()
    _crash_file = handle
    faulthandler.enable(file=handle, all_threads=True)
