"""`earful source`: list sources, add one, and set what may be collected there and for how long."""

from __future__ import annotations

import getpass
import re
import shlex
from typing import Any
from urllib.parse import quote

import typer
from rich.table import Table

from earful.cli.context import console, database, fail, friendly_errors, settings
from earful.cli.examples import epilog
from earful.connectors import live
from earful.contracts import Actor
from earful.ingest.health import health
from earful.ingest.polling import forecast_for, try_source
from earful.ingest.sources import KINDS, SourceForm, list_sources, save_source
from earful.ingest.webhook import webhook_secret

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


@source_app.command("add", epilog=epilog("source add"))
def add_command(
    name: str,
    kind: str = typer.Option("file", help=f"One of: {', '.join(KINDS)}."),
    region: str | None = typer.Option(None),
    language: str | None = typer.Option(None, help="Main language (ISO 639-1), e.g. en or es."),
    private: bool = typer.Option(False, "--private", help="A closed group: needs --consent-basis."),
    consent_basis: str | None = typer.Option(None, help="How the group's members consented to collection."),
    retention_days: int | None = typer.Option(None, help="Delete posts older than this many days."),
    config: list[str] = typer.Option([], "--config", help="A live source's setting, KEY=VALUE (repeat)."),
    disabled: bool = typer.Option(False, "--disabled", help="Add it without collecting yet."),
) -> None:
    """Add a source where posts come from: public, or a private group with its consent basis."""
    form = SourceForm(
        name,
        kind,
        region,
        language,
        "private" if private else "public",
        consent_basis,
        not disabled,
        retention_days,
        _parse_config(config, {}),
    )
    cfg = settings()
    with friendly_errors():
        save_source(database(cfg), _operator(), form, create=True, settings=cfg)
    console.print(f"Added source {name}.")
    if kind in live.connectors() and not form.config:
        # Allowed (import --create makes such sources), but a newcomer expects it to be collected.
        quoted = shlex.quote(name)  # the commands are meant to be pasted
        console.print(
            "It has no settings, so it is not polled: posts reach it by "
            f"`earful import FILE --source {quoted}`. "
            f"To poll it: `earful source set {quoted} --config KEY=VALUE` ({live.get(kind).summary}).",
            soft_wrap=True,
            markup=False,
        )
    elif kind == "x" and not disabled:
        _show_forecast(name)


@source_app.command("set")
def set_command(
    name: str,
    private: bool | None = typer.Option(None, "--private/--public", help="Whether it is a closed group."),
    consent_basis: str | None = typer.Option(None, help="How the group's members consented to collection."),
    retention_days: int | None = typer.Option(None, help="Delete posts older than this many days (0: keep)."),
    enabled: bool | None = typer.Option(None, "--enable/--disable", help="Collect from it or not."),
    config: list[str] = typer.Option([], "--config", help="A live source's setting, KEY=VALUE (repeat)."),
) -> None:
    """Change a source's visibility, consent basis, retention or whether it is collected."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        current = next((s for s in list_sources(db) if s.name == name), None)
        if current is None:
            fail(f"There is no source {name!r}; `earful source list` shows them.")
        form = SourceForm(
            name=name,
            kind=current.kind,
            region=current.region,
            language=current.language,
            visibility=current.visibility if private is None else ("private" if private else "public"),
            consent_basis=current.consent_basis if consent_basis is None else consent_basis,
            enabled=current.enabled if enabled is None else enabled,
            retention_days=current.retention_days if retention_days is None else (retention_days or None),
            config=_parse_config(config, current.config) if config else None,
        )
        save_source(db, _operator(), form, create=False, settings=cfg)
    console.print(f"Saved source {name}.")
    if current.kind == "x" and enabled:
        _show_forecast(name)


def _parse_config(pairs: list[str], start: dict[str, Any]) -> dict[str, Any]:
    config = dict(start)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--config takes KEY=VALUE, not {pair!r}")
        config[key.strip()] = _number_or_text(value)
    return config


def _number_or_text(value: str) -> int | float | str:
    """Return "30" as 30, "-60" as -60 and "0.5" as 0.5 (settings that are amounts are checked as
    numbers); anything else as the text it is."""
    number = value.strip()
    if re.fullmatch(r"-?\d+", number):
        return int(number)
    if re.fullmatch(r"-?\d+\.\d+", number):
        return float(number)
    return value


def _show_forecast(name: str) -> None:
    cfg = settings()
    with friendly_errors():
        found = forecast_for(database(cfg), cfg, name)
    cost = (
        f"about {found.cost_per_month:,.2f} a month"
        if found.cost_per_month is not None
        else ("set EARFUL_X_PRICE_PER_READ to see the cost")
    )
    console.print(
        f"Forecast for {name}: {found.matches_last_period:,} matches in the last {found.days} days, so about "
        f"{found.reads_per_month:,} reads a month; {cost}."
    )


@source_app.command("test")
def test_command(name: str, show: int = typer.Option(5, help="How many items to show.")) -> None:
    """Fetch one page from a live source and show what would be imported, storing nothing."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        page, requests, drafts, reasons = try_source(db, cfg, name)
    console.print(
        f"{name}: {requests} request(s), {len(page.entries)} item(s) on the page: "
        f"{len(drafts)} would be imported, "
        f"{sum(reasons.values())} skipped"
        + (f" ({', '.join(f'{r}: {n}' for r, n in reasons.items())})" if reasons else "")
        + (", more waiting" if page.more else "")
        + "."
    )
    for draft in drafts[:show]:
        when = draft.posted_at.strftime("%Y-%m-%d %H:%M") if draft.posted_at else "no date"
        console.print(f"  {draft.external_id}  {when}  {draft.text[:100]!r}")


