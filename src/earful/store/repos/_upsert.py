"""Dialect-specific INSERT ... ON CONFLICT, the one place that needs to know the engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Table) -> Any:
    """Return an INSERT for `table` that supports `on_conflict_do_*` on the session's engine."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"Unsupported database dialect {dialect!r}: use SQLite or PostgreSQL.")
