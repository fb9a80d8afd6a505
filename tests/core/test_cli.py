"""The command line: a public interface (commands, flags, JSON fields, exit codes)."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digestdesk import cli
from tests.core import factories

JSON_FIELDS = {
    "id",
    "arxiv_id",
    "title",
    "abstract",
    "authors",
    "authors_count",
    "published",
    "published_year_inferred",
    "votes",
    "links",
    "status",
    "tags",
    "note",
    "digests",
}


class Run:
    def __init__(self, library_dir: Path) -> None:
        self.library_dir = library_dir

    def __call__(self, *argv: str, stdin: str = "") -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(
            ["--library", str(self.library_dir), *argv], out=out, stdin=io.StringIO(stdin)
        )
        return code, out.getvalue()

    def json(self, *argv: str) -> object:
        code, text = self(*argv, "--json")
        assert code == 0, text
        return json.loads(text)


@pytest.fixture
def run(tmp_path: Path, library_paths: object) -> Run:
    return Run(tmp_path / "library")


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    path = tmp_path / "page.txt"
    path.write_text(factories.page_text(), encoding="utf-8")
    return path


def test_import_list_show_json_fields(run: Run, page_file: Path) -> None:
    code, text = run("import", str(page_file), "--as-of", "2025-11-20")
    assert code == 0
    assert "3 new, 0 updated, 0 unchanged" in text and "as of 2025-11-20" in text
    records = run.json("list")
    assert isinstance(records, list) and len(records) == 3
    for record in records:
        assert record.keys() >= JSON_FIELDS
    sparse = next(r for r in records if r["title"].startswith("Sparse Lattice"))
    assert sparse["published"] == "2025-06-01" and sparse["published_year_inferred"] is True
    assert sparse["links"] == [{"url": "https://github.com/example/sparse-lattice", "kind": "code"}]
    assert sparse["digests"] == ["2025-11-20"]
    shown = run.json("show", str(sparse["id"]))
    assert shown["title"] == sparse["title"]


def test_status_tag_note_and_search(run: Run, page_file: Path) -> None:
    run("import", str(page_file), "--as-of", "2025-11-20")
    entry_id = str(run.json("search", "lattice")[0]["id"])  # type: ignore[index]
    assert run("status", entry_id, "read")[0] == 0
    assert run("tag", entry_id, "+long-context", "+todo")[0] == 0
    assert run("tag", entry_id, "-todo")[0] == 0
    assert run("note", entry_id, "-", stdin="from stdin\n")[0] == 0
    [record] = run.json("search", "status:read tag:long-context")  # type: ignore[misc]
    assert record["status"] == "read" and record["tags"] == ["long-context"]
    assert record["note"] == "from stdin"  # the final newline of `echo` is not the note's
    assert run.json("list", "--status", "read")[0]["id"] == int(entry_id)  # type: ignore[index]
    code, text = run("undo")
    assert code == 0 and "Undo" in text


def test_tag_refuses_adding_and_removing_one_tag_at_once(
    run: Run, page_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("import", str(page_file), "--as-of", "2025-11-20")
    entry_id = str(run.json("search", "lattice")[0]["id"])  # type: ignore[index]
    assert run("tag", entry_id, "+keep")[0] == 0
    assert run("tag", entry_id, "+Keep", "-keep", "+other")[0] == 2
    assert "+keep and -keep both name the tag 'keep'" in capsys.readouterr().err
    assert run.json("show", entry_id)["tags"] == ["keep"]  # type: ignore[index]


def test_note_from_an_empty_stdin_keeps_the_note(
    run: Run, page_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cat missing.txt | digestdesk note 5 -` must not remove the note (nothing undoes it);
    empty text given on purpose still does."""
    run("import", str(page_file), "--as-of", "2025-11-20")
    entry_id = str(run.json("search", "lattice")[0]["id"])  # type: ignore[index]
    assert run("note", entry_id, "kept")[0] == 0
    assert run("note", entry_id, "-", stdin="")[0] == 1
    assert "stdin is empty" in capsys.readouterr().err
    assert run.json("show", entry_id)["note"] == "kept"  # type: ignore[index]
    assert run("note", entry_id, "")[0] == 0
    assert run.json("show", entry_id)["note"] is None  # type: ignore[index]


