"""model_versions.status and .reason: a trained model is in use, a candidate or retired, and why

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=12), nullable=False, server_default="candidate")
        )
        batch.add_column(sa.Column("reason", sa.String(length=300), nullable=False, server_default=""))
    # Before the gate every classifier went into use when trained, so an inactive one was retired.
    op.execute("UPDATE model_versions SET status = 'in_use', reason = 'in use before the gate' WHERE active")
    op.execute(
        "UPDATE model_versions SET status = 'retired', reason = 'replaced before the gate' "
        "WHERE NOT active AND kind = 'classifier'"
    )
    op.execute(
        "UPDATE model_versions SET reason = 'did not beat the built-in scorer' "
        "WHERE NOT active AND kind = 'sentiment'"
    )


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("reason")
        batch.drop_column("status")
