"""What insights make of the posts: spikes, emerging topics, alert rules and alerts, reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from earful.store.models.base import Base, BigId, Json, created_column, id_column


class Spike(Base):
    """An hour (or a run of hours) when a category, in a region or overall, far exceeded its baseline."""

    __tablename__ = "spikes"
    __table_args__ = (
        UniqueConstraint("category", "region", "started_at", name="uq_spikes_category_region_start"),
        Index("ix_spikes_incident", "incident_id"),
    )

    id: Mapped[int] = id_column()
    category: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(80), default="")  # "" for every region together
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime] = mapped_column()
    observed: Mapped[int] = mapped_column()
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    # Whether the hourly count has since fallen back near its baseline, and when that was seen.
    subsided_at: Mapped[datetime | None] = mapped_column()
    # The incident it belongs to: the id of the first spike stored of the spikes that overlap it in
    # time and share posts with it (all posts, its category, its region); alerts go per incident.
    incident_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = created_column()


class Topic(Base):
    """An emerging topic: a cluster of recent posts no category fits, proposed as a new subcategory."""

    __tablename__ = "topics"

    id: Mapped[int] = id_column()
    terms: Mapped[list[Any]] = mapped_column(Json, default=list)
    examples: Mapped[list[Any]] = mapped_column(Json, default=list)  # post ids, most typical first
    members: Mapped[list[Any]] = mapped_column(Json, default=list)  # post ids of the last run's cluster
    size: Mapped[int] = mapped_column(default=0)
    # The cluster's mean term vector ({term: weight}); the next run matches its clusters to it.
    centroid: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed accepted rejected
    parent: Mapped[str | None] = mapped_column(String(120))  # the category it is proposed under
    first_seen: Mapped[datetime] = created_column()
    last_seen: Mapped[datetime] = created_column()
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()


class AlertRule(Base):
    """When to tell someone: on a spike, urgency above a threshold, a new story or a silent source."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # spike urgency story silent
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    emails: Mapped[list[Any]] = mapped_column(Json, default=list)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    dedup_minutes: Mapped[int] = mapped_column(default=60)
    # Hours (0-23, in the deployment's time zone) in which alerts wait; start == end means none.
    quiet_start: Mapped[int | None] = mapped_column()
    quiet_end: Mapped[int | None] = mapped_column()
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_column()


class Alert(Base):
    """One alert a rule raised, and what became of its delivery."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_rule_key", "rule_id", "key", "created_at"),
        UniqueConstraint("rule_id", "subject", name="uq_alerts_rule_subject"),
    )

    id: Mapped[int] = id_column()
    rule_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("alert_rules.id", ondelete="CASCADE"))
    # What it is about (a category in a region, a source): repeats within the dedup window fold.
    key: Mapped[str] = mapped_column(String(200))
    # The one thing that raised it (a spike, a post, a story, a silence): never alerted twice by a rule.
    subject: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")  # counts and names, never a post's text
    link: Mapped[str] = mapped_column(Text)
    post_ids: Mapped[list[Any]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending held sent folded failed
    deliver_after: Mapped[datetime] = created_column()
    attempts: Mapped[int] = mapped_column(default=0)
    # Per channel ("email", "webhook"): "sent", or the last error; a retry skips the channels sent.
    channels: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class Report(Base):
    """A leadership report as it was made: its range, filters, content and files, for the archive."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_created", "created_at"),
        # One weekly digest per week, however many workers try to make it at once.
        Index(
            "uq_reports_weekly_until",
            "until",
            unique=True,
            sqlite_where=sql_text("kind = 'weekly'"),
            postgresql_where=sql_text("kind = 'weekly'"),
        ),
    )

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(20))  # weekly on-demand
    title: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column()
    until: Mapped[datetime] = mapped_column()
    filters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()
    # The posts quoted as examples: erasing one of them withdraws the stored files.
    post_ids: Mapped[list[Any]] = mapped_column(Json, default=list)
    html: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    csv: Mapped[str | None] = mapped_column(Text)
    xlsx: Mapped[bytes | None] = mapped_column(LargeBinary)
    emailed_to: Mapped[list[Any]] = mapped_column(Json, default=list)
    withdrawn: Mapped[str | None] = mapped_column(Text)  # why the files were removed, when they were


class RollupDay(Base):
    """A UTC day ("YYYY-MM-DD") whose rollup rows were counted (fresh unless it has changes since)."""

    __tablename__ = "rollup_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column()


class RollupChange(Base):
    """A UTC day whose posts or labels changed since its rollup rows were counted (triggers add these)."""

    __tablename__ = "rollup_changes"
    __table_args__ = (Index("ix_rollup_changes_day", "day"),)

    id: Mapped[int] = id_column()
    day: Mapped[str] = mapped_column(String(10))


class RollupVolume(Base):
    """Shown posts (enriched originals) posted in one UTC hour, per source and sentiment."""

    __tablename__ = "rollup_volume"
    __table_args__ = (
        Index("ix_rollup_volume_hour", "hour"),
        Index("ix_rollup_volume_day", "day"),
    )
    __mapper_args__ = {"primary_key": ["day", "hour", "source_id", "sentiment"]}  # noqa: RUF012

    day: Mapped[str] = mapped_column(String(10))
    hour: Mapped[datetime] = mapped_column()
    source_id: Mapped[int] = mapped_column(BigId)
    sentiment: Mapped[str | None] = mapped_column(String(12))
    posts: Mapped[int] = mapped_column(Integer)


class RollupVolumeDay(Base):
    """Shown posts posted in one UTC day, per source and sentiment (the sum of its hours' rows)."""

    __tablename__ = "rollup_volume_days"
    __table_args__ = (Index("ix_rollup_volume_days_day", "day"),)
    __mapper_args__ = {"primary_key": ["day", "source_id", "sentiment"]}  # noqa: RUF012

    day: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int] = mapped_column(BigId)
    sentiment: Mapped[str | None] = mapped_column(String(12))
    posts: Mapped[int] = mapped_column(Integer)


class RollupCategory(Base):
    """Shown posts per category ("top": a category with its subcategories, each post once; "sub":
    per label's category), source and sentiment, in one UTC hour, or (hour NULL) in a UTC day."""

    __tablename__ = "rollup_categories"
    __table_args__ = (
        Index("ix_rollup_categories_day", "day", "hour"),
        Index("ix_rollup_categories_hour", "level", "hour"),
        Index(
            "ix_rollup_categories_totals",
            "level",
            "day",
            sqlite_where=sql_text("hour IS NULL"),
            postgresql_where=sql_text("hour IS NULL"),
        ),
    )
    __mapper_args__ = {  # noqa: RUF012
        "primary_key": ["day", "hour", "level", "category_id", "source_id", "sentiment"]
    }

    day: Mapped[str] = mapped_column(String(10))
    hour: Mapped[datetime | None] = mapped_column()
    level: Mapped[str] = mapped_column(String(3))
    category_id: Mapped[int] = mapped_column(BigId)
    source_id: Mapped[int] = mapped_column(BigId)
    sentiment: Mapped[str | None] = mapped_column(String(12))
    posts: Mapped[int] = mapped_column(Integer)
