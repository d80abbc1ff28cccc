"""Enrichment throughput on SQLite and PostgreSQL: posts/s with 1 and 2 worker processes, and why.

Imports tweets from the SemEval-2017 Task 4A training files (../shared/data; never copied) into a
fresh database, then times the enrichment jobs alone (clean, language, redact, pseudonymise,
dedupe, near-duplicates, story, classify with the default taxonomy, sentiment, urgency, and the
writes) as one worker process runs them and as two do, each run on a freshly imported copy. It
prints each stage's own cost per post, posts/s for each worker count and the ratio, and for each
worker what it did: jobs and posts taken, time in the chain, in the writes, claiming jobs and
waiting for SQLite's write lock, and database statements per post. The clock starts once every
worker has loaded its models (reported apart as start-up) and stops when the queue is empty.

PostgreSQL runs in a schema of its own (dropped afterwards) in the database EARFUL_BENCH_PG_URL
names, by default the local test database. The speed-up needs idle cores: on a shared machine
say how loaded it was.

    .venv/bin/python bench/enrichment_throughput.py                       # both engines, 10,000 posts
    .venv/bin/python bench/enrichment_throughput.py --engine postgresql --posts 50000
    .venv/bin/python bench/enrichment_throughput.py --trained light  # a trained classifier in use

`--trained light|ngrams|e5` puts a trained classifier in use before the run, as a deployment has
once analysts' labels trained one and it passed the gate: trained on the default taxonomy's own
texts (no labels are needed to measure its speed), with the light MiniLM embedder's vectors (the
default since 2026-12-07), n-grams alone (EARFUL_LIGHT_EMBEDDINGS=false) or e5. With
`--trained-sentiment` a trained sentiment model of the same kind (light without `--trained`) is put
in use too (trained on 300 of the run's tweets as the shipped tone model labels them), as once
analysts have judged tone: beside a light classifier the embedder keeps each post's vector for the
second stage, so the two share one embedding; beside the keyword classifier it embeds every post.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job
from earful.classify.learning import store_model
from earful.classify.service import current, ensure_default
from earful.ingest import jobs as ingest_jobs
from earful.ingest.jobs import chain_for, warm_up
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.ml.trained import TrainedClassifier, TrainedSentiment, model_name, new_classifier, new_sentiment
from earful.pipeline.chain import Chain
from earful.pipeline.sentiment import builtin_score
from earful.pipeline.stage import WorkItem
from earful.settings import Settings
from earful.store import db as db_module
from earful.store.db import Database
from earful.store.repos import jobs as jobs_repo
from earful.store.repos import learning as learning_repo
from earful.store.repos import posts as posts_repo

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2017-task4a"
PG_URL = os.environ.get("EARFUL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEY = "bench-only-key"  # a throwaway key for a throwaway database


def tweets(limit: int) -> list[str]:
    """Return up to `limit` distinct tweet texts from the 2013-2016 files."""
    seen: dict[str, None] = {}
    for path in sorted(DATA.glob("twitter-201[3-6]*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].strip():
                seen.setdefault(parts[2].strip(), None)
                if len(seen) >= limit:
                    return list(seen)
    return list(seen)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, action="append", help="worker processes (default: 1, then 2)")
    parser.add_argument("--sample", type=int, default=1000, help="posts timed stage by stage")
    parser.add_argument(
        "--trained", choices=["light", "ngrams", "e5"], help="put a trained classifier in use first"
    )
    parser.add_argument(
        "--trained-sentiment",
        action="store_true",
        help="put a trained sentiment model in use too (of --trained's kind; light without it)",
    )
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    texts = tweets(args.posts)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    if "postgresql" in engines and not _reachable(PG_URL):
        if args.engine == "postgresql":
            sys.exit(
                f"PostgreSQL at {make_url(PG_URL).render_as_string()} is not reachable (EARFUL_BENCH_PG_URL)"
            )
        print(f"PostgreSQL at {make_url(PG_URL).render_as_string()} is not reachable: SQLite only")
        engines.remove("postgresql")
    print(
        f"{len(texts):,} tweets; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at the start"
    )
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        feed = tmp / "tweets.jsonl"
        with feed.open("w") as out:
            for i, tweet in enumerate(texts):
                out.write(json.dumps({"id": str(i), "text": tweet, "author": f"user{i % 5000}"}) + "\n")
        rates: dict[str, dict[int, float]] = {}
        for engine in engines:
            rates[engine] = {}
            for workers in args.workers or [1, 2]:
                with fresh_database(engine, tmp) as url:
                    settings = Settings(data_dir=tmp, database_url=url, secret_key=KEY)
                    db = Database(url)
                    ensure_default(db)
                    if args.trained:
                        use_trained_classifier(db, settings, args.trained)
                    if args.trained_sentiment:
                        use_trained_sentiment(db, settings, args.trained or "light", texts[:300])
                    get_or_create_source(db, "tweets")
                    iter_import(db, settings, feed, "tweets", "jsonl", parallel=False)
                    if engine == engines[0] and workers == (args.workers or [1])[0]:
                        stage_costs(db, settings, texts[: args.sample])
                    with db.read() as session:
                        jobs = session.scalar(text("SELECT count(*) FROM jobs WHERE status = 'queued'"))
                    db.dispose()
                    rate = run_workers(url, settings, workers, len(texts), jobs or 0, engine)
                    rates[engine][workers] = rate
        for engine, by_count in rates.items():
            if 1 in by_count and 2 in by_count:
                print(
                    f"{engine}: 2 workers do {by_count[2] / by_count[1]:.2f} times the work of 1 "
                    f"({by_count[1]:,.0f} -> {by_count[2]:,.0f} posts/s; load average now "
                    f"{os.getloadavg()[0]:.2f})"
                )


def use_trained_classifier(db: Database, settings: Settings, kind: str) -> None:
    """Store a classifier trained on the default taxonomy's own texts and put it in use."""
    found = current(db)
    assert found is not None
    model = new_classifier(found.taxonomy, kind == "e5", light=kind == "light").fit([], [])
    put_in_use(db, settings, learning_repo.CLASSIFIER, model, found.version, 0)


