"""Alembic migrations of the library database, run at open by :mod:`digestdesk.core.store`."""
