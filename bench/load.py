"""Analysts under load: page latency for 50 simulated analysts while a 20,000-post import is enriched.

Sets up a fresh embedded install (SQLite, `earful serve --with-worker`, the way `make demo` runs)
with the demo data and 50 analyst accounts, signs each in, then runs two phases. Each phase starts
its own `earful import` of 20,000 real tweets (SemEval-2017 from ../shared/data, never copied into
the repository) so that the server's worker is enriching the whole time, and meanwhile:

  * "think": 50 analysts each click feed, search (with the match count the page fetches after it
    shows) or a post page, waiting 1-3 s between clicks (about 25 requests/s together);
  * "no think": the same 50 analysts click again as soon as each answer arrives.

A phase lasts --seconds, or ends sooner when its import's last post is enriched, so that every
figure is taken while the worker is busy. It prints p50, p95 and the worst latency per page, the
number of errors (any status other than 200, or no answer), the requests per second served, and
how many posts were enriched during the phase, so the figures are known to come from a loaded server.
Run with `make bench` or `.venv/bin/python bench/load.py [--users N] [--seconds S] [--posts N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from earful.accounts.service import add_user
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Enrichment, Post

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "semeval2017-task4a"
WORK = ROOT / "artifacts" / "bench-load"
EARFUL = str(ROOT / ".venv" / "bin" / "earful")
SECRET = "bench-secret-key-0123456789abcdef"  # noqa: S105 - a throwaway benchmark install
PASSWORD = "bench password 123"  # noqa: S105 - throwaway benchmark users
ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")  # the files write non-ASCII as \uXXXX
SEARCHES = ["app crashed", '"customer service"', "late OR delayed", "flight -cancelled", "pay*", "support"]


def tweets() -> list[str]:
    """Return the distinct tweet texts of the SemEval-2017 files, in a fixed order."""
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared datasets beside the repository")
    seen: dict[str, None] = {}
    for path in sorted(DATA.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                seen.setdefault(ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), parts[2]), None)
    return list(seen)


def write_import(path: Path, texts: list[str], tag: str) -> None:
    """Write the texts as a JSON Lines file of posts with authors and times."""
    rng = random.Random(tag)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for i, body in enumerate(texts):
            record = {
                "id": f"{tag}-{i}",
                "text": body,
                "author": f"driver{rng.randint(1, 5000)}",
                "created_at": (start + timedelta(seconds=i * 20)).isoformat(),
                "lang": "en",
            }
            out.write(json.dumps(record) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_for(settings: Settings) -> dict[str, str]:
    return dict(
        os.environ,
        EARFUL_DATA_DIR=str(WORK),
        EARFUL_DATABASE_URL=settings.resolved_database_url,
        EARFUL_SECRET_KEY=SECRET,
        EARFUL_SESSION_IDLE_MINUTES="600",
    )


def prepare(users: int) -> Settings:
    """Make a fresh install with the demo data and `users` analysts; return its settings."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    settings = Settings(data_dir=WORK, database_url=f"sqlite:///{WORK / 'earful.db'}", secret_key=SECRET)
    print("Loading the demo data ...", flush=True)
    subprocess.run([EARFUL, "demo", "--no-serve"], env=env_for(settings), check=True, capture_output=True)
    db = Database(settings.resolved_database_url)
    for n in range(users):
        add_user(db, f"analyst{n}", PASSWORD, "analyst")
    db.dispose()
    return settings


def enriched(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count(func.distinct(Enrichment.post_id)))) or 0)


def post_ids(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Post.id).order_by(Post.id).limit(2000)))


async def sign_in(base: str, name: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=60)
    page = (await client.get("/login")).text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = await client.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf})
    if answer.status_code not in (200, 303) or (await client.get("/feed")).status_code != 200:
        sys.exit(f"could not sign in as {name}: {answer.status_code}")
    return client


