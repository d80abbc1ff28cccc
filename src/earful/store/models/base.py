"""Declarative base and column types shared by every model."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from earful.kit.clock import utcnow

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: Json, list[Any]: Json, datetime: Stamp}


def id_column() -> Mapped[int]:
    """Return an autoincrementing 64-bit primary key column."""
    return mapped_column(BigId, primary_key=True, autoincrement=True)


def created_column() -> Mapped[datetime]:
    """Return a creation time column filled in by Python (so it is UTC on every engine)."""
    return mapped_column(Stamp, default=utcnow, nullable=False)


# Search structures that live outside the models (SQLite's FTS5 table and its shadow tables, the
# PostgreSQL full-text index): created by migration 0007, so schema comparison leaves them alone.
UNMANAGED_INDEXES = frozenset({"ix_posts_search"})
# PostgreSQL: posts' search document, a stored generated column (migration 0021) under that index.
SEARCH_COLUMN = "search_vector"


def managed(_obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
    """Return False for the search structures that migrations manage outside the models."""
    if type_ == "table" and name is not None and name.startswith("posts_fts"):
        return False
    if type_ == "column" and name == SEARCH_COLUMN:
        return False
    return not (type_ == "index" and name in UNMANAGED_INDEXES)
