"""Arguments and stdin that are not UTF-8: a clear message naming them, never a traceback.

Python decodes the command line with ``surrogateescape``: ``digestdesk note 5 $'\\xff'`` reaches
the program as ``"\\udcff"``, which no database stores and no UTF-8 terminal prints. Text
arguments are refused with a usage error (exit 2); paths may be any bytes the system allows.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digestdesk import cli
from digestdesk.cli.errors import printable, undecodable
from tests.core import factories

BAD = b"\xff".decode("utf-8", "surrogateescape")  # what Python makes of the byte 0xff


@pytest.fixture
def lib(tmp_path: Path, library_paths: object) -> Path:
    library_dir = tmp_path / "library"
    code = cli.run(
        ["--library", str(library_dir), "import", "-"],
        out=io.StringIO(),
        stdin=io.StringIO(factories.api_day(2).decode()),
    )
    assert code == cli.EXIT_OK
    return library_dir


def _run(library_dir: Path, *argv: str, stdin: io.TextIOBase | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["--library", str(library_dir), *argv], out=out, stdin=stdin)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_undecodable_names_the_byte_and_printable_shows_it() -> None:
    assert undecodable("plain é") is None
    assert undecodable(f"ab{BAD}") == "byte 0xff at position 2"
    assert undecodable("x\ud800") == "a lone surrogate U+D800 at position 1"
    assert printable(f"a{BAD}.json") == "a\\xff.json"
    assert printable("x\ud800") == "x\\ud800"
    assert printable("fine") == "fine"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (
            ["note", "1", f"a{BAD}"],
            "note TEXT: 'a\\xff' is not valid UTF-8 (byte 0xff at position 1)",
        ),
        (["tag", "1", f"+x{BAD}"], "tag +T|-T: '+x\\xff'"),
        (["tag", "1", "+ok", f"-{BAD}"], "tag +T|-T: '-\\xff'"),
        (["search", "model", f"{BAD}"], "search QUERY: '\\xff'"),
        (["list", "--tag", BAD], "list --tag: '\\xff'"),
        (["export", "--query", BAD], "export --query: '\\xff'"),
        (["fetch", "--category", BAD], "fetch --category: '\\xff'"),
    ],
)
def test_text_arguments_that_are_not_utf8_are_usage_errors(
    lib: Path, argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _run(lib, "list", "--json")[1]
    code, text = _run(lib, *argv)
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE, (text, err)
    assert named in err and "not valid UTF-8" in err and "Traceback" not in err
    assert _run(lib, "list", "--json")[1] == before  # nothing changed


def test_note_from_stdin_that_is_not_utf8_is_refused(
    lib: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = io.TextIOWrapper(io.BytesIO(b"caf\xe9 notes"), encoding="utf-8")
    code, _ = _run(lib, "note", "1", "-", stdin=raw)
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert "the text on stdin is not valid UTF-8 (byte 0xe9 at offset 3)" in err
    # A stream already decoded with surrogateescape (some locales do that) is caught too.
    code, _ = _run(lib, "note", "1", "-", stdin=io.StringIO(f"caf{BAD}"))
    assert code == cli.EXIT_USAGE and "byte 0xff at position 3" in capsys.readouterr().err
    [entry] = [e for e in json.loads(_run(lib, "list", "--json")[1]) if e["id"] == 1]
    assert entry["note"] is None
    raw = io.TextIOWrapper(io.BytesIO("café ☕".encode()), encoding="utf-8")
    assert _run(lib, "note", "1", "-", stdin=raw)[0] == cli.EXIT_OK


def test_import_from_stdin_with_bad_bytes_never_tracebacks(
    lib: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = io.TextIOWrapper(io.BytesIO(b"\xff\xfe\x00[\x80\x81 not a digest"))
    assert _run(lib, "import", "-", stdin=junk)[0] == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "<stdin>" in err and "Traceback" not in err
    # A digest with a stray Latin-1 byte in a title imports (read as Windows-1252, like a
    # browser copy): the format layer's decoding rule, not an error.
    data = factories.api_day(1, start=7).replace(b"Efficient", b"Effici\xe9nt")
    code, text = _run(lib, "import", "-", stdin=io.TextIOWrapper(io.BytesIO(data)))
    assert code == cli.EXIT_OK and "1 new" in text


def test_a_file_name_that_is_not_utf8_is_a_path_not_an_error(
    lib: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"digest-\xff.json")
    (tmp_path / name).write_bytes(factories.api_day(1, start=20))
    code, text = _run(lib, "import", str(tmp_path / name))
    assert code == cli.EXIT_OK and "digest-\\xff.json: 1 new" in text
    code, _ = _run(lib, "import", str(tmp_path / os.fsdecode(b"missing-\xfe.json")))
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED and "missing-\\xfe.json" in err
    target = tmp_path / os.fsdecode(b"out-\xff.json")
    assert _run(lib, "export", "-o", str(target))[0] == cli.EXIT_OK
    assert json.loads(target.read_text(encoding="utf-8"))
    assert "out-\\xff.json" in capsys.readouterr().err


def test_the_real_process_with_raw_bytes_in_argv(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DIGESTDESK_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    library_dir = os.fsencode(tmp_path) + b"/lib-\xff"  # a library folder that is not UTF-8

    def run(*argv: bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [os.fsencode(sys.executable), b"-m", b"digestdesk", b"--library", library_dir, *argv],
            input=stdin,
            capture_output=True,
            env=env,
            timeout=120,
        )

    done = run(b"import", b"-", stdin=factories.api_day(2))
    assert done.returncode == 0, done.stderr
    for argv in ([b"note", b"1", b"\xff"], [b"tag", b"1", b"+\xffx"], [b"search", b"\xe9t\xe9"]):
        done = run(*argv)
        assert done.returncode == cli.EXIT_USAGE, done.stderr
        assert b"not valid UTF-8" in done.stderr and b"Traceback" not in done.stderr
    done = run(b"note", b"1", b"-", stdin=b"\xff")
    assert done.returncode == cli.EXIT_USAGE and b"Traceback" not in done.stderr
    done = run(b"list")
    assert done.returncode == 0 and b"Logging error" not in done.stderr, done.stderr


def test_controls_stored_before_imports_dropped_them_never_reach_the_terminal(
    lib: Path,
) -> None:
    """A library imported before the imports dropped terminal controls (9a253e2) may hold
    ESC sequences and bidi overrides in its titles: they are read back without them, as
    imports drop them, in text and in JSON alike."""
    from sqlalchemy import update

    from digestdesk.core import schema
    from digestdesk.core.library import Library
    from digestdesk.paths import resolve_library

    hostile = "Evil \x1b]0;owned\x07\x1b[2J title \u202eevil\u202c\x9b31m end"
    library = Library.open(resolve_library(lib))
    try:
        entry_id = library.list_ids()[0]
        with library.engine.begin() as conn:
            conn.execute(
                update(schema.entries)
                .where(schema.entries.c.id == entry_id)
                .values(title=hostile, authors=["Mallory \x1b[31mRed"])
            )
    finally:
        library.close()
    for argv in (("list",), ("show", str(entry_id)), ("session", "start")):
        code, text = _run(lib, *argv)
        assert code == cli.EXIT_OK, text
        assert "Evil ]0;owned[2J title evil31m end" in text, (argv, text)
        for control in ("\x1b", "\x07", "\u202e", "\u202c", "\x9b"):
            assert control not in text, (argv, control, text)
    code, text = _run(lib, "show", str(entry_id), "--json")
    assert code == cli.EXIT_OK
    assert json.loads(text)["title"] == "Evil ]0;owned[2J title evil31m end"
