"""Trends count what the feed shows: by time, category, subcategory, region and source."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from earful.insights import trends
from earful.store.db import Database
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import count
from earful.web.forms import filter_from
from tests.factories import label, make_source, posts_at

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday


def _world(db: Database) -> dict[str, list[int]]:
    london = make_source(db, "r/london_drivers", region="London")
    madrid = make_source(db, "r/madrid_drivers", region="Madrid")
    made = {
        "gps_london": posts_at(db, london, [START + timedelta(hours=h) for h in range(0, 30, 3)]),
        "gps_madrid": posts_at(db, madrid, [START + timedelta(hours=h) for h in range(1, 9)]),
        "pay_london": posts_at(db, london, [START + timedelta(days=2, hours=h) for h in range(4)]),
        "both": posts_at(db, madrid, [START + timedelta(days=3)]),
        "relabelled": posts_at(db, london, [START + timedelta(days=4, hours=1)] * 2),
        "outside": posts_at(db, london, [START - timedelta(days=1)]),
    }
    label(db, made["gps_london"], "app.gps_maps", "complaint")
    label(db, made["gps_madrid"], "app.gps_maps", "neutral")
    label(db, made["pay_london"], "pay.tips", "complaint")
    # One post in two subcategories of one category: one post of that category, not two.
    label(db, made["both"], "app.gps_maps", "complaint")
    label(db, made["both"], "app.crashes_login", "complaint")
    # An analyst moved these from GPS to tips: the model's label no longer counts.
    label(db, made["relabelled"], "app.gps_maps", "positive")
    label(db, made["relabelled"], "pay.tips", by="analyst")
    label(db, made["outside"], "app.gps_maps", "complaint")
    return made


def _week(db: Database) -> trends.Trends:
    return trends.compute(db, FeedFilter(), START, START + timedelta(days=7), "UTC")


def test_counts_by_category_subcategory_region_and_source(db: Database) -> None:
    _world(db)
    found = _week(db)
    assert found.total.posts == 25  # the post from the week before is outside the range
    tops = {t.key: t.posts for t in found.categories}
    assert tops == {"app": 19, "pay": 6}
    subs = {t.key: t.posts for t in found.subcategories}
    assert subs == {"app.gps_maps": 19, "app.crashes_login": 1, "pay.tips": 6}
    assert {t.key: t.posts for t in found.regions} == {"London": 16, "Madrid": 9}
    assert {t.key: t.posts for t in found.sources} == {"r/london_drivers": 16, "r/madrid_drivers": 9}
    app = next(t for t in found.categories if t.key == "app")
    assert app.by_sentiment == {"complaint": 11, "neutral": 8}
    assert round(app.complaint_share, 3) == round(11 / 19, 3)
    assert found.category_regions[("app", "Madrid")] == 9


def test_the_timeline_has_every_day_and_adds_up(db: Database) -> None:
    _world(db)
    found = _week(db)
    assert found.grain == "day"
    assert [t.posts for t in found.timeline] == [16, 2, 4, 1, 2, 0, 0]
    hourly = trends.compute(db, FeedFilter(), START, START + timedelta(days=1), "UTC")
    assert hourly.grain == "hour" and len(hourly.timeline) == 24
    assert sum(t.posts for t in hourly.timeline) == 16


def test_days_follow_the_deployment_time_zone(db: Database) -> None:
    _world(db)
    # In Madrid (UTC+1 in November) the 23:00 UTC hour belongs to the next day.
    utc_days = [t.posts for t in _week(db).timeline]
    madrid = trends.compute(db, FeedFilter(), START, START + timedelta(days=7), "Europe/Madrid")
    assert sum(t.posts for t in madrid.timeline) == sum(utc_days)
    assert madrid.timeline[0].start is not None and madrid.timeline[0].start.utcoffset() == timedelta(hours=1)


def test_every_bar_links_to_exactly_its_posts_in_the_feed(db: Database) -> None:
    _world(db)
    found = _week(db)
    charts = (
        trends.bars(found.categories, found.where, "category")
        + trends.bars(found.subcategories, found.where, "category")
        + trends.bars(found.regions, found.where, "region")
        + trends.bars(found.sources, found.where, "source")
        + trends.bars(found.timeline, found.where, "time")
    )
    for bar in charts:
        assert bar.href is not None, bar.label
        params = {k: v[0] for k, v in parse_qs(urlparse(bar.href).query).items()}
        where, _, _ = filter_from(params)
        assert count(db, where) == bar.total, bar.label


def test_a_source_without_a_region_is_counted_but_not_linked(db: Database) -> None:
    label(db, posts_at(db, make_source(db, "form", region=None), [START + timedelta(hours=2)]), "pay.tips")
    found = _week(db)
    (bar,) = [b for b in trends.bars(found.regions, found.where, "region") if b.label == "(no region)"]
    assert bar.total == 1 and bar.href is None


def test_filters_narrow_every_roll_up(db: Database) -> None:
    _world(db)
    found = trends.compute(db, FeedFilter(region="Madrid"), START, START + timedelta(days=7), "UTC")
    assert found.total.posts == 9
    assert {t.key: t.posts for t in found.subcategories} == {"app.gps_maps": 9, "app.crashes_login": 1}
    empty = trends.compute(db, FeedFilter(category="safety"), START, START + timedelta(days=7), "UTC")
    assert empty.total.posts == 0 and empty.categories == []


def test_long_ranges_count_local_days_too(db: Database) -> None:
    source = make_source(db, "r/nyc", region="New York")
    # 10 Nov in New York (UTC-5): 10:00 local, and 23:30 local (04:30 UTC on the 11th).
    posts_at(db, source, [datetime(2026, 11, 10, 15, tzinfo=UTC), datetime(2026, 11, 11, 4, 30, tzinfo=UTC)])
    for days in (19, 60):  # counted by hour (then grouped), or by day in the database
        until = datetime(2026, 11, 20, 5, tzinfo=UTC)
        found = trends.compute(
            db, FeedFilter(), until - timedelta(days=days), until, "America/New_York", "day"
        )
        counted = {t.start.strftime("%Y-%m-%d"): t.posts for t in found.timeline if t.posts and t.start}
        assert counted == {"2026-11-10": 2}, (days, counted)


def _offsets_hour_by_hour(
    since: datetime, until: datetime, zone: ZoneInfo
) -> tuple[tuple[datetime, int], ...]:
    found: list[tuple[datetime, int]] = []
    moment = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while moment < until:
        minutes = int((moment.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)
        if not found or found[-1][1] != minutes:
            found.append((moment, minutes))
        moment += timedelta(hours=1)
    return tuple(found)


def test_offsets_read_a_day_at_a_time_find_every_change_an_hourly_walk_does() -> None:
    rng = random.Random(3)
    for name in ("UTC", "Europe/Madrid", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"):
        zone = ZoneInfo(name)
        for _ in range(60):
            since = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(800 * 24 * 60))
            until = since + timedelta(minutes=rng.randrange(1, 500 * 24 * 60))
            assert trends.offsets(since, until, zone) == _offsets_hour_by_hour(since, until, zone), (
                name,
                since,
            )
