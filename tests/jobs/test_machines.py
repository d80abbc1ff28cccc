"""Workers on several machines share one PostgreSQL: one dies mid-batch, another finishes its job
within a minute, and every post is enriched, each stage of it written once.

Each `earful worker` here is a process of its own, standing in for a machine: it shares nothing
with the others but the database (killing it with SIGKILL is a machine losing power, as far as
the database can tell: its connections drop, its heartbeats stop).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from earful.ingest.jobs import chain_for
from earful.ingest.schemas import ENRICH_JOB
from earful.ingest.service import get_or_create_source, iter_import
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Enrichment, Job, Post
from tests.conftest import postgres_only

pytestmark = postgres_only
ROOT = Path(__file__).resolve().parents[2]
POSTS = 400
# Every write to `enrichments` (insert, or an upsert's update) leaves a row here, in the same
# transaction: a stage run twice for a post and saved twice shows as two rows.
NOTE_WRITES = """
CREATE TABLE enrichment_writes (post_id integer NOT NULL, stage text NOT NULL, backend integer NOT NULL);
CREATE FUNCTION note_enrichment_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO enrichment_writes VALUES (NEW.post_id, NEW.stage, pg_backend_pid());
    RETURN NEW;
END $$;
CREATE TRIGGER note_enrichment_write AFTER INSERT OR UPDATE ON enrichments
    FOR EACH ROW EXECUTE FUNCTION note_enrichment_write();
"""
FORGET_WRITES = """
DROP TRIGGER IF EXISTS note_enrichment_write ON enrichments;
DROP FUNCTION IF EXISTS note_enrichment_write();
DROP TABLE IF EXISTS enrichment_writes;
"""


def _until(check: Callable[[], bool], seconds: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"after {seconds} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def noted(db: Database) -> Iterator[None]:
    """Note every write to `enrichments` in `enrichment_writes` while the test runs."""
    with db.write_engine.begin() as conn:
        conn.exec_driver_sql(NOTE_WRITES)
    yield
    with db.write_engine.begin() as conn:
        conn.exec_driver_sql(FORGET_WRITES)


@pytest.fixture
def machines(settings: Settings, tmp_path: Path) -> Iterator[Callable[[int], list[subprocess.Popen[bytes]]]]:
    """Start `earful worker` processes with a heartbeat every second and a job taken back after 8 s."""
    started: list[subprocess.Popen[bytes]] = []

    def start(count: int) -> list[subprocess.Popen[bytes]]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            EARFUL_DATA_DIR=str(settings.data_dir),
            EARFUL_DATABASE_URL=settings.resolved_database_url,
            EARFUL_SECRET_KEY=settings.secret_key or "",
            EARFUL_WORKER_POLL_SECONDS="0.2",
            EARFUL_JOB_HEARTBEAT_SECONDS="1",
            EARFUL_JOB_STALE_SECONDS="8",
        )
        for _ in range(count):
            log = (tmp_path / f"machine-{len(started)}.log").open("wb")
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", "earful.cli", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
        return started[-count:]

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _feed(path: Path) -> Path:
    verbs = ["crashed", "froze", "logged me out", "lost my route", "showed the wrong depot", "would not scan"]
    places = ["Leeds", "the north gate", "Bay 4", "the night shift", "Station 12", "the warehouse"]
    with path.open("w") as out:
        for i in range(POSTS):
            verb, place = verbs[i % len(verbs)], places[(i // len(verbs)) % len(places)]
            body = f"Parcel {i}: the driver app {verb} at {place} again, ticket {i * 7919 % 100_000}"
            out.write(json.dumps({"id": str(i), "author": f"driver{i % 37}", "text": body}) + "\n")
    return path


def _mid_job(db: Database, pids: set[int]) -> tuple[int, int] | None:
    """Return (job id, worker pid) of an enrichment job a worker holds with part of it saved."""
    with db.read() as session:
        running = session.execute(
            select(Job.id, Job.locked_by, Job.payload).where(Job.name == ENRICH_JOB, Job.status == "running")
        ).all()
        for job_id, locked_by, payload in running:
            pid = int(str(locked_by).rsplit(":", 1)[1])
            ids = payload["post_ids"]
            saved = session.scalar(
                select(func.count(Post.id)).where(Post.id.in_(ids), Post.text.is_not(None))
            )
            if pid in pids and 0 < (saved or 0) < len(ids):
                return job_id, pid
    return None


def test_a_dead_machines_job_is_finished_by_another_within_a_minute_and_nothing_is_done_twice(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    noted: None,
    machines: Callable[[int], list[subprocess.Popen[bytes]]],
) -> None:
    settings = settings.model_copy(update={"import_batch_size": 200})
    get_or_create_source(db, "drivers")
    workers = machines(3)
    pids = {process.pid for process in workers}
    logs = [tmp_path / f"machine-{i}.log" for i in range(3)]
    # Each loads its models before it takes a job (seconds; longer on a busy machine).
    _until(lambda: all(b" ready " in log.read_bytes() for log in logs), 120, "the workers never got ready")
    iter_import(db, settings, _feed(tmp_path / "posts.jsonl"), "drivers")
    with db.read() as session:
        stages = len(chain_for(session, settings).stages)
        assert session.scalar(select(func.count(Job.id)).where(Job.name == ENRICH_JOB)) == POSTS // 200
    found: list[tuple[int, int]] = []

    def caught() -> bool:
        hit = _mid_job(db, pids)
        if hit is not None:
            os.kill(hit[1], signal.SIGKILL)  # the machine loses power halfway through a job
            found.append(hit)
        return hit is not None

    _until(caught, 30, "no worker was ever seen holding a job with part of it saved")
    job_id, victim = found[0]
    killed_at = time.monotonic()
    next(p for p in workers if p.pid == victim).wait()
    with db.read() as session:
        held = session.get(Job, job_id)
        assert held is not None and held.status == "running" and str(held.locked_by).endswith(f":{victim}")

    def job_done() -> bool:
        with db.read() as session:
            return session.scalar(select(Job.status).where(Job.id == job_id)) == "done"

    _until(
        job_done, 60 - (time.monotonic() - killed_at), "the dead machine's job was not finished in a minute"
    )
    with db.read() as session:
        taken = session.get(Job, job_id)
        assert taken is not None and taken.attempts >= 2, "no other worker ran it again"

    def all_done() -> bool:
        with db.read() as session:
            return not session.scalar(select(func.count(Job.id)).where(Job.status.in_(["queued", "running"])))

    _until(all_done, 60, "jobs were left queued or running")
    with db.read() as session:
        # Nothing lost: every post went through every stage, and no job died.
        assert session.scalar(select(func.count(Post.id)).where(Post.text.is_(None))) == 0
        assert session.scalar(select(func.count(Enrichment.id))) == POSTS * stages
        assert session.scalar(select(func.count(Job.id)).where(Job.status == "dead")) == 0
        # Nothing twice: each post's output of each stage was written once, by one worker.
        twice = session.execute(
            text("SELECT post_id, stage, count(*) FROM enrichment_writes GROUP BY 1, 2 HAVING count(*) > 1")
        ).all()
        assert not twice, f"written more than once: {twice[:5]}"
        assert session.scalar(text("SELECT count(*) FROM enrichment_writes")) == POSTS * stages
