"""Enrichment throughput: the full chain over 50,000 real tweets, posts/s and peak memory.

Imports tweets from the SemEval-2017 Task 4A training files (../shared/data; never copied) into
a fresh SQLite database, then times the enrichment jobs alone (clean, language, redact,
pseudonymise, dedupe, near-duplicates, classify with the default taxonomy, sentiment, urgency,
and the writes), as one worker runs them. It also prints each stage's own cost per post.
Run with `make bench` or `.venv/bin/python bench/enrichment_throughput.py [--posts N]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
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

        with db.read() as session:
            chain = chain_for(session, settings)
        sample = texts[:2000]
        print(f"{len(texts):,} tweets; each stage's cost per post, over {len(sample):,} of them:")
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

        started = time.perf_counter()
        drain(db, settings)
        elapsed = time.perf_counter() - started
        print(
            f"enrichment, one worker: {len(texts) / elapsed:,.0f} posts/s over {len(texts):,} (target: 500)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: {peak:,.0f} MB")
        db.dispose()


if __name__ == "__main__":
    main()
