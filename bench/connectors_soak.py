"""Connector soak: 20 live sources polling a local server for 5 minutes while it misbehaves.

A local server answers like Mastodon, Reddit and X from the recorded payloads in
../shared/data/api-samples (never copied), and keeps publishing new items while the soak runs.
A share of its answers are failures picked at random: 429 with Retry-After, 500, 503 and
unreadable bodies. Twenty sources (8 Mastodon hashtags, 6 subreddits, 6 X queries) are polled by
the real scheduler and worker loop, in several worker threads on one SQLite database.

At the end the failures stop, every source catches up, and the soak prints, per platform: items
published against items stored (lost and duplicated), requests and failures served, the closest
two requests of one source came against its own rate limit, and the shortest wait after a 429
against the Retry-After it asked for.
Run with `make bench` or `.venv/bin/python bench/connectors_soak.py [--seconds 300] [--chaos 0.15]`.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the replay server lives with the connector tests

from sqlalchemy import func, select  # noqa: E402
from tests.connectors.live.replay import Replay, mastodon_statuses, reddit_children, serve, x_posts  # noqa: E402

import earful.ingest.jobs  # noqa: E402,F401 - registers the poll and enrichment jobs
from earful.contracts import Actor  # noqa: E402
from earful.ingest.polling import poll, schedule_due  # noqa: E402
from earful.ingest.sources import SourceForm, save_source  # noqa: E402
from earful.jobs.queue import run_one  # noqa: E402
from earful.settings import Settings  # noqa: E402
from earful.store.db import Database  # noqa: E402
from earful.store.models import Job, Post, Source  # noqa: E402
from earful.store.repos import sources as sources_repo  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "data" / "api-samples"
RATE = 120  # requests a minute per source: at least 0.5 s apart


def publish(state: Replay, stop: threading.Event) -> dict[str, int]:
    """Keep adding new items to every platform (copies of recorded ones, with new ids and times)."""
    counter = itertools.count(1)
    published: defaultdict[str, int] = defaultdict(int)
    base_status, base_child, base_post = state.statuses[-1], state.children[0], state.posts[0]
    while not stop.wait(0.25):
        n = next(counter)
        with state.lock:
            status = copy.deepcopy(base_status)
            status["id"] = str(int(base_status["id"]) + n)
            state.statuses.append(status)
            child = copy.deepcopy(base_child)
            child["data"]["name"] = f"t3_soak{n}"
            child["data"]["id"] = f"soak{n}"
            child["data"]["created_utc"] = float(base_child["data"]["created_utc"]) + n
            state.children.insert(0, child)
            post = copy.deepcopy(base_post)
            post["id"] = str(int(base_post["id"]) + n)
            state.posts.insert(0, post)
        for platform in ("mastodon", "reddit", "x"):
            published[platform] += 1
    return published


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--chaos", type=float, default=0.15, help="share of answers that fail")
    parser.add_argument("--workers", type=int, default=4, help="worker threads")
    args = parser.parse_args()
    if not SAMPLES.exists():
        sys.exit(f"{SAMPLES} is absent: this benchmark needs the shared datasets beside the repository")
    state = Replay(
        SAMPLES,
        statuses=mastodon_statuses(SAMPLES),
        children=reddit_children(SAMPLES),
        posts=x_posts(SAMPLES),
    )
    server = serve(state)
    next(server)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/soak.db",
            secret_key="soak-secret-0123456789abcdef",  # noqa: S106 - a throwaway database
            reddit_client_id="id",
            reddit_client_secret="secret",  # noqa: S106 - the local server takes any
            x_bearer_token="bearer",  # noqa: S106 - the local server takes any
            allow_private_addresses=True,  # the platforms are played by a server on this machine
            credential_hosts=["127.0.0.1"],
        )
        db = Database(settings.resolved_database_url)
        db.upgrade()
        admin = Actor(None, "soak", "admin")
        plans = (
            [
                (
                    "mastodon",
                    f"tag{i}",
                    {"instance": state.base, "hashtag": f"tag{i}", "page_size": 40},
                    {"min_id": "0"},
                )
                for i in range(8)
            ]
            + [
                (
                    "reddit",
                    f"sub{i}",
                    {
                        "subreddit": f"sub{i}",
                        "api": state.base,
                        "token_url": f"{state.base}/api/v1/access_token",
                    },
                    {"before": state.children[-1]["data"]["name"]},
                )
                for i in range(6)
            ]
            + [
                (
                    "x",
                    f"query{i}",
                    {"query": f"query{i}", "api": state.base},
                    {"since_id": state.posts[-1]["id"]},
                )
                for i in range(6)
            ]
        )
        paths = {}
        start_counts = {
            "mastodon": len(state.statuses),
            "reddit": len(state.children) - 1,
            "x": len(state.posts) - 1,
        }
        for kind, name, config, cursor in plans:
            config = {**config, "interval_seconds": 2, "rate_per_minute": RATE, "max_pages": 5}
            save_source(
                db, admin, SourceForm(name=name, kind=kind, config=config), create=True, settings=settings
            )
            with db.write() as session:
                found = sources_repo.get_by_name(session, name)
                assert found is not None
                sources_repo.set_fields(session, found.id, cursor=cursor)
            paths[name] = {
                "mastodon": f"/api/v1/timelines/tag/{name}",
                "reddit": f"/r/{name}/new",
                "x": f"/2/tweets/search/recent#{name}",
            }[kind]
        state.chaos = args.chaos
        stop = threading.Event()
        published: dict[str, int] = {}
        publisher = threading.Thread(target=lambda: published.update(publish(state, stop)))
        publisher.start()

        def work() -> None:
            while not stop.is_set():
                schedule_due(db, settings)
                if not run_one(db, settings):
                    time.sleep(0.05)

        workers = [threading.Thread(target=work) for _ in range(args.workers)]
        began = time.monotonic()
        print(
            f"soaking {len(plans)} sources for {args.seconds} s with {args.chaos:.0%} failing answers ...",
            flush=True,
        )
        for thread in workers:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in [publisher, *workers]:
            thread.join()
        elapsed = time.monotonic() - began
        # Catch up without failures: whatever is still unread is read now, nothing is lost.
        state.chaos = 0.0
        with db.read() as session:
            ids = [s.id for s in session.scalars(select(Source))]
        with db.write() as session:
            for sid in ids:
                sources_repo.set_fields(session, sid, enabled=True)
        for sid in ids:
            for _ in range(200):
                result = poll(db, settings, sid, max_pages=50)
                if result.outcome == "ok" and result.read == 0:
                    break
                time.sleep(0.2)
        with db.read() as session:
            stored = dict(
                session.execute(select(Post.source_id, func.count()).group_by(Post.source_id)).all()
            )
            distinct = dict(
                session.execute(
                    select(Post.source_id, func.count(func.distinct(Post.external_id))).group_by(
                        Post.source_id
                    )
                ).all()
            )
            sources = {s.id: s for s in session.scalars(select(Source))}
            jobs_dead = session.scalar(select(func.count()).where(Job.status == "dead"))
        print(f"\nran {elapsed:.0f} s; failures served: {dict(state.chaos_served)}; dead jobs: {jobs_dead}")
        print(
            f"{'platform':<10}{'sources':>8}{'expected':>10}{'stored':>10}{'lost':>6}{'dup':>5}"
            f"{'requests':>10}{'min gap s':>11}{'limit s':>9}{'429 wait / asked':>18}"
        )
        for kind in ("mastodon", "reddit", "x"):
            mine = [s for s in sources.values() if s.kind == kind]
            # Mastodon's recorded statuses include 8 whose authors opted out: never stored.
            opted_out = 8 if kind == "mastodon" else 0
            expected = (start_counts[kind] - opted_out + published.get(kind, 0)) * len(mine)
            got = sum(stored.get(s.id, 0) for s in mine)
            dups = got - sum(distinct.get(s.id, 0) for s in mine)
            hits = defaultdict(list)
            for at, path in state.hits:
                hits[path].append(at)
            kind_paths = {paths[s.name] for s in mine}
            gaps = [b - a for p in kind_paths for a, b in itertools.pairwise(sorted(hits[p]))]
            waits = []
            for path in kind_paths:
                times = sorted(hits[path])
                for at, asked in state.retry_after.get(path, []):
                    later = [t for t in times if t > at]
                    if later:
                        waits.append((later[0] - at) / asked)
            print(
                f"{kind:<10}{len(mine):>8}{expected:>10}{got:>10}{max(0, expected - got):>6}{dups:>5}"
                f"{sum(len(hits[p]) for p in kind_paths):>10}"
                f"{(min(gaps) if gaps else float('nan')):>11.2f}{60 / RATE:>9.2f}"
                f"{(min(waits) if waits else float('nan')):>18.2f}"
            )
    next(server, None)


if __name__ == "__main__":
    main()
