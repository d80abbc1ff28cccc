"""post_bands: MinHash bands for finding near-duplicate posts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_bands",
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("band", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_bands_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "band", name=op.f("pk_post_bands")),
    )
    op.create_index("ix_post_bands_band", "post_bands", ["band"])


def downgrade() -> None:
    op.drop_index("ix_post_bands_band", table_name="post_bands")
    op.drop_table("post_bands")
