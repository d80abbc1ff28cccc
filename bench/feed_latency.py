"""Feed latency: p50 and p95 of the pages analysts use, over 100,000 to 10,000,000 posts, on SQLite
or PostgreSQL.

Builds (once, then reuses) a database of N enriched posts (SQLite: artifacts/bench-feed/feed-N.db;
PostgreSQL: a database of its own per size, earful_feed_100k, earful_feed_1m, earful_feed_10m)
whose texts are real tweets from ../shared/data (SemEval-2017 and Twitter customer-support samples,
never copied), spread over 8 sources in 4 regions and a year of dates, with categories of the
default taxonomy, sentiment and urgency. Then it starts `earful serve` on that database
in its own process, signs in, and times over HTTP:

  the feed page, a filtered feed (region + sentiment + category), a search (words, phrases, OR,
  NOT), a deep page (keyset cursor half-way and further into the year), a post page (which also
  locks the post and writes the audit entry), the Insights page over 30 and over 365 days, and the
  match count the page fetches after it shows.

It prints p50 and p95 per page, the database's size and the server process's peak resident memory.
Run with `make bench` or
`.venv/bin/python bench/feed_latency.py [--engine sqlite|postgresql] [--posts N] [--samples N] [--rebuild]`,
e.g. `.venv/bin/python bench/feed_latency.py --engine postgresql --posts 10000000`.
PostgreSQL is reached at 127.0.0.1:5432 as postgres (EARFUL_BENCH_PG_HOST/_PORT/_USER change that);
its databases are built with createdb and server-side INSERT ... SELECT, then VACUUM ANALYZE.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from earful.accounts.service import add_user
from earful.classify.service import ensure_default
from earful.kit.errors import Conflict
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import insights as insights_repo

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "artifacts" / "bench-feed"
SECRET = "bench-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway benchmark database
PASSWORD = "bench password 123"  # noqa: S105 - a throwaway benchmark user
SOURCES = [
    ("r/couriers_uk", "UK", "en"),
    ("x/search_uk", "UK", "en"),
    ("r/couriers_us", "US-West", "en"),
    ("x/search_us", "US-East", "en"),
    ("mastodon/tag", "UK", "en"),
    ("r/repartidores_mx", "Mexico", "es"),
    ("foro_reparto", "Mexico", "es"),
    ("feedback_form", "Ireland", "en"),
]
# How SQLAlchemy stores a DateTime on SQLite: text that sorts in time order.
STAMP = "%Y-%m-%d %H:%M:%S.%f"
PG_HOST = os.environ.get("EARFUL_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("EARFUL_BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("EARFUL_BENCH_PG_USER", "postgres")
SEARCHES = [
    '"app crashed"',
    "delivery OR package",
    "flight delayed",
    "customer -service",
    "thanks",
    "refund*",
]


def texts() -> list[str]:
    """Return distinct real tweet texts from the shared datasets."""
    found: dict[str, None] = {}
    for path in sorted((DATA / "semeval2017-task4a").glob("twitter-201[3-6]*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].strip():
                found.setdefault(parts[2].strip(), None)
    with (DATA / "twcs-sample" / "sample.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("text", "").strip():
                found.setdefault(row["text"].strip(), None)
    return list(found)


def build(path: Path, posts: int) -> None:
    """Create the database: migrations, the default taxonomy, then posts inserted in bulk."""
    if path.exists():
        path.unlink()
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    ensure_default(db)
    db.dispose()
    corpus = texts()
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).strftime(STAMP)
    for i, (name, region, language) in enumerate(SOURCES, start=1):
        conn.execute(
            "INSERT INTO sources (id, name, kind, region, language, visibility, settings, cursor, enabled,"
            " created_at) VALUES (?, ?, 'file', ?, ?, 'public', '{}', '{}', 1, ?)",
            (i, name, region, language, now),
        )
    leaves = conn.execute("SELECT id, parent_id FROM categories WHERE parent_id IS NOT NULL").fetchall()
    start = datetime.now(UTC) - timedelta(days=365)
    sentiments = ["complaint"] * 5 + ["neutral"] * 3 + ["positive"] * 2
    batch = 50_000
    print(f"building {posts:,} posts from {len(corpus):,} distinct real texts ...", flush=True)
    began = time.perf_counter()
    for first in range(1, posts + 1, batch):
        rows, labels = [], []
        for pid in range(first, min(first + batch, posts + 1)):
            source = rng.randrange(1, len(SOURCES) + 1)
            at = start + timedelta(seconds=pid * 365 * 86400 / posts + rng.random())
            rows.append(
                (
                    pid,
                    source,
                    f"ext-{pid}",
                    "post",
                    f"https://example.org/p/{pid}",
                    f"a_{rng.randrange(200_000):020d}",
                    corpus[rng.randrange(len(corpus))],
                    SOURCES[source - 1][2],
                    at.strftime(STAMP),
                    now,
                    "{}",
                    round(rng.betavariate(1.2, 6), 3),
                    rng.choice(sentiments),
                    round(rng.random(), 3),
                )
            )
            leaf, parent = leaves[rng.randrange(len(leaves))]
            labels.append((pid, leaf, rng.random()))
            labels.append((pid, parent, rng.random()))
        conn.executemany(
            "INSERT INTO posts (id, source_id, external_id, kind, url, author_key, text, language,"
            " posted_at, captured_at, engagement, urgency, sentiment, sentiment_score)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO labels (post_id, category_id, by, model_version, confidence, taxonomy_version,"
            " created_at) VALUES (?, ?, 'model', 'keywords-1', ?, 1, ?)",
            [(*label, now) for label in labels],
        )
        conn.commit()
        print(f"  {min(first + batch - 1, posts):,} posts ({time.perf_counter() - began:.0f} s)", flush=True)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def pg_name(posts: int) -> str:
    """Return the PostgreSQL database name for `posts` posts: earful_feed_100k, _1m, _10m."""
    if posts % 1_000_000 == 0:
        return f"earful_feed_{posts // 1_000_000}m"
    if posts % 1_000 == 0:
        return f"earful_feed_{posts // 1_000}k"
    return f"earful_feed_{posts}"


def pg_url(posts: int) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{pg_name(posts)}"


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres") as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if row is None:
            return False
        # A build that did not finish leaves no mark: rebuild it.
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}") as conn:
        return conn.execute("SELECT 1 FROM pg_tables WHERE tablename = 'bench_built'").fetchone() is not None


def build_pg(posts: int) -> None:
    """Create the PostgreSQL database: createdb, migrations, the default taxonomy, then posts and
    labels generated inside the server (INSERT ... SELECT over generate_series, texts drawn from a
    table of the real tweets), with the secondary indexes dropped during the load and rebuilt after."""
    import psycopg

    name = pg_name(posts)
    base = ["-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]
    subprocess.run(["dropdb", *base, "--if-exists", name], check=True)
    subprocess.run(["createdb", *base, name], check=True)
    db = Database(pg_url(posts))
    db.upgrade()
    ensure_default(db)
    db.dispose()
    corpus = texts()
    began = time.perf_counter()
    print(f"building {posts:,} posts in {name} from {len(corpus):,} distinct real texts ...", flush=True)
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={name}") as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET synchronous_commit = off")
        now = datetime.now(UTC)
        for i, (source, region, language) in enumerate(SOURCES, start=1):
            conn.execute(
                "INSERT INTO sources (id, name, kind, region, language, visibility, settings, cursor,"
                " enabled, failures, created_at) VALUES (%s, %s, 'file', %s, %s, 'public', '{}', '{}',"
                " true, 0, %s)",
                (i, source, region, language, now),
            )
        conn.execute("SELECT setval(pg_get_serial_sequence('sources', 'id'), %s)", (len(SOURCES),))
        conn.execute("CREATE TABLE bench_corpus (i integer PRIMARY KEY, text text NOT NULL)")
        with conn.cursor().copy("COPY bench_corpus (i, text) FROM STDIN") as copy:
            for i, body in enumerate(corpus):
                copy.write_row((i, body))
        conn.execute(
            "CREATE TABLE bench_leaves AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, parent_id"
            " FROM categories WHERE parent_id IS NOT NULL"
        )
        leaves = conn.execute("SELECT count(*) FROM bench_leaves").fetchone()[0]  # type: ignore[index]
        # Secondary indexes cost far more row by row than built once at the end.
        dropped = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('posts', 'labels')"
            " AND indexname NOT IN ('pk_posts', 'pk_labels', 'posts_pkey', 'labels_pkey')"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        # So are the unique and foreign-key checks: dropped now, added back (and checked) after.
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid IN ('posts'::regclass, 'labels'::regclass) AND contype IN ('u', 'f')"
        ).fetchall()
        for table, constraint, _ in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        for index, _ in dropped:
            conn.execute(f'DROP INDEX "{index}"')
        # The rollups' triggers note changed days; a new database has every day to count anyway.
        conn.execute("ALTER TABLE posts DISABLE TRIGGER USER")
        conn.execute("ALTER TABLE labels DISABLE TRIGGER USER")
        conn.commit()
        conn.execute("SELECT setseed(0.7)")
        start = now - timedelta(days=365)
        step = 365 * 86400 / posts
        chunk = 500_000
        for first in range(1, posts + 1, chunk):
            last = min(first + chunk - 1, posts)
            conn.execute(
                """
                INSERT INTO posts (id, source_id, external_id, kind, url, author_key, text, language,
                    posted_at, captured_at, engagement, urgency, sentiment, sentiment_score)
                SELECT g.id, g.source, 'ext-' || g.id, 'post', 'https://example.org/p/' || g.id,
                    'a_' || lpad((floor(random() * 200000))::int::text, 20, '0'), c.text,
                    CASE WHEN g.source IN (6, 7) THEN 'es' ELSE 'en' END,
                    %(start)s + make_interval(secs => g.id * %(step)s + random()), %(now)s, '{}',
                    round((1 - power(1 - random(), 1.0 / 6))::numeric, 3)::float8,
                    (ARRAY['complaint', 'complaint', 'complaint', 'complaint', 'complaint',
                           'neutral', 'neutral', 'neutral', 'positive', 'positive']
                    )[1 + floor(random() * 10)::int],
                    round(random()::numeric, 3)::float8
                FROM (SELECT id, 1 + floor(random() * 8)::int AS source,
                             floor(random() * %(texts)s)::int AS t
                      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id) AS g
                JOIN bench_corpus c ON c.i = g.t
                """,
                {
                    "start": start,
                    "step": step,
                    "now": now,
                    "texts": len(corpus),
                    "first": first,
                    "last": last,
                },
            )
            conn.execute(
                """
                INSERT INTO labels (post_id, category_id, by, model_version, confidence, taxonomy_version,
                    created_at)
                SELECT g.id, x.category_id, 'model', 'keywords-1', random(), 1, %(now)s
                FROM (SELECT id, floor(random() * %(leaves)s)::int AS leaf
                      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS id) AS g
                JOIN bench_leaves l ON l.i = g.leaf
                CROSS JOIN LATERAL (VALUES (l.id), (l.parent_id)) AS x(category_id)
                """,
                {"now": now, "leaves": leaves, "first": first, "last": last},
            )
            conn.commit()
            print(f"  {last:,} posts ({time.perf_counter() - began:.0f} s)", flush=True)
        conn.execute("SELECT setval(pg_get_serial_sequence('posts', 'id'), %s)", (posts,))
        conn.execute("SELECT setval(pg_get_serial_sequence('labels', 'id'), (SELECT max(id) FROM labels))")
        for index, definition in dropped:
            conn.execute(definition)
            conn.commit()
            print(f"  index {index} ({time.perf_counter() - began:.0f} s)", flush=True)
        for table, constraint, definition in constraints:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
            conn.commit()
            print(f"  constraint {constraint} ({time.perf_counter() - began:.0f} s)", flush=True)
        conn.execute("ALTER TABLE posts ENABLE TRIGGER USER")
        conn.execute("ALTER TABLE labels ENABLE TRIGGER USER")
        conn.execute("DROP TABLE bench_corpus")
        conn.execute("DROP TABLE bench_leaves")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_built (posts bigint)")
        conn.execute("INSERT INTO bench_built VALUES (%s)", (posts,))
    print(f"built in {time.perf_counter() - began:.0f} s", flush=True)


def prepared(engine: str, posts: int, rebuild: bool) -> Settings:
    """Return settings for the benchmark database of `posts` posts, building it first if needed."""
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    WORK.mkdir(parents=True, exist_ok=True)
    if engine == "postgresql":
        if rebuild or not pg_exists(pg_name(posts)):
            build_pg(posts)
        url = pg_url(posts)
    else:
        path = WORK / f"feed-{posts}.db"
        if rebuild or not path.exists():
            build(path, posts)
        url = f"sqlite:///{path}"
    settings = Settings(data_dir=WORK, database_url=url, secret_key=SECRET)
    db = Database(settings.resolved_database_url)
    db.upgrade()  # a database built by an older checkout gets the newer tables
    # Count the Insights rollups of every day now (what the first view after an import does), so
    # the pages are timed as an analyst sees them on any later view.
    began = time.perf_counter()
    end = datetime.now(UTC) + timedelta(days=1)
    with db.read() as session:
        stale = insights_repo.stale_days(session, end - timedelta(days=3 * 366), end)
    for first in range(0, len(stale), 30):  # a month per transaction: an interrupted count keeps its work
        with db.write() as session:
            insights_repo.refresh_rollups(session, stale[first : first + 30])
        print(f"  rollups: {min(first + 30, len(stale))} of {len(stale)} days", flush=True)
    with db.write() as session:  # rollups counted before month rows existed get them now
        months = insights_repo.fill_months(session)
    if stale or months:
        print(
            f"counted the rollups of {len(stale)} days and {months} months in "
            f"{time.perf_counter() - began:.0f} s",
            flush=True,
        )
    db.dispose()
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(client: httpx.Client, url: str, params: dict[str, str], samples: int) -> list[float]:
    for _ in range(3):
        client.get(url, params=params).raise_for_status()
    found = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(url, params=params)
        found.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--posts", type=int, default=1_000_000, help="100000, 1000000 or 10000000 (any N works)"
    )
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    args = parser.parse_args()
    settings = prepared(args.engine, args.posts, args.rebuild)
    db = Database(settings.resolved_database_url)
    with contextlib.suppress(Conflict):  # the user exists from an earlier run
        add_user(db, "bench", PASSWORD, "analyst")
    db.dispose()
    port = free_port()
    env = dict(
        os.environ,
        EARFUL_DATA_DIR=str(WORK),
        EARFUL_DATABASE_URL=settings.resolved_database_url,
        EARFUL_SECRET_KEY=SECRET,
        EARFUL_SESSION_IDLE_MINUTES="600",
    )
    # The checkout's own entry point when it has a virtualenv, else the one beside this interpreter.
    earful = ROOT / ".venv" / "bin" / "earful"
    if not earful.exists():
        earful = Path(sys.executable).parent / "earful"
    server = subprocess.Popen(
        [str(earful), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(1200):  # a busy machine may take a minute to start it
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            page = client.get("/login").text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf})
            db = Database(settings.resolved_database_url)
            with db.read() as session:
                from sqlalchemy import text

                deep = {}
                for fraction in (0.5, 0.9):
                    offset = int(args.posts * fraction)
                    at, pid = session.execute(
                        text(
                            "SELECT posted_at, id FROM posts "
                            "ORDER BY posted_at DESC, id DESC LIMIT 1 OFFSET :o"
                        ),
                        {"o": offset},
                    ).one()
                    stamp = datetime.fromisoformat(str(at)).replace(tzinfo=UTC).isoformat()
                    deep[fraction] = f"{stamp}_{pid}"
                size = (
                    session.scalar(text("SELECT pg_database_size(current_database())"))
                    if args.engine == "postgresql"
                    else sum(p.stat().st_size for p in WORK.glob(f"feed-{args.posts}.db*"))
                )
            db.dispose()
            today = datetime.now(UTC).date()
            year_ago, tomorrow = str(today - timedelta(days=365)), str(today + timedelta(days=1))
            rng = random.Random(3)
            cases: dict[str, list[tuple[str, dict[str, str]]]] = {
                "feed page": [("/feed", {})],
                "filtered feed": [
                    ("/feed", {"region": "Mexico", "sentiment": "complaint", "category": "pay"}),
                    ("/feed", {"region": "UK", "category": "app.gps_maps", "min_urgency": "0.3"}),
                ],
                "search": [("/feed", {"q": q}) for q in SEARCHES],
                "urgency sort": [
                    ("/feed", {"sort": "urgency"}),
                    ("/feed", {"sort": "urgency", "status": "new"}),
                ],
                "deep page": [("/feed", {"after": deep[0.5]}), ("/feed", {"after": deep[0.9]})],
                "post page": [(f"/posts/{rng.randrange(1, args.posts)}", {}) for _ in range(20)],
                "insights 30d": [("/insights", {"range": "30d"})],
                "insights 365d": [("/insights", {"since": year_ago, "until": tomorrow})],
                # Fetched by the page's script after the posts show: the filter and search counts.
                "match count": [
                    ("/feed/count", {"region": "Mexico", "sentiment": "complaint", "category": "pay"}),
                    ("/feed/count", {"region": "UK", "category": "app.gps_maps", "min_urgency": "0.3"}),
                    *[("/feed/count", {"q": q}) for q in SEARCHES],
                ],
            }
            engine = "PostgreSQL" if args.engine == "postgresql" else "SQLite"
            print(
                f"\nFeed latency over {args.posts:,} posts ({engine}, one server process), "
                f"{args.samples} samples each:"
            )
            print(f"database size: {size / 2**30:.2f} GiB")
            print(f"{'page':<16}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
            for name, urls in cases.items():
                samples = []
                per_url = max(2, args.samples // len(urls))
                for url, params in urls:
                    samples += timed(client, url, params, per_url)
                samples.sort()
                p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
                print(f"{name:<16}{statistics.median(samples):>10.1f}{p95:>10.1f}{samples[-1]:>10.1f}")
            print("\nsearches and their match counts (capped at 10,001):")
            for q in SEARCHES:
                print(f"  {q:<24}{client.get('/feed/count', params={'q': q}).json()['count']:>8,}")
        print(
            f"\nserver peak RSS: {peak_rss_mb(server.pid):.0f} MB "
            "(targets: p95 < 150 ms each at 1,000,000 posts, < 300 ms at 10,000,000 on PostgreSQL;"
            " memory < 1.5 GB)"
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
