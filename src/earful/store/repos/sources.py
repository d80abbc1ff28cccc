"""Sources: where posts come from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from earful.store.models import Source


def get_by_name(session: Session, name: str) -> Source | None:
    """Return the source called `name`, or None."""
    return session.scalars(select(Source).where(Source.name == name)).one_or_none()


def get(session: Session, source_id: int) -> Source | None:
    """Return the source with id `source_id`, or None."""
    return session.get(Source, source_id)


def add(session: Session, **fields: Any) -> Source:
    """Create a source and return it with its id."""
    source = Source(**fields)
    session.add(source)
    session.flush()
    return source
