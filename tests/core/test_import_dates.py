"""Dates of imported page text: read as of the file's modification day unless an as-of date is
given, corrected by a known date (API JSON, arXiv), and corrected again when the same content
is re-imported with another as-of date (in the library and on the command line)."""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from digestdesk import cli
from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.core.records import ImportReport
from tests.core import factories

SAVED = date(2025, 11, 20)  # the day the page was saved
A_YEAR_LATER = date(2026, 11, 25)  # the day it was imported
SPARSE = "Sparse Lattice Transformers for Long Documents"  # "Jun 1": year inferred
FOLDING = "Graph Priors for Protein Folding"  # "Nov 19": year inferred
QUANTIZED = "Quantized Diffusion Policies"  # "Mar 9, 2023": a known date


def _saved_page(tmp_path: Path, day: date = SAVED) -> Path:
    path = tmp_path / "papers-page.txt"
    path.write_text(factories.page_text(), encoding="utf-8")
    noon = datetime(day.year, day.month, day.day, 12).timestamp()  # local time, as saved
    os.utime(path, (noon, noon))
    return path


def _published(library: Library) -> dict[str, tuple[date | None, bool]]:
    details = library.entries(library.list_ids())
    return {d.title: (d.published, d.published_year_inferred) for d in details}


def _digest_count(library: Library) -> int:
    with library.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.digests)).scalar_one())


def test_a_page_file_without_an_as_of_date_is_read_as_of_its_modification_day(
    library: Library, tmp_path: Path
) -> None:
    report = library.import_file(_saved_page(tmp_path))
    assert (report.as_of, report.as_of_source) == (SAVED, "file")
    assert report.as_of_note() == (
        "year-less dates read as of 2025-11-20, the file's modification date"
    )
    assert report.digest_date == SAVED
    assert _published(library)[SPARSE] == (date(2025, 6, 1), True)
    assert _published(library)[FOLDING] == (date(2025, 11, 19), True)
    assert report.to_json()["as_of_source"] == "file"


def test_a_given_as_of_date_wins_over_the_file_day(library: Library, tmp_path: Path) -> None:
    report = library.import_file(_saved_page(tmp_path), as_of=date(2025, 6, 10))
    assert (report.as_of, report.as_of_source) == (date(2025, 6, 10), "given")
    assert "modification" not in report.as_of_note()
    assert _published(library)[FOLDING] == (date(2024, 11, 19), True)


