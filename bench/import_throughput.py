"""Import throughput: generated posts from a JSON Lines file, store only (no enrichment), against a
plain bulk load of the same rows timed in the same run.

SQLite: Earful's import (sealed raw items, pseudonymised authors, enrichment jobs queued, in
batches) against one plain sqlite3 `executemany` of the posts it stored (the same capture columns,
read back from its database) into a fresh file whose posts table has exactly Earful's DDL and
indexes, in one transaction. PostgreSQL (a fresh schema in EARFUL_BENCH_PG_URL, default the local
test database; skipped with a note when unreachable): the same against one plain COPY into a table
made `LIKE posts INCLUDING ALL` (the same columns, constraints and indexes).
Each import runs in a child process, so its peak memory (ru_maxrss) is its own; the importer's
peak is printed for two file sizes, to show that it does not grow with the file.
Run with `make bench` or `.venv/bin/python bench/import_throughput.py [--posts N] [--runs K]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from earful.ingest.service import get_or_create_source, iter_import
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post
from earful.store.repos.posts import CAPTURE_COLUMNS

WORDS = [
    "app",
    "crashed",
    "again",
    "login",
    "gps",
    "map",
    "wrong",
    "route",
    "block",
    "pay",
    "tip",
    "missing",
    "station",
    "wait",
    "hours",
    "support",
    "useless",
    "deactivated",
    "account",
    "scanner",
    "broken",
    "dog",
    "bite",
    "snow",
    "heat",
    "customer",
    "rude",
    "package",
    "late",
    "great",
    "shift",
    "today",
    "thanks",
    "la",
    "aplicación",
    "no",
    "abre",
    "propina",
    "pago",
    "ruta",
    "bloque",
    "soporte",
]


def generate(path: Path, count: int) -> None:
    """Write `count` posts of plausible shape and length as JSON Lines."""
    rng = random.Random(42)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w") as out:
        for i in range(count):
            record = {
                "id": f"gen-{i}",
                "text": " ".join(rng.choices(WORDS, k=rng.randint(8, 60))),
                "author": f"driver{rng.randint(1, 20000)}",
                "created_at": (start + timedelta(seconds=i * 7)).isoformat(),
                "url": f"https://example.com/p/{i}",
                "lang": "en",
            }
            out.write(json.dumps(record) + "\n")


def import_child(url: str, data: Path, tmp: Path) -> None:
    """In a child process: import the file into the migrated database at `url`; print JSON figures."""
    db = Database(url)
    key = "bench-only-key"  # a throwaway key for a temporary database
    settings = Settings(data_dir=tmp, database_url=url, secret_key=key)
    get_or_create_source(db, "bench")
    started, cpu = time.perf_counter(), _cpu_seconds()
    summary = iter_import(db, settings, data, "bench", "jsonl")
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    with db.read() as session:
        stored = session.scalar(select(func.count(Post.id)))
    db.dispose()
    figures = {
        "imported": summary.imported,
        "stored": stored,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reader_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def _cpu_seconds() -> float:
    """Return the CPU time of this process and its finished children (the import's reader)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(url: str, data: Path, count: int, tmp: Path) -> dict[str, float]:
    """Migrate a fresh database at `url`, import the file into it in a child process, return its figures."""
    db = Database(url)
    db.upgrade()
    db.dispose()
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, str(data), str(tmp)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["imported"] == count == figures["stored"], figures
    figures["rate"] = count / figures["seconds"]
    figures["cpu_rate"] = count / figures["cpu_seconds"]
    return figures


def sqlite_plain(earful_db: Path, plain_db: Path) -> tuple[float, float]:
    """Bulk-load the posts Earful stored into a fresh file with the same DDL; return posts/s and
    posts per CPU second."""
    columns = ", ".join(CAPTURE_COLUMNS)
    with sqlite3.connect(earful_db) as source:
        rows = source.execute(f"SELECT {columns} FROM posts ORDER BY id").fetchall()
        ddl = [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'posts' AND type IN ('table', 'index')"
                " AND sql IS NOT NULL ORDER BY type DESC"
            )
        ]
    plain = sqlite3.connect(plain_db)
    for statement in ddl:
        plain.execute(statement)
    marks = ", ".join("?" * len(CAPTURE_COLUMNS))
    started, cpu = time.perf_counter(), time.process_time()
    with plain:
        plain.executemany(f"INSERT INTO posts ({columns}) VALUES ({marks})", rows)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    plain.close()
    return len(rows) / elapsed, len(rows) / cpu


