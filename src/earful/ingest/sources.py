"""Sources as operators manage them: what is collected where, and for how long it is kept."""

from __future__ import annotations

from dataclasses import dataclass

from earful.contracts import Actor
from earful.ingest.policies import can_manage_sources
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.store.db import Database
from earful.store.repos import audit as audit_repo
from earful.store.repos import sources as sources_repo

MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source as the admin page lists it."""

    name: str
    kind: str
    region: str | None
    visibility: str
    consent_basis: str | None
    retention_days: int | None
    enabled: bool


def list_sources(db: Database) -> list[SourceRow]:
    """Return every source."""
    with db.read() as session:
        return [
            SourceRow(s.name, s.kind, s.region, s.visibility, s.consent_basis, s.retention_days, s.enabled)
            for s in sources_repo.all_sources(session)
        ]


def set_retention(db: Database, actor: Actor, name: str, days: int | None) -> None:
    """Keep the source's posts for `days` (None: until erased); the daily purge applies it."""
    if not can_manage_sources(actor.role):
        raise Forbidden("Managing sources takes the admin role.")
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise EarfulError(f"Retention must be between 1 and {MAX_RETENTION_DAYS} days.")
    with db.write() as session:
        source = sources_repo.get_by_name(session, name)
        if source is None:
            raise NotFound(f"There is no source {name!r}.")
        sources_repo.set_fields(session, source.id, retention_days=days)
        audit_repo.append(session, actor.id, actor.name, "source.retention", f"source:{name}", {"days": days})
