"""Spike explanation time on a big database: how long `insights.explain` takes for one spike.

Builds (once, then reuses) a database of `--posts` enriched posts (default 500,000) spread evenly
over five weeks, 8 sources in 4 regions, labelled with subcategories of the default taxonomy, with
synthetic texts (a few everyday words from a 2,000-word vocabulary), and a three-hour burst of
1,800 posts about an update breaking the scanner at the end. Then it stores the burst as a spike
(all posts, everywhere) and times the explanation: cold (first call) and the median of five more.

It prints the time, the posts in the window, the posts whose text was read, and the sentence.
Run with `.venv/bin/python bench/spike_explain.py [--posts N] [--url URL] [--rebuild]`; by default
SQLite under artifacts/bench-explain, or a PostgreSQL URL (its schema is emptied and refilled).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from earful.insights import explain
from earful.ml.taxonomy import load_default
from earful.store.db import Database
from earful.store.models import Label, Post, Spike
from earful.store.repos import insights as insights_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "artifacts" / "bench-explain"
END = datetime(2026, 11, 30, 12, tzinfo=UTC)
START = END - timedelta(hours=3)
SOURCES = [
    ("r/couriers_uk", "UK"),
    ("x/search_uk", "UK"),
    ("r/couriers_us", "US-West"),
    ("x/search_us", "US-East"),
    ("mastodon/tag", "UK"),
    ("r/repartidores_mx", "Mexico"),
    ("foro_reparto", "Mexico"),
    ("feedback_form", "Ireland"),
]
SUBS = ["app.gps_maps", "pay.tips", "app.crashes_login", "app.scanning"]
BURST = (
    "update 4.2 broke the scanner",
    "scanner crashes since update 4.2",
    "the new update freezes my scanner",
)


def build(db: Database, posts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    vocabulary = [f"word{n}" for n in range(2000)]
    with db.write() as session:
        version = taxonomy_repo.latest(session) or taxonomy_repo.save(
            session, load_default(), note="bench", user_id=None
        )
        ids = taxonomy_repo.category_ids(session, version.version)
        source_ids = [
            sources_repo.add(session, name=name, kind="reddit", region=region, language="en").id
            for name, region in SOURCES
        ]
    span = timedelta(weeks=5).total_seconds()
    batch: list[dict[str, object]] = []
    labels: list[tuple[str, str]] = []  # (external id, category key)

    def flush() -> None:
        with db.write() as session:
            rows = session.execute(insert(Post).returning(Post.id, Post.external_id), batch).all()
            by_external = {external: pid for pid, external in rows}
            session.execute(
                insert(Label),
                [
                    {
                        "post_id": by_external[external],
                        "category_id": ids[key],
                        "by": "model",
                        "confidence": 0.9,
                        "taxonomy_version": version.version,
                    }
                    for external, key in labels
                ],
            )
        batch.clear()
        labels.clear()

    def add(n: int, at: datetime, text: str, key: str) -> None:
        external = f"bench-{n}"
        batch.append(
            {
                "source_id": source_ids[n % len(source_ids)],
                "external_id": external,
                "kind": "post",
                "text": text,
                "language": "en",
                "posted_at": at,
                "captured_at": at,
                "engagement": {},
                "author_key": f"a_bench{rng.randrange(20_000)}",
                "sentiment": "complaint",
            }
        )
        labels.append((external, key))
        if len(batch) >= 5_000:
            flush()

    for n in range(posts):
        at = END - timedelta(seconds=rng.random() * span)
        add(n, at, " ".join(rng.choices(vocabulary, k=12)), rng.choice(SUBS))
    for n in range(1_800):
        at = START + timedelta(seconds=rng.random() * 3 * 3600)
        text = f"{rng.choice(BURST)} " + " ".join(rng.choices(vocabulary, k=6))
        add(posts + n, at, text, "app.scanning")
    if batch:
        flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500_000)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL (default: SQLite under artifacts)")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.url:
        db = Database(args.url)
        db.upgrade()
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"explain-{args.posts}.db"
        if args.rebuild and path.exists():
            path.unlink()
        db = Database(f"sqlite:///{path}")
        db.upgrade()
    with db.read() as session:
        stored = session.scalar(select(func.count()).select_from(Post)) or 0
    if stored == 0:
        began = time.perf_counter()
        build(db, args.posts)
        print(f"built {args.posts + 1_800:,} posts in {time.perf_counter() - began:.0f} s")
    with db.write() as session:
        spike = session.scalars(select(Spike).where(Spike.started_at == START)).first()
        if spike is None:
            spike = insights_repo.save_spike(
                session,
                category="",
                region="",
                started_at=START,
                ended_at=END - timedelta(hours=1),
                observed=700,
                expected=120.0,
                score=20.0,
            )
        spike_id = spike.id
    times = []
    for _ in range(6):
        began = time.perf_counter()
        found = explain.explain(db, spike_id)
        times.append(time.perf_counter() - began)
    assert found is not None
    engine = "sqlite" if db.is_sqlite else "postgresql"
    print(f"engine: {engine}; posts stored: {stored or args.posts + 1_800:,}")
    print(
        f"window posts {found.posts:,} (usual {found.usual:g}); "
        f"text read {found.read:,} + {found.baseline_read:,} baseline"
    )
    print(f"explain: cold {times[0] * 1000:.0f} ms, warm median {statistics.median(times[1:]) * 1000:.0f} ms")
    print(f"sentence: {found.sentence}")


if __name__ == "__main__":
    main()
