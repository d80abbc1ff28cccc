"""Record and list audit entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.store.repos import audit as audit_repo


def record(
    db: Database,
    actor_id: int | None,
    actor: str,
    action: str,
    target: str | None = None,
    **detail: Any,
) -> None:
    """Append an audit entry in its own transaction."""
    with db.write() as session:
        audit_repo.append(session, actor_id, actor, action, target, detail)


def recent(db: Database, limit: int = 100) -> Sequence[AuditEntry]:
    """Return the newest audit entries."""
    with db.read() as session:
        return audit_repo.recent(session, limit)


def page(
    db: Database, *, before_id: int | None, action: str | None, limit: int = 100
) -> Sequence[AuditEntry]:
    """Return a page of entries, newest first, older than `before_id`, optionally of one action."""
    with db.read() as session:
        return audit_repo.page(session, before_id=before_id, action=action, limit=limit)
