"""A killed worker's job is taken by another worker within a minute; a live long job never is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from earful.ingest.jobs import warm_up
from earful.jobs.queue import enqueue, enqueue_once, recover_stale, run_one
from earful.jobs.registry import JobContext, job
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Team
from earful.worker.runner import run_worker

ROOT = Path(__file__).resolve().parents[2]
released = threading.Event()


@job("test.wait")
def wait_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Run until the test lets go (a long job in this process, heartbeating meanwhile)."""
    assert released.wait(30), "the test never let the job finish"
    ctx.session.add(Team(name=payload["team"]))


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"after {seconds} s: {what}"
        time.sleep(0.1)


def _job(db: Database, job_id: int) -> Job:
    with db.read() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Callable[[bool], subprocess.Popen[bytes]]]:
    """Start worker processes (`tests.jobs.holding_worker`) with short heartbeats; stop them after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(hold: bool) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            EARFUL_DATA_DIR=str(settings.data_dir),
            EARFUL_DATABASE_URL=settings.resolved_database_url,
            EARFUL_SECRET_KEY=settings.secret_key or "",
            EARFUL_WORKER_POLL_SECONDS="0.2",
            EARFUL_JOB_HEARTBEAT_SECONDS="0.5",
            EARFUL_JOB_STALE_SECONDS="3",
            EARFUL_TEST_HOLD="1" if hold else "0",
        )
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.holding_worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_killed_workers_job_is_taken_and_finished_by_an_idle_worker_within_a_minute(
    db: Database, settings: Settings, tmp_path: Path, workers: Callable[[bool], subprocess.Popen[bytes]]
) -> None:
    folder = tmp_path / "marks"
    folder.mkdir()
    with db.write() as session:
        job_id = enqueue(session, settings, "test.hold", {"folder": str(folder)})
    first = workers(True)
    _until(lambda: (folder / f"started-{first.pid}").exists(), 60, "the first worker never started the job")
    second = workers(False)
    # While the first worker lives, its job stays its own however long it runs (3 s is the limit).
    time.sleep(5)
    alive = _job(db, job_id)
    assert alive.status == "running" and alive.locked_by and alive.locked_by.endswith(f":{first.pid}")
    assert alive.attempts == 1 and not (folder / f"started-{second.pid}").exists()
    first.send_signal(signal.SIGKILL)
    first.wait()
    # The idle worker beside it takes the orphaned job and finishes it within a minute.
    _until(lambda: _job(db, job_id).status == "done", 60, "the killed worker's job was not finished")
    done = _job(db, job_id)
    assert done.attempts == 2 and (folder / f"started-{second.pid}").exists()
    with db.read() as session:
        assert session.scalar(select(Team.name)) == f"done by {second.pid}"


def test_a_long_job_that_still_heartbeats_is_never_taken_as_dead(db: Database, settings: Settings) -> None:
    settings = settings.model_copy(update={"job_heartbeat_seconds": 0.2, "job_stale_seconds": 1.0})
    released.clear()
    with db.write() as session:
        job_id = enqueue(session, settings, "test.wait", {"team": "Long"})
    runner = threading.Thread(target=run_one, args=(db, settings, "alive:1"))
    runner.start()
    try:
        _until(lambda: _job(db, job_id).status == "running", 10, "the job never started")
        two_hours_ago = utcnow() - timedelta(hours=2)  # it has been running that long
        with db.write() as session:
            session.execute(update(Job).where(Job.id == job_id).values(locked_at=two_hours_ago))
        time.sleep(2.5)  # longer than job_stale_seconds: only a heartbeat keeps it alive
        assert recover_stale(db, settings) == 0
        with db.write() as session:
            assert enqueue_once(session, settings, "test.wait", {"team": "Twin"}, or_running=True) is None
        running = _job(db, job_id)
        assert running.status == "running" and running.locked_by == "alive:1"
        beat = as_utc(running.heartbeat_at)
        assert beat is not None and utcnow() - beat < timedelta(seconds=1)
    finally:
        released.set()
        runner.join(30)
    finished = _job(db, job_id)
    assert finished.status == "done" and finished.attempts == 1
    with db.read() as session:
        assert list(session.scalars(select(Team.name))) == ["Long"]
        assert session.scalar(select(Job.id).where(Job.id != job_id)) is None


def test_a_job_that_kills_every_worker_ends_as_a_dead_letter(db: Database, settings: Settings) -> None:
    with db.write() as session:
        job_id = enqueue(session, settings, "test.wait", {"team": "Poison"})
        long_ago = utcnow() - timedelta(minutes=5)
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                locked_by="gone:1",
                locked_at=long_ago,
                heartbeat_at=long_ago,
                attempts=settings.job_max_attempts,
            )
        )
    assert recover_stale(db, settings) == 1
    dead = _job(db, job_id)
    assert dead.status == "dead" and "stopped" in (dead.last_error or "")
    assert run_one(db, settings) is False


ran: list[str] = []


@job("test.short")
def short_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A tenth of a second of work, noted in `ran`."""
    time.sleep(0.1)
    ran.append(payload["name"])


def test_a_busy_worker_still_takes_back_a_dead_workers_job_within_its_heartbeat(
    db: Database, settings: Settings
) -> None:
    # A worker with a long queue of its own must not leave a dead worker's job waiting until the
    # queue is empty: it looks for quiet jobs between its own jobs, as often as it beats.
    settings = settings.model_copy(update={"job_heartbeat_seconds": 0.2, "job_stale_seconds": 1.0})
    ran.clear()
    with db.read() as session:
        warm_up(session, settings)  # the models loaded already: the worker starts on its queue at once
    with db.write() as session:
        orphan = enqueue(session, settings, "test.short", {"name": "orphan"})
        session.execute(
            update(Job)
            .where(Job.id == orphan)
            .values(
                status="running", locked_by="gone:1", locked_at=utcnow(), heartbeat_at=utcnow(), attempts=1
            )
        )
        for i in range(40):
            enqueue(session, settings, "test.short", {"name": f"own {i}"})
    run_worker(db, settings, threading.Event(), once=True)
    assert "orphan" in ran and ran.index("orphan") < 30, ran
