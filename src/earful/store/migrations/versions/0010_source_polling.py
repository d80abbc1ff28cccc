"""sources: when to poll next, consecutive failures, last poll; posts by source and capture time

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_posts_source_captured", "posts", ["source_id", "captured_at"])


def downgrade() -> None:
    op.drop_index("ix_posts_source_captured", table_name="posts")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("failures")
        batch.drop_column("last_polled_at")
        batch.drop_column("next_poll_at")
