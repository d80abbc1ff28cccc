"""spikes.incident_id: the spikes of one outage (seen overall, in its category, in its region, over
several hours) form one incident, and alerts go once per incident

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spikes") as batch:
        batch.add_column(sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
        batch.create_index("ix_spikes_incident", ["incident_id"])
    # Spikes stored before were alerted one by one (as "spike:ID"): each is an incident of its own,
    # so an alert already sent for one is recognised and not sent again.
    op.execute("UPDATE spikes SET incident_id = id")


def downgrade() -> None:
    with op.batch_alter_table("spikes") as batch:
        batch.drop_index("ix_spikes_incident")
        batch.drop_column("incident_id")
