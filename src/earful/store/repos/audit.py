"""Audit entries: append-only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from earful.kit.clock import utcnow
from earful.store.models import AuditEntry

# Reloading a post within this long of one's last logged view of it is the same look, logged once.
VIEW_WINDOW = timedelta(minutes=10)


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


def append_view(
    session: Session,
    actor_id: int | None,
    actor: str,
    target: str,
    detail: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Log a `post.view`, unless the same person's view of the same target was logged within
    VIEW_WINDOW (a reload, or coming back from the feed, is one look); return whether it was logged."""
    since = (now or utcnow()) - VIEW_WINDOW
    stmt = select(AuditEntry.id).where(
        AuditEntry.at >= since, AuditEntry.action == "post.view", AuditEntry.target == target
    )
    stmt = stmt.where(AuditEntry.actor_id == actor_id if actor_id is not None else AuditEntry.actor == actor)
    if session.scalars(stmt.limit(1)).first() is not None:
        return False
    append(session, actor_id, actor, "post.view", target, detail)
    return True


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to list: by whom (exact name), what (an action or its prefix) and when."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def _filtered(where: AuditFilter) -> Select[Any]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if where.actor:
        stmt = stmt.where(AuditEntry.actor == where.actor)
    if where.action:
        stmt = stmt.where(AuditEntry.action.startswith(where.action, autoescape=True))
    if where.since is not None:
        stmt = stmt.where(AuditEntry.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEntry.at < where.until)
    return stmt


def page(
    session: Session,
    *,
    before_id: int | None,
    action: str | None = None,
    limit: int,
    where: AuditFilter | None = None,
) -> Sequence[AuditEntry]:
    """Return entries newest first, older than `before_id`, optionally of one action (prefix) and
    as `where` says."""
    where = where or AuditFilter()
    if action:
        where = AuditFilter(where.actor, action, where.since, where.until)
    stmt = _filtered(where).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return session.scalars(stmt).all()


def each(session: Session, where: AuditFilter, limit: int, chunk: int = 2000) -> Iterator[AuditEntry]:
    """Yield up to `limit` entries newest first as `where` says, read `chunk` at a time."""
    before: int | None = None
    left = limit
    while left > 0:
        stmt = _filtered(where).limit(min(chunk, left))
        if before is not None:
            stmt = stmt.where(AuditEntry.id < before)
        rows = session.scalars(stmt).all()
        if not rows:
            return
        yield from rows
        left -= len(rows)
        before = rows[-1].id
