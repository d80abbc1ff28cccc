"""Dialect-specific INSERT ... ON CONFLICT and bulk rows, the one place that needs to know the engine."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def insert_for(session: Session, model: Any) -> Any:
    """Return an INSERT into `model` (a mapped class or a table) that supports `on_conflict_do_*`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"Unsupported database dialect {dialect!r}: use SQLite or PostgreSQL.")


@dataclass(frozen=True, slots=True)
class Packed:
    """Rows of one table already converted to what the database driver takes, in `names` order.

    Plain tuples of strings and numbers: cheap to build in a reader process and to send across.
    """

    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]


class RowPacker:
    """Turn dict rows of one table into driver-ready tuples for one dialect, in two cheap steps.

    `arrange` puts a row's values in column order (a reader process can do it and send plain
    tuples); `finish` runs each column's own bind processor (the conversion SQLAlchemy itself
    applies: datetimes to SQLite's text form, JSON to text), so the writer hands rows straight to
    the driver. Neither touches a connection.
    """

    def __init__(self, model: Any, dialect: Dialect, names: Sequence[str]) -> None:
        table: Table = model.__table__
        if len(names) < 2:
            raise ValueError("a packer needs at least two columns")
        self.names = tuple(names)
        by_name = {c.name: c for c in table.columns}
        unknown = [n for n in self.names if n not in by_name]
        if unknown:
            raise ValueError(f"{table.name} has no columns {unknown}")
        processors = [_faster(by_name[n].type._cached_bind_processor(dialect), dialect) for n in self.names]
        self._convert = [(i, process) for i, process in enumerate(processors) if process is not None]
        self.arrange: Callable[[Mapping[str, Any]], tuple[Any, ...]] = operator.itemgetter(*self.names)

    def finish(self, arranged: Sequence[tuple[Any, ...]]) -> Packed:
        """Convert arranged rows for the driver; a value object that rows share one after another
        (a batch's capture time, the empty engagement) is converted once.

        Only the previous row's value is remembered, by identity: a table of every value seen
        grew by one entry a row for the values no two rows share (a post's own time), and cost
        more than converting them.
        """
        if not self._convert:
            return Packed(self.names, list(arranged))
        width = len(self.names)
        seen: list[Any] = [None] * width
        made: list[Any] = [None] * width
        convert = self._convert
        out = []
        for row in arranged:
            values = list(row)
            for i, process in convert:
                value = values[i]
                if value is None:
                    continue
                if value is not seen[i]:
                    seen[i], made[i] = value, process(value)
                values[i] = made[i]
            out.append(tuple(values))
        return Packed(self.names, out)

    def pack_all(self, rows: Sequence[Mapping[str, Any]]) -> Packed:
        """Arrange and finish `rows`; a column missing from a row is NULL."""
        return self.finish([tuple(row.get(name) for name in self.names) for row in rows])

    def convert(self, name: str, value: Any) -> Any:
        """Return one value of column `name` converted for the driver."""
        return value if value is None else self.converter(name)(value)

    def converter(self, name: str) -> Callable[[Any], Any]:
        """Return the conversion of column `name`'s values for the driver (never given None), so a
        caller that builds rows itself can hand them over finished (`Packed(names, rows)`)."""
        process = dict(self._convert).get(self.names.index(name))
        return _same if process is None else process


def _same(value: Any) -> Any:
    return value


# From this many rows on, PostgreSQL gets them by COPY (a poll's page of a few rows is inserted).
COPY_FROM_ROWS = 100
_SAMPLE = datetime(987, 6, 5, 4, 3, 2, 10, tzinfo=UTC)


def _sqlite_datetime(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def fast(value: Any) -> Any:
        if type(value) is datetime:
            # "YYYY-MM-DD HH:MM:SS.ffffff", the zone left off: SQLAlchemy's SQLite form.
            return value.isoformat(" ", "microseconds")[:26]
        return process(value)

    return fast


def _faster(process: Callable[[Any], Any] | None, dialect: Dialect) -> Callable[[Any], Any] | None:
    """Return a quicker equivalent of a column's bind processor where there is one.

    SQLite's datetime processor formats each field with %; `isoformat` gives the same text in a
    fraction of the time, for the posted_at of every imported post. It is used only where it
    gives exactly what the processor gives (checked on a sample, so a changed format is kept).
    """
    if process is None or dialect.name != "sqlite":
        return process
    try:
        same = process(_SAMPLE) == _sqlite_datetime(process)(_SAMPLE)
    except (TypeError, ValueError, AttributeError):
        return process
    return _sqlite_datetime(process) if same else process


def bulk_insert_ignoring(
    session: Session,
    model: Any,
    rows: Sequence[Mapping[str, Any]] | Packed,
    conflict: Sequence[str],
    returning: Sequence[str] = (),
    rows_per_statement: int = 200,
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping any that clash on the `conflict` columns; return `returning` of new rows.

    This is the import hot path. The rows go to the driver in bulk, bypassing SQLAlchemy's
    row-by-row parameter handling: SQLite's executemany; on PostgreSQL, COPY into a temporary table
    and one INSERT ... SELECT from it (multi-row INSERTs for fewer than COPY_FROM_ROWS rows).
    """
    if not isinstance(rows, Packed):
        if not rows:
            return []
        dialect = session.get_bind().dialect
        rows = RowPacker(model, dialect, list(rows[0])).pack_all(rows)
    if not rows.rows:
        return []
    table: Table = model.__table__
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one_row = "(" + ", ".join([mark] * len(rows.names)) + ")"
    # Table and column names come from our own models, never from input; values are bound.
    head = f"INSERT INTO {table.name} ({', '.join(rows.names)}) VALUES "  # noqa: S608
    on_conflict = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    returns = f" RETURNING {', '.join(returning)}" if returning else ""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            return _sqlite_insert(cursor, table, head + one_row + on_conflict, rows.rows, returning)
        if len(rows.rows) >= COPY_FROM_ROWS:
            return _postgres_copy(cursor, table, rows, on_conflict + returns, returning)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(rows.rows), rows_per_statement):
            chunk = rows.rows[start : start + rows_per_statement]
            flat = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([one_row] * len(chunk)) + on_conflict + returns, flat)
            if returning:
                found.extend(tuple(r) for r in cursor.fetchall())
        return found
    finally:
        cursor.close()


def _postgres_copy(
    cursor: Any, table: Table, rows: Packed, tail: str, returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    # COPY is PostgreSQL's bulk load, several times faster than multi-row INSERTs, but it cannot
    # skip rows that are stored already: the rows are copied into a temporary table of the same
    # columns, dropped at commit, and moved over with INSERT ... SELECT ... ON CONFLICT DO NOTHING.
    names = ", ".join(rows.names)
    staging = f"earful_bulk_{table.name}"
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staging}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {table.name} WITH NO DATA"  # noqa: S608
    )
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
        for row in rows.rows:
            copy.write_row(row)
    cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging}{tail}")  # noqa: S608
    found = [tuple(r) for r in cursor.fetchall()] if returning else []
    cursor.execute(f"DROP TABLE pg_temp.{staging}")
    return found


def _sqlite_insert(
    cursor: Any, table: Table, sql: str, params: list[tuple[Any, ...]], returning: Sequence[str]
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
