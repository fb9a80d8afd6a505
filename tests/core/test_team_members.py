"""The members of a team library (issue 17): each member's reading state is their own, in the
database itself. Members are real PostgreSQL roles (plain ``LOGIN`` roles; a superuser passes
every policy), each connecting as itself, as on their own machines:

- status, personal tags, private notes, sessions and undo are a member's own: another member's
  library shows none of them, and neither does plain SQL as that member;
- team tags (``#...``) and comments (shared notes) are every member's;
- ``read-by:ROLE`` and ``comment:WORDS`` find what they say, ``status:`` is always your own;
- ``team init`` keeps the reading state already there as its runner's, and runs again safely.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from digestdesk.cli.runner import main
from digestdesk.core.library import Library
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths, resolve_library
from tests.core import factories
from tests.pg_members import member_url, members

pytestmark = pytest.mark.postgres


@pytest.fixture
def team(library_paths: LibraryPaths, tmp_path: Path) -> Iterator[dict[str, Library]]:
    """A library of ten papers, its owner's status and note on the first, then two members,
    each with their own open library (own index folder, own connection)."""
    with Library.open(library_paths) as owner:
        owner.import_bytes(factories.api_day(10), name="2025-11-20.json")
        owner.set_status([1], "read")
        owner.set_note(1, "the owner's note")
    with members(library_paths.database_url, "ada", "alan") as urls:
        opened: dict[str, Library] = {}
        try:
            for name, url in urls.items():
                os.environ["DIGESTDESK_DATABASE_URL"] = url
                opened[name] = Library.open(resolve_library(tmp_path / name))
            os.environ["DIGESTDESK_DATABASE_URL"] = library_paths.database_url
            yield opened
        finally:
            os.environ["DIGESTDESK_DATABASE_URL"] = library_paths.database_url
            for library in opened.values():
                library.close()


def _role(library: Library) -> str:
    role = library.team.me()
    assert role is not None
    return role


def _plain_sql(library: Library, sql: str) -> list[tuple[object, ...]]:
    """What ``psql`` as this member shows: a connection of its own, the default search path."""
    url = make_url(library.paths.database_url).set(username=_role(library))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_reading_state_is_each_members_own(team: dict[str, Library]) -> None:
    ada, alan = team["ada"], team["alan"]
    ada.set_status([2, 3], "queued")
    ada.change_tags([2], add=["my-pile"])
    ada.set_note(2, "ada's private thoughts")
    alan.set_status([2], "skipped")
    # Each sees their own status, tags and note, and nothing of the other's or the owner's.
    assert ada.entry(2).status == "queued" and alan.entry(2).status == "skipped"
    assert ada.entry(1).status == "unread" and ada.entry(1).note is None
    assert ada.entry(2).tags == ["my-pile"] and alan.entry(2).tags == []
    assert ada.entry(2).note == "ada's private thoughts" and alan.entry(2).note is None
    # status: is always your own; a personal tag is found by its owner only.
    assert set(ada.search("status:queued").ids) == {2, 3}
    assert alan.search("status:queued").ids == []
    assert alan.search("status:skipped").ids == [2]
    assert ada.search("tag:my-pile").ids == [2] and alan.search("tag:my-pile").ids == []
    # Undo is your own: alan's undo takes back his skip, not ada's tag.
    assert alan.undo_label() == "Mark skipped"
    alan.undo()
    assert alan.entry(2).status == "unread" and ada.entry(2).tags == ["my-pile"]
    assert ada.undo_label() == "Tag +my-pile"
    # Two members may tag the same paper with personal tags of the same name.
    alan.change_tags([2], add=["my-pile"])
    assert alan.entry(2).tags == ["my-pile"] and ada.entry(2).tags == ["my-pile"]
    alan.change_tags([2], remove=["my-pile"])
    assert ada.entry(2).tags == ["my-pile"]
    # Each member's search index agrees with the database, with their own statuses in it.
    for library in (ada, alan):
        library.catch_up_index()
        assert library.check() == []


def test_private_rows_are_private_with_plain_sql_too(team: dict[str, Library]) -> None:
    ada, alan = team["ada"], team["alan"]
    ada.set_status([4], "read")
    ada.change_tags([4], add=["secret-project"])
    ada.set_note(4, "ada's private note")
    ada.session_edits.start(
        [4, 5], label="ada's session", source_query=None, replace=True, now=datetime.now(UTC)
    )
    alan_role, ada_role = _role(alan), _role(ada)
    tables = (
        "notes",
        "entry_tags",
        "tags",
        "status_history",
        "undo_log",
        "reading_sessions",
        "session_items",
    )
    assert _plain_sql(ada, "SELECT count(*) FROM public.reading_sessions") == [(1,)]
    for table in tables:
        rows = _plain_sql(alan, f"SELECT owner FROM public.{table}")
        assert {row[0] for row in rows} <= {alan_role}, (table, rows)
    # Even asking for ada's rows by name finds nothing; the base entries hold no one's status.
    assert _plain_sql(alan, f"SELECT * FROM public.notes WHERE owner = '{ada_role}'") == []
    assert _plain_sql(alan, "SELECT count(*) FROM public.tags WHERE name = 'secret-project'") == [
        (0,)
    ]
    assert _plain_sql(alan, "SELECT DISTINCT status FROM public.entries") == [("unread",)]
    # A member cannot write as another: a row claiming ada as its owner is refused.
    with pytest.raises(Exception, match="row-level security"):
        _plain_sql(
            alan,
            "INSERT INTO public.notes (entry_id, text, edited_at, owner) "
            f"VALUES (5, 'forged', now(), '{ada_role}')",
        )
    # Statuses are readable by every member (read-by:, the reader), writable by their owner.
    assert (4, ada_role, "read") in _plain_sql(
        alan, "SELECT entry_id, owner, status FROM public.member_state"
    )
    assert (
        _plain_sql(
            alan,
            f"UPDATE public.member_state SET status = 'skipped' WHERE owner = '{ada_role}' "
            "RETURNING 1",
        )
        == []
    )
    assert ada.entry(4).status == "read"


def test_team_tags_and_comments_are_everyones(team: dict[str, Library]) -> None:
    ada, alan = team["ada"], team["alan"]
    ada.change_tags([5, 6], add=["#reading-group"])
    assert alan.entry(5).tags == ["#reading-group"]
    assert set(alan.search("tag:#reading-group").ids) == {5, 6}
    # The same team tag by the other member is no conflict and adds nothing twice.
    alan.change_tags([5, 7], add=["#reading-group"])
    assert set(ada.search("tag:#reading-group").ids) == {5, 6, 7}
    # A comment is a shared note: every member sees it with its author; a private one not.
    ada.set_note(5, "Worth presenting on Friday")
    assert alan.team.colleagues(5).comments == []
    ada.team.share_note(5, True)
    (comment,) = alan.team.colleagues(5).comments
    assert (comment.member, comment.text) == (_role(ada), "Worth presenting on Friday")
    assert alan.entry(5).note is None  # alan's own note is still his (none)
    assert alan.search("comment:friday").ids == [5]
    assert alan.search('comment:"friday presenting"').ids == [5]  # every word
    assert alan.search("comment:tuesday").ids == []
    ada.team.share_note(5, False)
    assert alan.team.colleagues(5).comments == [] and alan.search("comment:friday").ids == []
    with pytest.raises(DigestDeskError, match="no note of yours"):
        alan.team.share_note(5, True)


def test_read_by_and_who_else_read(team: dict[str, Library]) -> None:
    ada, alan = team["ada"], team["alan"]
    ada.set_status([2, 3], "read")
    ada.set_status([4], "queued")
    assert set(alan.search(f"read-by:{_role(ada)}").ids) == {2, 3}
    assert alan.search(f"read-by:{_role(alan)}").ids == []
    assert set(alan.search(f"read-by:{_role(ada)} -status:read").ids) == {2, 3}
    # Words and read-by: together.
    assert alan.search(f"efficient read-by:{_role(ada)}").ids
    with pytest.raises(DigestDeskError, match="not joined to them by OR"):
        alan.search(f"efficient OR read-by:{_role(ada)}")
    seen = alan.team.colleagues(4)
    assert [(s.member, s.status) for s in seen.states] == [(_role(ada), "queued")]
    assert ada.team.colleagues(4).states == []  # your own status is not "someone else's"


def test_team_init_keeps_the_owners_state_and_runs_again(
    team: dict[str, Library], library_paths: LibraryPaths, tmp_path: Path
) -> None:
    # The owner's status and note from before the team are still the owner's.
    with Library.open(resolve_library(tmp_path / "owner")) as owner:
        assert owner.team.is_team
        assert owner.entry(1).status == "read" and owner.entry(1).note == "the owner's note"
        code = main(["--library", str(tmp_path / "owner"), "team", "init", "--json"])
        assert code == 0
    assert team["ada"].entry(1).status == "unread"
    assert [s.status for s in team["ada"].team.colleagues(1).states] == ["read"]


def test_team_cli(
    library_paths: LibraryPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "owner")
    with Library.open(library_paths) as owner:
        owner.import_bytes(factories.api_day(3), name="2025-11-20.json")
    assert main(["--library", folder, "team", "add", "nobody"]) != 0
    assert "team init" in capsys.readouterr().err
    assert main(["--library", folder, "team", "init", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["already"] is False
    assert main(["--library", folder, "team", "init"]) == 0
    assert "already" in capsys.readouterr().out
    assert main(["--library", folder, "team", "add", "no_such_role_dd"]) != 0
    assert "CREATE ROLE" in capsys.readouterr().err
    assert main(["--library", folder, "team", "add", "bad;role"]) != 0
    with members(library_paths.database_url, "grace") as urls:
        role = str(make_url(urls["grace"]).username)
        assert main(["--library", folder, "team", "members", "--json"]) == 0
        assert role in json.loads(capsys.readouterr().out)["members"]
        os.environ["DIGESTDESK_DATABASE_URL"] = urls["grace"]
        try:
            grace = str(tmp_path / "grace")
            assert main(["--library", grace, "note", "1", "a shared thought", "--shared"]) == 0
            assert "shared" in capsys.readouterr().out
            assert main(["--library", grace, "search", "comment:thought", "--json"]) == 0
            assert [e["id"] for e in json.loads(capsys.readouterr().out)] == [1]
            # A member cannot make the library a team library again (not the tables' owner).
            assert main(["--library", grace, "team", "init"]) != 0
            assert "owns the library" in capsys.readouterr().err
        finally:
            os.environ["DIGESTDESK_DATABASE_URL"] = library_paths.database_url


def test_a_role_the_policies_do_not_bind_still_sees_its_own(
    team: dict[str, Library], tmp_path: Path
) -> None:
    """The library's owner here is the superuser, whom PostgreSQL's policies do not bind: the
    app still shows it its own tags, notes and undo steps, never a member's."""
    ada = team["ada"]
    ada.change_tags([2], add=["ada-only"])
    ada.set_note(2, "ada's")
    with Library.open(resolve_library(tmp_path / "owner")) as owner:
        assert owner.entry(2).tags == [] and owner.entry(2).note is None
        assert owner.search("tag:ada-only").ids == []
        assert owner.undo_label() == "Mark read"  # its own step from before the team
        owner.undo()
        assert owner.entry(1).status == "unread"
    assert ada.entry(2).tags == ["ada-only"] and ada.undo_label() == "Tag +ada-only"


