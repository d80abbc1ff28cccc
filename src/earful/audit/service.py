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
