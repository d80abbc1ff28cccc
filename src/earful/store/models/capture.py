"""Sources, raw items exactly as received, posts, enrichments and quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from earful.store.models.base import Base, BigId, Json, created_column, id_column


class Source(Base):
    """Somewhere posts come from, with what the operator may collect there."""

    __tablename__ = "sources"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(80))
    language: Mapped[str | None] = mapped_column(String(12))
    visibility: Mapped[str] = mapped_column(String(12), default="public")
    consent_basis: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    cursor: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    retention_days: Mapped[int | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # Live polling: when the scheduler queues the next poll, the last one, and failures in a row.
    next_poll_at: Mapped[datetime | None] = mapped_column()
    last_polled_at: Mapped[datetime | None] = mapped_column()
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the current silence was alerted (health); cleared when the source speaks again.
    silence_alerted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_column()


class Post(Base):
    """One post as Earful shows it: pseudonymous author, cleaned text, detected language."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_posts_source_external"),
        Index("ix_posts_feed", "posted_at", "id"),
        # The feed's newest-first pages and its live starting point walk only the posts it shows:
        # while an import is being enriched, thousands of newer rows without text are not scanned.
        Index(
            "ix_posts_shown",
            "posted_at",
            "id",
            sqlite_where=sql_text("text IS NOT NULL AND duplicate_of IS NULL"),
            postgresql_where=sql_text("text IS NOT NULL AND duplicate_of IS NULL"),
        ),
        Index(
            "ix_posts_enriched_id",
            "id",
            sqlite_where=sql_text("text IS NOT NULL"),
            postgresql_where=sql_text("text IS NOT NULL"),
        ),
        Index("ix_posts_urgency", "urgency", "posted_at", "id"),
        Index("ix_posts_source_captured", "source_id", "captured_at"),
        # Partial: a post has neither until enrichment, and skipping NULLs keeps capture fast.
        Index(
            "ix_posts_fingerprint",
            "fingerprint",
            sqlite_where=sql_text("fingerprint IS NOT NULL"),
            postgresql_where=sql_text("fingerprint IS NOT NULL"),
        ),
        Index(
            "ix_posts_duplicate_of",
            "duplicate_of",
            sqlite_where=sql_text("duplicate_of IS NOT NULL"),
            postgresql_where=sql_text("duplicate_of IS NOT NULL"),
        ),
        Index(
            "ix_posts_story",
            "story_id",
            sqlite_where=sql_text("story_id IS NOT NULL"),
            postgresql_where=sql_text("story_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="post")
    url: Mapped[str | None] = mapped_column(Text)
    author_key: Mapped[str | None] = mapped_column(String(40))
    # Title and text as enrichment left them: cleaned and with personal data redacted. Both are
    # NULL until then; capture keeps the post as received only sealed, in its raw item.
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(12))
    posted_at: Mapped[datetime] = mapped_column()
    captured_at: Mapped[datetime] = created_column()
    engagement: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    reply_to: Mapped[str | None] = mapped_column(String(300))
    repost_of: Mapped[str | None] = mapped_column(String(300))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # 0-1, how urgently someone should look (urgency stage); NULL until enriched.
    urgency: Mapped[float | None] = mapped_column(Float)
    # positive / neutral / complaint and its score (sentiment stage); NULL until enriched.
    sentiment: Mapped[str | None] = mapped_column(String(12))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    duplicate_of: Mapped[int | None] = mapped_column(BigId, ForeignKey("posts.id", ondelete="SET NULL"))
    # Articles on one news story share the id of the story's first article (story stage); it is a
    # grouping key, not a reference, so erasing that first article leaves the group intact.
    story_id: Mapped[int | None] = mapped_column(BigId)


class RawItem(Base):
    """The item a post was mapped from, exactly as its source delivered it; posts are re-mappable from it.

    `sealed` is the payload text encrypted under the deployment secret (see kit.seal): it holds
    the personal data that enrichment redacts, so it is never stored readable.
    """

    __tablename__ = "raw_items"

    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = created_column()


class Enrichment(Base):
    """The output of one named, versioned stage for one post."""

    __tablename__ = "enrichments"
    __table_args__ = (UniqueConstraint("post_id", "stage", name="uq_enrichments_post_stage"),)

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(40))
    # 64-bit: a stage's version can fold in the versions of the taxonomy and model it ran with.
    version: Mapped[int] = mapped_column(BigInteger)
    outputs: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = created_column()


class PostBand(Base):
    """One band of a post's MinHash signature: posts sharing a band are candidate near-duplicates."""

    __tablename__ = "post_bands"
    __table_args__ = (Index("ix_post_bands_band", "band"),)

    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[str] = mapped_column(String(40), primary_key=True)


class Quarantined(Base):
    """Input that could not be read or mapped, kept with its reason so nothing is lost."""

    __tablename__ = "quarantine"

    id: Mapped[int] = id_column()
    source_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("sources.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(Text)
    # The input that was set aside, sealed like raw items: a stranger's unredacted words.
    sealed_raw: Mapped[bytes] = mapped_column(LargeBinary)
    # Hash of origin, location and raw input, so a re-run of the same import quarantines nothing twice.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()


class WebhookDelivery(Base):
    """A webhook delivery's signature, kept for the replay window so the same delivery is refused twice."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_received_at", "received_at"),)

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = created_column()
