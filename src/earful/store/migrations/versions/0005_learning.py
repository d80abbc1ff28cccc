"""sentiment_labels and model_versions: what analysts teach and what is trained from it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("enrichments") as batch:
        batch.alter_column("version", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.create_table(
        "sentiment_labels",
        sa.Column("post_id", BigId, nullable=False),
        sa.Column("value", sa.String(length=12), nullable=False),
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_sentiment_labels_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sentiment_labels_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_sentiment_labels")),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("taxonomy_version", sa.Integer(), nullable=True),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("evaluation", Json, nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("artifact_tag", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_model_versions_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    op.create_index("ix_model_versions_kind_active", "model_versions", ["kind", "active"])


def downgrade() -> None:
    op.drop_index("ix_model_versions_kind_active", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("sentiment_labels")
    with op.batch_alter_table("enrichments") as batch:
        batch.alter_column("version", type_=sa.Integer(), existing_type=sa.BigInteger())
