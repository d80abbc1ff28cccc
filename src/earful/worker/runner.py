"""Run jobs until told to stop, in a process of its own or a thread beside the web server."""

from __future__ import annotations

import logging
import threading
import time

import earful.classify.jobs  # noqa: F401 - registers the classify job handlers
from earful.ingest.health import alert_silent
from earful.ingest.jobs import RETENTION_JOB
from earful.ingest.polling import schedule_due
from earful.jobs.queue import drain, enqueue_once, recover_stale, worker_name
from earful.settings import Settings
from earful.store.db import Database

log = logging.getLogger(__name__)
RETENTION_EVERY_SECONDS = 24 * 3600
HEALTH_EVERY_SECONDS = 600


def run_worker(db: Database, settings: Settings, stop: threading.Event, once: bool = False) -> int:
    """Run ready jobs, sleeping when idle, until `stop` is set (or the queue is empty when `once`)."""
    name = worker_name()
    released = recover_stale(db)
    if released:
        log.info("re-queued %s jobs left running by a stopped worker", released)
    total = 0
    next_retention = next_health = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_health:
            alert_silent(db)
            next_health = time.monotonic() + HEALTH_EVERY_SECONDS
        if time.monotonic() >= next_retention:
            # Retention runs daily; enqueue_once keeps several workers from queuing it twice.
            with db.write() as session:
                enqueue_once(session, settings, RETENTION_JOB, {})
            next_retention = time.monotonic() + RETENTION_EVERY_SECONDS
        schedule_due(db, settings)
        ran = drain(db, settings, limit=100)
        total += ran
        if ran == 0:
            if once:
                break
            stop.wait(settings.worker_poll_seconds)
    log.info("worker %s stopped after %s jobs", name, total)
    return total


def start_in_thread(db: Database, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """Start a worker thread (for `earful serve --with-worker`) and return it with its stop event."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(db, settings, stop), name="earful-worker", daemon=True)
    thread.start()
    return thread, stop
