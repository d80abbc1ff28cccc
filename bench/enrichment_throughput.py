"""Enrichment throughput: the full chain over 50,000 real tweets, posts/s and peak memory.

Imports tweets from the SemEval-2017 Task 4A training files (../shared/data; never copied) into
a fresh SQLite database, then times the enrichment jobs alone (clean, language, redact,
pseudonymise, dedupe, near-duplicates, classify with the default taxonomy, sentiment, urgency,
and the writes), as one worker runs them and as two worker processes (one per core) run them. It
also prints each stage's own cost per post.
Run with `make bench` or `.venv/bin/python bench/enrichment_throughput.py [--posts N] [--workers N]`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from pathlib import Path

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job
from earful.classify.service import ensure_default
from earful.ingest.jobs import chain_for
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.pipeline.chain import Chain
from earful.pipeline.stage import WorkItem
from earful.settings import Settings
from earful.store.db import Database

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2017-task4a"


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--workers", type=int, action="append", help="worker processes (default: 1, then 2)")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    texts = tweets(args.posts)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        path = tmp / "tweets.jsonl"
        with path.open("w") as out:
            for i, text in enumerate(texts):
                out.write(json.dumps({"id": str(i), "text": text, "author": f"user{i % 5000}"}) + "\n")
        url = f"sqlite:///{tmp / 'bench.db'}"
        db = Database(url)
        db.upgrade()
        key = "bench-only-key"  # a throwaway key for a temporary database
        settings = Settings(data_dir=tmp, database_url=url, secret_key=key)
        ensure_default(db)
        get_or_create_source(db, "tweets")
        iter_import(db, settings, path, "tweets", "jsonl", parallel=False)
        stage_costs(db, settings, texts[:2000], len(texts))
        snapshot = tmp / "imported.db"
        db.dispose()
        shutil.copy(tmp / "bench.db", snapshot)
        for workers in args.workers or [1, 2]:
            shutil.copy(snapshot, tmp / "bench.db")
            for extra in ("-wal", "-shm"):
                (tmp / f"bench.db{extra}").unlink(missing_ok=True)
            started = time.perf_counter()
            peak = run_workers(url, settings, workers)
            elapsed = time.perf_counter() - started
            print(
                f"enrichment, {workers} worker process{'es' if workers > 1 else ''}: "
                f"{len(texts) / elapsed:,.0f} posts/s over {len(texts):,} (target: 500 on 2 cores); "
                f"peak memory per worker: {peak:,.0f} MB"
            )


def stage_costs(db: Database, settings: Settings, sample: list[str], total: int) -> None:
    """Print each stage's own cost per post over `sample`."""
    with db.read() as session:
        chain = chain_for(session, settings)
    print(f"{total:,} tweets; each stage's cost per post, over {len(sample):,} of them:")
    singles = [(stage.name, Chain([stage])) for stage in chain.stages]
    spent = dict.fromkeys((name for name, _ in singles), 0.0)
    for text in sample:
        item = WorkItem(text=text, author_handle="someone")
        for name, single in singles:
            started = time.perf_counter()
            single.run(item)
            spent[name] += time.perf_counter() - started
    for name, seconds in spent.items():
        print(f"  {name:13} {seconds / len(sample) * 1e6:8.0f} µs")


def _work(url: str, settings: Settings, out: Queue[float]) -> None:
    db = Database(url)
    drain(db, settings)
    db.dispose()
    out.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_workers(url: str, settings: Settings, workers: int) -> float:
    """Run `workers` worker processes until the queue is empty; return the largest peak RSS in MB."""
    # Fresh interpreters, as `earful worker` runs: a forked child would inherit the embedding
    # runtime's threads from the per-stage timing above and stall (EARFUL_EMBEDDINGS=on).
    context = multiprocessing.get_context("spawn")
    out: Queue[float] = context.Queue()
    procs = [context.Process(target=_work, args=(url, settings, out)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    peaks = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return max(peaks)


if __name__ == "__main__":
    main()
