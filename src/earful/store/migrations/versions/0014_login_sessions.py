"""login_sessions: browser sessions kept on the server, so logout and deactivation end them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("last_seen_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_login_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
