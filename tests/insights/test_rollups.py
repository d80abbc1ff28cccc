"""The Insights rollups count what a direct count over the posts does, and stay right as posts change."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from earful.insights import trends
from earful.store.db import Database
from earful.store.models import Label, Post, RollupCategory
from earful.store.repos import feed as feed_repo
from earful.store.repos import insights as insights_repo
from earful.store.repos.feed import FeedFilter
from earful.store.repos.insights import HOURLY, CubeRow, Grain
from earful.triage import feed as feed_service
from tests.factories import ensure_taxonomy, label, make_source, posts_at

START = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)
SUBS = ["app.gps_maps", "app.crashes_login", "pay.tips"]


def _world(db: Database, seed: int = 5, days: int = 6) -> list[int]:
    """Posts over `days` days at random minutes, with model and analyst labels, copies and posts not
    yet enriched (neither of which the insights count)."""
    rng = random.Random(seed)
    ensure_taxonomy(db)
    london = make_source(db, "r/london", region="London")
    leeds = make_source(db, "r/leeds", region="London")
    madrid = make_source(db, "r/madrid", region="Madrid")
    ids: list[int] = []
    for source in (london, leeds, madrid):
        times = sorted(START + timedelta(minutes=rng.randrange(days * 24 * 60)) for _ in range(90))
        ids += posts_at(db, source, times)
    for pid in ids:
        label(db, [pid], rng.choice(SUBS), rng.choice(["complaint", "neutral", "positive", None]))
        if rng.random() < 0.3:
            label(db, [pid], rng.choice(SUBS))
        if rng.random() < 0.1:
            label(db, [pid], rng.choice(SUBS), by="analyst")
    with db.write() as session:
        session.execute(update(Post).where(Post.id.in_(ids[5:15])).values(duplicate_of=ids[0]))
        session.execute(update(Post).where(Post.id.in_(ids[20:25])).values(text=None))
    return ids


def _volume(rows: list[CubeRow]) -> Counter[tuple[str, int, str | None]]:
    found: Counter[tuple[str, int, str | None]] = Counter()
    for row in rows:
        found[(row.bucket, row.source_id, row.sentiment)] += row.posts
    return +found


def _categories(rows: list[CubeRow]) -> Counter[tuple[str, int, str | None]]:
    found: Counter[tuple[str, int, str | None]] = Counter()
    for row in rows:
        found[(row.category, row.source_id, row.sentiment)] += row.posts
    return +found


def _same(db: Database, where: FeedFilter, grain: Grain) -> None:
    trends.fresh_rollups(db, where, grain)
    with db.read() as session:
        assert _volume(insights_repo.rolled_volume(session, where, grain)) == _volume(
            insights_repo.volume(session, where, grain)
        )
        for level in ("top", "sub"):
            assert _categories(insights_repo.category_totals(session, where, grain, level)) == _categories(
                insights_repo.by_category(session, where, grain, level)
            ), level


RANGES = [
    (START + timedelta(hours=5, minutes=17), START + timedelta(days=4, hours=3, minutes=41)),
    (START, START + timedelta(days=6)),
    (START + timedelta(days=1, hours=2), START + timedelta(days=1, hours=9, minutes=30)),
    (START + timedelta(minutes=10), START + timedelta(minutes=50)),
    (START - timedelta(days=3), START + timedelta(days=10)),
]


def test_rollups_equal_a_direct_count_over_ranges_filters_and_grains(db: Database) -> None:
    _world(db)
    madrid = ZoneInfo("Europe/Madrid")
    for since, until in RANGES:
        zone_days = Grain("day", "Europe/Madrid", trends.offsets(since, until, madrid))
        for grain in (HOURLY, Grain("day"), zone_days):
            for where in (
                FeedFilter(),
                FeedFilter(region="London"),
                FeedFilter(source="r/madrid", sentiment="complaint"),
            ):
                _same(db, replace(where, since=since, until=until), grain)


def test_the_rollups_are_used_and_counted_once(db: Database) -> None:
    _world(db)
    since, until = RANGES[0]
    where = FeedFilter(since=since, until=until)
    assert insights_repo.rollup_fits(where, HOURLY)
    assert not insights_repo.rollup_fits(FeedFilter(since=since, until=until, category="app"), HOURLY)
    assert not insights_repo.rollup_fits(where, Grain("day", "Asia/Kolkata", ((since, 330),)))
    trends.fresh_rollups(db, where, HOURLY)
    with db.read() as session:
        span = insights_repo.rollup_span(where)
        assert span is not None
        assert insights_repo.stale_days(session, *span) == []


def test_changes_after_a_refresh_make_their_days_stale_and_are_counted(db: Database) -> None:
    ids = _world(db)
    since, until = START, START + timedelta(days=6)
    where = FeedFilter(since=since, until=until)
    _same(db, where, HOURLY)
    london = make_source(db, "r/london_late", region="London")
    new = posts_at(db, london, [START + timedelta(days=2, hours=3, minutes=5)])
    label(db, new, "pay.tips", "complaint")
    label(db, [ids[40]], "app.crashes_login", by="analyst")  # replaces the model's labels
    with db.write() as session:
        session.execute(update(Post).where(Post.id == ids[41]).values(sentiment="positive"))
        session.execute(update(Post).where(Post.id == ids[42]).values(duplicate_of=ids[43]))
        session.execute(update(Post).where(Post.id == ids[44]).values(posted_at=START + timedelta(days=5)))
        session.execute(delete(Label).where(Label.post_id == ids[45]))
        session.execute(delete(Post).where(Post.id == ids[46]))
    with db.read() as session:
        span = insights_repo.rollup_span(where)
        assert span is not None
        assert "2026-10-22" in insights_repo.stale_days(session, *span)
    _same(db, where, HOURLY)
    _same(db, where, Grain("day"))


def test_whole_months_are_read_from_month_rows_that_follow_their_days(db: Database) -> None:
    ids = _world(db, days=75)  # 20 Oct to 3 Jan: November and December whole
    madrid = ZoneInfo("Europe/Madrid")
    ranges = [
        (START + timedelta(days=3, hours=7, minutes=3), START + timedelta(days=70, hours=2)),
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, 5, tzinfo=UTC)),
    ]
    for since, until in ranges:
        zone_days = Grain("day", "Europe/Madrid", trends.offsets(since, until, madrid))
        for grain in (Grain("day"), zone_days):
            for where in (FeedFilter(), FeedFilter(region="London", sentiment="neutral")):
                _same(db, replace(where, since=since, until=until), grain)
    with db.read() as session:
        months = session.scalars(
            select(RollupCategory.day).where(RollupCategory.level == insights_repo.MONTH["top"]).distinct()
        ).all()
    assert {"2026-11-01", "2026-12-01"} <= set(months)
    # A change in the middle of November: its day is counted again, and November's month rows with it.
    mid = ids[:3]
    with db.write() as session:
        session.execute(
            update(Post).where(Post.id.in_(mid)).values(posted_at=datetime(2026, 11, 15, 12, tzinfo=UTC))
        )
        session.execute(update(Post).where(Post.id == ids[100]).values(sentiment="complaint"))
    label(db, [ids[101]], "pay.tips", by="analyst")
    whole = FeedFilter(since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2027, 1, 1, tzinfo=UTC))
    _same(db, whole, Grain("day"))
    _same(db, replace(whole, region="London"), Grain("day"))
    with db.write() as session:  # rollups counted before month rows existed get them once
        session.execute(delete(RollupCategory).where(RollupCategory.level.in_(insights_repo.MONTH.values())))
        assert insights_repo.fill_months(session) >= 2
        assert insights_repo.fill_months(session) == 0
    _same(db, whole, Grain("day"))


def _direct(db: Database, where: FeedFilter) -> int:
    with db.read() as session:
        return feed_repo.count(session, where)


COUNT_FILTERS = [
    FeedFilter(),
    FeedFilter(region="London"),
    FeedFilter(source="r/madrid", sentiment="complaint"),
    FeedFilter(category="app"),
    FeedFilter(category="pay.tips", region="London"),
    FeedFilter(category="app.gps_maps", sentiment="neutral"),
    FeedFilter(category="app", region="Madrid", sentiment="positive"),
]


def test_the_feeds_match_count_from_the_rollups_equals_counting_the_posts(db: Database) -> None:
    _world(db)
    ranges = [(None, None), *RANGES, (START + timedelta(days=2, minutes=7), None)]
    for since, until in ranges:
        for where in COUNT_FILTERS:
            ranged = replace(where, since=since, until=until)
            with db.read() as session:
                by_rollups = insights_repo.countable_span(session, ranged) is not None
            # Subcategories are counted over the posts, the rest from the rollups.
            assert by_rollups == ("." not in (where.category or "")), ranged
            assert feed_service.count(db, ranged) == _direct(db, ranged), ranged


def test_the_match_count_follows_a_relabel_and_leaves_other_filters_to_the_posts(db: Database) -> None:
    ids = _world(db)
    where = FeedFilter(category="pay")
    before = feed_service.count(db, where)
    assert before == _direct(db, where)
    # An analyst's label replaces the model's: the post leaves or joins "pay".
    moved = ids[40]
    label(db, [moved], "app.crashes_login", by="analyst")
    assert feed_service.count(db, where) == _direct(db, where)
    with db.read() as session:
        assert insights_repo.countable_span(session, replace(where, min_urgency=0.5)) is None
        assert insights_repo.countable_span(session, replace(where, status="new")) is None
