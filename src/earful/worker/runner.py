"""Run jobs until told to stop, in a process of its own or a thread beside the web server."""

from __future__ import annotations

import logging
import threading

import earful.classify.jobs
import earful.ingest.jobs  # noqa: F401 - registers the ingest job handlers
from earful.jobs.queue import drain, recover_stale, worker_name
from earful.settings import Settings
from earful.store.db import Database

log = logging.getLogger(__name__)


def run_worker(db: Database, settings: Settings, stop: threading.Event, once: bool = False) -> int:
    """Run ready jobs, sleeping when idle, until `stop` is set (or the queue is empty when `once`)."""
    name = worker_name()
    released = recover_stale(db)
    if released:
        log.info("re-queued %s jobs left running by a stopped worker", released)
    total = 0
    while not stop.is_set():
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
