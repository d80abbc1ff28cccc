"""posts: indexes over what the feed shows (enriched originals), so an enrichment backlog is not scanned

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN = "text IS NOT NULL AND duplicate_of IS NULL"
ENRICHED = "text IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_posts_shown",
        "posts",
        ["posted_at", "id"],
        sqlite_where=sa.text(SHOWN),
        postgresql_where=sa.text(SHOWN),
    )
    op.create_index(
        "ix_posts_enriched_id",
        "posts",
        ["id"],
        sqlite_where=sa.text(ENRICHED),
        postgresql_where=sa.text(ENRICHED),
    )


def downgrade() -> None:
    op.drop_index("ix_posts_enriched_id", table_name="posts")
    op.drop_index("ix_posts_shown", table_name="posts")
