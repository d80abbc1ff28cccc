"""What the product learns from analysts: their sentiment judgements and the models trained on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from earful.store.models.base import Base, BigId, Json, created_column, id_column


class SentimentLabel(Base):
    """An analyst's judgement of a post's tone: positive, neutral or complaint."""

    __tablename__ = "sentiment_labels"

    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()


class ModelVersion(Base):
    """One trained model: what it was trained on, how it scored on held-out labels, and its weights.

    The weights are signed with a key derived from the deployment secret, and a model whose
    signature does not match is never loaded: unpickling bytes someone else wrote would run their code.
    """

    __tablename__ = "model_versions"
    __table_args__ = (Index("ix_model_versions_kind_active", "kind", "active"),)

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(20))  # "classifier" or "sentiment"
    name: Mapped[str] = mapped_column(String(60))
    taxonomy_version: Mapped[int | None] = mapped_column()
    examples: Mapped[int] = mapped_column()
    evaluation: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    artifact_tag: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # "in_use" (active), "candidate" (kept, never put to use) or "retired" (in use once), and why.
    status: Mapped[str] = mapped_column(String(12), default="candidate", server_default="candidate")
    reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_column()
