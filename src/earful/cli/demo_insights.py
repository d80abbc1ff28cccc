"""What the demo shows beyond the feed: spikes in its month of posts, emerging topics, two
escalations of 6 November (one raised by the outage spike, one a dog attack that day), each closed
with what was done, and a report in the archive."""

from __future__ import annotations

from datetime import datetime, timedelta

from earful.contracts import Actor
from earful.insights import reports, topics, watch
from earful.insights.render import PdfUnavailable
from earful.kit.clock import as_utc
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import demo as demo_repo
from earful.store.repos import insights as insights_repo
from earful.store.repos import reports as reports_repo
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.sla import Sla, acknowledge

DEMO_LEAD = Actor(None, "demo", "admin")
OUTAGE_OUTCOME = "Login service rolled back; app 4.2.1 fixed the scanner crash"
BITE_OUTCOME = (
    "Safety desk called the driver, who was shaken but not badly hurt, and the customer; "
    "that address now carries a dog warning on every route that reaches it"
)


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
    spikes = watch.recent(db, first, end)
    if spikes:  # an earlier run found them and escalated, but made no report (no Pango): only that
        return _first_report(db, cfg, first, last, end, f"{len(spikes)} spike(s) found before")
    hours = int((end - first).total_seconds() // 3600) + 1
    watch.scan(db, cfg, end, scan_hours=hours)
    topics.run(db, end, window=end - first)
    spikes = watch.recent(db, first, end)
    # The outage: the spike of all posts everywhere. Its escalation is the surest app post of its
    # first hours (the first reports of the login errors); the dog attack is that day's.
    outage_spike = next((s for s in spikes if not s.region and not s.category), None)
    escalated = 0
    if outage_spike is not None:
        begun = outage_spike.started_at
        day = begun.replace(hour=0, minute=0, second=0, microsecond=0)
        with db.read() as session:
            outage = insights_repo.surest_post(session, "app", begun, begun + timedelta(hours=2))
            bite = insights_repo.surest_post(session, "safety.animals", day, day + timedelta(days=1))
        defaults = Sla.from_settings(cfg)
        if outage is not None:
            start = max(_posted(db, outage), begun) + timedelta(minutes=20)
            _close(db, outage, outage_spike.id, OUTAGE_OUTCOME, defaults, "Demo: the 6 November outage")
            _restage(
                db,
                outage,
                start,
                start + timedelta(minutes=15),
                outage_spike.ended_at + timedelta(hours=1, minutes=30),
            )
            escalated += 1
        if bite is not None and bite != outage:
            start = _posted(db, bite) + timedelta(minutes=25)
            _close(db, bite, None, BITE_OUTCOME, defaults, "Demo: a dog attack at a delivery address")
            _restage(db, bite, start, start + timedelta(minutes=20), start + timedelta(hours=19))
            escalated += 1
    return _first_report(db, cfg, first, last, end, f"{len(spikes)} spike(s), {escalated} escalation(s)")


def _first_report(
    db: Database, cfg: Settings, first: datetime, last: datetime, end: datetime, found: str
) -> str:
    """Make the demo's first report; without Pango, say so and go on (the demo still serves)."""
    day = first.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        made = reports.make(
            db, cfg, None, FeedFilter(), day, end, title=f"Demo report: {day:%d %b} to {last:%d %b %Y}"
        )
    except PdfUnavailable as exc:  # Reports says the same when asked
        return f"{found}, no first report: {exc.message}"
    return f"{found}, report {made.id} in the archive"


def _posted(db: Database, post_id: int) -> datetime:
    """Return when the post was posted, to the minute (the story's times are whole minutes)."""
    with db.read() as session:
        found = as_utc(insights_repo.posts_by_id(session, [post_id])[post_id].posted_at)
    assert found is not None
    return found.replace(second=0, microsecond=0)


def _close(db: Database, post_id: int, spike_id: int | None, outcome: str, defaults: Sla, note: str) -> None:
    """Escalate the post to its owning team, have the team acknowledge it, and resolve it."""
    service.escalate(db, DEMO_LEAD, post_id, note=note, spike_id=spike_id, defaults=defaults)
    acknowledge(db, DEMO_LEAD, post_id)
    service.set_status(db, DEMO_LEAD, post_id, "resolved", outcome)


def _restage(
    db: Database, post_id: int, escalated: datetime, acknowledged: datetime, resolved: datetime
) -> None:
    """Date the escalation's steps in the story's days rather than the day the demo was loaded."""
    with db.write() as session:
        demo_repo.restage(session, post_id, escalated=escalated, acknowledged=acknowledged, resolved=resolved)
