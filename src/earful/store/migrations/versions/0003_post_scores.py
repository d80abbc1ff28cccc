"""urgency and sentiment on posts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("urgency", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sentiment", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("sentiment_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("sentiment_score")
        batch.drop_column("sentiment")
        batch.drop_column("urgency")
