"""A library of one reader (SQLite) says clearly what only a team library does (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digestdesk.core.library import Library
from digestdesk.errors import DigestDeskError, LibraryError
from digestdesk.paths import resolve_library
from tests.core import factories


def test_team_filters_on_a_library_of_one_reader(tmp_path: Path) -> None:
    with Library.open(resolve_library(tmp_path / "solo", server=False)) as solo:
        solo.import_bytes(factories.api_day(3), name="2025-11-20.json")
        with pytest.raises(DigestDeskError, match="team library"):
            solo.search("read-by:ada")
        with pytest.raises(DigestDeskError, match="team library"):
            solo.team.share_note(1, True)
        assert not solo.team.is_team and solo.team.colleagues(1).states == []


def test_team_init_needs_a_server(tmp_path: Path) -> None:
    with (
        Library.open(resolve_library(tmp_path / "solo", server=False)) as solo,
        pytest.raises(LibraryError, match="PostgreSQL"),
    ):
        solo.team.init()


def test_a_hash_in_front_of_a_tag_is_no_part_of_its_name_in_a_library_of_one(
    tmp_path: Path,
) -> None:
    """Only a team library has team tags: elsewhere ``#ml`` is the tag ``ml``, as it always
    was, and ``tag:#ml`` finds it."""
    with Library.open(resolve_library(tmp_path / "solo", server=False)) as solo:
        solo.import_bytes(factories.api_day(3), name="2025-11-20.json")
        solo.change_tags([1], add=["#ml"])
        assert solo.entry(1).tags == ["ml"] and solo.normalize_tag("#ml") == "ml"
        assert solo.search("tag:#ml").ids == [1] == solo.search("tag:ml").ids
        assert solo.search("efficient OR tag:#ml").ids  # the index's tag: too
