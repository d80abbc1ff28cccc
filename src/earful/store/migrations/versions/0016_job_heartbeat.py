"""jobs.heartbeat_at: a running job's worker refreshes it, so a dead worker's job is seen at once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    # Jobs running during the upgrade were claimed by a worker of the old code, which never beats:
    # their claim time is their last sign of life.
    op.execute("UPDATE jobs SET heartbeat_at = locked_at WHERE status = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("heartbeat_at")
