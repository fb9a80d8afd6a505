"""A team library's members: private reading state in the database (PostgreSQL only).

A team library is a PostgreSQL library that several roles share (issue 17). Papers, digests,
vote snapshots, links and imports stay the tables they are, shared by everyone. What is a
member's own gets an ``owner`` column (``DEFAULT current_user``) and row-level security, so a
member cannot read another's private rows even with plain SQL:

* ``member_state``: each member's reading status of a paper (a missing row is ``unread``);
  readable by every member (``read-by:`` and the reader's "also read by"), written by its owner;
* ``status_history``, ``undo_log``, ``reading_sessions``, ``session_items``: the owner's alone;
* ``tags`` and ``entry_tags``: a personal tag is its owner's alone; a team tag (its name starts
  with ``#``, as ``#reading-group``) and its papers are every member's;
* ``notes``: one note per member and paper; a note marked ``shared`` is a comment, readable by
  every member with its author and time, written only by its author.

The app's SQL stays what it is: the ``digestdesk_member`` schema, first in a team library's
search path (:func:`member_search_path`), holds views named like the tables: ``entries`` (the
paper with *this member's* status, from ``member_state``), each owned table with this member's
rows (the policies' rows again, so that a role they do not bind, the superuser, still sees
only its own in the app); and ``comments``, every member's shared notes with their author
(``comment:``, the reader). Writes to the ``entries`` view go to
the tables by ``INSTEAD OF`` triggers that write only the columns a statement changed (another
member's change to the same paper meanwhile is never written back over); the others are
simple views, which PostgreSQL writes through (``ON CONFLICT`` too).

The shared tables stay without policies; the superuser bypasses every policy (members must not
be superusers). The tables' owner runs ``team init`` (again after an upgrade: it is idempotent)
and ``team add ROLE``. A future migration of a team library runs with the plain search path
(the views are made again by ``team init``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import JSON, Connection, text

from digestdesk.core import schema
from digestdesk.errors import LibraryError

#: The schema of the members' views; first in a team library's search path.
MEMBER_SCHEMA = "digestdesk_member"
#: The meta key that makes a library a team library (its value: JSON, the base schema).
TEAM_KEY = "team"
#: Tables whose rows belong to a member (an ``owner`` column and policies).
OWNED_TABLES = (
    "member_state",
    "status_history",
    "tags",
    "entry_tags",
    "notes",
    "undo_log",
    "reading_sessions",
    "session_items",
)
#: The server version team libraries need (views with ``security_invoker``).
SERVER_VERSION_NUM = 150000

_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")


@dataclass(frozen=True)
class Team:
    """What ``meta`` says of a team library."""

    base_schema: str


def read_team(conn: Connection) -> Team | None:
    """The team of a library (None: a library of one user). One query, at open."""
    if conn.dialect.name != "postgresql":
        return None
    value = conn.execute(
        text("SELECT value FROM meta WHERE key = :key"), {"key": TEAM_KEY}
    ).scalar()
    if value is None:
        return None
    return Team(base_schema=str(json.loads(value).get("schema", "public")))


def member_search_path(team: Team) -> str:
    """The search path of a team library's connections: the members' views first."""
    return f"{MEMBER_SCHEMA}, {quoted(team.base_schema)}"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def role_name(role: str) -> str:
    """A role's name as given to ``team add``, checked (it goes into GRANT statements)."""
    if not _ROLE.match(role):
        raise LibraryError(
            f"{role!r} is not a role name Digest Desk accepts (letters, digits, _ . - $; "
            "at most 63 characters, not starting with a digit)."
        )
    return role


# ------------------------------------------------------------------------------ team init


