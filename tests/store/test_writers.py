"""SQLite writers in one process take turns on a lock of their own, released however they end."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import earful.store.db as db_module
from earful.store.db import Database, writer_lock
from earful.store.models import Team


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if not db.is_sqlite:
        pytest.skip("the writers' lock is SQLite's: PostgreSQL lets writers work side by side")
    return db


def _lock(db: Database) -> threading.Lock:
    path = make_url(db.url).database
    assert path
    return writer_lock(str(Path(path).resolve()))


def test_many_threads_writing_at_once_all_get_their_turn(sqlite_db: Database) -> None:
    def add(n: int) -> None:
        with sqlite_db.write() as session:
            session.add(Team(name=f"team {n}"))

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(add, range(200)))
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count(Team.id))) == 200
    assert not _lock(sqlite_db).locked()


def test_a_failed_or_rolled_back_write_lets_the_next_writer_go(sqlite_db: Database) -> None:
    with pytest.raises(ZeroDivisionError), sqlite_db.write() as session:
        session.add(Team(name="never"))
        session.flush()  # the transaction has begun and holds the lock
        assert _lock(sqlite_db).locked()
        1 / 0  # noqa: B018 - a handler failing mid-transaction
    assert not _lock(sqlite_db).locked()
    with pytest.raises(OperationalError), sqlite_db.write() as session:
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert not _lock(sqlite_db).locked()
    with sqlite_db.write() as session:
        session.add(Team(name="next"))
    with sqlite_db.read() as session:
        assert session.scalars(select(Team.name)).all() == ["next"]


def test_reading_never_waits_for_a_writer(sqlite_db: Database) -> None:
    with sqlite_db.write() as session:
        session.add(Team(name="before"))
    with sqlite_db.write() as writing:
        writing.add(Team(name="uncommitted"))
        writing.flush()
        with sqlite_db.read() as reading:  # same thread, while the write lock is held
            assert reading.scalars(select(Team.name)).all() == ["before"]


def test_a_connection_kept_for_a_second_transaction_does_not_wait_on_itself(sqlite_db: Database) -> None:
    with sqlite_db.write_engine.connect() as conn:
        conn.execute(text("INSERT INTO teams (name, owns, created_at) VALUES ('a', '[]', '2026-01-01')"))
        conn.commit()
        conn.execute(text("INSERT INTO teams (name, owns, created_at) VALUES ('b', '[]', '2026-01-01')"))
        conn.commit()
    assert not _lock(sqlite_db).locked()
    with sqlite_db.read() as session:
        assert sorted(session.scalars(select(Team.name)).all()) == ["a", "b"]


def _hold_from_outside(db: Database, seconds: float) -> threading.Thread:
    """Hold SQLite's write lock from another connection, as a worker or an import process would."""
    with db.read() as session:  # the engine's first connection puts the file in WAL mode
        session.execute(text("SELECT 1"))
    path = make_url(db.url).database
    assert path
    outside = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    outside.execute("BEGIN IMMEDIATE")

    def release() -> None:
        time.sleep(seconds)
        outside.execute("COMMIT")
        outside.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_a_writer_waits_for_another_process_then_goes(sqlite_db: Database) -> None:
    holder = _hold_from_outside(sqlite_db, 0.3)
    with sqlite_db.write() as session:
        session.add(Team(name="after the import's batch"))
    holder.join()
    with sqlite_db.read() as session:
        assert session.scalars(select(Team.name)).all() == ["after the import's batch"]


def test_a_writer_gives_up_with_database_is_locked_after_its_wait(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "WRITER_WAIT_SECONDS", 0.2)
    holder = _hold_from_outside(sqlite_db, 1.0)
    with pytest.raises(OperationalError, match="locked"), sqlite_db.write() as session:
        session.add(Team(name="too late"))
    holder.join()
    assert not _lock(sqlite_db).locked()
    with sqlite_db.write() as session:
        session.add(Team(name="in time"))
