"""`digestdesk` decides between the window and a headless command from its arguments."""

from __future__ import annotations

from pathlib import Path

from digestdesk.app import _wants_cli, build_gui_parser


def test_commands_and_unknown_words_go_to_the_cli(tmp_path: Path) -> None:
    assert _wants_cli(["search", "diffusion"])
    assert _wants_cli(["--library", str(tmp_path), "list"])
    assert _wants_cli(["no-such-command"])
    assert _wants_cli(["--help-commands"])
    assert not _wants_cli([])
    assert not _wants_cli(["--demo"])
    assert not _wants_cli(["--self-test", "--screenshot", str(tmp_path / "x.png")])


def test_existing_files_open_the_window(tmp_path: Path) -> None:
    digest = tmp_path / "2025-11-20.json"
    digest.write_text("[]")
    assert not _wants_cli([str(digest)])
    options = build_gui_parser().parse_args(["--library", str(tmp_path), str(digest)])
    assert options.files == [str(digest)]
