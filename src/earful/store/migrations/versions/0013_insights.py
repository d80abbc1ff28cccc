"""Insights: spikes, emerging topics, alert rules and alerts, reports; SLA deadlines on escalations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "spikes",
        _id(),
        sa.Column("category", sa.String(120), nullable=False),
        sa.Column("region", sa.String(80), nullable=False),
        sa.Column("started_at", STAMP, nullable=False),
        sa.Column("ended_at", STAMP, nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("subsided_at", STAMP, nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spikes"),
        sa.UniqueConstraint("category", "region", "started_at", name="uq_spikes_category_region_start"),
    )
    op.create_table(
        "topics",
        _id(),
        sa.Column("terms", JSON, nullable=False),
        sa.Column("examples", JSON, nullable=False),
        sa.Column("members", JSON, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("centroid", JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("parent", sa.String(120), nullable=True),
        sa.Column("first_seen", STAMP, nullable=False),
        sa.Column("last_seen", STAMP, nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_topics"),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name="fk_topics_decided_by_users", ondelete="SET NULL"
        ),
    )
    op.create_table(
        "alert_rules",
        _id(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("emails", JSON, nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("dedup_minutes", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_rules"),
        sa.UniqueConstraint("name", name="uq_alert_rules_name"),
    )
    op.create_table(
        "alerts",
        _id(),
        sa.Column("rule_id", ID, nullable=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("post_ids", JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("deliver_after", STAMP, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("sent_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("rule_id", "subject", name="uq_alerts_rule_subject"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name="fk_alerts_rule_id_alert_rules", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_alerts_rule_key", "alerts", ["rule_id", "key", "created_at"])
    op.create_table(
        "reports",
        _id(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("since", STAMP, nullable=False),
        sa.Column("until", STAMP, nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("post_ids", JSON, nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("csv", sa.Text(), nullable=True),
        sa.Column("xlsx", sa.LargeBinary(), nullable=True),
        sa.Column("emailed_to", JSON, nullable=False),
        sa.Column("withdrawn", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_reports_created_by_users", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_reports_created", "reports", ["created_at"])
    op.create_index(
        "uq_reports_weekly_until",
        "reports",
        ["until"],
        unique=True,
        sqlite_where=sa.text("kind = 'weekly'"),
        postgresql_where=sa.text("kind = 'weekly'"),
    )
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("sla", JSON, nullable=True))
    with op.batch_alter_table("triage_items") as batch:
        for name in (
            "escalated_at",
            "ack_due_at",
            "resolve_due_at",
            "acknowledged_at",
            "reminded_at",
            "breached_at",
            "resolved_at",
        ):
            batch.add_column(sa.Column(name, STAMP, nullable=True))
        batch.add_column(sa.Column("outcome", sa.Text(), nullable=True))
        batch.add_column(sa.Column("spike_id", ID, nullable=True))
        batch.create_foreign_key(
            "fk_triage_items_spike_id_spikes", "spikes", ["spike_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("triage_items") as batch:
        batch.drop_constraint("fk_triage_items_spike_id_spikes", type_="foreignkey")
        for name in (
            "spike_id",
            "outcome",
            "resolved_at",
            "breached_at",
            "reminded_at",
            "acknowledged_at",
            "resolve_due_at",
            "ack_due_at",
            "escalated_at",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("sla")
    op.drop_index("uq_reports_weekly_until", "reports")
    op.drop_index("ix_reports_created", "reports")
    op.drop_table("reports")
    op.drop_index("ix_alerts_rule_key", "alerts")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
    op.drop_table("topics")
    op.drop_table("spikes")