def use_trained_sentiment(db: Database, settings: Settings, kind: str, texts: list[str]) -> None:
    """Store a sentiment model trained on `texts` as the shipped tone model labels them, in use."""
    tones = [builtin_score(t)[0] for t in texts]
    model = new_sentiment(kind == "e5", light=kind == "light").fit(texts, tones)
    put_in_use(db, settings, learning_repo.SENTIMENT, model, None, len(texts))


def put_in_use(
    db: Database,
    settings: Settings,
    kind: str,
    model: TrainedClassifier | TrainedSentiment,
    taxonomy_version: int | None,
    examples: int,
) -> None:
    """Store `model`, signed and audited as the learning loop stores one, and put it in use."""
    name = model_name(model)
    with db.write() as session:
        store_model(
            session,
            settings,
            None,
            kind,
            name,
            taxonomy_version,
            examples,
            {},
            model,
            True,
            "enrichment benchmark",
        )
    print(f"{kind} in use: {name}")


def _reachable(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect():
            return True
    except Exception:  # noqa: BLE001 - any failure to connect means the same here
        return False
    finally:
        engine.dispose()


@contextmanager
def fresh_database(engine: str, tmp: Path) -> Iterator[str]:
    """Yield the URL of a new migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    if engine == "sqlite":
        for old in tmp.glob("bench.db*"):
            old.unlink()
        url = f"sqlite:///{tmp / 'bench.db'}"
        Database(url).upgrade()
        yield url
        return
    schema = f"earful_bench_{os.getpid()}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    rendered = (
        make_url(PG_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    Database(rendered).upgrade()
    try:
        yield rendered
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def stage_costs(db: Database, settings: Settings, sample: list[str]) -> None:
    """Print each stage's own cost per post over `sample`."""
    with db.read() as session:
        warm_up(session, settings)  # models load on first use: not a cost per post
        chain = chain_for(session, settings)
    print(f"each stage's cost per post, over {len(sample):,} of them (one process):")
    singles = [(stage.name, Chain([stage])) for stage in chain.stages]
    spent = dict.fromkeys((name for name, _ in singles), 0.0)
    for tweet in sample:
        item = WorkItem(text=tweet, author_handle="someone")
        for name, single in singles:
            started = time.perf_counter()
            single.run(item)
            spent[name] += time.perf_counter() - started
    for name, seconds in spent.items():
        print(f"  {name:13} {seconds / len(sample) * 1e6:8.0f} µs")
    print(f"  {'all':13} {sum(spent.values()) / len(sample) * 1e6:8.0f} µs")


class Meter:
    """What one worker process spent its time on (installed around the functions it calls)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.statements = 0
        self.posts = 0
        self.by_statement: dict[str, float] = {}

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        """Replace `owner.attribute` with a timed version of itself."""
        inner: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, attribute, timed)


def _work(url: str, settings: Settings, ready: Barrier, out: Queue[dict[str, Any]]) -> None:
    started = time.perf_counter()
    meter = Meter()
    meter.wrap(ingest_jobs, "_run_chain", "chain")
    meter.wrap(ingest_jobs, "_enrich_and_save", "chain and writes")
    meter.wrap(jobs_repo, "claim", "claim")
    meter.wrap(db_module, "_begin_immediate", "write lock")  # SQLite only: waiting for the one writer
    counted = posts_repo.get_many  # the module the enrichment job calls it on

    def get_many(session: Any, ids: list[int]) -> Any:
        meter.posts += len(ids)
        return counted(session, ids)

    posts_repo.get_many = get_many  # type: ignore[assignment]
    db = Database(url)
    for engine in {db.write_engine, db.read_engine}:
        event.listen(engine, "before_cursor_execute", lambda conn, *_: _begin_statement(meter, conn))
        event.listen(
            engine, "after_cursor_execute", lambda conn, _c, sql, *_: _end_statement(meter, conn, sql)
        )
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `earful worker` sets it, before the models load
    with db.read() as session:
        warm_up(session, settings)  # loads the models, as `earful worker` does before its first job
    startup = time.perf_counter() - started
    ready.wait()
    began = time.perf_counter()
    statements_before = meter.statements
    jobs = 0
    while True:  # as `earful worker` does: an empty queue now may fill as running jobs share out
        ran = drain(db, settings)
        jobs += ran
        if ran == 0:
            with db.read() as session:
                if not session.scalar(
                    text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
                ):
                    break
            time.sleep(0.05)
    busy = time.perf_counter() - began
    db.dispose()
    out.put(
        {
            "pid": os.getpid(),
            "startup": startup,
            "busy": busy,
            "jobs": jobs,
            "posts": meter.posts,
            "statements": meter.statements - statements_before,
            "seconds": meter.seconds,
            "by_statement": meter.by_statement,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _begin_statement(meter: Meter, conn: Any) -> None:
    meter.statements += 1
    conn.info["bench_started"] = time.perf_counter()


def _end_statement(meter: Meter, conn: Any, sql: str) -> None:
    key = " ".join(sql.split())[:70]
    spent = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
    meter.by_statement[key] = meter.by_statement.get(key, 0.0) + spent


def run_workers(url: str, settings: Settings, workers: int, posts: int, jobs: int, engine: str) -> float:
    """Run `workers` worker processes until the queue is empty; print what each did; return posts/s."""
    # Fresh interpreters, as `earful worker` runs: a forked child would inherit the embedding
    # runtime's threads from the per-stage timing above and stall (EARFUL_EMBEDDINGS=on).
    context = multiprocessing.get_context("spawn")
    out: Queue[dict[str, Any]] = context.Queue()
    ready = context.Barrier(workers + 1)
    procs = [context.Process(target=_work, args=(url, settings, ready, out)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    ready.wait()
    started = time.perf_counter()
    reports = [out.get() for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    rate = posts / elapsed
    print(
        f"{engine}, {workers} worker process{'es' if workers > 1 else ''}: {rate:,.0f} posts/s over "
        f"{posts:,} posts in {jobs} jobs ({elapsed:.1f} s; load average {os.getloadavg()[0]:.2f})"
    )
    for r in sorted(reports, key=lambda r: r["pid"]):
        spent = r["seconds"]
        chain = spent.get("chain", 0.0)
        writes = spent.get("chain and writes", 0.0) - chain
        print(
            f"  worker {r['pid']}: {r['jobs']} jobs, {r['posts']:,} posts; busy {r['busy']:.1f} s: "
            f"chain {chain:.1f} s, writes {writes:.1f} s, claiming {spent.get('claim', 0.0):.2f} s"
            + (
                f", waiting for the write lock {spent.get('write lock', 0.0):.1f} s"
                if engine == "sqlite"
                else ""
            )
            + f"; {r['statements'] / max(r['posts'], 1):.2f} statements per post; "
            f"start-up (models) {r['startup']:.1f} s; peak memory {r['peak_mb']:,.0f} MB"
        )
    slowest: dict[str, float] = {}
    for r in reports:
        for key, spent in r["by_statement"].items():
            slowest[key] = slowest.get(key, 0.0) + spent
    top = sorted(slowest.items(), key=lambda pair: -pair[1])[:4]
    print("  slowest statements (all workers): " + "; ".join(f"{s:.1f} s {key}" for key, s in top))
    return rate


if __name__ == "__main__":
    main()