def test_exit_codes(
    run: Run, page_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("list", "--sort", "sideways")[0] == 2  # usage
    prose = tmp_path / "letter.txt"
    prose.write_text("Dear colleague,\nthanks for the review.\n")
    assert run("import", str(prose))[0] == 1
    assert "letter.txt" in capsys.readouterr().err
    assert run("import", str(tmp_path / "missing.json"))[0] == 1
    partial = tmp_path / "2025-11-20.json"
    partial.write_text(json.dumps([factories.api_item("2511.00001", "Fine"), {"paper": 3}]))
    code, text = run("import", str(partial))
    assert code == 3 and "skipped item 1" in text
    assert run("show", "9999")[0] == 1
    assert run("status", "9999", "read")[0] == 1
    code, _ = run("search", '"unbalanced')
    assert code == 2
    err = capsys.readouterr().err
    assert "digestdesk:" in err and "Traceback" not in err


def test_import_from_stdin_and_json_summary(run: Run) -> None:
    code, text = run("import", "-", "--json", stdin=factories.api_day(2).decode())
    assert code == 0
    summary = json.loads(text)
    assert summary["imports"][0]["new"] == 2 and summary["imports"][0]["format"] == "hf-json"


def test_export_formats_and_check(run: Run, page_file: Path, tmp_path: Path) -> None:
    run("import", str(page_file), "--as-of", "2025-11-20")
    target = tmp_path / "out.json"
    assert run("export", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["format"] == "digestdesk"
    for fmt in ("bibtex", "csv", "markdown"):
        code, text = run("export", "--format", fmt)
        assert code == 0 and "Lattice" in text
    assert run("check")[0] == 0
    stats = run.json("stats")
    assert stats["entries"]["total"] == 3  # type: ignore[index]
    assert run("reindex")[0] == 0


def test_check_reports_a_broken_index(run: Run, page_file: Path) -> None:
    run("import", str(page_file), "--as-of", "2025-11-20")
    from digestdesk.paths import resolve_library

    index_dir = resolve_library(run.library_dir).index_dir
    for path in index_dir.iterdir():
        path.unlink()
    code, text = run("check")
    assert code == 1 and "problem:" in text
    assert run("search", "lattice")[0] == 0  # any other command repairs it
    assert run("check")[0] == 0


def test_search_in_a_new_process(tmp_path: Path, page_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    base = [sys.executable, "-m", "digestdesk", "--library", str(tmp_path / "lib")]
    done = subprocess.run(
        [*base, "import", str(page_file)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = subprocess.run(
        [*base, "search", "protein", "--json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert found.returncode == 0, found.stderr
    assert [r["title"] for r in json.loads(found.stdout)] == ["Graph Priors for Protein Folding"]


def test_cli_format_names_match_the_registry() -> None:
    from digestdesk.core import formats

    assert list(cli.FORMAT_NAMES) == list(formats.format_names())


def test_every_command_of_the_table_has_its_parser_and_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert len(set(cli.COMMANDS)) == len(cli.COMMANDS)
    for command in cli.COMMAND_TABLE:
        assert cli.run([command.name, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps at the width
        assert text.startswith(f"usage: digestdesk {command.name} ")
        assert " ".join(command.help.split()) in text
        for argument in command.arguments:
            assert argument.names[-1] in text or argument.metavar in text
    code = cli.run(["--help"])
    listed = capsys.readouterr().out
    assert code == 0 and all(f"    {name} " in listed for name in cli.COMMANDS)


def test_a_command_is_parsed_by_its_own_parser_and_help_lists_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from digestdesk.cli.parser import parser_for

    parser = parser_for(["--library", "x", "search", "agent", "--json"])
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == ["search"]  # not a parser per command for one search
    for argv in (["-h", "search"], ["--library", "x", "--help"], ["search", "-h"]):
        assert cli.run(argv) == 0
        text = capsys.readouterr().out
        if argv[-1] == "-h":
            assert text.startswith("usage: digestdesk search ")
        else:
            assert all(f"    {name} " in text for name in cli.COMMANDS), argv


def test_every_command_names_a_handler_that_exists() -> None:
    # The table names handlers as text (imported when their command runs): a misspelt name
    # would only fail when someone runs that command.
    for command in cli.COMMAND_TABLE:
        handler = command.load_handler()
        assert callable(handler) and handler.__name__ == command.handler.split(".")[1]


def test_only_commands_that_only_read_open_without_the_writer_lock() -> None:
    # A public promise: these work while the app has the library open.
    assert {
        "list",
        "search",
        "show",
        "related",
        "recommend",
        "export",
        "stats",
        "trends",
        "sessions",
    } == cli.READ_ONLY
    assert {c.name for c in cli.COMMAND_TABLE if c.reads_stdin} == {"import", "note"}
    # check reports what it finds; list, show, stats and sessions read the database only.
    assert {c.name for c in cli.COMMAND_TABLE if not c.repairs_index} == {
        "check",
        "list",
        "show",
        "stats",
        "sessions",
    }


def test_tag_takes_dash_words_as_removals_and_wants_at_least_one(
    run: Run, page_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("import", str(page_file), "--as-of", "2025-11-20")
    assert run("tag", "1", "+a", "+b")[0] == 0
    assert run("tag", "1", "+c", "-a", "-b") == (0, "tags: c\n")
    capsys.readouterr()
    assert run("tag", "1")[0] == 2
    assert capsys.readouterr().err.endswith("error: tag: give at least one +TAG or -TAG\n")
    assert run("list", "-x")[0] == 2
    assert capsys.readouterr().err.endswith("error: unrecognized arguments: -x\n")
    # A removal before an addition, in any order, and names like an option's (h1, keep).
    assert run("tag", "1", "+keep", "+h1", "+z") == (0, "tags: c, h1, keep, z\n")
    assert run("tag", "1", "-keep", "+other", "-h1", "--json")[0] == 0
    assert run.json("show", "1")["tags"] == ["c", "other", "z"]  # type: ignore[index]
    assert run("tag", "1", "-z", "--", "-c") == (0, "tags: other\n")
    assert run("tag", "1", "+a", "--jsn")[0] == 2  # a mistyped option is not a tag
    assert "did you mean '--json'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [("stats",), ("list",), ("search", "x"), ("check",), ("tag", "1", "x"), ("recover",)],
)
def test_a_library_that_is_a_file_is_named_so(
    tmp_path: Path, library_paths: object, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# not a library\n", encoding="utf-8")
    code = cli.run(["--library", str(readme), *argv], out=io.StringIO())
    message = capsys.readouterr().err
    assert code == 1, message
    assert f"{readme} is a file, not a folder" in message, message
    assert "Traceback" not in message
    assert readme.read_text(encoding="utf-8") == "# not a library\n"
    # A folder under a file, and the database file given for its folder.
    code = cli.run(["--library", str(readme / "sub"), *argv], out=io.StringIO())
    message = capsys.readouterr().err
    assert code == 1 and f"{readme} is a file, not a folder" in message, message
    database = tmp_path / "lib" / "library.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"")
    code = cli.run(["--library", str(database), *argv], out=io.StringIO())
    message = capsys.readouterr().err
    assert code == 1 and f"--library {database.parent}" in message, message


def test_reading_a_library_that_does_not_exist_says_so(
    tmp_path: Path, library_paths: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --library is not silently an empty library (the exit code stays 0: an
    empty library is a library)."""
    if os.environ.get("DIGESTDESK_DATABASE_URL"):
        pytest.skip("a server database exists whatever the folder")
    for n, argv in enumerate((("list",), ("search", "x"), ("stats",))):
        typo = tmp_path / f"libary{n}"
        assert cli.run(["--library", str(typo), *argv], out=io.StringIO()) == 0
        err = capsys.readouterr().err
        assert f"there was no library in {typo}" in err, (argv, err)
    typo = tmp_path / "new"
    page = io.StringIO(factories.page_text())
    assert cli.run(["--library", str(typo), "import", "-"], stdin=page, out=io.StringIO()) == 0
    assert "no library" not in capsys.readouterr().err  # a writing command makes one
    assert cli.run(["--library", str(typo), "list"], out=io.StringIO()) == 0
    assert "no library" not in capsys.readouterr().err


def test_note_help_says_what_an_empty_stdin_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["note", "--help"], out=io.StringIO()) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "an empty stdin changes nothing" in shown
