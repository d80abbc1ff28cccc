"""Triage work (locks, timeline), feed indexes and full-text search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# SQLite: an external-content FTS5 table kept in step with posts by triggers, so erasing a post
# erases its index entries in the same statement. A later migration that rebuilds `posts` in batch
# mode drops these triggers with the old table and must create them again.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(title, text, content='posts', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]
# PostgreSQL: an expression index; the 'simple' configuration because posts come in many languages.
PG_FTS = (
    "CREATE INDEX ix_posts_search ON posts USING gin "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(text, '')))"
)


def upgrade() -> None:
    with op.batch_alter_table("triage_items") as batch:
        batch.add_column(sa.Column("locked_by", BigId, nullable=True))
        batch.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_triage_items_locked_by_users", "users", ["locked_by"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_triage_items_status", "triage_items", ["status", "assignee_id"])
    op.create_index("ix_triage_items_team", "triage_items", ["team_id", "status"])
    op.create_table(
        "triage_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("post_id", BigId, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_triage_events_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_triage_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_events")),
    )
    op.create_index("ix_triage_events_post", "triage_events", ["post_id", "id"])
    op.create_index("ix_posts_urgency", "posts", ["urgency", "posted_at", "id"])
    op.create_index("ix_labels_category", "labels", ["category_id", "post_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(PG_FTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("posts_fts_insert", "posts_fts_delete", "posts_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS posts_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_posts_search")
    op.drop_index("ix_labels_category", table_name="labels")
    op.drop_index("ix_posts_urgency", table_name="posts")
    op.drop_index("ix_triage_events_post", table_name="triage_events")
    op.drop_table("triage_events")
    op.drop_index("ix_triage_items_team", table_name="triage_items")
    op.drop_index("ix_triage_items_status", table_name="triage_items")
    with op.batch_alter_table("triage_items") as batch:
        batch.drop_constraint("fk_triage_items_locked_by_users", type_="foreignkey")
        batch.drop_column("locked_at")
        batch.drop_column("locked_by")
