"""reading sessions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00.000000

Adds ``reading_sessions`` and ``session_items`` (see :mod:`digestdesk.core.sessions`). Only new
tables: existing rows are untouched, so the upgrade is cheap on any library size.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("source_query", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("elapsed_seconds", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_sessions")),
    )
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reading_sessions_state"), ["state"], unique=False)

    op.create_table(
        "session_items",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("tagged", sa.Boolean(), nullable=False),
        sa.Column("noted", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_session_items_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reading_sessions.id"],
            name=op.f("fk_session_items_session_id_reading_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "position", name=op.f("pk_session_items")),
    )
    with op.batch_alter_table("session_items", schema=None) as batch_op:
        batch_op.create_index("ix_session_items_entry", ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_items", schema=None) as batch_op:
        batch_op.drop_index("ix_session_items_entry")
    op.drop_table("session_items")
    with op.batch_alter_table("reading_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_sessions_state"))
    op.drop_table("reading_sessions")
