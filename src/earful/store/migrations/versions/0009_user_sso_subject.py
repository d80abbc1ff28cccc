"""users.sso_subject: the identity provider's stable subject an account is bound to

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sso_subject", sa.String(length=400), nullable=True))
        batch.create_unique_constraint("uq_users_sso_subject", ["sso_subject"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_sso_subject", type_="unique")
        batch.drop_column("sso_subject")