def test_one_url_as_two_roles_keeps_two_indexes(
    team: dict[str, Library],
    library_paths: LibraryPaths,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL that does not name the role (a libpq service, ``PGUSER``) connects as whoever
    the environment says: on one machine account each role searches an index of its own, so
    one member's private note is never found by another's words (nor its status shown)."""
    ada, alan = team["ada"], team["alan"]
    ada.set_note(3, "zanzibar is ada's private word")
    ada_role, alan_role = _role(ada), _role(alan)
    url = make_url(library_paths.database_url)._replace(username=None, password=None)
    monkeypatch.setenv("DIGESTDESK_DATABASE_URL", url.render_as_string(hide_password=False))
    shared = tmp_path / "one-account"
    monkeypatch.setenv("PGUSER", ada_role)
    with Library.open(resolve_library(shared)) as as_ada:
        assert as_ada.team.me() == ada_role
        assert as_ada.search("zanzibar").ids == [3]
        # While ada's window keeps this machine's index, alan opens the same library too.
        monkeypatch.setenv("PGUSER", alan_role)
        with Library.open(resolve_library(shared)) as as_alan:
            assert as_alan.team.me() == alan_role
            assert as_alan.keeps_index and as_alan.paths.index_dir != as_ada.paths.index_dir
            assert as_alan.search("zanzibar").ids == []
    with Library.open(resolve_library(shared)) as as_alan:
        assert as_alan.search("zanzibar").ids == []
        assert as_alan.check() == []


def test_a_team_tag_stays_everyones(team: dict[str, Library]) -> None:
    """The member who made a team tag first holds its row, but it is everyone's: with plain SQL
    they can neither rename it into a personal tag (the others' links would point at a tag
    they no longer see) nor delete it (the links would go with it); a personal tag never
    becomes a team tag by renaming either (its links were private)."""
    ada, alan = team["ada"], team["alan"]
    ada.change_tags([5], add=["#reading-group", "ada-only"])
    alan.change_tags([6], add=["#reading-group"])
    for sql in (
        "UPDATE public.tags SET name = 'mine' WHERE name = '#reading-group' RETURNING id",
        "DELETE FROM public.tags WHERE name = '#reading-group' RETURNING id",
        "UPDATE public.tags SET name = '#ada-only' WHERE name = 'ada-only' RETURNING id",
    ):
        try:
            changed = _plain_sql(ada, sql)
        except DBAPIError as exc:  # refused outright is as good
            assert "row-level security" in str(exc), sql
        else:
            assert changed == [], sql
    assert alan.entry(6).tags == ["#reading-group"]
    assert alan.entry(5).tags == ["#reading-group"]
    assert ada.entry(5).tags == ["#reading-group", "ada-only"]


def test_no_step_goes_into_another_members_session(team: dict[str, Library]) -> None:
    """A session's items are its owner's: a member cannot add a step to another member's
    session with plain SQL (the key check runs past the policies: the step would take a
    place in it, and a taken place would say how long the session is)."""
    ada, alan = team["ada"], team["alan"]
    session = ada.session_edits.start(
        [4, 5], label="ada's session", source_query=None, replace=True, now=datetime.now(UTC)
    )
    for position in (0, 99):  # a place ada's session has, and one it has not
        with pytest.raises(DBAPIError, match="row-level security"):
            _plain_sql(
                alan,
                "INSERT INTO public.session_items"
                " (session_id, position, entry_id, tagged, noted, seconds)"
                f" VALUES ({session}, {position}, 4, false, false, 0)",
            )
    assert ada.session_edits.start(
        [6], label="again", source_query=None, replace=True, now=datetime.now(UTC)
    )


def test_a_database_closed_to_others_lets_members_in(
    library_paths: LibraryPaths, tmp_path: Path
) -> None:
    """With CONNECT revoked from PUBLIC (the README's first step), ``team add`` lets the member
    connect; a role let in on nothing cannot even connect (no catalog, no LISTEN, no advisory
    lock to hold up the imports)."""
    with Library.open(library_paths) as owner:
        owner.import_bytes(factories.api_day(2), name="2025-11-20.json")
    url = library_paths.database_url
    database = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    outsider = f"dd_outsider_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{outsider}"'))
            conn.execute(text(f'CREATE ROLE "{outsider}" LOGIN'))
        # Let in on nothing, the app says what to do (not a traceback); then not even in.
        for revoke in (False, True):
            if revoke:
                with admin.connect() as conn:
                    conn.execute(text(f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC'))
            os.environ["DIGESTDESK_DATABASE_URL"] = member_url(url, outsider)
            try:
                with pytest.raises(DigestDeskError, match="team add"):
                    Library.open(resolve_library(tmp_path / "outsider"))
            finally:
                os.environ["DIGESTDESK_DATABASE_URL"] = url
        with members(url, "grace") as urls:
            os.environ["DIGESTDESK_DATABASE_URL"] = urls["grace"]
            try:
                with Library.open(resolve_library(tmp_path / "grace")) as grace:
                    assert grace.set_status([1], "read").entry_ids == {1}
            finally:
                os.environ["DIGESTDESK_DATABASE_URL"] = url
        stranger = create_engine(make_url(url).set(username=outsider))
        with pytest.raises(DBAPIError, match="CONNECT"):
            stranger.connect()
        stranger.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO PUBLIC'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{outsider}"'))
        admin.dispose()


def test_a_paper_cannot_be_moved_or_deleted_from_under_others_private_rows(
    team: dict[str, Library],
) -> None:
    """Deleting a paper would take every member's private rows on it along (the foreign keys
    cascade past the policies), and changing its id fails with the name of the table still
    referring to it: another member's private tag, note or history would show through. The
    app does neither; a member cannot with plain SQL."""
    ada, alan = team["ada"], team["alan"]
    ada.change_tags([7], add=["ada-only"])
    ada.set_note(7, "ada's")
    for sql in (
        "DELETE FROM public.entries WHERE id = 7 RETURNING id",
        "UPDATE public.entries SET id = 100007 WHERE id = 7 RETURNING id",
        "DELETE FROM digestdesk_member.entries WHERE id = 7 RETURNING id",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            _plain_sql(alan, sql)
    assert ada.entry(7).note == "ada's" and ada.entry(7).tags == ["ada-only"]
    # What the app writes of a paper still goes through (a member's import, status, note).
    alan.set_status([7], "read")
    renamed = "UPDATE public.entries SET title = title WHERE id = 7 RETURNING id"
    assert _plain_sql(alan, renamed) == [(7,)]


def test_no_member_takes_ids_ahead_of_the_others(team: dict[str, Library]) -> None:
    """Ids come from the sequences alone: a member who could insert rows with ids ahead of a
    sequence (or set it back) made the other members' next rows fail (a new tag crashed, a
    status change gave up after its retries), and a taken id said another's row had it."""
    ada, alan = team["ada"], team["alan"]
    for sql in (
        "INSERT INTO public.tags (id, name) VALUES (1000, 'squat') RETURNING id",
        "INSERT INTO public.undo_log (id, created_at, label, payload, undone)"
        " VALUES (1000, now(), 'x', '{}', false) RETURNING id",
        "INSERT INTO public.status_history (id, entry_id, status, at)"
        " VALUES (1000, 1, 'read', now()) RETURNING id",
        "UPDATE public.status_history SET id = id + 1000 RETURNING id",
        "SELECT setval('public.tags_id_seq', 1)",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            _plain_sql(alan, sql)
    # Rows without a chosen id go in as before, and the app's edits work.
    assert _plain_sql(alan, "INSERT INTO public.tags (name) VALUES ('mine') RETURNING name") == [
        ("mine",)
    ]
    ada.change_tags([3], add=["ada-new"])
    ada.set_status([3], "read")
    assert ada.entry(3).tags == ["ada-new"] and ada.entry(3).status == "read"


def test_team_add_warns_of_a_role_that_bypasses_the_policies(
    library_paths: LibraryPaths, tmp_path: Path
) -> None:
    """A role with BYPASSRLS, like a superuser, sees every member's private rows."""
    with Library.open(library_paths) as owner:
        owner.import_bytes(factories.api_day(1), name="2025-11-20.json")
    with members(library_paths.database_url, "grace") as urls:
        role = str(make_url(urls["grace"]).username)
        admin = create_engine(library_paths.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" BYPASSRLS'))
        admin.dispose()
        with Library.open(resolve_library(tmp_path / "owner")) as owner:
            warning = owner.team.add(role)
        assert warning is not None and "BYPASSRLS" in warning


def test_a_team_tag_typed_any_way_stays_a_team_tag(team: dict[str, Library]) -> None:
    ada, alan = team["ada"], team["alan"]
    assert ada.normalize_tag("#Reading Group") == "#reading-group"
    ada.change_tags([3], add=["#Reading Group"])
    assert alan.entry(3).tags == ["#reading-group"]
    assert alan.search("tag:#reading-group").ids == [3]
    assert alan.search("tag:reading-group").ids == []  # a personal tag of that name: none
    assert alan.search("efficient OR tag:#reading-group").ids  # the index's tag: too
