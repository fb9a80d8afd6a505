"""day order by votes; digests remember their file's content

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 07:00:00.000000

Two additions, no row rewritten (cheap on any library size):

- ``ix_entries_published_votes`` on ``entries (published, votes)``: the list's date order puts
  the most voted first within a day, and this index answers that ORDER BY as the published
  index alone answered the old one (without it SQLite sorts every day's ties: 3x slower at 100k).
- ``digests.content_hash``: the SHA-256 of the imported bytes, so re-importing the same file
  with another as-of date corrects that import (its year-inferred dates, its digest date)
  instead of adding a second digest. Digests imported before have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_published_votes", ["published", "votes"], unique=False)
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_digests_content_hash", ["content_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_index("ix_digests_content_hash")
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_published_votes")
