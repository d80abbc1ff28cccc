"""`earful demo`: a working product with invented data in one command."""

from __future__ import annotations

import os
import secrets

import typer
from rich.progress import Progress

from earful.accounts.service import add_user
from earful.classify.service import ensure_default
from earful.cli.context import (
    another_port,
    console,
    database,
    friendly_errors,
    require_free_port,
    say_where_data_is,
    settings,
)
from earful.cli.demo_insights import show_insights
from earful.cli.imports import skipped_with_reasons
from earful.contracts import Actor
from earful.demo import demo_sources
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.store.repos import users as users_repo
from earful.triage.service import save_team, teams

DEMO_USER = "admin"
# Who owns what in the demo programme: escalations from the feed land in these teams' queues.
DEMO_TEAMS = [
    ("App team", "#driver-app on chat, app-team@kestrelflex.example", ["app"]),
    ("Driver pay", "pay-ops@kestrelflex.example", ["pay"]),
    ("Station operations", "station-leads@kestrelflex.example", ["operations", "scheduling"]),
    ("Driver support", "support-leads@kestrelflex.example", ["support", "customers"]),
    ("Safety", "safety-desk@kestrelflex.example, phone 0800 000 111", ["safety"]),
]
# Members of the demo's teams, so team pages and queues show who works where. Their passwords are
# random and never shown: an admin resets one on the Users page to sign in as that person.
DEMO_STAFF = [
    ("app.analyst", "analyst", "App team"),
    ("support.analyst", "analyst", "Driver support"),
    ("pay.analyst", "analyst", "Driver pay"),
    ("stations.lead", "lead", "Station operations"),
    ("safety.lead", "lead", "Safety"),
]


def demo_command(
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to serve on."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the web server when loaded."),
) -> None:
    """Set up the database, load the bundled demo data, create an admin login and serve the app."""
    import earful.ingest.jobs  # noqa: F401 - registers the enrichment job

    if serve:
        # Before anything is loaded or the password reset: a taken port fails in a second.
        other = another_port(port)
        advice = f"Choose another: `make demo PORT={other}`, or `earful demo --port {other}`."
        require_free_port(host, port, advice)
    cfg = settings()
    if "base_url" not in cfg.model_fields_set:
        # Links in the demo's report and alerts point at the port it serves on (the worker reads it too).
        os.environ["EARFUL_BASE_URL"] = f"http://{host}:{port}"
        cfg = settings()
    cfg.ensure_secret()
    db = database(cfg, made=False)
    with friendly_errors():
        db.upgrade()
        ensure_default(db)
        for src in demo_sources():
            get_or_create_source(db, src.name, kind=src.kind, region=src.region, language=src.language)
            summary = iter_import(db, cfg, src.path, src.name, src.format)
            console.print(
                f"{src.name}: {summary.imported} new, {summary.duplicates} already loaded, "
                f"{skipped_with_reasons(summary)}, {summary.quarantined} quarantined",
                markup=False,
            )
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Enriching posts", total=None)
            while drain(db, cfg, limit=1):
                progress.advance(task)
        known = {team.name for team in teams(db)}
        for name, contact, owns in DEMO_TEAMS:
            if name not in known:
                save_team(db, Actor(None, "demo", "admin"), name, contact, owns)
        team_ids = {team.name: team.id for team in teams(db)}
        for username, role, team_name in DEMO_STAFF:
            with db.read() as session:
                if users_repo.get_by_username(session, username) is not None:
                    continue
            add_user(db, username, secrets.token_urlsafe(16), role, team_id=team_ids.get(team_name))
        with console.status("Finding spikes and emerging topics, making a first report"):
            shown = show_insights(db, cfg)
        if shown:
            console.print(f"Insights: {shown}")
        password = secrets.token_urlsafe(12)
        with db.read() as session:
            exists = users_repo.get_by_username(session, DEMO_USER) is not None
        if exists:
            from earful.accounts.service import set_password

            set_password(db, DEMO_USER, password)
        else:
            add_user(db, DEMO_USER, password, "admin", "Demo admin")
    say_where_data_is(cfg)
    console.rule("Earful demo")
    console.print(
        f"Open http://{host}:{port} and sign in as [bold]{DEMO_USER}[/bold] / [bold]{password}[/bold]"
    )
    console.rule()
    if serve:
        from earful.cli.app import serve_app

        serve_app(host, port, with_worker=True)
