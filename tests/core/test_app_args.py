"""`digestdesk` decides between the window and a headless command from its arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digestdesk.app import (
    GUI_FLAGS,
    GUI_VALUE_OPTIONS,
    _display_or_offscreen,
    _wants_cli,
    build_gui_parser,
)


def test_commands_and_unknown_words_go_to_the_cli(tmp_path: Path) -> None:
    assert _wants_cli(["search", "diffusion"])
    assert _wants_cli(["--library", str(tmp_path), "list"])
    assert _wants_cli(["no-such-command"])
    assert _wants_cli(["--help-commands"])
    assert not _wants_cli([])
    assert not _wants_cli(["--demo"])
    assert not _wants_cli(["--self-test", "--screenshot", str(tmp_path / "x.png")])


def test_an_abbreviated_option_takes_its_value_as_argparse_reads_it(tmp_path: Path) -> None:
    # "--lib DIR list" is --library DIR, then the command, though DIR exists.
    assert _wants_cli(["--lib", str(tmp_path), "list"])
    assert _wants_cli(["--li", str(tmp_path), "--js", "list"])
    assert not _wants_cli(["--lib", str(tmp_path)])
    assert not _wants_cli(["--act", "fetch.run"])
    assert build_gui_parser().parse_args(["--act", "fetch.run"]).action == "fetch.run"
    options = [o for a in build_gui_parser()._actions for o in a.option_strings if o != "-h"]
    assert sorted(options) == sorted((*GUI_VALUE_OPTIONS, *GUI_FLAGS))


def test_existing_files_open_the_window(tmp_path: Path) -> None:
    digest = tmp_path / "2025-11-20.json"
    digest.write_text("[]")
    assert not _wants_cli([str(digest)])
    options = build_gui_parser().parse_args(["--library", str(tmp_path), str(digest)])
    assert options.files == [str(digest)]


def test_action_takes_a_value_and_opens_the_window() -> None:
    assert not _wants_cli(["--action", "fetch.run"])
    assert not _wants_cli(["--action=session.start"])
    assert build_gui_parser().parse_args(["--action", "fetch.run"]).action == "fetch.run"


def _without_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")


def test_without_a_display_the_window_says_so_instead_of_aborting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_display(monkeypatch)
    assert not _display_or_offscreen(build_gui_parser().parse_args([]))
    message = capsys.readouterr().err
    assert "no display" in message and "--help-commands" in message
    assert "QT_QPA_PLATFORM" not in os.environ


def test_without_a_display_the_self_test_renders_offscreen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_display(monkeypatch)
    assert _display_or_offscreen(build_gui_parser().parse_args(["--self-test"]))
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
    assert "offscreen" in capsys.readouterr().err


def test_a_display_or_a_chosen_platform_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_display(monkeypatch)
    monkeypatch.setenv("DISPLAY", ":7")
    assert _display_or_offscreen(build_gui_parser().parse_args([]))
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert _display_or_offscreen(build_gui_parser().parse_args([]))
    assert os.environ["QT_QPA_PLATFORM"] == "xcb"


def test_no_display_end_to_end_exits_cleanly(tmp_path: Path) -> None:
    """The real process without a display: a message and exit 1, not SIGABRT (134)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["DIGESTDESK_LIBRARY"] = str(tmp_path / "lib")
    result = subprocess.run(
        [sys.executable, "-m", "digestdesk"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "no display" in result.stderr and "Traceback" not in result.stderr


def test_titles_name_the_library_not_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digestdesk import paths

    monkeypatch.delenv(paths.ENV_DATABASE_URL, raising=False)
    monkeypatch.delenv(paths.ENV_LIBRARY, raising=False)
    assert paths.resolve_library(tmp_path / "reading-group").display_name() == "reading-group"
    monkeypatch.setattr(paths, "user_data_dir", lambda: tmp_path / "default")
    assert paths.resolve_library().display_name() == "Library"
    monkeypatch.setenv(paths.ENV_DATABASE_URL, "postgresql+psycopg://ann:secret@db.lab:5432/papers")
    shown = paths.resolve_library().display_name()
    assert shown == "papers on db.lab:5432" and "secret" not in shown
