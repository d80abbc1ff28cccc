"""The Typer app: `earful --help` lists every command."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading

import typer
from rich.table import Table

from earful.classify.service import ensure_default
from earful.cli.context import (
    another_port,
    console,
    database,
    friendly_errors,
    progress_bar,
    require_free_port,
    say_where_data_is,
    settings,
)
from earful.cli.demo import demo_command
from earful.cli.evaluate import eval_command, eval_sentiment_command
from earful.cli.examples import epilog
from earful.cli.imports import columns_help, import_command
from earful.cli.insights import report_command, spikes_command, topics_command
from earful.cli.learning import models_app, train_command
from earful.cli.privacy import erase_command, purge_command
from earful.cli.sources import source_app, sources_command
from earful.cli.taxonomy import taxonomy_app
from earful.cli.users import token_app, user_app
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import jobs as jobs_repo
from earful.store.repos import quarantine as quarantine_repo

app = typer.Typer(
    help="Earful: hear what people say about your programme, and fix it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(source_app, name="source")
app.command("sources")(sources_command)
app.command("import", epilog=epilog("import", columns_help()))(import_command)
app.command("demo")(demo_command)
app.command("eval", epilog=epilog("eval"))(eval_command)
app.command("eval-sentiment", epilog=epilog("eval-sentiment"))(eval_sentiment_command)
app.command("train", epilog=epilog("train"))(train_command)
app.add_typer(models_app, name="models")
app.command("erase", epilog=epilog("erase"))(erase_command)
app.command("purge")(purge_command)
app.command("spikes", epilog=epilog("spikes"))(spikes_command)
app.command("topics")(topics_command)
app.command("report", epilog=epilog("report"))(report_command)


@app.command()
def init() -> None:
    """Create the data folder and secret key, and bring the database schema up to date."""
    cfg = settings()
    with friendly_errors():
        if cfg.ensure_secret():
            console.print(
                f"Wrote a new secret key to {cfg.secret_path} (back it up with the database: it keys "
                "author pseudonyms and seals raw input)."
            )
        db = database(cfg, made=False)
        db.upgrade()
        version = ensure_default(db)
    console.print(f"Taxonomy version {version} in use (`earful taxonomy show`).")
    console.print(f"Database ready at {cfg.resolved_database_url.split('@')[-1]}")
    say_where_data_is(cfg)


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head", help="Migration to reach; default the newest."),
) -> None:
    """Apply database migrations (the same ones on SQLite and PostgreSQL)."""
    with friendly_errors():
        database(settings(), made=False).upgrade(revision)
    console.print("Database schema is up to date.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also run background jobs in this process."
    ),
) -> None:
    """Serve the web app (and, with --with-worker, the job worker beside it)."""
    serve_app(host, port, with_worker)


def serve_app(host: str, port: int, with_worker: bool) -> None:
    """Run uvicorn over the app, with a worker process beside it when asked."""
    import uvicorn

    from earful.web.app import create_app

    cfg = settings()
    require_free_port(host, port, f"Choose another with `earful serve --port {another_port(port)}`.")
    with friendly_errors():
        db = database(cfg)
        web = create_app(cfg, db)
    worker_process = start_worker_process() if with_worker else None
    console.print(f"Serving {cfg.product_name} on http://{host}:{port}  (Ctrl+C stops)")
    try:
        # Open live-feed streams must not hold a Ctrl+C up for long. uvicorn believes
        # X-Forwarded-For from 127.0.0.1 by default, which would let any local caller pick the
        # address the login lockout counts; only proxies the operator names are believed.
        trusted = cfg.trusted_proxies.strip()
        uvicorn.run(
            web,
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=5,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
        )
    finally:
        if worker_process is not None:
            stop_worker_process(worker_process)


def start_worker_process() -> subprocess.Popen[bytes]:
    """Start `earful worker` in a child process that stops when this one ends.

    A process of its own, not a thread: enrichment is CPU work, and inside the web server's process
    it holds the interpreter lock that every page needs (pages waited seconds under load). The
    child also lowers its own priority (EARFUL_WORKER_NICE), so the web server comes first.
    """
    command = [sys.executable, "-m", "earful.cli", "worker", "--with-parent", str(os.getpid())]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603 - our own interpreter and module


def stop_worker_process(process: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish its job and stop; kill it if it has not within 30 seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Run until the queue is empty, then exit."),
    with_parent: int = typer.Option(
        0, "--with-parent", hidden=True, help="Stop when the process with this id (the server) ends."
    ),
) -> None:
    """Run background jobs (enrichment and more) until stopped."""
    from earful.worker.runner import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # httpx logs every request's URL at INFO; a URL can carry a token, so it says nothing unless asked.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # A worker is one core's work (docs/operations.md: one worker per core). The e5 embedder's
    # OpenMP would start a thread per core in every worker, and workers side by side would then
    # fight over the cores; one thread each, unless the operator says otherwise.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cfg = settings()
    if cfg.worker_nice and hasattr(os, "nice"):
        os.nice(cfg.worker_nice)
    stop = threading.Event()
    # SIGTERM (a service manager, or the server stopping) finishes the job in hand, then stops.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if with_parent:
        threading.Thread(target=_stop_with_parent, args=(with_parent, stop), daemon=True).start()
    with friendly_errors():
        db = database(cfg)
        ran = _run_once_with_progress(db, cfg, stop) if once else run_worker(db, cfg, stop)
    console.print(f"Ran {ran} jobs.")


def _run_once_with_progress(db: Database, cfg: Settings, stop: threading.Event) -> int:
    """Run the queue dry with a bar of jobs done against jobs known (jobs may queue others, so the
    total is looked at again every few jobs)."""
    from earful.jobs.queue import queued
    from earful.worker.runner import run_worker

    with progress_bar("jobs") as progress:
        task = progress.add_task("jobs", total=queued(db))
        done = 0

        def each() -> None:
            nonlocal done
            done += 1
            progress.advance(task)
            if done % 25 == 0:
                progress.update(task, total=done + queued(db))

        return run_worker(db, cfg, stop, once=True, each=each)


def _stop_with_parent(parent: int, stop: threading.Event) -> None:
    # A server killed outright sends no SIGTERM; its worker sees it was orphaned and stops too.
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


@app.command()
def enrich() -> None:
    """Queue the enrichment chain over all posts; only stages whose version changed are redone."""
    from earful.ingest.service import requeue_enrichment

    cfg = settings()
    with friendly_errors():
        queued = requeue_enrichment(database(cfg), cfg)
    console.print(f"Queued {queued} posts; `earful worker` (or a running server) will process them.")


@app.command()
def jobs() -> None:
    """Show how many jobs are queued, running, done and dead, and the latest dead letters."""
    with database(settings()).read() as session:
        counts = jobs_repo.counts(session)
        dead = jobs_repo.dead_letters(session, 10)
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "No jobs yet.")
    for job in dead:
        console.print(f"[red]dead[/red] #{job.id} {job.name}: {(job.last_error or '').splitlines()[0]}")


@app.command()
def quarantine(limit: int = typer.Option(20, min=1, max=10_000, help="How many entries to show.")) -> None:
    """List the newest quarantined input with the reason each was set aside."""
    with database(settings()).read() as session:
        total = quarantine_repo.count(session)
        rows = quarantine_repo.recent(session, limit)
    if not rows:
        console.print("Quarantine is empty.")
        return
    table = Table(title=f"Quarantine ({total} entries, newest first)")
    for column in ("id", "origin", "where", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.origin, row.location, row.reason[:160])
    console.print(table)


def main() -> None:
    """Run the CLI."""
    app()
