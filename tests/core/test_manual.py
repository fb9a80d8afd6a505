"""The man page and shell completions are generated from the command table and really work."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from digestdesk.cli.commands import COMMAND_TABLE
from digestdesk.cli.manual import write_all


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("manual")
    write_all(folder, date(2026, 12, 3))
    return folder


def test_man_page_names_every_command_and_flag(generated: Path) -> None:
    text = (generated / "digestdesk.1").read_text(encoding="utf-8")
    assert text.startswith('.TH DIGESTDESK 1 "2026-12-03"')
    for command in COMMAND_TABLE:
        assert f".SS {command.name}" in text
        for argument in command.arguments:
            for name in argument.names:
                if name.startswith("-"):
                    assert name.replace("-", "\\-") in text, (command.name, name)
    assert ".SH EXIT STATUS" in text and "DIGESTDESK_DATABASE_URL" in text


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_renders_without_warnings(generated: Path) -> None:
    result = subprocess.run(
        ["man", "--warnings", "-l", str(generated / "digestdesk.1")],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin", "MANPAGER": "cat"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    assert "digestdesk - a keyboard-driven reading manager" in " ".join(result.stdout.split())


def _bash_complete(script: Path, line: str) -> list[str]:
    words = line.split(" ")
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_digestdesk\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return result.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_options_and_values(generated: Path, tmp_path: Path) -> None:
    script = generated / "digestdesk.bash"
    assert {"search", "sessions", "show", "stats", "status"} <= set(
        _bash_complete(script, "digestdesk s")
    )
    assert "--as-of" in _bash_complete(script, "digestdesk import --")
    assert _bash_complete(script, "digestdesk export --format b") == ["bibtex"]
    assert set(_bash_complete(script, "digestdesk status 7 q")) == {"queued"}
    assert "--refresh" in _bash_complete(script, "digestdesk --library x fetch --r")


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes(generated: Path) -> None:
    def complete(line: str) -> list[str]:
        result = subprocess.run(
            [
                "fish",
                "--no-config",
                "-c",
                f"source {generated / 'digestdesk.fish'}; complete -C {line!r}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return [row.split("\t")[0] for row in result.stdout.splitlines()]

    assert "stats" in complete("digestdesk st")
    assert "--as-of" in complete("digestdesk trends --")
    assert "markdown" in complete("digestdesk export --format ")


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_parses(generated: Path) -> None:
    subprocess.run(["zsh", "-n", str(generated / "_digestdesk")], check=True)
