"""Audit entries: append-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from earful.store.models import AuditEntry


def append(
    session: Session,
    actor_id: int | None,
    actor: str,
    action: str,
    target: str | None,
    detail: dict[str, Any],
) -> None:
    """Add an entry; there is deliberately no function to change or remove one."""
    session.add(AuditEntry(actor_id=actor_id, actor=actor, action=action, target=target, detail=detail))


def recent(session: Session, limit: int = 100) -> Sequence[AuditEntry]:
    """Return the newest entries."""
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()


def page(session: Session, *, before_id: int | None, action: str | None, limit: int) -> Sequence[AuditEntry]:
    """Return entries newest first, older than `before_id`, optionally of one action (prefix)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    if action:
        stmt = stmt.where(AuditEntry.action.like(action.replace("%", "") + "%"))
    return session.scalars(stmt).all()
