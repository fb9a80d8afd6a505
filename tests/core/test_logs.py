"""The log file is opened at the first record (a command that logs nothing neither imports
``logging.handlers`` nor looks up the log dir), writes what it always wrote, and a log dir that
cannot be made leaves stderr alone, quietly."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestdesk import logs


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("digestdesk.test-log-file")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_the_log_file_opens_at_the_first_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logger: logging.Logger
) -> None:
    log_dir = tmp_path / "state" / "log"
    monkeypatch.setattr(logs, "user_log_dir", lambda: log_dir)
    handler = logs.LogFile()
    logger.addHandler(handler)
    assert not log_dir.exists()  # nothing logged yet: nothing made
    logger.info("imported %d papers from %s", 3, "caf\udce9.json")  # not UTF-8: still logged
    logger.warning("second")
    handler.flush()
    lines = (log_dir / logs.LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(
        "INFO digestdesk.test-log-file [MainThread] imported 3 papers from caf\\udce9.json"
    )
    assert lines[1].endswith("WARNING digestdesk.test-log-file [MainThread] second")


def test_a_log_dir_that_cannot_be_made_is_left_quietly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    logger: logging.Logger,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    asked: list[int] = []

    def log_dir() -> Path:
        asked.append(1)
        return tmp_path / "a-file" / "log"

    monkeypatch.setattr(logs, "user_log_dir", log_dir)
    logger.addHandler(logs.LogFile())
    logger.warning("first")
    logger.warning("second")
    assert asked == [1]  # tried once, not at every record
    assert capsys.readouterr().err == ""


_A_BUG_IN_A_COMMAND = """
import sys
from digestdesk.cli.handlers import maintenance
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library

Library.open(resolve_library(sys.argv[1])).close()  # a library of this process's kind

def cmd_stats(*_args):  # a bug standing in for any: an exception no code expects
    raise KeyError("volume")

maintenance.cmd_stats = cmd_stats
from digestdesk.app import main
sys.exit(main(["--library", sys.argv[1], "stats"]))
"""


@pytest.mark.parametrize("log_dir_usable", [True, False])
def test_a_bug_in_a_command_is_one_line_on_stderr_and_its_traceback_in_the_log(
    tmp_path: Path, log_dir_usable: bool
) -> None:
    import os
    import subprocess
    import sys

    state = tmp_path / "state"
    if not log_dir_usable:
        state.write_text("a file where the log dir would be")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "desktop"), env.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [sys.executable, "-c", _A_BUG_IN_A_COMMAND, str(tmp_path / "library")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1  # what an uncaught exception always gave
    first, *rest = done.stderr.splitlines()
    assert first.startswith("digestdesk: ERROR: `digestdesk stats` stopped on an unexpected")
    assert "KeyError: 'volume'" in first and "This is a bug" in first
    if log_dir_usable:
        assert rest == []  # no traceback on the terminal
        log_file = next(state.rglob(logs.LOG_FILE_NAME))
        assert str(log_file) in first
        text = log_file.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text
        assert "in cmd_stats\nKeyError: 'volume'" in text  # where it was raised
    else:  # the traceback has nowhere else to go
        assert "could not be written" in rest[0]
        assert rest[1] == "Traceback (most recent call last):"


def test_a_console_line_gives_the_reason_and_leaves_the_traceback_to_the_file() -> None:
    try:
        raise OSError(28, "No space left on device")
    except OSError:
        import sys

        record = logging.LogRecord(
            "digestdesk.x", logging.ERROR, __file__, 1, "saving %s failed", ("a",), sys.exc_info()
        )
    line = logs._OneLine("digestdesk: %(levelname)s: %(message)s").format(record)
    assert (
        line == "digestdesk: ERROR: saving a failed (OSError: [Errno 28] No space left on device)"
    )
    assert record.exc_info is not None  # left for the log file's handler
    full = logging.Formatter("%(message)s").format(record)
    assert full.startswith("saving a failed\nTraceback (most recent call last):")
