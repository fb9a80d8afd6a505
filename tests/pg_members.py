"""Members of a team library for tests: PostgreSQL roles made for one test and dropped after.

Roles belong to the whole server, not to one database, so each name carries the process id
(two test runs on one server never share one) and every role is dropped at the end, with what
it owns and its grants in the test database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from digestdesk.core import team_schema


def member_url(url: str, role: str) -> str:
    """The library's URL as ``role`` connects (trust authentication: no password)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@contextmanager
def members(url: str, *names: str) -> Iterator[dict[str, str]]:
    """Members of the team library at ``url`` (its schema must exist; it is made a team
    library, as ``digestdesk team init`` does, and each role let in as ``team add`` does):
    their connection URL by name. The roles are plain ``LOGIN`` roles (a superuser would pass
    every policy). Dropped on exit."""
    roles = {name: f"dd_{name}_{os.getpid()}" for name in names}
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for role in roles.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
                conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        with engine.connect() as conn, conn.begin():
            team_schema.init_team(conn)
            for role in roles.values():
                team_schema.add_member(conn, role)
        yield {name: member_url(url, role) for name, role in roles.items()}
    finally:
        with engine.connect() as conn:
            for role in roles.values():
                # Sessions still open as the role (a killed window's) would keep it alive.
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"
                    ),
                    {"r": role},
                )
                if conn.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                ).first():
                    conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        engine.dispose()