def test_formats_with_dates_say_nothing_about_as_of(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    path.write_bytes(factories.api_day(2))
    report = library.import_file(path)
    assert report.as_of_source is None and report.as_of_note() == ""


def test_a_known_date_replaces_an_inferred_one(library: Library) -> None:
    library.import_bytes(factories.page_text().encode(), name="page.txt", as_of=A_YEAR_LATER)
    assert _published(library)[SPARSE] == (date(2026, 6, 1), True)  # a year off
    api = factories.api_json(
        [factories.api_item("2506.00001", SPARSE, published="2025-06-01T00:00:00.000Z")]
    )
    report = library.import_bytes(api, name="2025-11-20.json")
    assert (report.updated, report.dates_corrected) == (1, 1)
    assert "1 date corrected" in report.summary()
    assert _published(library)[SPARSE] == (date(2025, 6, 1), False)
    # The index follows: a date search finds the corrected day.
    assert [library.entry(i).title for i in library.search("date:2025-06-01").ids] == [SPARSE]
    # A known date is never replaced by an inferred one afterwards.
    library.import_bytes(factories.page_text().encode(), name="other.txt", as_of=date(2027, 1, 5))
    assert _published(library)[SPARSE] == (date(2025, 6, 1), False)


def test_an_arxiv_date_replaces_an_inferred_one(library: Library) -> None:
    text = factories.PAGE_HEADER + factories.page_entry(SPARSE, "An abstract.", 2, "Jun 1")
    library.import_bytes(text.encode(), name="page.txt", as_of=A_YEAR_LATER)
    feed = factories.arxiv_feed([("2506.00001v1", SPARSE, "2025-06-01T17:59:00Z")])
    report = library.import_bytes(feed, name="cs.LG.xml")
    assert report.format == "arxiv" and report.dates_corrected == 1
    assert _published(library)[SPARSE] == (date(2025, 6, 1), False)


def test_reimporting_the_same_content_with_another_as_of_corrects_that_import(
    library: Library,
) -> None:
    data = factories.page_text().encode()
    first = library.import_bytes(data, name="page.txt", as_of=A_YEAR_LATER)
    assert first.digest_date == date(2026, 11, 20)
    sparse_id = next(i for i in library.list_ids() if library.entry(i).title == SPARSE)
    library.set_status([sparse_id], "read")
    library.set_note(sparse_id, "kept across the correction")

    again = library.import_bytes(data, name="page.txt", as_of=SAVED)
    assert again.reimported and again.digest_id == first.digest_id
    assert again.digest_date == SAVED and again.dates_corrected == 2
    assert _digest_count(library) == 1
    assert library.digest_dates() == [SAVED]
    published = _published(library)
    assert published[SPARSE] == (date(2025, 6, 1), True)
    assert published[FOLDING] == (date(2025, 11, 19), True)
    assert published[QUANTIZED] == (date(2023, 3, 9), False)
    sparse = library.entry(sparse_id)
    assert sparse.digests == [SAVED]
    assert (sparse.status, sparse.note) == ("read", "kept across the correction")
    assert library.search("digest:2026-11-20").total == 0
    assert library.search("digest:2025-11-20").total == 3
    assert library.check() == []


def test_other_content_adds_its_own_digest_and_leaves_inferred_dates(library: Library) -> None:
    library.import_bytes(factories.page_text().encode(), name="page.txt", as_of=SAVED)
    other = factories.page_text().replace("Nov 20\n", "Nov 21\n", 1).encode()
    report = library.import_bytes(other, name="next.txt", as_of=A_YEAR_LATER)
    assert not report.reimported and report.dates_corrected == 0
    assert _digest_count(library) == 2
    assert _published(library)[SPARSE] == (date(2025, 6, 1), True)


def _cli(library_dir: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.run(["--library", str(library_dir), *argv], out=out, stdin=io.StringIO(""))
    return code, out.getvalue()


def test_cli_import_reads_the_file_day_and_as_of_corrects_a_reimport(
    tmp_path: Path, library_paths: object
) -> None:
    library_dir = tmp_path / "library"
    page = _saved_page(tmp_path, date(2025, 11, 22))
    code, text = _cli(library_dir, "import", str(page))
    assert code == 0, text
    assert "year-less dates read as of 2025-11-22, the file's modification date" in text
    # Saved two days after it was viewed: --as-of puts the dates right without a second digest.
    code, text = _cli(library_dir, "import", "--as-of", "2025-11-20", str(page), "--json")
    assert code == 0, text
    (report,) = json.loads(text)["imports"]
    assert report["as_of"] == "2025-11-20" and report["as_of_source"] == "given"
    assert report["reimported"] is True and report["digest_date"] == "2025-11-20"
    # (A day before "Nov 20": the page's day falls a year back. Only one digest all along.)
    code, text = _cli(library_dir, "import", "--as-of", "2025-11-19", str(page))
    assert "imported before: that import's digest and dates were updated" in text
    with Library.open(library_paths, writer=False) as library:  # type: ignore[arg-type]
        assert library.digest_dates() == [date(2024, 11, 20)]


def test_report_json_keeps_its_fields() -> None:
    report = ImportReport(source="x", format="hf-page", digest_id=1, digest_date=None, as_of=None)
    assert {"source", "format", "digest_date", "as_of", "new", "updated", "unchanged"} <= set(
        report.to_json()
    )