def init_team(conn: Connection) -> bool:
    """Make this PostgreSQL library a team library (or bring an existing one's policies, views
    and triggers up to date): returns whether it was a team library already. The reading state
    already there (a library used by one role until now) becomes the running role's."""
    if conn.dialect.name != "postgresql":
        raise LibraryError(
            "A team library lives on a PostgreSQL server; this library is a SQLite file. Set "
            "DIGESTDESK_DATABASE_URL (or a libpq service) to the team's database first."
        )
    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    if version < SERVER_VERSION_NUM:
        raise LibraryError(
            f"A team library needs PostgreSQL 15 or newer (row-level security through views); "
            f"this server is {version // 10000}."
        )
    team = read_team(conn)
    base = (
        team.base_schema
        if team is not None
        else str(conn.execute(text("SELECT current_schema()")).scalar_one())
    )
    owner = conn.execute(
        text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(:table)"),
        {"table": f"{quoted(base)}.entries"},
    ).scalar()
    me = str(conn.execute(text("SELECT current_user")).scalar_one())
    superuser = bool(
        conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    )
    if owner != me and not superuser:
        raise LibraryError(
            f"`team init` is run by the role that owns the library's tables ({owner}) or a "
            f"superuser; you are {me}."
        )
    already = team is not None
    for statement in _init_statements(base):
        conn.execute(text(statement))
    if team is not None:  # the members keep their rights on what was made again
        for member in members(conn):
            if member != owner:
                _grant(conn, member, base)
    conn.execute(
        text(
            "INSERT INTO meta (key, value) VALUES (:key, :value) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        ),
        {"key": TEAM_KEY, "value": json.dumps({"schema": base})},
    )
    return already


#: A personal tag of this member (a team tag's row is no one's to change).
_PERSONAL_TAG = "owner = current_user AND name NOT LIKE '#%'"


def _init_statements(base: str) -> list[str]:
    b = quoted(base)
    m = MEMBER_SCHEMA
    statements = [
        f"CREATE TABLE IF NOT EXISTS {b}.member_state ("
        f" entry_id integer NOT NULL REFERENCES {b}.entries (id) ON DELETE CASCADE,"
        " owner text NOT NULL DEFAULT current_user,"
        " status varchar(16) NOT NULL,"
        " status_changed_at timestamptz,"
        " CONSTRAINT pk_member_state PRIMARY KEY (entry_id, owner))",
        f"CREATE INDEX IF NOT EXISTS ix_member_state_owner_status ON {b}.member_state"
        " (owner, status)",
    ]
    for table in OWNED_TABLES[1:]:
        statements.append(
            f"ALTER TABLE {b}.{table} ADD COLUMN IF NOT EXISTS owner text NOT NULL "
            "DEFAULT current_user"
        )
    statements += [
        # The status of every paper until now becomes the running role's (the base table
        # keeps 'unread' for everyone: nothing private stays in a shared row).
        f"INSERT INTO {b}.member_state (entry_id, status, status_changed_at)"
        f" SELECT id, status, status_changed_at FROM {b}.entries"
        "  WHERE status <> 'unread' OR status_changed_at IS NOT NULL"
        " ON CONFLICT DO NOTHING",
        f"UPDATE {b}.entries SET status = 'unread', status_changed_at = NULL"
        " WHERE status <> 'unread' OR status_changed_at IS NOT NULL",
        # One note per member and paper; a shared one is a comment.
        f"ALTER TABLE {b}.notes ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT false",
        f"ALTER TABLE {b}.notes DROP CONSTRAINT IF EXISTS pk_notes",
        f"ALTER TABLE {b}.notes ADD CONSTRAINT pk_notes PRIMARY KEY (entry_id, owner)",
        f"CREATE INDEX IF NOT EXISTS ix_notes_shared ON {b}.notes (entry_id) WHERE shared",
        # A personal tag's name is its owner's; a team tag's (#...) everyone's.
        f"ALTER TABLE {b}.tags DROP CONSTRAINT IF EXISTS uq_tags_name",
        f"CREATE UNIQUE INDEX IF NOT EXISTS ux_tags_owner_name ON {b}.tags"
        " ((CASE WHEN name LIKE '#%' THEN '' ELSE owner END), name)",
        f"CREATE INDEX IF NOT EXISTS ix_tags_name ON {b}.tags (name)",
    ]
    policies = {
        "member_state": {
            "SELECT": "true",
            "INSERT": None,
            "UPDATE": "owner = current_user",
            "DELETE": "owner = current_user",
        },
        "tags": {
            "SELECT": "owner = current_user OR name LIKE '#%'",
            "INSERT": None,
            # A team tag is everyone's, whoever made its row: its maker may neither rename it
            # into a personal tag (the others' links would point at a tag they no longer see)
            # nor delete it (their links would go with it, by the foreign key's cascade).
            "UPDATE": _PERSONAL_TAG,
            "DELETE": _PERSONAL_TAG,
        },
        "entry_tags": {
            "SELECT": _visible_tag_link(b),
            "INSERT": None,
            "UPDATE": "owner = current_user",
            "DELETE": _visible_tag_link(b),
        },
        "notes": {
            "SELECT": "owner = current_user OR shared",
            "INSERT": None,
            "UPDATE": "owner = current_user",
            "DELETE": "owner = current_user",
        },
    }
    for table in OWNED_TABLES:
        rules = policies.get(
            table,
            {
                "SELECT": "owner = current_user",
                "INSERT": None,
                "UPDATE": "owner = current_user",
                "DELETE": "owner = current_user",
            },
        )
        statements += [
            f"ALTER TABLE {b}.{table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {b}.{table} FORCE ROW LEVEL SECURITY",
        ]
        for command, using in rules.items():
            name = f"dd_{command.lower()}"
            statements.append(f"DROP POLICY IF EXISTS {name} ON {b}.{table}")
            check = "owner = current_user"
            if table == "tags" and command == "UPDATE":
                check = _PERSONAL_TAG  # nor does a personal tag become a team tag by a rename
            if table == "entry_tags":
                # Only a tag this member sees: never a link to another member's personal tag.
                check += f" AND EXISTS (SELECT 1 FROM {b}.tags t WHERE t.id = tag_id)"
            if table == "session_items":
                # Only a step of this member's own session (the foreign key's check passes
                # the policies: it would take a place in another's session, and say so).
                sessions = f"{b}.reading_sessions s"
                check += f" AND EXISTS (SELECT 1 FROM {sessions} WHERE s.id = session_id)"
            if command == "SELECT" or command == "DELETE":
                clause = f"USING ({using})"
            elif command == "INSERT":
                clause = f"WITH CHECK ({check})"
            else:
                clause = f"USING ({using}) WITH CHECK ({check})"
            statements.append(f"CREATE POLICY {name} ON {b}.{table} FOR {command} {clause}")
    statements += [
        f"CREATE SCHEMA IF NOT EXISTS {m}",
        _entries_view(b),
        *_own_views(b),
        f"CREATE OR REPLACE VIEW {m}.comments WITH (security_invoker = true) AS"
        f" SELECT entry_id, owner AS author, text, edited_at FROM {b}.notes WHERE shared",
        *_entries_triggers(b),
    ]
    return statements


#: What a member's app sees of each owned table: the same rows the policies leave, stated
#: again in a view, so that a role the policies do not bind (the superuser; a role with
#: BYPASSRLS) still works on its own rows in the app and never undoes another's step.
_OWN_ROWS = {
    "status_history": "owner = current_user",
    "undo_log": "owner = current_user",
    "reading_sessions": "owner = current_user",
    "session_items": "owner = current_user",
    "notes": "owner = current_user",
    "tags": "owner = current_user OR name LIKE '#%'",
}


def _own_views(b: str) -> list[str]:
    views = []
    for name, where in {**_OWN_ROWS, "entry_tags": _visible_tag_link(b)}.items():
        columns = ", ".join(c.name for c in schema.metadata.tables[name].columns)
        views.append(
            f"CREATE OR REPLACE VIEW {MEMBER_SCHEMA}.{name} WITH (security_invoker = true) AS"
            f" SELECT {columns} FROM {b}.{name} WHERE {where}"
        )
    return views


def _visible_tag_link(b: str) -> str:
    return (
        "owner = current_user OR EXISTS (SELECT 1 FROM "
        f"{b}.tags t WHERE t.id = tag_id AND t.name LIKE '#%')"
    )


def _paper_columns() -> list[str]:
    return [c.name for c in schema.entries.columns if c.name not in ("status", "status_changed_at")]


def _entries_view(b: str) -> str:
    columns = []
    for column in schema.entries.columns:
        if column.name == "status":
            columns.append("COALESCE(m.status, 'unread')::varchar(16) AS status")
        elif column.name == "status_changed_at":
            columns.append("m.status_changed_at AS status_changed_at")
        else:
            columns.append(f"e.{column.name}")
    return (
        f"CREATE OR REPLACE VIEW {MEMBER_SCHEMA}.entries WITH (security_invoker = true) AS SELECT "
        + ", ".join(columns)
        + f" FROM {b}.entries e LEFT JOIN {b}.member_state m"
        " ON m.entry_id = e.id AND m.owner = current_user"
    )


def _differs(name: str) -> str:
    """NEW and OLD differ in a column (json has no equality: compared as text)."""
    column = schema.entries.c[name]
    if isinstance(column.type, JSON):
        return f"NEW.{name}::text IS DISTINCT FROM OLD.{name}::text"
    return f"NEW.{name} IS DISTINCT FROM OLD.{name}"


def _entries_triggers(b: str) -> list[str]:
    m = MEMBER_SCHEMA
    paper = [c for c in _paper_columns() if c != "id"]
    upsert_state = (
        f"INSERT INTO {b}.member_state (entry_id, status, status_changed_at)"
        " VALUES (NEW.id, COALESCE(NEW.status, 'unread'), NEW.status_changed_at)"
        " ON CONFLICT (entry_id, owner) DO UPDATE SET status = EXCLUDED.status,"
        " status_changed_at = EXCLUDED.status_changed_at;"
    )
    values = ", ".join(f"NEW.{c}" for c in paper)
    insert = f"""
CREATE OR REPLACE FUNCTION {m}.entries_insert() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF NEW.id IS NULL THEN
    INSERT INTO {b}.entries ({", ".join(paper)}, status)
      VALUES ({values}, 'unread') RETURNING id INTO NEW.id;
  ELSE
    INSERT INTO {b}.entries (id, {", ".join(paper)}, status)
      VALUES (NEW.id, {values}, 'unread');
  END IF;
  IF COALESCE(NEW.status, 'unread') <> 'unread' OR NEW.status_changed_at IS NOT NULL THEN
    {upsert_state}
  END IF;
  NEW.status := COALESCE(NEW.status, 'unread');
  RETURN NEW;
END
$body$"""
    # Only what the statement changed is written: a column it left alone keeps the value the
    # row has now (another member may have changed it since this statement's snapshot).
    sets = ", ".join(f"{c} = CASE WHEN {_differs(c)} THEN NEW.{c} ELSE e.{c} END" for c in paper)
    update = f"""
CREATE OR REPLACE FUNCTION {m}.entries_update() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id THEN
    RAISE EXCEPTION 'the id of a paper does not change';
  END IF;
  IF {" OR ".join(_differs(c) for c in paper)} THEN
    UPDATE {b}.entries AS e SET {sets} WHERE e.id = OLD.id;
  END IF;
  IF {_differs("status")} OR {_differs("status_changed_at")} THEN
    {upsert_state}
  END IF;
  RETURN NEW;
END
$body$"""
    delete = f"""
CREATE OR REPLACE FUNCTION {m}.entries_delete() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  DELETE FROM {b}.entries WHERE id = OLD.id;
  RETURN OLD;
END
$body$"""
    return [
        insert,
        update,
        delete,
        f"CREATE OR REPLACE TRIGGER entries_insert INSTEAD OF INSERT ON {m}.entries"
        f" FOR EACH ROW EXECUTE FUNCTION {m}.entries_insert()",
        f"CREATE OR REPLACE TRIGGER entries_update INSTEAD OF UPDATE ON {m}.entries"
        f" FOR EACH ROW EXECUTE FUNCTION {m}.entries_update()",
        f"CREATE OR REPLACE TRIGGER entries_delete INSTEAD OF DELETE ON {m}.entries"
        f" FOR EACH ROW EXECUTE FUNCTION {m}.entries_delete()",
    ]


# ------------------------------------------------------------------------------- team add


def add_member(conn: Connection, role: str) -> None:
    """Let an existing role (``CREATE ROLE name LOGIN``) read and write the team library."""
    team = read_team(conn)
    if team is None:
        raise LibraryError(
            "This library is not a team library yet: run `digestdesk team init` first (as the "
            "role that owns its tables)."
        )
    role = role_name(role)
    found = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is None:
        raise LibraryError(
            f"There is no role {role!r} on this server. Make it first (as an administrator): "
            f"CREATE ROLE \"{role}\" LOGIN PASSWORD '...'"
        )
    _grant(conn, role, team.base_schema)


def _grant(conn: Connection, role: str, base: str) -> None:
    r = quoted(role)
    b = quoted(base)
    # CONNECT too, for a database that grants it to no one else (the README revokes it from
    # PUBLIC: a role let in on nothing could still connect, read the catalog, LISTEN and
    # take the advisory lock imports take turns on); where the runner may grant it.
    database = str(conn.execute(text("SELECT current_database()")).scalar_one())
    if conn.execute(
        text("SELECT has_database_privilege(current_database(), 'CONNECT WITH GRANT OPTION')")
    ).scalar():
        conn.execute(text(f"GRANT CONNECT ON DATABASE {quoted(database)} TO {r}"))
    for statement in (
        f"GRANT USAGE ON SCHEMA {b}, {MEMBER_SCHEMA} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {b} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {MEMBER_SCHEMA} TO {r}",
        # Numbers come from the sequences (nextval), never set back (setval) by a member.
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {b} TO {r}",
        f"REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA {b} FROM {r}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {MEMBER_SCHEMA} TO {r}",
        # A paper is not deleted by a member (the app never does): the foreign keys cascade
        # past the policies, so it would take the other members' private rows on it along.
        f"REVOKE DELETE ON {b}.entries FROM {r}",
    ):
        conn.execute(text(statement))
    for table in schema.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        # A member neither chooses a row's id nor changes it (the app never does): ids taken
        # ahead of the sequence made every other member's next rows fail (a tag's creation
        # crashed, a status change failed after its retries), a key taken said that another
        # member's row had it, and a paper's changed id failed naming the table still
        # referring to it (another member's tag, note or history showed through).
        columns = ", ".join(c.name for c in table.c if c.name != "id")
        if table.name in OWNED_TABLES:
            columns += ", owner"
        conn.execute(text(f"REVOKE INSERT, UPDATE ON {b}.{table.name} FROM {r}"))
        conn.execute(
            text(f"GRANT INSERT ({columns}), UPDATE ({columns}) ON {b}.{table.name} TO {r}")
        )


def superuser_warning(conn: Connection, role: str) -> str | None:
    """A superuser, or a role with BYPASSRLS, bypasses row-level security: their private
    rows would be private, but they would see everyone's."""
    found = conn.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
        {"role": role},
    ).first()
    if found is not None and (found[0] or found[1]):
        kind = "a superuser" if found[0] else "a role with BYPASSRLS"
        return (
            f"{role} is {kind}: PostgreSQL shows such a role every member's private rows. "
            "Members should be plain LOGIN roles."
        )
    return None


def members(conn: Connection) -> list[str]:
    """The roles that may use the team library (granted on its tables), by name."""
    team = read_team(conn)
    if team is None:
        return []
    rows = conn.execute(
        text(
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants"
            " WHERE table_schema = :schema AND table_name = 'member_state'"
            " AND privilege_type = 'INSERT' ORDER BY grantee"
        ),
        {"schema": team.base_schema},
    ).all()
    return [str(row[0]) for row in rows]
