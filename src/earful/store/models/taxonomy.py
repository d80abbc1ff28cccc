"""Versioned taxonomy and the labels made under it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from earful.store.models.base import Base, BigId, Json, created_column, id_column


class TaxonomyVersion(Base):
    """One saved version of the taxonomy; editing makes a new one."""

    __tablename__ = "taxonomy_versions"

    id: Mapped[int] = id_column()
    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()


class Category(Base):
    """A category (no parent) or a subcategory (with one) within a taxonomy version."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("taxonomy_version_id", "key", name="uq_categories_version_key"),)

    id: Mapped[int] = id_column()
    taxonomy_version_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("taxonomy_versions.id", ondelete="CASCADE")
    )
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("categories.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(Json, default=list)
    examples: Mapped[list[Any]] = mapped_column(Json, default=list)
    # {"acknowledge_hours": h, "resolve_hours": h} for an escalated post in this category, or None.
    sla: Mapped[dict[str, Any] | None] = mapped_column(Json)


class Label(Base):
    """A category given to a post by a model or an analyst, with its confidence."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_post", "post_id"),
        Index("ix_labels_category", "category_id", "post_id"),
        # Few posts have an analyst's labels: "is there one?" is a probe of this small index.
        Index(
            "ix_labels_analyst",
            "post_id",
            sqlite_where=sql_text("by = 'analyst'"),
            postgresql_where=sql_text("by = 'analyst'"),
        ),
    )

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(BigId, ForeignKey("categories.id", ondelete="CASCADE"))
    by: Mapped[str] = mapped_column(String(12))  # "model" or "analyst"
    model_version: Mapped[str | None] = mapped_column(String(60))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    confidence: Mapped[float | None] = mapped_column()
    taxonomy_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = created_column()
