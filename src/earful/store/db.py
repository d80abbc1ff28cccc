"""Engines and sessions for SQLite (embedded, WAL, one writer at a time) and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)
# scrub(): pages merged per step (about 50 ms on the 2-core machine), and a bound on the steps.
MERGE_PAGES = 500
MAX_MERGE_STEPS = 10_000
# Pooled SQLite reading connections kept open (as many again may be opened under a burst).
READ_POOL = 40


def _json_dumps(value: Any) -> str:
    # orjson is several times faster than json.dumps on the import path, and emits the same JSON.
    return orjson.dumps(value).decode()


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    """Return a SQLite engine whose transactions begin IMMEDIATE (writers) or DEFERRED (readers)."""
    path = make_url(url).database
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        json_serializer=_json_dumps,
        # Readers never wait for each other in WAL mode, so every web thread (40 by default) gets
        # a connection of its own: with SQLAlchemy's default of 15, a post page's dozen short
        # reads each queued again behind other requests for a free one (seconds under load).
        pool_size=READ_POOL if not immediate else 5,
        max_overflow=READ_POOL if not immediate else 10,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We emit BEGIN ourselves: pysqlite's implicit BEGIN is DEFERRED, and a deferred
        # transaction that later writes fails with "database is locked" instead of waiting.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Erasure must not leave a deleted post's words in free pages of the file.
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA mmap_size=268435456")
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()

    if not immediate:

        @event.listens_for(engine, "begin")
        def _on_read(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine

    # SQLite has one writer at a time, and a writer that finds the lock taken sleeps and retries
    # (1 ms, then longer, up to 100 ms apart), so under load the web server's writing threads
    # polled in turn, newcomers overtook them, and one click waited seconds. Threads of this
    # process queue on a lock of their own instead, which hands over at once; SQLite's own wait
    # remains only between processes (a worker, an import).
    lock = writer_lock(str(Path(path).resolve()) if path and path != ":memory:" else url)

    @event.listens_for(engine, "begin")
    def _on_write(conn: Any) -> None:
        if _HELD in conn.info:  # a connection kept open for a second transaction already has it
            _begin_immediate(conn)
            return
        if not lock.acquire(timeout=WRITER_WAIT_SECONDS):
            waited = f"database is locked: another writer in this process held it for {WRITER_WAIT_SECONDS} s"
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(waited))
        conn.info[_HELD] = lock
        try:
            _begin_immediate(conn)
        except BaseException:
            conn.info.pop(_HELD, None)
            lock.release()
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        # However the transaction ended (commit, rollback, an error, an invalidated connection),
        # its connection comes back to the pool, and the next writer goes.
        held = record.info.pop(_HELD, None)
        if held is not None:
            held.release()

    return engine


_WRITER_LOCKS: dict[str, threading.Lock] = {}
_HELD = "earful_writer_lock"
WRITER_WAIT_SECONDS = 30  # as long as SQLite's own busy timeout
WRITER_POLL_SECONDS = 0.002


def _begin_immediate(conn: Any) -> None:
    """Take SQLite's write lock, looking every few milliseconds while another process holds it.

    SQLite's own busy handler backs off to 100 ms between looks, so a lock freed just after a look
    sat idle, or went to the other process again, while a click waited; a fixed short poll hands
    it over within milliseconds, and a refused BEGIN costs microseconds.
    """
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _is_busy(exc.orig) or time.monotonic() >= deadline:
                    raise
            time.sleep(WRITER_POLL_SECONDS)
    finally:
        # Once begun, the transaction waits as before for whatever else it meets (a checkpoint).
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(WRITER_WAIT_SECONDS * 1000)}")


def _is_busy(error: BaseException | None) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def writer_lock(key: str) -> threading.Lock:
    """Return this process's lock for writing to the SQLite file `key` (one per file)."""
    return _WRITER_LOCKS.setdefault(key, threading.Lock())


def _pg_options(url: str) -> str:
    """Return the server options for a PostgreSQL connection: the address's own (a search_path, say)
    and JIT off (compiling a query cost 200-300 ms on the Insights page's counts, more than the
    counts themselves; the pages' queries are short, so it never pays back)."""
    given = make_url(url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} -c jit=off".strip()


class Database:
    """The application's database: one engine for reads, one for writes (the same on PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = create_engine(
                url,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=10,
                json_serializer=_json_dumps,
                connect_args={"options": _pg_options(url)} if url.startswith("postgresql") else {},
            )
            self.read_engine = self.write_engine
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """Return the dialect name: 'sqlite' or 'postgresql'."""
        return self.write_engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Yield a session whose work commits once at the end, or rolls back on error."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reading; closing it ends the transaction without expiring what was loaded."""
        with self._reader() as session:
            yield session

    def has_schema(self) -> bool:
        """Tell whether the migrations have made this database (`earful init` has been run on it)."""
        return inspect(self.read_engine).has_table("alembic_version")

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision`."""
        from alembic import command

        path = make_url(self.url).database if self.is_sqlite else None
        if path and path != ":memory:":  # only making the database makes its folder
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        command.upgrade(alembic_config(self.url), revision)

    def scrub(self) -> None:
        """Make deleted rows unrecoverable from the files, after an erasure or a retention purge.

        SQLite: secure_delete has zeroed freed pages, but the full-text index keeps a deleted post's
        words in its segments until they are merged. Merge them in small steps, each its own short
        write transaction so imports and triage are never held up for long, until one segment
        remains; then checkpoint the write-ahead log so no old page survives there. PostgreSQL
        reclaims deleted rows with (auto)vacuum; see docs/privacy.md.
        """
        if not self.is_sqlite:
            return
        raw = self.write_engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            for _ in range(MAX_MERGE_STEPS):
                before = conn.total_changes
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO posts_fts(posts_fts, rank) VALUES ('merge', ?)", (-MERGE_PAGES,))
                conn.execute("COMMIT")
                if conn.total_changes - before < 2:  # SQLite's own test for "no merge work was left"
                    break
            for attempt in range(5):
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    break
                time.sleep(0.2 * (attempt + 1))  # a reader still uses an old snapshot
            else:
                log.warning(
                    "could not truncate the write-ahead log after an erasure; the next checkpoint will"
                )
        finally:
            raw.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def alembic_config(url: str) -> Any:
    """Return an Alembic Config pointing at the bundled migrations and `url`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
