"""The job table: enqueue in the caller's transaction, claim, finish, retry, dead-letter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from earful.store.models import Job


def enqueue(
    session: Session, name: str, payload: dict[str, Any], *, max_attempts: int, run_after: datetime
) -> Job:
    """Add a job in the caller's transaction, so it exists exactly when the data it concerns does."""
    job = Job(
        name=name, payload=payload, max_attempts=max_attempts, run_after=run_after, created_at=run_after
    )
    session.add(job)
    session.flush()
    return job


def waiting(session: Session, name: str, alive_since: datetime | None = None) -> bool:
    """Return True when a job called `name` is queued and not yet running, or (given `alive_since`)
    running on a worker that said it was alive since then (a quiet worker is a dead one)."""
    state = Job.status == "queued"
    if alive_since is not None:
        state = or_(state, and_(Job.status == "running", _last_sign_of_life() >= alive_since))
    found = session.scalar(select(Job.id).where(Job.name == name, state).limit(1))
    return found is not None


def claim(session: Session, worker: str, now: datetime) -> Job | None:
    """Take the oldest ready job for `worker`, or None when nothing is ready.

    On PostgreSQL `SKIP LOCKED` lets many workers claim concurrently; on SQLite the write
    transaction is IMMEDIATE, so only one claimer runs at a time anyway.
    """
    query = (
        select(Job.id)
        .where(Job.status == "queued", Job.run_after <= now)
        .order_by(Job.run_after, Job.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job_id = session.scalar(query)
    if job_id is None:
        return None
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status="running", locked_by=worker, locked_at=now, heartbeat_at=now, attempts=Job.attempts + 1
        )
    )
    return session.get(Job, job_id, populate_existing=True)


def _held_by(job_id: int, worker: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.status == "running", Job.locked_by == worker)


def finish(session: Session, job_id: int, worker: str, now: datetime) -> bool:
    """Mark a job done; return False (changing nothing) when it is no longer `worker`'s."""
    result = session.execute(
        update(Job).where(_held_by(job_id, worker)).values(status="done", finished_at=now, locked_by=None)
    )
    return bool(getattr(result, "rowcount", 0))


def fail(
    session: Session, job_id: int, worker: str, error: str, retry_at: datetime | None, now: datetime
) -> bool:
    """Record a failure: queue the job again at `retry_at`, or make it a dead letter when None;
    return False (changing nothing) when it is no longer `worker`'s."""
    values: dict[str, Any] = {"last_error": error, "locked_by": None}
    if retry_at is None:
        values.update(status="dead", finished_at=now)
    else:
        values.update(status="queued", run_after=retry_at)
    result = session.execute(update(Job).where(_held_by(job_id, worker)).values(**values))
    return bool(getattr(result, "rowcount", 0))


def renew(session: Session, job_id: int, worker: str, now: datetime) -> bool:
    """Mark job `job_id` alive as a heartbeat does, and tell whether `worker` still runs it.

    The job's row then stays locked until the caller's transaction ends, so no other worker can
    take the job back before the work written beside this is saved; and the beat it writes keeps
    the job from looking quiet while that work is written.
    """
    result = session.execute(update(Job).where(_held_by(job_id, worker)).values(heartbeat_at=now))
    return bool(getattr(result, "rowcount", 0))


def narrow(session: Session, job_id: int, worker: str, payload: dict[str, Any]) -> bool:
    """Replace the payload of job `job_id`, which `worker` runs; return False when it is no longer its."""
    result = session.execute(update(Job).where(_held_by(job_id, worker)).values(payload=payload))
    return bool(getattr(result, "rowcount", 0))


def heartbeat(session: Session, job_id: int, worker: str, now: datetime) -> bool:
    """Note that `worker` is still running job `job_id`; return False when the job is no longer its own."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running", Job.locked_by == worker)
        .values(heartbeat_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def release_stale(session: Session, quiet_since: datetime, now: datetime) -> int:
    """Take back the running jobs whose worker has said nothing since `quiet_since` (it died): queue
    them again, or make them dead letters when they have had all their tries; return how many."""
    stale = and_(Job.status == "running", _last_sign_of_life() < quiet_since)
    # A job that kills its worker every time (out of memory, say) must not loop for ever.
    dead = session.execute(
        update(Job)
        .where(stale, Job.attempts >= Job.max_attempts)
        .values(
            status="dead",
            locked_by=None,
            finished_at=now,
            last_error="Its worker stopped answering during every try (killed, or out of memory?).",
        )
    )
    queued = session.execute(update(Job).where(stale).values(status="queued", locked_by=None))
    return int(getattr(dead, "rowcount", 0) or 0) + int(getattr(queued, "rowcount", 0) or 0)


def _last_sign_of_life() -> ColumnElement[datetime | None]:
    # Jobs claimed before heartbeats existed have only their claim time.
    return func.coalesce(Job.heartbeat_at, Job.locked_at)


def counts(session: Session) -> dict[str, int]:
    """Return how many jobs are in each status."""
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(n) for status, n in rows}


def last_worked(session: Session) -> datetime | None:
    """Return when a worker was last seen at work: a job finished, or a running job's last beat."""
    finished = session.scalar(select(func.max(Job.finished_at)))
    beating = session.scalar(select(func.max(_last_sign_of_life())).where(Job.status == "running"))
    seen = [t for t in (finished, beating) if t is not None]
    return max(seen) if seen else None


def dead_letters(session: Session, limit: int = 50) -> Sequence[Job]:
    """Return the most recent dead jobs with their errors."""
    return session.scalars(select(Job).where(Job.status == "dead").order_by(Job.id.desc()).limit(limit)).all()
