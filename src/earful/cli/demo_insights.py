"""What the demo shows beyond the feed: spikes in its month of posts, emerging topics, escalations
on the clock (one raised by the outage spike and resolved), and a report in the archive."""

from __future__ import annotations

from datetime import timedelta

from earful.contracts import Actor
from earful.insights import reports, topics, watch
from earful.kit.clock import as_utc
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import insights as insights_repo
from earful.store.repos import reports as reports_repo
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.sla import Sla, acknowledge

DEMO_LEAD = Actor(None, "demo", "admin")


def show_insights(db: Database, cfg: Settings) -> str | None:
    """Find the demo's spikes and topics, escalate two posts, make a report; once. Return a summary."""
    with db.read() as session:
        if reports_repo.count(session):
            return None
        span = insights_repo.posted_span(session)
    if span is None:
        return None
    first, last = (as_utc(t) for t in span)
    assert first is not None and last is not None
    end = last + timedelta(hours=1)
    hours = int((end - first).total_seconds() // 3600) + 1
    watch.scan(db, cfg, end, scan_hours=hours)
    topics.run(db, end, window=end - first)
    spikes = watch.recent(db, first, end)
    biggest = next((s for s in spikes if not s.region), None)
    defaults = Sla.from_settings(cfg)
    escalated = 0
    with db.read() as session:
        hurt = insights_repo.surest_post(session, "safety", first, end)
        outage = (
            insights_repo.surest_post(
                session, biggest.category, biggest.started_at, biggest.ended_at + timedelta(hours=1)
            )
            if biggest
            else None
        )
    if hurt is not None:
        service.escalate(db, DEMO_LEAD, hurt, note="Demo: a safety report, on the clock", defaults=defaults)
        escalated += 1
    if outage is not None and biggest is not None and outage != hurt:
        service.escalate(db, DEMO_LEAD, outage, spike_id=biggest.id, defaults=defaults)
        acknowledge(db, DEMO_LEAD, outage)
        service.set_status(
            db, DEMO_LEAD, outage, "resolved", "Login service rolled back; app 4.2.1 fixed the scanner crash"
        )
        escalated += 1
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    made = reports.make(
        db, cfg, None, FeedFilter(), day, end, title=f"Demo report: {day:%d %b} to {last:%d %b %Y}"
    )
    return f"{len(spikes)} spike(s), {escalated} escalation(s), report {made.id} in the archive"
