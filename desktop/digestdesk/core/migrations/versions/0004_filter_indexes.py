"""indexes for every filter of the query language

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:40:00.000000

``has:code`` and ``has:project`` (and their negations) were answered by reading every row of
``entries``, abstracts and all: about 2 s at 100k entries before a word search could start.
Two indexes answer them from the index alone: ``ix_entries_has_code`` and, on SQLite,
``ix_entries_project_page`` (``IS NULL`` and ``IS NOT NULL`` are ranges of it; on PostgreSQL,
whose b-tree refuses keys over ~2.7 kB, ``ix_entries_has_project`` on the test). The other
filters already had theirs (status, votes, published, arxiv_id, digests.digest_date, the tag
and digest link tables); tests/core/test_filter_indexes.py checks each filter's query plan.
No row is rewritten: building the two indexes takes about a second at 100k.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    op.create_index("ix_entries_has_code", "entries", ["has_code"], unique=False)
    if _sqlite():
        op.create_index("ix_entries_project_page", "entries", ["project_page"], unique=False)
    else:
        op.create_index(
            "ix_entries_has_project", "entries", [sa.text("(project_page IS NOT NULL)")]
        )


def downgrade() -> None:
    op.drop_index("ix_entries_project_page" if _sqlite() else "ix_entries_has_project", "entries")
    op.drop_index("ix_entries_has_code", "entries")
