"""One incident, one alert: an outage seen at several levels (all posts, its category, its region)
and over several hours raises one alert, judged while its first hour is still open, and one update
when it subsides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from earful.insights import alerts, watch
from earful.insights.alerts import RuleInput
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Alert, Spike
from tests.factories import ensure_taxonomy, label, make_source, posts_at
from tests.insights.test_alerts import LEAD
from tests.servers import Hook

OUTAGE = datetime(2026, 11, 20, 9, tzinfo=UTC)  # a Friday morning


class Outage:
    """Four weeks of two GPS posts an hour in Leeds and in York, then Leeds alone has thirty an
    hour (one every two minutes) for `hours` hours from OUTAGE, then falls silent; York goes on.
    Posts arrive as time passes: `until` stores those posted by then, as a live feed would."""

    def __init__(self, db: Database, hours: int = 2) -> None:
        self.db = db
        self.sources = {r: make_source(db, f"r/{r.lower()}_drivers", region=r) for r in ("Leeds", "York")}
        steady = [OUTAGE - timedelta(hours=h, minutes=m) for h in range(1, 29 * 24) for m in (10, 40)]
        york = [OUTAGE + timedelta(hours=h, minutes=m) for h in range(12) for m in (10, 40)]
        surge = [OUTAGE + timedelta(minutes=2 * m) for m in range(30 * hours)]
        self.waiting = sorted([(t, "Leeds") for t in steady + surge] + [(t, "York") for t in steady + york])
        self.until(OUTAGE)

    def until(self, moment: datetime) -> None:
        for region in self.sources:
            due = [t for t, r in self.waiting if r == region and t < moment]
            if due:
                ids = posts_at(self.db, self.sources[region], due, "the pin is in the wrong street")
                label(self.db, ids, "app.gps_maps")
        self.waiting = [(t, r) for t, r in self.waiting if t >= moment]


def _settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_addresses": True, "time_zone": "UTC"})


def _round(db: Database, settings: Settings, feed: Outage, at: datetime) -> tuple[list[int], int, int]:
    """What the worker does at `at`, the posts until then stored: scan, raise alerts, send them."""
    feed.until(at)
    new = watch.scan(db, settings, at)
    return new, alerts.evaluate(db, settings, at), alerts.deliver(db, settings, at)


def test_the_open_hour_is_judged_early_and_later_hours_grow_the_same_spike(
    db: Database, settings: Settings
) -> None:
    settings = _settings(settings)
    feed = Outage(db)
    feed.until(OUTAGE + timedelta(minutes=15))
    # Fifteen minutes in, eight posts where one is usual by then: called before the hour ends.
    new = watch.scan(db, settings, OUTAGE + timedelta(minutes=15))
    assert new, "the open hour was not judged"
    with db.read() as session:
        early = session.scalars(select(Spike).where(Spike.category == "", Spike.region == "Leeds")).one()
        assert early.started_at.replace(tzinfo=UTC) == OUTAGE and early.subsided_at is None
        assert early.expected > 0  # the usual count by then, not a median of zeros
    for minutes in (45, 75, 105, 135):
        feed.until(OUTAGE + timedelta(minutes=minutes))
        watch.scan(db, settings, OUTAGE + timedelta(minutes=minutes))
    with db.read() as session:
        rows = session.scalars(select(Spike).where(Spike.category == "", Spike.region == "Leeds")).all()
        assert len(rows) == 1, [(s.started_at, s.ended_at) for s in rows]
        assert rows[0].ended_at.replace(tzinfo=UTC) == OUTAGE + timedelta(hours=1)


def test_one_outage_at_several_levels_is_one_alert_then_one_update_when_it_subsides(
    db: Database, settings: Settings, webhook: Hook
) -> None:
    settings = _settings(settings)
    feed = Outage(db)
    ensure_taxonomy(db)
    alerts.save_rule(db, LEAD, RuleInput("Everything", "spike", [], webhook.url), allow_private=True)
    alerts.save_rule(db, LEAD, RuleInput("York", "spike", [], webhook.url, region="York"), allow_private=True)
    new, raised, sent = _round(db, settings, feed, OUTAGE + timedelta(minutes=15))
    assert raised == 1 and sent == 1, (new, raised, sent)
    (first,) = webhook.received
    assert first["json"]["text"].startswith("Spike: ")
    assert "Leeds" in first["json"]["text"]
    # The next hours: the same outage, seen in its category and overall too, and growing.
    for minutes in range(25, 4 * 60 + 20, 10):
        _round(db, settings, feed, OUTAGE + timedelta(minutes=minutes))
    with db.read() as session:
        levels = {(s.category, s.region) for s in session.scalars(select(Spike))}
        assert {("", "Leeds"), ("app", "Leeds"), ("", ""), ("app", "")} <= levels
        assert session.scalar(select(func.count()).select_from(Spike).where(Spike.subsided_at.is_(None))) == 0
        statuses = sorted(session.scalars(select(Alert.status)))
    assert len(webhook.received) == 2, [r["json"]["text"] for r in webhook.received]
    update = webhook.received[1]["json"]["text"]
    assert "subsided" in update.lower()
    assert "20 Nov 11:00" in update  # back to normal from the hour after its last busy one
    assert statuses == ["sent", "sent"]
    # Nothing more, however often the worker looks.
    for minutes in range(4 * 60 + 20, 7 * 60, 30):
        assert _round(db, settings, feed, OUTAGE + timedelta(minutes=minutes))[1:] == (0, 0)
    assert len(webhook.received) == 2


def test_spikes_are_one_incident_when_their_series_share_posts_or_a_place() -> None:
    assert watch.related(("", ""), ("app", "Leeds"))  # all posts contains everything
    assert watch.related(("app", ""), ("app", "Leeds"))  # a category everywhere contains its regions
    assert watch.related(("app", ""), ("", "Leeds"))  # both count the app's posts in Leeds
    assert watch.related(("pay", "Leeds"), ("support", "Leeds"))  # one outage, several complaints
    assert watch.related(("pay", ""), ("support", ""))
    assert not watch.related(("app", "Leeds"), ("app", "York"))
    assert not watch.related(("pay", "Leeds"), ("support", "York"))
