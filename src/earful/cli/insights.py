"""`earful spikes`, `earful topics` and `earful report`: insights from the command line.

The worker runs spike detection, topic finding and the weekly digest on its own; these commands
do the same at once, over any range (for instance over history just imported), and make a report
to files or email.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from earful.cli.context import console, database, friendly_errors, settings
from earful.insights import reports, topics, watch
from earful.insights.render import counted
from earful.kit.errors import EarfulError
from earful.store.db import Database
from earful.store.models import Category
from earful.store.repos import alerts as alerts_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos.feed import FeedFilter

SINCE = typer.Option(..., help="First day (YYYY-MM-DD, UTC), included.")
UNTIL = typer.Option(..., help="Last day (YYYY-MM-DD, UTC), included.")


def _check_filters(db: Database, where: FeedFilter) -> None:
    """Refuse a source, category or region nothing is stored under (a typo makes an empty report)."""
    with db.read() as session:
        if where.source and sources_repo.get_by_name(session, where.source) is None:
            raise EarfulError(f"There is no source {where.source!r}; `earful sources` lists them.")
        if where.region and where.region not in alerts_repo.regions(session):
            raise EarfulError(f"No source is in the region {where.region!r}; `earful sources` shows regions.")
        if where.category:
            # Any taxonomy version's: posts labelled under an older one are still in the feed.
            known = session.scalar(select(Category.id).where(Category.key == where.category).limit(1))
            if known is None:
                raise EarfulError(
                    f"There is no category {where.category!r}; `earful taxonomy export FILE` lists the keys."
                )


def _day(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise EarfulError(f"{name} must be a date like 2026-11-01.") from None


def spikes_command(
    days: int = typer.Option(
        2, min=1, max=366, help="How many days back to look for spikes (the worker looks back 2)."
    ),
    until: str = typer.Option("", help="Look back from this day (YYYY-MM-DD) instead of from now."),
) -> None:
    """Find spikes per category and region against their seasonal baseline, and store them."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        end = _day(until, "--until") + timedelta(days=1) if until else datetime.now(UTC)
        with console.status(f"Counting posts by hour and looking for spikes over {days} day(s)"):
            new = watch.scan(db, cfg, end, scan_hours=max(1, days) * 24)
        found = watch.recent(db, end - timedelta(days=days), end)
    table = Table(title=f"Spikes from {end - timedelta(days=days):%Y-%m-%d} ({len(new)} new)")
    for column in ("id", "category", "where", "started (UTC)", "peak posts", "expected", "now"):
        table.add_column(column)
    for s in found:
        table.add_row(
            str(s.id),
            s.category_name,
            s.where,
            f"{s.started_at:%Y-%m-%d %H:00}",
            str(s.observed),
            f"{s.expected:.1f}",
            "subsided" if s.subsided_at else "ongoing",
        )
    console.print(table if found else "No spikes in that range.")


def topics_command(
    days: int = typer.Option(7, min=1, max=90, help="How many days of posts to cluster."),
    until: str = typer.Option("", help="End on this day (YYYY-MM-DD) instead of now."),
) -> None:
    """Cluster recent posts that no category fits and propose the clusters as emerging topics."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        end = _day(until, "--until") + timedelta(days=1) if until else datetime.now(UTC)
        with console.status("Clustering posts that no category fits"):
            ids = topics.run(db, end, timedelta(days=days))
        found = [t for t in topics.views(db, end) if t.id in ids]
    if not found:
        console.print("No emerging topics: no tight cluster among the posts no category fits.")
        return
    for t in found:
        console.print(f"[bold]#{t.id}[/bold] {', '.join(t.terms)} ({t.size} posts, {t.status})")
    console.print("Accept or reject them on the Insights > Emerging topics page (admins).")


def report_command(
    since: str = SINCE,
    until: str = UNTIL,
    category: str = typer.Option("", help="Only this category key (and its subcategories)."),
    region: str = typer.Option("", help="Only sources in this region."),
    source: str = typer.Option("", help="Only this source."),
    title: str = typer.Option("", help="The report's title."),
    out: Path | None = typer.Option(
        None, help="Also write the HTML, PDF, CSV and XLSX files into this folder."
    ),
    email: str = typer.Option("", help="Email it (PDF attached) to these comma-separated addresses."),
) -> None:
    """Make a report for any range and filters; it is archived, and written or emailed if asked."""
    cfg = settings()
    with friendly_errors():
        db = database(cfg)
        start, end = _day(since, "--since"), _day(until, "--until") + timedelta(days=1)
        where = FeedFilter(category=category or None, region=region or None, source=source or None)
        # What would fail after the report is made and archived is checked before it is.
        _check_filters(db, where)
        if out is not None and out.exists() and not out.is_dir():
            raise EarfulError(f"--out {out} is a file; give a folder (it is made if missing).")
        to = reports.recipients(email.replace(";", ",").split(",")) if email else []
        if to and not cfg.smtp_host:
            raise EarfulError("Emailing needs EARFUL_SMTP_HOST (see docs/operations.md); or use --out.")
        with console.status("Gathering and rendering the report"):
            made = reports.make(db, cfg, None, where, start, end, title=title or None)
        content = made.content
        console.print(
            f"Report {made.id}, {content.covers}: {counted(content.trends.total.posts, 'post')}, "
            f"{counted(len(content.spikes), 'spike')}, {counted(len(content.escalations), 'escalation')}."
        )
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for fmt in reports.FORMATS:
                data, _, name = reports.file(db, made.id, fmt)
                (out / name).write_bytes(data)
                console.print(f"  wrote {out / name}")
        if to:
            reports.send(db, cfg, made.id, to)
            console.print(f"  emailed to {', '.join(to)}")
