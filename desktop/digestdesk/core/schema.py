"""The database tables (SQLAlchemy Core). Changes to them are Alembic migrations.

The database is the source of truth; the search index is derived from it. Every change to an
entry bumps ``entries.seq`` from the ``change_seq`` counter in ``meta``, so the index can catch up
with exactly what it missed.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UTCDateTime = DateTime(timezone=True)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("arxiv_id", String(64), nullable=True, unique=True),
    Column("title_norm", Text, nullable=False, index=True),
    Column("title_raw", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("abstract_raw", Text, nullable=False, default=""),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", JSON, nullable=False, default=list),
    Column("authors_count", Integer, nullable=True),
    Column("published", Date, nullable=True, index=True),
    Column("published_year_inferred", Boolean, nullable=False, default=False),
    Column("categories", JSON, nullable=False, default=list),
    Column("links", JSON, nullable=False, default=list),
    Column("has_code", Boolean, nullable=False, default=False, index=True),
    Column("ai_summary", Text, nullable=True),
    Column("ai_keywords", JSON, nullable=False, default=list),
    Column("github_repo", Text, nullable=True),
    Column("github_stars", Integer, nullable=True),
    Column("project_page", Text, nullable=True),
    Column("organization", Text, nullable=True),
    Column("num_comments", Integer, nullable=True),
    Column("votes", Integer, nullable=True, index=True),
    Column("status", String(16), nullable=False, default="unread", index=True),
    Column("status_changed_at", UTCDateTime, nullable=True),
    Column("added_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("seq", Integer, nullable=False, default=0, index=True),
    # The date order: newest day first, the most voted first within a day (schema 0003).
    Index("ix_entries_published_votes", "published", "votes"),
)

# has:project (schema 0004). SQLite answers both IS NULL and IS NOT NULL from a plain index on
# the URL, without reading a row; PostgreSQL's b-tree would refuse a URL over ~2.7 kB, so there
# the test itself is indexed.
Index("ix_entries_project_page", entries.c.project_page).ddl_if(dialect="sqlite")
Index("ix_entries_has_project", entries.c.project_page.is_not(None)).ddl_if(dialect="postgresql")

status_history = Table(
    "status_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_status_history_entry_at", "entry_id", "at"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

entry_tags = Table(
    "entry_tags",
    metadata,
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_entry_tags_tag", "tag_id"),
)

notes = Table(
    "notes",
    metadata,
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
    Column("edited_at", UTCDateTime, nullable=False),
)

digests = Table(
    "digests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_kind", String(32), nullable=False),
    Column("file_name", Text, nullable=True),
    Column("digest_date", Date, nullable=True, index=True),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("counts", JSON, nullable=False, default=dict),
    # SHA-256 of the imported bytes (schema 0003; None for fetches and older imports): the
    # same file imported again corrects this digest instead of adding another.
    Column("content_hash", String(64), nullable=True, index=True),
)

# Which entries each digest held, with the vote/star/comment snapshot at that time.
digest_entries = Table(
    "digest_entries",
    metadata,
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("votes", Integer, nullable=True),
    Column("stars", Integer, nullable=True),
    Column("comments", Integer, nullable=True),
    Index("ix_digest_entries_entry", "entry_id"),
)

# Undo/redo of status and tag changes survives a restart: each row is one user action.
undo_log = Table(
    "undo_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("label", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("undone", Boolean, nullable=False, default=False),
)

# Reading sessions (schema 0002): one row per session, one item row per entry in its order.
# ``running_since`` is when the clock last started (NULL while paused or finished); the time
# before it is in ``elapsed_seconds``, so a session resumes after a restart with its time intact.
reading_sessions = Table(
    "reading_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", Text, nullable=False, default=""),
    Column("source_query", Text, nullable=True),
    Column("state", String(16), nullable=False, default="active", index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("paused_at", UTCDateTime, nullable=True),
    Column("running_since", UTCDateTime, nullable=True),
    Column("elapsed_seconds", Float, nullable=False, default=0.0),
    Column("position", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
)

session_items = Table(
    "session_items",
    metadata,
    Column(
        "session_id",
        Integer,
        ForeignKey("reading_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", Integer, ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("tagged", Boolean, nullable=False, default=False),
    Column("noted", Boolean, nullable=False, default=False),
    Column("seconds", Float, nullable=False, default=0.0),
    Column("decided_at", UTCDateTime, nullable=True),
    Index("ix_session_items_entry", "entry_id"),
)

__all__ = [
    "metadata",
    "meta",
    "entries",
    "status_history",
    "tags",
    "entry_tags",
    "notes",
    "digests",
    "digest_entries",
    "undo_log",
    "reading_sessions",
    "session_items",
]
