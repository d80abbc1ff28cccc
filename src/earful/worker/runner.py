"""Run jobs until told to stop, in a process of its own or a thread beside the web server."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import earful.classify.jobs  # noqa: F401 - registers the classify job handlers
from earful.ingest.health import alert_silent
from earful.ingest.jobs import RETENTION_JOB, warm_up
from earful.ingest.polling import schedule_due
from earful.insights.jobs import ALERTS_JOB, DIGEST_JOB, SPIKES_JOB, TOPICS_JOB
from earful.jobs.queue import drain, enqueue_once, recover_stale, worker_name
from earful.kit import clock
from earful.settings import Settings
from earful.store.db import Database
from earful.triage.jobs import SLA_JOB

log = logging.getLogger(__name__)
HEALTH_EVERY_SECONDS = 600
# Work that recurs, and how often (seconds). enqueue_once keeps several workers from queuing one twice.
PERIODIC = {
    RETENTION_JOB: 24 * 3600,
    SPIKES_JOB: 60,  # the open hour is judged as it fills: a spike alerts minutes after it starts
    ALERTS_JOB: 60,
    SLA_JOB: 300,
    DIGEST_JOB: 900,
    TOPICS_JOB: 6 * 3600,
}


def run_worker(
    db: Database,
    settings: Settings,
    stop: threading.Event,
    once: bool = False,
    each: Callable[[], None] | None = None,
) -> int:
    """Run ready jobs, sleeping when idle, until `stop` is set (or the queue is empty when `once`),
    calling `each` after every job."""
    name = worker_name()
    total = 0
    started = time.monotonic()
    try:
        if not stop.is_set():
            with db.read() as session:
                warm_up(session, settings)  # before any job is claimed: see warm_up
    except Exception as exc:  # noqa: BLE001 - the first enrichment job will meet and record the same error
        log.warning("could not load the enrichment models ahead of the first job: %s", exc)
    log.info("worker %s ready (models loaded in %.1f s)", name, time.monotonic() - started)
    next_health = next_recovery = 0.0
    next_run = dict.fromkeys(PERIODIC, 0.0)
    while not stop.is_set():
        if time.monotonic() >= next_recovery:
            # A worker that died mid-job stops beating: its jobs are taken back within a minute.
            released = recover_stale(db, settings)
            if released:
                log.info("took back %s jobs from a worker that stopped answering", released)
            next_recovery = time.monotonic() + settings.job_heartbeat_seconds
        if time.monotonic() >= next_health:
            alert_silent(db)
            next_health = time.monotonic() + HEALTH_EVERY_SECONDS
        due = [job for job, at in next_run.items() if clock.monotonic() >= at]
        if due:
            with db.write() as session:
                for job in due:
                    enqueue_once(session, settings, job, {}, or_running=True)
                    next_run[job] = clock.monotonic() + PERIODIC[job]
        schedule_due(db, settings)
        # Back to the checks above at least once a heartbeat, however long the queue: a dead
        # worker's jobs are taken back while this one is busy with its own.
        ran = drain(db, settings, limit=100, stop=stop, until=next_recovery, each=each)
        total += ran
        if ran == 0:
            if once:
                break
            stop.wait(settings.worker_poll_seconds)
    log.info("worker %s stopped after %s jobs", name, total)
    return total