@source_app.command("health")
def health_command() -> None:
    """Show every source's health (the same as `earful sources`)."""
    sources_command()


def sources_command() -> None:
    """Print every source with its health: last success, last error, items per hour, silence."""
    cfg = settings()
    with friendly_errors():
        rows = health(database(cfg))
    if not rows:
        console.print("No sources yet: `earful source add NAME --kind mastodon --config instance=...`.")
        return
    # Columns no source has anything in are left out, so the rest fit a terminal 80 wide.
    polled = any(h.next_poll_at and h.enabled for h in rows)
    failed = any(h.last_error for h in rows)
    table = Table("source", "kind")
    table.add_column("state", no_wrap=True)
    table.add_column("last success", no_wrap=True)
    table.add_column("items/h (24 h)")
    table.add_column("every")
    if polled:
        table.add_column("next poll")
    if failed:
        table.add_column("last error")
    for h in rows:
        state = "collecting" if h.enabled else "disabled"
        if h.silent_for is not None:
            state = f"[yellow]silent {h.silent_for.total_seconds() / 3600:.0f} h[/yellow]"
        cells = [
            h.name,
            h.kind,
            state,
            h.last_success_at.strftime("%Y-%m-%d %H:%M") if h.last_success_at else "never",
            f"{h.items_per_hour:.1f}",
            f"{h.interval_seconds // 60} min" if h.interval_seconds else "on import",
        ]
        if polled:
            cells.append(h.next_poll_at.strftime("%H:%M:%S") if h.next_poll_at and h.enabled else "")
        if failed:
            cells.append((h.last_error or "")[:60])
        table.add_row(*cells)
    console.print(table)


@source_app.command("webhook-secret")
def webhook_secret_command(name: str) -> None:
    """Show the signing secret of a webhook source, and how a form service sends to it."""
    cfg = settings()
    with friendly_errors():
        rows = {s.name: s for s in list_sources(database(cfg))}
    if name not in rows:
        fail(f"There is no source {name!r}; add one with `earful source add NAME --kind webhook`.")
    if rows[name].kind != "webhook":
        fail(f"{name!r} is a {rows[name].kind} source, not a webhook: only webhook sources have a secret.")
    secret = webhook_secret(cfg, name)
    console.print(f"Secret for {name}: {secret}")
    console.print(
        "POST JSON records to /api/intake/"
        + quote(name, safe="")
        + " with X-Earful-Timestamp (Unix seconds) "
        "and X-Earful-Signature: sha256=HMAC-SHA256(secret, TIMESTAMP + '.' + body) in hex."
    )
