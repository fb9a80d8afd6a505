"""Alembic migrations of the library database, run at open by :mod:`digestdesk.core.store`."""

# The newest migration's revision. Checking it with one SELECT keeps Alembic (a slow import)
# out of every start; a test asserts it matches the migration scripts. Here, not in the store,
# so that the command line's reads check it without importing SQLAlchemy.
SCHEMA_HEAD = "0004"
