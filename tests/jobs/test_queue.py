"""The database job queue: written with the data, retried with backoff, dead-lettered."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from earful.jobs.queue import drain, enqueue, enqueue_once, recover_stale, run_one
from earful.jobs.registry import JobContext, job
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Job, Team

calls: list[dict[str, Any]] = []


@job("test.record")
def record_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    ctx.session.add(Team(name=payload["team"]))
    calls.append(payload)


@job("test.explode")
def explode_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    ctx.session.add(Team(name="half-written"))
    raise RuntimeError("boom " + payload["why"])


def _jobs(db: Database) -> list[Job]:
    with db.read() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_job_is_written_in_the_same_transaction_as_its_data(db: Database, settings: Settings) -> None:
    with pytest.raises(ZeroDivisionError), db.write() as session:
        session.add(Team(name="rolled back"))
        enqueue(session, settings, "test.record", {"team": "x"})
        1 / 0  # noqa: B018 - the failure that must take the job down with the data
    assert _jobs(db) == []
    with db.write() as session:
        enqueue(session, settings, "test.record", {"team": "kept"})
    assert [j.name for j in _jobs(db)] == ["test.record"]


def test_worker_runs_a_job_and_commits_its_work(db: Database, settings: Settings) -> None:
    calls.clear()
    with db.write() as session:
        enqueue(session, settings, "test.record", {"team": "Support"})
    assert run_one(db, settings) is True
    assert run_one(db, settings) is False
    assert calls == [{"team": "Support"}]
    (done,) = _jobs(db)
    assert done.status == "done" and done.attempts == 1 and done.finished_at is not None
    with db.read() as session:
        assert session.scalar(select(Team.name)) == "Support"


def test_failures_retry_with_growing_backoff_then_become_dead_letters(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"job_backoff_seconds": 60.0})
    with db.write() as session:
        enqueue(session, settings, "test.explode", {"why": "badly"})
    assert run_one(db, settings)
    (failed,) = _jobs(db)
    assert failed.status == "queued" and failed.attempts == 1
    assert "boom badly" in (failed.last_error or "")
    # First retry waits 60 s +-50%; until then no worker takes it.
    first_wait = as_utc(failed.run_after) - utcnow()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=90)
    assert run_one(db, settings) is False
    with db.write() as session:
        session.get(Job, failed.id).run_after = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert run_one(db, settings)
    second = _jobs(db)[0]
    assert second.attempts == 2 and second.status == "queued"
    # The second wait doubles: 120 s +-50%.
    second_wait = as_utc(second.run_after) - utcnow()
    assert timedelta(seconds=55) < second_wait <= timedelta(seconds=180)
    with db.write() as session:
        session.get(Job, failed.id).run_after = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert run_one(db, settings)
    dead = _jobs(db)[0]
    assert dead.status == "dead" and dead.attempts == settings.job_max_attempts
    assert "RuntimeError: boom badly" in (dead.last_error or "")
    assert run_one(db, settings) is False
    # The failed handler's half-written data was rolled back every time.
    with db.read() as session:
        assert session.scalar(select(Team.name)) is None


def test_unknown_job_names_end_as_dead_letters_saying_so(db: Database, settings: Settings) -> None:
    with db.write() as session:
        enqueue(session, settings, "nobody.handles.this", {})
    for _ in range(settings.job_max_attempts):
        with db.write() as session:
            for j in session.scalars(select(Job)):
                j.run_after = utcnow() - timedelta(seconds=1)
        drain(db, settings)
    (dead,) = _jobs(db)
    assert dead.status == "dead"
    assert "No handler for job 'nobody.handles.this'" in (dead.last_error or "")


def test_jobs_left_running_by_a_dead_worker_are_queued_again(db: Database, settings: Settings) -> None:
    with db.write() as session:
        enqueue(session, settings, "test.record", {"team": "Ops"})
        session.flush()
        for j in session.scalars(select(Job)):
            j.status, j.locked_by = "running", "crashed:1"
            j.locked_at = j.heartbeat_at = utcnow() - timedelta(minutes=1)
    assert recover_stale(db, settings) == 1
    assert drain(db, settings) == 1
    assert _jobs(db)[0].status == "done"


def test_a_recurring_job_is_not_queued_beside_a_running_one_unless_its_worker_died(
    db: Database, settings: Settings
) -> None:
    with db.write() as session:
        first = enqueue_once(session, settings, "insights.alerts", {}, or_running=True)
    with db.write() as session:
        session.execute(
            update(Job)
            .where(Job.id == first)
            .values(status="running", locked_by="w1", locked_at=utcnow(), heartbeat_at=utcnow())
        )
    with db.write() as session:
        assert enqueue_once(session, settings, "insights.alerts", {}, or_running=True) is None
        assert enqueue_once(session, settings, "insights.alerts", {}) is not None  # retrain-style: queued
    with db.write() as session:  # the running one's worker stopped beating a minute ago
        session.execute(delete(Job).where(Job.status == "queued"))
        quiet = utcnow() - timedelta(minutes=1)
        session.execute(update(Job).where(Job.id == first).values(heartbeat_at=quiet))
    with db.write() as session:
        assert enqueue_once(session, settings, "insights.alerts", {}, or_running=True) is not None


@job("test.stop_after_first")
def stop_after_first_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    calls.append(payload)
    STOP.set()  # as a SIGTERM arriving while this job runs would


STOP = threading.Event()


def test_a_stopping_worker_finishes_its_job_and_takes_no_more(db: Database, settings: Settings) -> None:
    calls.clear()
    STOP.clear()
    with db.write() as session:
        for n in range(3):
            enqueue(session, settings, "test.stop_after_first", {"n": n})
    assert drain(db, settings, limit=100, stop=STOP) == 1
    assert calls == [{"n": 0}]
    assert [j.status for j in _jobs(db)] == ["done", "queued", "queued"]


def test_a_worker_run_once_reports_each_job_it_runs_and_how_many_wait(
    db: Database, settings: Settings
) -> None:
    from earful.jobs.queue import queued
    from earful.worker.runner import run_worker

    with db.write() as session:
        for team in ("A", "B", "C"):
            enqueue(session, settings, "test.record", {"team": team})
    assert queued(db) == 3
    seen: list[int] = []
    ran = run_worker(db, settings, threading.Event(), once=True, each=lambda: seen.append(queued(db)))
    # The worker also queues its periodic jobs (spikes, alerts, ...): every job it ran was reported.
    assert ran == len(seen) >= 3 and seen[-1] == 0
    assert queued(db) == 0 and {j.status for j in _jobs(db)} == {"done"}
