"""The team library under many writers at once (issue 17's concurrency suite), each member a
PostgreSQL role of its own in processes of its own, as on members' machines:

- two members import overlapping halves of the real API samples at the same moment (the
  command line, one transaction a file);
- meanwhile two members edit statuses and notes in loops (entries of their own);
- a third member's large import is killed with kill -9 while its transaction is open.

Afterwards the papers are exact (each once: the same as one member importing everything
alone), every member's last edit of each entry is there, nothing of the killed import is, and
each member's own search index agrees with the database (``digestdesk check``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from digestdesk.core import schema
from digestdesk.core.library import Library
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories
from tests.pg_members import members

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MEMBER = Path(__file__).with_name("team_member.py")
#: The killed member's import: its transaction writes for a while (it is killed once it has
#: written, and tried again with another file if it finished before that was seen).
KILLED_ENTRIES = 3000
KILL_ATTEMPTS = 5
EDIT_ROUNDS = 25


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DIGESTDESK_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), str(ROOT)]),
    }


def _cli(url: str, library: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digestdesk", "--library", str(library), *args],
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], what: str, timeout_s: float = 600) -> str:
    out, err = proc.communicate(timeout=timeout_s)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}): {err[-2000:]}"
    return out


def _writing(engine: object, role: str) -> bool:
    """Whether a backend of ``role`` is inside a transaction that has written (the server
    gives a transaction its id at its first write): an import applying its plan."""
    from sqlalchemy.engine import Engine

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT 1 FROM pg_stat_activity WHERE usename = :role "
                    "AND backend_xid IS NOT NULL"
                ),
                {"role": role},
            ).first()
        )


def _big_file(path: Path, attempt: int) -> Path:
    path.write_bytes(
        factories.api_json(
            [
                factories.api_item(
                    f"25{12 + attempt}.{i:05d}",
                    f"Killed import {attempt} study {i}",
                    upvotes=i % 40,
                )
                for i in range(KILLED_ENTRIES)
            ]
        )
    )
    return path


def _kill_mid_import(url: str, folder: Path, admin: object, role: str, tmp_path: Path) -> set[str]:
    """kill -9 a member's large import while its transaction writes; if an attempt finished
    first (a fast moment), try again with another file. The arXiv ids of the attempts that
    finished (they are stored) are returned."""
    finished: set[str] = set()
    for attempt in range(KILL_ATTEMPTS):
        big = _big_file(tmp_path / f"2025-12-0{attempt + 1}.json", attempt)
        proc = _cli(url, folder, "import", str(big))
        deadline = time.monotonic() + 300
        while proc.poll() is None and not _writing(admin, role):
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.01)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
            print(f"killed the import mid-transaction at attempt {attempt + 1}")
            return finished
        _finish(proc, "an import to be killed")
        finished.update(f"25{12 + attempt}.{i:05d}" for i in range(KILLED_ENTRIES))
    raise AssertionError(f"no import was still writing when looked at in {KILL_ATTEMPTS} tries")


@pytest.fixture
def samples(shared_samples: Path) -> list[Path]:
    files = sorted((shared_samples / "hf-daily-api").glob("*.json"))
    if len(files) < 10:
        pytest.skip(f"too few API samples in {shared_samples / 'hf-daily-api'}")
    return files


@pytest.fixture
def team(library_paths: LibraryPaths, samples: list[Path]) -> Iterator[dict[str, str]]:
    # The library exists with the first days in it (what the editors edit).
    with Library.open(library_paths) as library:
        for path in samples[:3]:
            library.import_file(path)
    with members(library_paths.database_url, "alice", "bob", "carol") as urls:
        yield urls


def _expected_papers(samples: list[Path], tmp_path: Path) -> set[str]:
    """The arXiv ids one member importing every sample alone ends with (SQLite, same rules)."""
    url = os.environ.pop("DIGESTDESK_DATABASE_URL")
    try:
        with Library.open(resolve_library(tmp_path / "alone"), repair_index=False) as alone:
            for path in samples:
                alone.import_file(path, index=False)
            with alone.engine.connect() as conn:
                ids = set(conn.execute(select(schema.entries.c.arxiv_id)).scalars())
                total = conn.execute(select(func.count()).select_from(schema.entries)).scalar()
    finally:
        os.environ["DIGESTDESK_DATABASE_URL"] = url
    assert None not in ids and len(ids) == total, "every API paper has an arXiv id"
    return {str(i) for i in ids}


def test_members_import_edit_and_crash_at_once(
    team: dict[str, str], samples: list[Path], tmp_path: Path, library_paths: LibraryPaths
) -> None:
    url = library_paths.database_url
    admin = create_engine(url)
    with admin.connect() as conn:
        base = list(
            conn.execute(select(schema.entries.c.id).order_by(schema.entries.c.id)).scalars()
        )
    folders = {name: tmp_path / name for name in team}
    half = len(samples) // 2
    overlap = len(samples) // 6
    role = {name: str(create_engine(u).url.username) for name, u in team.items()}

    started = time.monotonic()
    imports = [
        _cli(team["alice"], folders["alice"], "import", *map(str, samples[: half + overlap])),
        _cli(team["bob"], folders["bob"], "import", *map(str, samples[half - overlap :])),
    ]
    editors = [
        subprocess.Popen(
            [
                sys.executable,
                str(MEMBER),
                "--library",
                str(folders[name] / "editing"),
                "--ids",
                ",".join(str(i) for i in base[k::2]),
                "--rounds",
                str(EDIT_ROUNDS),
                "--out",
                str(tmp_path / f"{name}-edits.json"),
                "--seed",
                str(k + 1),
            ],
            env=_env(team[name]),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, name in enumerate(("alice", "bob"))
    ]
    finished = _kill_mid_import(team["carol"], folders["carol"], admin, role["carol"], tmp_path)
    for proc, name in zip(imports, ("alice's import", "bob's import"), strict=True):
        _finish(proc, name)
    for proc, name in zip(editors, ("alice's edits", "bob's edits"), strict=True):
        _finish(proc, name)
    print(f"imports, edits and the crash took {time.monotonic() - started:.1f} s together")

    # The papers are exact: each once, the same as one member importing everything alone,
    # and nothing of the killed import.
    expected = _expected_papers(samples, tmp_path) | finished
    with admin.connect() as conn:
        stored = list(conn.execute(select(schema.entries.c.arxiv_id)).scalars())
        # Each member's own notes and statuses (the owner column of a team library; the
        # superuser running the test passes every policy).
        stored_notes = {
            (owner, entry): note
            for owner, entry, note in conn.execute(
                text("SELECT owner, entry_id, text FROM notes")
            ).all()
        }
        stored_status = {
            (owner, entry): status
            for owner, entry, status in conn.execute(
                text("SELECT owner, entry_id, status FROM member_state")
            ).all()
        }
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    # Every member's last edit of each of its entries is there.
    for name in ("alice", "bob"):
        done = json.loads((tmp_path / f"{name}-edits.json").read_text())
        for entry, status in done["status"].items():
            assert stored_status.get((role[name], int(entry)), "unread") == status, (name, entry)
        for entry, note in done["notes"].items():
            assert stored_notes[(role[name], int(entry))] == note, (name, entry)
    # Each member's own index agrees with the database once it caught up (any command but
    # check does: it sees every change since its last, whoever made it and in whatever order
    # they committed).
    for name in ("alice", "bob", "carol"):
        _finish(_cli(team[name], folders[name], "search", "--json", "study"), f"{name}'s search")
        out = _finish(
            _cli(team[name], folders[name], "check", "--deep", "--json"), f"{name}'s check"
        )
        assert json.loads(out)["problems"] == [], name
    admin.dispose()
