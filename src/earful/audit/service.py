"""Record, list and export audit entries."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from earful.audit.words import action_words, describe
from earful.contracts import Actor
from earful.kit.tables import neutralise
from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.store.repos import audit as audit_repo
from earful.store.repos.audit import AuditFilter

__all__ = ["AuditFilter", "export_csv", "page", "recent", "record"]

# An export holds at most this many entries (newest first); narrow the filters for older ones.
EXPORT_LIMIT = 100_000
EXPORT_HEADER = ("when (UTC)", "who", "action", "target", "what", "details", "details (JSON)")


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
    db: Database,
    *,
    before_id: int | None,
    action: str | None = None,
    limit: int = 100,
    where: AuditFilter | None = None,
) -> Sequence[AuditEntry]:
    """Return a page of entries, newest first, older than `before_id`, optionally of one action
    (or its prefix) and by whom and when `where` says."""
    with db.read() as session:
        return audit_repo.page(session, before_id=before_id, action=action, limit=limit, where=where)


def export_csv(db: Database, actor: Actor, where: AuditFilter) -> tuple[str, int]:
    """Return the entries `where` selects as CSV, newest first (at most EXPORT_LIMIT), and how many.

    Every cell is written so that a spreadsheet shows it as text: a username, a reason or a target
    that starts like a formula stays words. The export itself is audited.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    rows = 0
    with db.read() as session:
        for e in audit_repo.each(session, where, EXPORT_LIMIT):
            detail = e.detail or {}
            cells = (
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.action,
                e.target or "",
                action_words(e.action),
                describe(e.action, detail),
                json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else "",
            )
            writer.writerow([neutralise(c) for c in cells])
            rows += 1
    filters = {
        "who": where.actor,
        "what": where.action,
        "since": where.since.isoformat() if where.since else None,
        "until": where.until.isoformat() if where.until else None,
    }
    record(db, actor.id, actor.name, "audit.export", None, rows=rows, **filters)
    return out.getvalue(), rows
