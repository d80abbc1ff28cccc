"""Quarantine: input that could not be read, kept with its reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from earful.kit.seal import Sealer
from earful.store.models import Quarantined
from earful.store.repos.bulk import insert_for


def add_many(
    session: Session,
    source_id: int | None,
    origin: str,
    rejects: Sequence[tuple[str, str, str]],
    now: datetime,
    sealer: Sealer,
) -> None:
    """Quarantine (location, reason, raw) triples once each, however often the import is re-run.

    The raw input is sealed: it is a stranger's text that never went through redaction.
    """
    rows = []
    for location, reason, raw in rejects:
        rows.append(
            {
                "source_id": source_id,
                "origin": origin,
                "location": location[:120],
                "reason": reason,
                "sealed_raw": sealer.seal(raw),
                "fingerprint": sealer.tag(f"{source_id}\0{origin}\0{location}\0{raw}"),
                "created_at": now,
            }
        )
    if rows:
        stmt = insert_for(session, Quarantined).on_conflict_do_nothing(index_elements=["fingerprint"])
        session.execute(stmt, rows)


def recent(session: Session, limit: int = 50) -> Sequence[Quarantined]:
    """Return the newest quarantined entries."""
    return session.scalars(select(Quarantined).order_by(Quarantined.id.desc()).limit(limit)).all()


def count(session: Session) -> int:
    """Return how many entries are quarantined."""
    return int(session.scalar(select(func.count(Quarantined.id))) or 0)
