"""posts.story_id: news articles on one story, grouped

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
    op.create_index(
        "ix_posts_story",
        "posts",
        ["story_id"],
        sqlite_where=sa.text("story_id IS NOT NULL"),
        postgresql_where=sa.text("story_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_posts_story", table_name="posts")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("story_id")
