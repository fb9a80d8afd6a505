"""The real samples in ../shared/samples import exactly (skipped where that folder is absent)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from digestdesk import cli
from tests.conftest import SHARED_SAMPLES

pytestmark = pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(), reason=f"the shared samples are not here ({SHARED_SAMPLES})"
)


def _cli(library_dir: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.run(["--library", str(library_dir), *argv], out=out), out.getvalue()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    if os.environ.get("DIGESTDESK_DATABASE_URL"):
        pytest.skip("the sample import runs on the embedded SQLite library")
    library_dir = tmp_path_factory.mktemp("samples") / "lib"
    api_files = sorted(str(p) for p in (SHARED_SAMPLES / "hf-daily-api").glob("*.json"))
    assert len(api_files) == 93
    code, text = _cli(library_dir, "import", *api_files)
    assert code == 0, text
    assert "total: 1627 new, 0 updated, 0 unchanged, 0 skipped in 93 files" in text
    code, text = _cli(
        library_dir, "import", str(SHARED_SAMPLES / "hf-papers-page.txt"), "--as-of", "2025-11-20"
    )
    assert code == 0 and "12 new" in text, text
    code, text = _cli(library_dir, "import", str(SHARED_SAMPLES / "arxiv/atom_example_entry.xml"))
    assert code == 0 and "1 new" in text, text
    return library_dir


def _records(library_dir: Path, *argv: str) -> list[dict]:
    code, text = _cli(library_dir, *argv, "--json")
    assert code == 0, text
    return json.loads(text)


def test_everything_is_there_and_consistent(imported: Path) -> None:
    stats = _records(imported, "stats")
    assert stats["entries"]["total"] == 1627 + 12 + 1  # type: ignore[index]
    assert _cli(imported, "check")[0] == 0


def test_page_entries_dates_votes_and_links(imported: Path) -> None:
    records = _records(imported, "search", "digest:2025-11-20", "--limit", "100")
    page = [r for r in records if r["arxiv_id"] is None]
    assert len(page) == 12
    by_date = {r["published"]: r for r in page}
    assert by_date["2025-06-01"]["published_year_inferred"] is True
    assert by_date["2021-11-25"]["published_year_inferred"] is False
    assert by_date["2025-03-04"]["votes"] == 2
    assert by_date["2018-03-09"]["votes"] == 1
    urls = [link["url"] for r in page for link in r["links"]]
    assert all(not u.endswith((".", ",", ")")) for u in urls)
    assert len(urls) == len(set(urls)) or all(
        len(r["links"]) == len({link["url"] for link in r["links"]}) for r in page
    )
    assert any(link["kind"] == "code" for r in page for link in r["links"])
    assert any(link["kind"] == "project" for r in page for link in r["links"])
    assert all(r["authors_count"] for r in page)


def test_api_entries_keep_utc_dates_and_extras(imported: Path) -> None:
    sample = json.loads((SHARED_SAMPLES / "hf-daily-api/2026-08-14.json").read_text())
    first = sample[0]["paper"]
    [record] = _records(imported, "search", f"arxiv:{first['id']}")
    assert record["published"] == first["publishedAt"][:10]
    assert record["digests"] == ["2026-08-14"]
    assert record["github_repo"] == first.get("githubRepo")
    assert record["ai_keywords"] == first.get("ai_keywords", [])
    assert record["authors"] == [a["name"] for a in first["authors"]]


def test_reimport_is_idempotent_and_records_snapshots(imported: Path) -> None:
    day = SHARED_SAMPLES / "hf-daily-api/2025-11-17.json"
    code, text = _cli(imported, "import", str(day))
    assert code == 0 and " 0 new, 0 updated" in text
    assert _records(imported, "stats")["entries"]["total"] == 1640  # type: ignore[index]


def test_atom_entry(imported: Path) -> None:
    [record] = _records(imported, "search", "arxiv:cond-mat/0102536")
    assert record["published"] == "2001-02-28"
    assert record["authors_count"] == 5
    assert any(link["kind"] == "paper" for link in record["links"])


def test_search_on_real_text(imported: Path) -> None:
    assert len(_records(imported, "search", '"world model"', "--limit", "5")) == 5
    code, _ = _cli(imported, "search", "diffusion has:code votes:>20 sort:votes")
    assert code == 0
    assert date.fromisoformat(_records(imported, "list", "--limit", "1")[0]["published"])
