"""Dialect-specific INSERT ... ON CONFLICT, the one place that needs to know the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, model: Any) -> Any:
    """Return an INSERT into `model` (a mapped class or a table) that supports `on_conflict_do_*`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"Unsupported database dialect {dialect!r}: use SQLite or PostgreSQL.")


def bulk_insert_ignoring(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[str] = (),
    rows_per_statement: int = 200,
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping any that clash on the `conflict` columns; return `returning` of new rows.

    This is the import hot path. SQLAlchemy's generic executemany spends most of its time building
    parameters row by row; here each column's own bind processor (the same conversion SQLAlchemy
    applies) runs once per value, and the rows go to the driver in bulk: SQLite's executemany,
    PostgreSQL's multi-row INSERT ... RETURNING.
    """
    if not rows:
        return []
    table: Table = model.__table__
    conn = session.connection()
    dialect = conn.dialect
    columns = [c for c in table.columns if c.name in rows[0]]
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    one_row = "(" + ", ".join([mark] * len(columns)) + ")"
    # Table and column names come from our own models, never from input; values are bound.
    head = f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) VALUES "  # noqa: S608
    on_conflict = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    returns = f" RETURNING {', '.join(returning)}" if returning else ""
    names = [c.name for c in columns]
    converted = [(i, process) for i, process in enumerate(processors) if process is not None]
    params = [[row.get(name) for name in names] for row in rows]
    # Many rows share one value object (a batch's timestamp): convert each object once.
    done: dict[tuple[int, int], Any] = {}
    for values in params:
        for i, process in converted:
            value = values[i]
            if value is not None:
                key = (i, id(value))
                if key not in done:
                    done[key] = process(value)
                values[i] = done[key]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "sqlite":
            return _sqlite_insert(cursor, table, head + one_row + on_conflict, params, returning)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(params), rows_per_statement):
            chunk = params[start : start + rows_per_statement]
            flat = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([one_row] * len(chunk)) + on_conflict + returns, flat)
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
        return found
    finally:
        cursor.close()


def _sqlite_insert(
    cursor: Any, table: Table, sql: str, params: list[list[Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    # SQLite's executemany loops in C, several times faster than any multi-row statement; the
    # new rows are then exactly those with ids above the previous maximum, because the write
    # transaction (BEGIN IMMEDIATE) keeps every other writer out until it commits.
    if not returning:
        cursor.executemany(sql, params)
        return []
    before = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}").fetchone()[0]  # noqa: S608
    cursor.executemany(sql, params)
    new_rows = f"SELECT {', '.join(returning)} FROM {table.name} WHERE id > ?"  # noqa: S608
    cursor.execute(new_rows, (before,))
    return [tuple(r) for r in cursor.fetchall()]
