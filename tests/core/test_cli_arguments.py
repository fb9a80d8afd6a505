"""The command line's argument forms: arXiv ids for entries, options before or after the
command, suggestions for mistyped words, and a reader that goes away early."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digestdesk import cli
from tests.core import factories


def _run(library_dir: Path, *argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run([*argv], out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


@pytest.fixture
def library_dir(tmp_path: Path, library_paths: object) -> Path:
    directory = tmp_path / "library"
    data = factories.api_json(
        [
            factories.api_item("2511.00001", "Sparse Lattice Transformers"),
            factories.api_item("2511.00002", "Graph Priors for Protein Folding"),
            factories.api_item("hep-th/9901001", "Strings on an Old-Style Identifier"),
        ]
    )
    code, _ = _run(directory, "--library", str(directory), "import", "-", stdin=data.decode())
    assert code == 0
    return directory


def _shown_title(library_dir: Path, ref: str) -> str:
    code, text = _run(library_dir, "--library", str(library_dir), "show", ref, "--json")
    assert code == 0, ref
    return str(json.loads(text)["title"])


@pytest.mark.parametrize(
    "ref",
    ["2511.00002", "2511.00002v3", "arXiv:2511.00002", "arxiv:2511.00002v1", " 2511.00002 "],
)
def test_show_takes_an_arxiv_id_in_every_form(library_dir: Path, ref: str) -> None:
    assert _shown_title(library_dir, ref) == "Graph Priors for Protein Folding"


def test_old_style_arxiv_ids_and_entry_ids_both_work(library_dir: Path) -> None:
    assert _shown_title(library_dir, "hep-th/9901001v2") == "Strings on an Old-Style Identifier"
    entry_id = json.loads(
        _run(library_dir, "--library", str(library_dir), "show", "2511.00001", "--json")[1]
    )["id"]
    assert _shown_title(library_dir, str(entry_id)) == "Sparse Lattice Transformers"


def test_every_command_taking_an_entry_takes_an_arxiv_id(library_dir: Path) -> None:
    lib = ["--library", str(library_dir)]
    assert _run(library_dir, *lib, "status", "2511.00001", "arXiv:2511.00002v2", "read")[0] == 0
    assert _run(library_dir, *lib, "tag", "2511.00001", "+todo")[0] == 0
    assert _run(library_dir, *lib, "note", "2511.00001v1", "checked")[0] == 0
    [record] = json.loads(_run(library_dir, *lib, "search", "tag:todo", "--json")[1])
    assert record["arxiv_id"] == "2511.00001"
    assert record["status"] == "read" and record["note"] == "checked"
    read = json.loads(_run(library_dir, *lib, "list", "--status", "read", "--json")[1])
    assert {r["arxiv_id"] for r in read} == {"2511.00001", "2511.00002"}
    # Every entry argument of the table has the entry type: none is left reading integers.
    entry_args = [
        (c.name, a.dest) for c in cli.COMMAND_TABLE for a in c.arguments if a.type == "entry"
    ]
    assert sorted(entry_args) == [
        ("note", "id"),
        ("related", "id"),
        ("show", "id"),
        ("status", "ids"),
        ("tag", "id"),
    ]
    assert not [a for c in cli.COMMAND_TABLE for a in c.arguments if a.type == "integer"]


def test_unknown_and_malformed_ids_are_clear_errors(
    library_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(library_dir)]
    assert _run(library_dir, *lib, "show", "2608.17253")[0] == 1
    err = capsys.readouterr().err
    assert "No entry with arXiv id 2608.17253" in err and "Traceback" not in err
    # Nothing changes when one of several ids is unknown.
    assert _run(library_dir, *lib, "status", "2511.00001", "2608.17253", "read")[0] == 1
    assert "2608.17253" in capsys.readouterr().err
    assert json.loads(_run(library_dir, *lib, "list", "--status", "read", "--json")[1]) == []
    assert _run(library_dir, *lib, "show", "paper-one")[0] == 2
    err = capsys.readouterr().err
    assert "'paper-one' is neither an entry id" in err and "invalid int value" not in err


def test_global_options_work_before_or_after_the_command(
    library_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _run(library_dir, "--library", str(library_dir), "stats", "--json")
    after = _run(library_dir, "stats", "--library", str(library_dir), "--json")
    last = _run(library_dir, "stats", "--json", f"--library={library_dir}")
    assert before[0] == after[0] == last[0] == 0
    assert json.loads(before[1])["entries"]["total"] == 3
    assert json.loads(after[1]) == json.loads(before[1]) == json.loads(last[1])
    # After the command it wins over the one before (the later word counts, as usual).
    other = tmp_path / "other"
    code, text = _run(library_dir, "--library", str(other), "list", "--library", str(library_dir))
    assert code == 0 and "Sparse Lattice" in text
    assert not (other / "library.sqlite3").exists()
    assert "--library DIR" in _help("stats", capsys)


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.run([command, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["serch", "diffusion"], "unknown command 'serch'; did you mean 'search'?"),
        (["--library", "DIR", "stast"], "did you mean 'stats'?"),
        (["search", "x", "--jsn"], "unrecognized arguments: --jsn; did you mean '--json'?"),
        (["list", "--limt=5"], "did you mean '--limit'?"),
        (["stats", "--libary", "x"], "did you mean '--library'?"),
        (["list", "--sort", "vote"], "'vote' is not one of date, votes, title, added; did you"),
        (["status", "1", "raed"], "did you mean 'read'?"),
    ],
)
def test_mistyped_words_get_a_suggestion(
    argv: list[str], suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(argv) == 2
    assert suggestion in capsys.readouterr().err


def test_a_word_far_from_any_command_gets_no_guess(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["zzzz"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'zzzz'" in err and "did you mean" not in err


# Forms that end in argparse (help, a usage error) where the command's own parser and the
# whole parser could answer differently: an abbreviated --help before the command lists every
# command, an invalid choice names every command.
STOPS_IN_PARSING = [
    ["--he", "search"],
    ["--hel", "stats", "--json"],
    ["--library", "DIR", "--h", "list"],
    ["-", "list"],
    ["--library", "DIR", "--", "stats"],
    ["search", "--help"],
    ["-h", "tag", "1", "+x"],
    ["stats", "--bogus"],
    ["list", "--status", "raed"],
    ["--version", "stats"],
    ["show"],
]


def _answer(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.run(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv", STOPS_IN_PARSING)
def test_a_command_parsed_alone_answers_as_the_whole_parser_does(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from digestdesk.cli import parser

    alone = _answer(argv, capsys)
    whole_parser = parser.build_parser
    monkeypatch.setattr(parser, "build_parser", lambda only=None: whole_parser())
    assert alone == _answer(argv, capsys)
    assert alone[0] in (0, 2)


@pytest.mark.parametrize(
    "argv",
    [
        ["--library", "DIR", "search", "agent", "--json", "--limit", "5"],
        ["--lib", "search", "list"],
        ["--library=DIR", "tag", "1", "-draft", "+x", "--json"],
        ["stats", "--library", "list"],
        ["session", "start", "--query", "list", "--replace"],
    ],
)
def test_a_command_parsed_alone_reads_what_the_whole_parser_reads(argv: list[str]) -> None:
    from digestdesk.cli.parser import build_parser, parse_arguments, parse_command_line

    assert vars(parse_command_line(argv)) == vars(parse_arguments(build_parser(), argv))


def test_an_abbreviated_global_option_may_name_a_command_as_its_value(
    library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # argparse takes "--lib search" as --library's value: the command is the word after it.
    (tmp_path / "search").symlink_to(library_dir, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for argv in (
        ["--lib", "search", "stats", "--json"],
        ["--li", "search", "stats", "--json"],
        ["--lib", str(library_dir), "stats", "--json"],  # refused as an unknown command before
        ["--libr", "stats", "stats", "--json", "--library", str(library_dir)],
    ):
        code, text = _run(library_dir, *argv)
        assert code == 0, argv
        assert json.loads(text)["entries"]["total"] == 3


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(library_dir: Path) -> None:
    # Enough output to fill a pipe (64 KiB) many times over: the writer must meet the closed
    # end, whatever the timing.
    more = factories.api_day(400, start=100)
    assert (
        _run(library_dir, "--library", str(library_dir), "import", "-", stdin=more.decode())[0] == 0
    )
    command = (
        f"{sys.executable} -m digestdesk --library {library_dir} search reasoning --json "
        '--limit 400 | head -1; echo "exit=${PIPESTATUS[0]}" >&2'
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert done.stdout == "[\n"
    assert done.stderr == "exit=0\n", done.stderr  # no BrokenPipeError message, status 0


def test_a_pipe_closed_before_the_first_write_is_not_an_error(library_dir: Path) -> None:
    # Deterministic: nobody reads at all, so the first write meets a closed pipe.
    process = subprocess.Popen(
        [sys.executable, "-m", "digestdesk", "--library", str(library_dir), "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0
    assert "BrokenPipe" not in err and "Exception ignored" not in err, err


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "argv",
    [
        ("show", HUGE),
        ("status", HUGE, "read"),
        ("tag", HUGE, "+x"),
        ("note", HUGE, "hi"),
        ("related", HUGE),
        ("list", "--limit", HUGE),
        ("sessions", "--limit", HUGE),
        ("fetch", "--days", HUGE),
        ("fetch", "--days", "9999999"),
        ("trends", "--as-of", "9999-12-31"),
        ("trends", "--as-of", "0001-01-01"),
        ("fetch", "--since", "0001-01-01"),
        ("import", "-", "--as-of", "0001-01-01"),
    ],
)
def test_numbers_and_dates_out_of_range_are_usage_errors(
    library_dir: Path, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run(library_dir, "--library", str(library_dir), *argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and ("too large" in err or "years 1900" in err), err
