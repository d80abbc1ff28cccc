"""Dialect-specific INSERT ... ON CONFLICT, the one place that needs to know the engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, model: type[Any]) -> Any:
    """Return an INSERT into `model`'s table that supports `on_conflict_do_*` on the session's engine."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"Unsupported database dialect {dialect!r}: use SQLite or PostgreSQL.")
