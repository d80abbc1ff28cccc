"""Import throughput: 200,000 generated posts from a JSON Lines file, store only (no enrichment).

The file is large enough that the importer reads it in a second process while it writes, as
`earful import` does for any file over EARFUL_IMPORT_PARALLEL_BYTES.
Prints posts/s for SQLite (the median of --runs imports, each into a fresh file) and PostgreSQL
(a fresh schema in EARFUL_BENCH_PG_URL, default the local test database; skipped with a note
when unreachable), and the peak memory.
Run with `make bench` or `.venv/bin/python bench/import_throughput.py [--posts N] [--runs K]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from earful.ingest.service import get_or_create_source, iter_import
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post

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


def run(url: str, data: Path, count: int, tmp: Path) -> float:
    """Import the file into a fresh database at `url` and return posts per second."""
    db = Database(url)
    db.upgrade()
    key = "bench-only-key"  # a throwaway key for a temporary database
    settings = Settings(data_dir=tmp, database_url=url, secret_key=key)
    get_or_create_source(db, "bench")
    started = time.perf_counter()
    summary = iter_import(db, settings, data, "bench", "jsonl")
    elapsed = time.perf_counter() - started
    with db.read() as session:
        stored = session.scalar(select(func.count(Post.id)))
    assert summary.imported == count == stored, (summary, stored)
    db.dispose()
    return count / elapsed


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="SQLite runs; the median is compared")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "posts.jsonl"
        generate(data, args.posts)
        print(f"generated {args.posts:,} posts ({data.stat().st_size / 1e6:.1f} MB JSON Lines)")
        # A shared 2-core machine varies by a fifth from run to run: take the median of several.
        rates = [run(f"sqlite:///{tmp / f'bench{i}.db'}", data, args.posts, tmp) for i in range(args.runs)]
        each = ", ".join(f"{r:,.0f}" for r in rates)
        print(
            f"SQLite:     {statistics.median(rates):>9,.0f} posts/s, median of {args.runs} ({each})"
            "  (target: 20,000)"
        )
        pg_url = os.environ.get("EARFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        schema = f"earful_bench_{os.getpid()}"
        admin = create_engine(pg_url)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means: skip it
            print(f"PostgreSQL: skipped ({type(exc).__name__}: unreachable at {pg_url})")
        else:
            try:
                url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
                rate = run(url.render_as_string(hide_password=False), data, args.posts, tmp)
                print(f"PostgreSQL: {rate:>9,.0f} posts/s")
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: {peak:,.0f} MB importer, {reader:,.0f} MB reader process")


if __name__ == "__main__":
    main()
