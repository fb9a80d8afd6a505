"""``digestdesk related`` on the command line: text with reasons, JSON records, bad ids."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from digestdesk import cli
from digestdesk.core.drafts import ParseResult
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths
from tests.core.test_similarity import FILLER, RELEASES, WORLD


def run(library_dir: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["--library", str(library_dir), *argv], out=out, stdin=io.StringIO(""))
    return code, out.getvalue()


def test_related_prints_the_closest_papers_with_what_they_share(
    tmp_path: Path, library_paths: LibraryPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's library (tmp_path / "library"): on a server, an emptied database, not the
    # rows an earlier test left there.
    library_dir = tmp_path / "library"
    with Library.open(library_paths) as library:
        report = library.import_parsed(
            ParseResult(format="demo", entries=WORLD + RELEASES + FILLER), source="test"
        )
        ids = [item.entry_id for item in report.items]
    code, text = run(library_dir, "related", str(ids[0]), "--limit", "2")
    assert code == cli.EXIT_OK, text
    assert "Panorama Diffusion for 3D World Generation" in text
    assert "shares " in text and "3D world" in text
    assert "WALL-E" not in text
    code, text = run(library_dir, "related", str(ids[0]), "--json")
    assert code == cli.EXIT_OK, text
    records = json.loads(text)
    assert {r["id"] for r in records[:2]} == {ids[1], ids[2]}
    assert all(isinstance(r["score"], float) and r["because"] for r in records)
    assert records == sorted(records, key=lambda r: -r["score"])
    code, _ = run(library_dir, "related", "424242")
    assert code != cli.EXIT_OK and "No entry with id 424242" in capsys.readouterr().err
    assert run(library_dir, "related", "x")[0] == cli.EXIT_USAGE
    assert run(library_dir, "related", str(ids[0]), "--limit", "0")[0] == cli.EXIT_USAGE
