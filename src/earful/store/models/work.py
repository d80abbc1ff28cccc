"""People and work: teams, users, login sessions, API tokens, triage items, audit entries, jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from earful.store.models.base import Base, BigId, Json, created_column, id_column


class Team(Base):
    """A team that owns categories and receives escalations."""

    __tablename__ = "teams"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str | None] = mapped_column(Text)
    owns: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = created_column()


class User(Base):
    """Someone who signs in; `role` is viewer, analyst, lead or admin."""

    __tablename__ = "users"

    id: Mapped[int] = id_column()
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    team_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("teams.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    # "issuer|subject" of the single sign-on identity this account is bound to (first sign-on binds).
    sso_subject: Mapped[str | None] = mapped_column(String(400), unique=True)


class LoginSession(Base):
    """A browser sign-in; the cookie carries a random token, the table only that token's hash.

    Ending a session deletes its row, so a copied cookie opens nothing once its owner signs out.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_column()
    # Written at most about once a minute, not on every request (see accounts/sessions.py).
    last_seen_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """A bearer token for the REST API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = id_column()
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class TriageItem(Base):
    """A post in the triage queue: status, who works it, which team owns it, who has it open."""

    __tablename__ = "triage_items"
    __table_args__ = (
        Index("ix_triage_items_status", "status", "assignee_id"),
        Index("ix_triage_items_team", "team_id", "status"),
    )

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("teams.id", ondelete="SET NULL"))
    flagged: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = created_column()
    # Who has the post open now; others see it locked until this lapses (triage.LOCK_SECONDS).
    locked_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None] = mapped_column()
    # The escalation loop: deadlines from the category's SLA, and what happened against them.
    escalated_at: Mapped[datetime | None] = mapped_column()
    ack_due_at: Mapped[datetime | None] = mapped_column()
    resolve_due_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    breached_at: Mapped[datetime | None] = mapped_column()  # when leadership was told of a miss
    resolved_at: Mapped[datetime | None] = (
        mapped_column()
    )  # when the escalation closed (resolved or dismissed)
    outcome: Mapped[str | None] = mapped_column(Text)
    spike_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("spikes.id", ondelete="SET NULL"))


class TriageEvent(Base):
    """One step in a post's timeline: a status change, a note, an assignment, a relabel."""

    __tablename__ = "triage_events"
    __table_args__ = (Index("ix_triage_events_post", "post_id", "id"),)

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("posts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = created_column()
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class AuditEntry(Base):
    """Something a person did that must be accountable; never updated or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_at", "at"),)

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = created_column()
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Job(Base):
    """A unit of background work; the table is the default queue."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_ready", "status", "run_after"),)

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued running done dead
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = created_column()
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_at: Mapped[datetime | None] = mapped_column()
    # Refreshed every few seconds while the job runs: a stale one means its worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None] = mapped_column()
