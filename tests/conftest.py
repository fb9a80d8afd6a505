"""Shared fixtures: a temporary library on SQLite, or on DIGESTDESK_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestdesk.paths import LibraryPaths, resolve_library

SHARED_SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the real user's data, cache, config or log dirs."""
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.delenv("DIGESTDESK_LIBRARY", raising=False)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS digestdesk_member CASCADE"))  # a team's
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def library_paths(tmp_path: Path) -> LibraryPaths:
    url = os.environ.get("DIGESTDESK_DATABASE_URL")
    if url:
        _reset_postgres(url)
    return resolve_library(tmp_path / "library")


@pytest.fixture
def library(library_paths: LibraryPaths) -> Iterator[object]:
    from digestdesk.core.library import Library

    lib = Library.open(library_paths)
    try:
        yield lib
    finally:
        lib.close()


@pytest.fixture
def shared_samples() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(
            f"the shared samples are not here ({SHARED_SAMPLES}); they live beside the repo"
        )
    return SHARED_SAMPLES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("DIGESTDESK_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="needs DIGESTDESK_DATABASE_URL (PostgreSQL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