class Tally:
    """Latencies per page and the errors seen."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}

    async def get(self, client: httpx.AsyncClient, page: str, url: str, params: dict[str, str]) -> None:
        began = time.perf_counter()
        try:
            answer = await client.get(url, params=params)
            ok = answer.status_code == 200
        except httpx.HTTPError:
            ok = False
        self.ms.setdefault(page, []).append((time.perf_counter() - began) * 1000)
        if not ok:
            self.errors[page] = self.errors.get(page, 0) + 1


async def analyst(
    client: httpx.AsyncClient, ids: list[int], tally: Tally, until: list[float], think: bool, seed: int
) -> None:
    rng = random.Random(seed)
    if think:
        await asyncio.sleep(rng.uniform(0, 3))  # analysts do not all click in the same instant
    while time.monotonic() < until[0]:
        roll = rng.random()
        if roll < 0.4:
            await tally.get(client, "feed", "/feed", {})
        elif roll < 0.7:
            query = rng.choice(SEARCHES)
            await tally.get(client, "search", "/feed", {"q": query})
            await tally.get(client, "search count", "/feed/count", {"q": query})
        else:
            await tally.get(client, "post", f"/posts/{rng.choice(ids)}", {})
        if think:
            await asyncio.sleep(rng.uniform(1, 3))


async def phase(
    clients: list[httpx.AsyncClient], ids: list[int], seconds: float, think: bool, backlog: Backlog
) -> tuple[Tally, float]:
    """Run the analysts for `seconds`, or until the import's last post is enriched if sooner."""
    tally = Tally()
    began = time.monotonic()
    until = [began + seconds]

    async def watch() -> None:
        while time.monotonic() < until[0]:
            await asyncio.sleep(1)
            if await asyncio.to_thread(backlog.cleared):
                until[0] = time.monotonic()  # every figure is taken while posts were being enriched

    await asyncio.gather(
        watch(), *(analyst(c, ids, tally, until, think, seed) for seed, c in enumerate(clients))
    )
    return tally, time.monotonic() - began


class Backlog:
    """The posts of one import, and whether the server's worker has enriched them all yet."""

    def __init__(self, db: Database, posts: int) -> None:
        self.db = db
        self.before = enriched(db)
        self.posts = posts

    def done(self) -> int:
        return enriched(self.db) - self.before

    def cleared(self) -> bool:
        return self.done() >= self.posts


def report(title: str, tally: Tally, elapsed: float, enriched_during: int) -> None:
    """Print the phase's latencies per page."""
    total = sum(len(v) for v in tally.ms.values())
    print(
        f"\n{title}: {total} requests in {elapsed:.0f} s ({total / elapsed:.1f}/s), "
        f"{enriched_during} posts enriched meanwhile"
    )
    print(f"  {'page':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    every: list[float] = []
    for page, values in sorted(tally.ms.items()):
        every += values
        cuts = statistics.quantiles(values, n=20)
        print(
            f"  {page:<14}{len(values):>9}{statistics.median(values):>9.0f}{cuts[18]:>9.0f}"
            f"{max(values):>9.0f}{tally.errors.get(page, 0):>8}"
        )
    cuts = statistics.quantiles(every, n=20)
    print(
        f"  {'all':<14}{len(every):>9}{statistics.median(every):>9.0f}{cuts[18]:>9.0f}"
        f"{max(every):>9.0f}{sum(tally.errors.values()):>8}"
    )


async def run(args: argparse.Namespace) -> None:
    settings = prepare(args.users)
    texts = tweets()
    if len(texts) < 2 * args.posts:
        sys.exit(f"only {len(texts)} distinct tweets; ask for --posts {len(texts) // 2} or fewer")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(settings)
    server = subprocess.Popen(
        [EARFUL, "serve", "--with-worker", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    db = Database(settings.resolved_database_url)
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(300):
                try:
                    await probe.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        clients = [await sign_in(base, f"analyst{n}") for n in range(args.users)]
        ids = post_ids(db)
        for n, (title, think) in enumerate((("think", True), ("no think", False))):
            data = WORK / f"import-{n}.jsonl"
            write_import(data, texts[n * args.posts : (n + 1) * args.posts], f"load{n}")
            backlog = Backlog(db, args.posts)
            importer = subprocess.Popen(
                [EARFUL, "import", str(data), "--source", f"load test {n}", "--create", "--format", "jsonl"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Let the first batches land, so the worker is enriching when the analysts start.
            await asyncio.sleep(3)
            tally, elapsed = await phase(clients, ids, args.seconds, think, backlog)
            report(f"{args.users} analysts, {title}", tally, elapsed, backlog.done())
            importer.wait(timeout=600)
            waited = time.monotonic()
            while not backlog.cleared() and time.monotonic() - waited < 600:
                await asyncio.sleep(1)  # the next phase starts with no backlog left over
        for client in clients:
            await client.aclose()
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=90, help="length of each phase")
    parser.add_argument("--posts", type=int, default=20_000, help="posts in each phase's import")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
