"""The database-backed queue: enqueue with the data, run one job at a time, retry, dead-letter."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from earful.jobs.registry import JobContext, handler_for
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import jobs as jobs_repo

log = logging.getLogger(__name__)
# A worker that has finished or beaten on no job for this long is taken to be not running.
WORKER_SEEN_SECONDS = 180


def enqueue(
    session: Session, settings: Settings, name: str, payload: dict[str, Any], *, delay_seconds: float = 0
) -> int:
    """Queue job `name` inside the caller's transaction (to run no sooner than `delay_seconds` from
    now) and return its id."""
    job = jobs_repo.enqueue(
        session,
        name,
        payload,
        max_attempts=settings.job_max_attempts,
        run_after=utcnow() + timedelta(seconds=delay_seconds),
    )
    return job.id


def enqueue_once(
    session: Session,
    settings: Settings,
    name: str,
    payload: dict[str, Any],
    *,
    delay_seconds: float = 0,
    or_running: bool = False,
) -> int | None:
    """Queue job `name` unless one is already waiting to run (or, with `or_running`, running);
    return the new job's id, or None.

    For work that only needs doing once however many times it is asked for before it runs, such
    as retraining after a burst of relabels; recurring work passes `or_running`, so that several
    workers never run the same sweep side by side.
    """
    alive_since = utcnow() - timedelta(seconds=settings.job_stale_seconds) if or_running else None
    if jobs_repo.waiting(session, name, alive_since):
        return None
    return enqueue(session, settings, name, payload, delay_seconds=delay_seconds)


def worker_name() -> str:
    """Return an id for this worker process: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Return the delay before try `attempts + 1`: exponential, with jitter so retries spread out."""
    base = settings.job_backoff_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=base * random.uniform(0.5, 1.5))


def run_one(db: Database, settings: Settings, worker: str | None = None) -> bool:
    """Claim and run one ready job; return False when none was ready.

    The handler runs in its own transaction; if it raises, that transaction rolls back and the
    failure is recorded in a separate one, so a failed job leaves no half-written data.
    """
    worker = worker or worker_name()
    with db.write() as session:
        job = jobs_repo.claim(session, worker, utcnow())
        if job is None:
            return False
        job_id, name, payload, attempts, max_attempts = (
            job.id,
            job.name,
            dict(job.payload),
            job.attempts,
            job.max_attempts,
        )
    try:
        handler = handler_for(name)
        with heartbeat(db, settings, job_id, worker), db.write() as session:
            handler(
                JobContext(session=session, settings=settings, db=db, job_id=job_id, worker=worker), payload
            )
            if not jobs_repo.finish(session, job_id, worker, utcnow()):
                raise JobLost(job_id)  # rolls back what the handler wrote in `session`
    except JobLost:
        # Taken back while it ran (its beats did not reach the database in time); the worker that
        # took it runs it now, and this run has committed nothing since it was taken.
        log.warning("job %s #%s was taken back by another worker; this run's work is dropped", name, job_id)
    except Exception as exc:  # noqa: BLE001 - any handler failure must be recorded, not crash the worker
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"
        retry_at = utcnow() + backoff(settings, attempts) if attempts < max_attempts else None
        log.warning("job %s #%s failed (try %s/%s): %s", name, job_id, attempts, max_attempts, exc)
        with db.write() as session:
            jobs_repo.fail(session, job_id, worker, error[-8000:], retry_at, utcnow())
    return True


class JobLost(Exception):
    """The job was taken back from this worker and another runs it now: this run must save nothing."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job #{job_id} is no longer this worker's")
        self.job_id = job_id


def confirm_claim(session: Session, ctx: JobContext) -> None:
    """Raise JobLost unless the job `ctx` is running is still its worker's, and mark it alive.

    The job's row stays locked until `session` commits, so the job cannot be taken back before the
    work written in `session` is saved: a handler saving in several transactions calls this first
    in each, and then no part of a job is saved by two workers.
    """
    if ctx.job_id is None or ctx.worker is None:
        return
    if not jobs_repo.renew(session, ctx.job_id, ctx.worker, utcnow()):
        raise JobLost(ctx.job_id)


def narrow(session: Session, ctx: JobContext, payload: dict[str, Any]) -> None:
    """Make `payload` the running job's own (it handed the rest of its work to new jobs in `session`)."""
    if (
        ctx.job_id is not None
        and ctx.worker is not None
        and not jobs_repo.narrow(session, ctx.job_id, ctx.worker, payload)
    ):
        raise JobLost(ctx.job_id)


def drain(
    db: Database,
    settings: Settings,
    limit: int | None = None,
    stop: threading.Event | None = None,
    until: float | None = None,
    each: Callable[[], None] | None = None,
) -> int:
    """Run ready jobs until none is ready (or `limit` ran, `stop` is set, or, after the first,
    `time.monotonic()` reached `until`), calling `each` after every one; return how many ran."""
    ran = 0
    while (
        (limit is None or ran < limit)
        and not (stop is not None and stop.is_set())
        and (until is None or ran == 0 or time.monotonic() < until)
        and run_one(db, settings)
    ):
        ran += 1
        if each is not None:
            each()
    return ran


def queued(db: Database) -> int:
    """Return how many jobs wait to run (now or later)."""
    with db.read() as session:
        return jobs_repo.counts(session).get("queued", 0)


def worker_seen(db: Database, settings: Settings) -> bool:
    """Tell whether a worker seems to be running: one finished or beat on a job lately.

    A running worker finishes a job at least every minute (the alert rules are checked that
    often), and beats every `job_heartbeat_seconds` while a long job runs.
    """
    lately = utcnow() - timedelta(seconds=max(WORKER_SEEN_SECONDS, settings.job_stale_seconds))
    with db.read() as session:
        seen = as_utc(jobs_repo.last_worked(session))
    return seen is not None and seen >= lately


def recover_stale(db: Database, settings: Settings) -> int:
    """Queue again the running jobs whose worker has not beaten for `job_stale_seconds` (it died)."""
    now = utcnow()
    with db.write() as session:
        return jobs_repo.release_stale(session, now - timedelta(seconds=settings.job_stale_seconds), now)


@contextmanager
def heartbeat(db: Database, settings: Settings, job_id: int, worker: str) -> Iterator[None]:
    """While the block runs, mark job `job_id` alive every `job_heartbeat_seconds` from a thread.

    Each beat is one tiny UPDATE in its own transaction, so it never holds SQLite's write lock
    for longer than that; when the job's own transaction holds the lock, the beat waits for it.
    """
    stop = threading.Event()
    thread = threading.Thread(
        target=_beat, args=(db, settings.job_heartbeat_seconds, job_id, worker, stop), daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _beat(db: Database, every: float, job_id: int, worker: str, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            with db.write() as session:
                if not jobs_repo.heartbeat(session, job_id, worker, utcnow()):
                    return  # finished, or taken back after the beats were late: nothing to keep alive
        except SQLAlchemyError as exc:  # a busy or unreachable database: try again next beat
            log.warning("job #%s: heartbeat not written: %s", job_id, exc)
