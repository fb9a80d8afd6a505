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


def member_url(url: str, role: str) -> str:
    """The library's URL as ``role`` connects (trust authentication: no password)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@contextmanager
def members(url: str, *names: str) -> Iterator[dict[str, str]]:
    """Roles that may read and write the library at ``url`` (its schema must exist): their
    connection URL by name. Dropped on exit."""
    roles = {name: f"dd_{name}_{os.getpid()}" for name in names}
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for role in roles.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
                conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
                for grant in (
                    f'GRANT USAGE ON SCHEMA public TO "{role}"',
                    f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
                    f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
                ):
                    conn.execute(text(grant))
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