def pg_plain(conninfo: str, earful_schema: str, plain_schema: str) -> float:
    """COPY the posts Earful stored into a table LIKE its posts table (same indexes); return posts/s."""
    columns = ", ".join(CAPTURE_COLUMNS)
    # JSON read back as its text, which COPY takes as it is.
    selected = columns.replace("engagement", "engagement::text")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(f'SELECT {selected} FROM "{earful_schema}".posts ORDER BY id').fetchall()
        conn.execute(f'CREATE TABLE "{plain_schema}".posts (LIKE "{earful_schema}".posts INCLUDING ALL)')
        started = time.perf_counter()
        copying = f'COPY "{plain_schema}".posts ({columns}) FROM STDIN'
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(copying) as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
    return len(rows) / elapsed


def median_line(name: str, rates: list[float]) -> str:
    """Return a line with the median of `rates` and each of them."""
    each = ", ".join(f"{r:,.0f}" for r in rates)
    return f"{name:<34}{statistics.median(rates):>9,.0f} posts/s (median of {len(rates)}: {each})"


def main() -> None:
    """Run the benchmark and print its figures."""
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        import_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the medians are compared")
    parser.add_argument(
        "--small", type=int, default=50_000, help="posts in the second file, for the peak memory"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "posts.jsonl"
        generate(data, args.posts)
        print(f"generated {args.posts:,} posts ({data.stat().st_size / 1e6:.1f} MB JSON Lines)")
        # A shared 2-core machine varies by a fifth from run to run: take the median of several,
        # the plain load and the import alternating so that both see the same load.
        plain, earful, peaks, plain_cpu, earful_cpu = [], [], [], [], []
        for i in range(args.runs):
            figures = run(f"sqlite:///{tmp / f'bench{i}.db'}", data, args.posts, tmp)
            earful.append(figures["rate"])
            earful_cpu.append(figures["cpu_rate"])
            peaks.append((figures["peak_mb"], figures["reader_mb"]))
            rate, cpu_rate = sqlite_plain(tmp / f"bench{i}.db", tmp / f"plain{i}.db")
            plain.append(rate)
            plain_cpu.append(cpu_rate)
        print("SQLite")
        print(median_line("  plain sqlite3 executemany:", plain))
        print(median_line("  earful import:", earful))
        print(f"  ratio: {statistics.median(earful) / statistics.median(plain):.2f}  (target: 0.25)")
        # On a busy machine wall time swings with the other load; CPU time (both processes of
        # the import counted) says how much work each does per post, and does not.
        cpu_ratio = statistics.median(earful_cpu) / statistics.median(plain_cpu)
        print(
            f"  per CPU second: plain {statistics.median(plain_cpu):,.0f} posts, "
            f"earful {statistics.median(earful_cpu):,.0f} (reader and writer together); ratio {cpu_ratio:.2f}"
        )
        postgres(data, args.posts, args.runs, tmp)
        small = tmp / "small.jsonl"
        generate(small, args.small)
        little = run(f"sqlite:///{tmp / 'small.db'}", small, args.small, tmp)
        print("peak memory (SQLite import, in a child process; the reader is its own child)")
        for count, (peak, reader) in (
            (args.small, (little["peak_mb"], little["reader_mb"])),
            (args.posts, peaks[0]),
        ):
            print(f"  {count:>9,} posts: importer {peak:,.0f} MB, reader process {reader:,.0f} MB")


def postgres(data: Path, count: int, runs: int, tmp: Path) -> None:
    """Compare the import into PostgreSQL with a plain COPY, or say why it was skipped."""
    pg_url = os.environ.get("EARFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = create_engine(pg_url)
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means: skip it
        print(f"PostgreSQL: skipped ({type(exc).__name__}: unreachable at {pg_url})")
        return
    conninfo = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    plain, earful = [], []
    for i in range(runs):
        schema = f"earful_bench_{os.getpid()}_{i}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            conn.execute(text(f'CREATE SCHEMA "{schema}_plain"'))
        try:
            url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
            earful.append(run(url.render_as_string(hide_password=False), data, count, tmp)["rate"])
            plain.append(pg_plain(conninfo, schema, f"{schema}_plain"))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(text(f'DROP SCHEMA "{schema}_plain" CASCADE'))
    admin.dispose()
    print("PostgreSQL")
    print(median_line("  plain COPY:", plain))
    print(median_line("  earful import:", earful))
    print(f"  ratio: {statistics.median(earful) / statistics.median(plain):.2f}")


if __name__ == "__main__":
    main()
