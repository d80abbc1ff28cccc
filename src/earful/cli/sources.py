"""`earful source`: list sources, add one, and set what may be collected there and for how long."""

from __future__ import annotations

import getpass

import typer
from rich.table import Table

from earful.cli.context import console, database, friendly_errors, settings
from earful.contracts import Actor
from earful.ingest.sources import KINDS, SourceForm, list_sources, save_source

source_app = typer.Typer(
    help="Manage sources: where posts come from and how long they are kept.", no_args_is_help=True
)


def _operator() -> Actor:
    return Actor(None, f"cli:{getpass.getuser()}", "admin")


@source_app.command("list")
def list_command() -> None:
    """List sources with their visibility, consent basis and retention."""
    cfg = settings()
    with friendly_errors():
        rows = list_sources(database(cfg))
    if not rows:
        console.print(
            "No sources yet: `earful source add NAME` or `earful import PATH --source NAME --create`."
        )
        return
    table = Table("name", "kind", "region", "visibility", "consent basis", "collecting", "retention (days)")
    for s in rows:
        table.add_row(
            s.name,
            s.kind,
            s.region or "",
            s.visibility,
            s.consent_basis or "",
            "yes" if s.enabled else "no",
            str(s.retention_days or "keep"),
        )
    console.print(table)


@source_app.command("add")
def add_command(
    name: str,
    kind: str = typer.Option("file", help=f"One of: {', '.join(KINDS)}."),
    region: str | None = typer.Option(None),
    language: str | None = typer.Option(None, help="Main language (ISO 639-1), e.g. en or es."),
    private: bool = typer.Option(False, "--private", help="A closed group: needs --consent-basis."),
    consent_basis: str | None = typer.Option(None, help="How the group's members consented to collection."),
    retention_days: int | None = typer.Option(None, help="Delete posts older than this many days."),
) -> None:
    """Add a source where posts come from: public, or a private group with its consent basis."""
    form = SourceForm(
        name, kind, region, language, "private" if private else "public", consent_basis, True, retention_days
    )
    cfg = settings()
    with friendly_errors():
        save_source(database(cfg), _operator(), form, create=True)
    console.print(f"Added source {name}.")


@source_app.command("set")
def set_command(
    name: str,
    private: bool | None = typer.Option(None, "--private/--public", help="Whether it is a closed group."),
    consent_basis: str | None = typer.Option(None, help="How the group's members consented to collection."),
    retention_days: int | None = typer.Option(None, help="Delete posts older than this many days (0: keep)."),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Collect from it or not."),
) -> None:
    """Change a source's visibility, consent basis, retention or whether it is collected."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        current = next((s for s in list_sources(db) if s.name == name), None)
        if current is None:
            console.print(f"[red]Error:[/red] There is no source {name!r}; `earful source list` shows them.")
            raise typer.Exit(1)
        form = SourceForm(
            name=name,
            kind=current.kind,
            region=current.region,
            language=current.language,
            visibility=current.visibility if private is None else ("private" if private else "public"),
            consent_basis=current.consent_basis if consent_basis is None else consent_basis,
            enabled=current.enabled if enabled is None else enabled,
            retention_days=current.retention_days if retention_days is None else (retention_days or None),
        )
        save_source(db, _operator(), form, create=False)
    console.print(f"Saved source {name}.")
