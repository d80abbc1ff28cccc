"""A database of its own at an old migration, to test what a later migration does to real rows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from earful.store.db import Database


@contextmanager
def database_at(revision: str, tmp_path: Path) -> Iterator[Database]:
    """Yield a database migrated up to `revision`: a SQLite file, or a fresh PostgreSQL schema."""
    pg_url = os.environ.get("EARFUL_TEST_DATABASE_URL")
    if not pg_url:
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        db.upgrade(revision)
        yield db
        db.dispose()
        return
    schema = f"earful_migration_{revision}_{os.getpid()}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    db = Database(url.render_as_string(hide_password=False))
    try:
        db.upgrade(revision)
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def add_source(conn: Connection, at: str, kind: str = "file") -> None:
    """Insert source 1, of `kind`, created `at`, with the columns every revision so far has."""
    conn.execute(
        text(
            "INSERT INTO sources (id, name, kind, visibility, settings, cursor, enabled, created_at) "
            "VALUES (1, 's', :kind, 'public', '{}', '{}', true, :at)"
        ),
        {"kind": kind, "at": at},
    )
