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
