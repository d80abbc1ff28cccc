"""Trends: how many posts, and how many complaints, by time, category, subcategory, region and source.

One pass over the posts yields a cube (bucket x source x sentiment x category); every chart of the
dashboard and every table of a report is a roll-up of it. Hours are counted in UTC and grouped
into days and weeks of the deployment's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from earful.kit.charts import Bar
from earful.store.db import Database
from earful.store.models import Source
from earful.store.repos import insights as insights_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos.feed import FeedFilter
from earful.store.repos.insights import HOURLY, CubeRow, Grain

SENTIMENTS = ("complaint", "neutral", "positive")
COLOURS = {"complaint": "#b03a48", "neutral": "#8c8c8c", "positive": "#3d9970", "unscored": "#cfcfcf"}
GRAINS = ("hour", "day", "week")
NO_REGION = "(no region)"
HOURLY_SQL_DAYS = 31  # beyond this, the database counts UTC days rather than hours


@dataclass(slots=True)
class Tally:
    """Posts of one group (a category, region, source or time bucket), split by sentiment."""

    key: str
    name: str
    by_sentiment: dict[str, int] = field(default_factory=dict)
    start: datetime | None = None  # for time buckets
    end: datetime | None = None

    @property
    def posts(self) -> int:
        """Return the group's posts."""
        return sum(self.by_sentiment.values())

    @property
    def complaint_share(self) -> float:
        """Return the share of the group's posts that are complaints (0 for none)."""
        return self.by_sentiment.get("complaint", 0) / self.posts if self.posts else 0.0

    def add(self, sentiment: str | None, posts: int) -> None:
        """Count `posts` more of `sentiment`."""
        name = sentiment or "unscored"
        self.by_sentiment[name] = self.by_sentiment.get(name, 0) + posts


@dataclass(slots=True)
class Trends:
    """Every roll-up of one range and filter."""

    since: datetime
    until: datetime
    grain: str
    where: FeedFilter
    total: Tally
    timeline: list[Tally]
    categories: list[Tally]
    subcategories: list[Tally]
    regions: list[Tally]
    sources: list[Tally]
    # Posts per (category key, region) and the hourly counts spike detection reads.
    category_regions: dict[tuple[str, str], int]
    taxonomy_version: int | None


def pick_grain(since: datetime, until: datetime) -> str:
    """Return the bucket that draws a range legibly: hours up to 2 days, days up to 62, else weeks."""
    span = until - since
    return "hour" if span <= timedelta(days=2) else "day" if span <= timedelta(days=62) else "week"


def offsets(since: datetime, until: datetime, zone: ZoneInfo) -> tuple[tuple[datetime, int], ...]:
    """Return the zone's UTC offsets (minutes) over [since, until), each with the instant it starts."""
    hour, day = timedelta(hours=1), timedelta(days=1)

    def minutes(moment: datetime) -> int:
        return int((moment.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)

    def walk(first: datetime, end: datetime) -> None:  # hour by hour, noting each change
        moment = first
        while moment < end:
            if minutes(moment) != found[-1][1]:
                found.append((moment, minutes(moment)))
            moment += hour

    start = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if start >= until:
        return ()
    found: list[tuple[datetime, int]] = [(start, minutes(start))]
    # A day at a time (a year is 365 look-ups, not 8,760), and hour by hour through a day whose
    # end has another offset than its start: zones change offset at most a few times a year.
    moment = start
    while moment + day < until:
        if minutes(moment + day) != found[-1][1]:
            walk(moment + hour, moment + day + hour)
        moment += day
    walk(moment + hour, until)
    return tuple(found)


def _parse_bucket(text: str, zone: ZoneInfo) -> datetime:
    """Return a bucket's start: an hour is UTC, a day is midnight in the deployment's zone."""
    # Sliced rather than strptime'd: a year of hours is thousands of buckets.
    day = (int(text[0:4]), int(text[5:7]), int(text[8:10]))
    if len(text) > 10:
        return datetime(*day, int(text[11:13]), tzinfo=UTC)
    return datetime(*day, tzinfo=zone)


def _local_start(moment: datetime, grain: str, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    if grain == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if grain == "week" else day


def _next(start: datetime, grain: str, zone: ZoneInfo) -> datetime:
    # Add in wall-clock time, then re-localise, so a day across a clock change stays a day.
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}[grain]
    if grain == "hour":
        return (start.astimezone(UTC) + step).astimezone(zone)
    naive = start.replace(tzinfo=None) + step
    return naive.replace(tzinfo=zone)


def _label(start: datetime, grain: str) -> str:
    if grain == "hour":
        return start.strftime("%d %b %H:00")
    return start.strftime("%d %b") if grain == "day" else "wk " + start.strftime("%d %b")


def timeline_slots(since: datetime, until: datetime, grain: str, zone: ZoneInfo) -> list[Tally]:
    """Return an empty tally for every bucket from `since` to `until` (so quiet buckets show as 0)."""
    slots: list[Tally] = []
    start = _local_start(since, grain, zone)
    while start < until and len(slots) < 5000:
        end = _next(start, grain, zone)
        slots.append(Tally(start.isoformat(), _label(start, grain), start=start, end=end))
        start = end
    return slots


def _rank(tallies: Iterable[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (-t.posts, t.name))


def compute(
    db: Database, where: FeedFilter, since: datetime, until: datetime, zone: str, grain: str = ""
) -> Trends:
    """Return the trends of posts posted in [since, until) that match `where`."""
    tz = ZoneInfo(zone)
    grain = grain if grain in GRAINS else pick_grain(since, until)
    where = replace(where, since=since, until=until)
    days = Grain("day", zone, offsets(since, until, tz))
    if until - since > timedelta(days=HOURLY_SQL_DAYS):
        grain = "day" if grain == "hour" else grain  # the database counts days over long ranges
        sql_grain = days
    elif grain != "hour" and insights_repo.rollup_fits(where, days):
        sql_grain = days  # a month drawn in days: 30 rows per source and sentiment, not 720
    else:
        sql_grain = HOURLY
    fresh_rollups(db, where, sql_grain)
    with db.read() as session:
        volume = insights_repo.rolled_volume(session, where, sql_grain)
        tops = insights_repo.category_totals(session, where, sql_grain, "top")
        subs = insights_repo.category_totals(session, where, sql_grain, "sub")
        sources = {s.id: s for s in sources_repo.all_sources(session)}
        latest = taxonomy_repo.latest(session)
        names = taxonomy_repo.display_names(session)
    slots = timeline_slots(since, until, grain, tz)
    index = {slot.start: slot for slot in slots if slot.start is not None}
    total = Tally("", "All posts")
    regions: dict[str, Tally] = {}
    by_source: dict[int, Tally] = {}
    # A year has tens of thousands of rows (day x source x sentiment): they are summed per bucket
    # and per source in plain dicts first, and only those sums are parsed and tallied.
    per_bucket: dict[tuple[str, str | None], int] = defaultdict(int)
    per_source: dict[tuple[int, str | None], int] = defaultdict(int)
    for bucket, source_id, sentiment, _, posts in volume:
        per_bucket[(bucket, sentiment)] += posts
        per_source[(source_id, sentiment)] += posts
    starts: dict[str, datetime] = {}  # a bucket recurs once per sentiment: parse it once
    for (bucket, sentiment), posts in per_bucket.items():
        start = starts.get(bucket)
        if start is None:
            start = starts[bucket] = _local_start(_parse_bucket(bucket, tz), grain, tz)
        slot = index.get(start)
        if slot is not None:
            slot.add(sentiment, posts)
    for (source_id, sentiment), posts in per_source.items():
        total.add(sentiment, posts)
        source = sources.get(source_id)
        region = _region(source)
        if region not in regions:
            regions[region] = Tally(region, region)
        regions[region].add(sentiment, posts)
        if source_id not in by_source:
            name = source.name if source else f"source {source_id}"
            by_source[source_id] = Tally(name, name)
        by_source[source_id].add(sentiment, posts)
    category_regions: dict[tuple[str, str], int] = defaultdict(int)
    for row in tops:
        category_regions[(row.category, _region(sources.get(row.source_id)))] += row.posts
    return Trends(
        since=since,
        until=until,
        grain=grain,
        where=where,
        total=total,
        timeline=slots,
        categories=_by_key(tops, names),
        subcategories=[t for t in _by_key(subs, names) if "." in t.key],
        regions=_rank(regions.values()),
        sources=_rank(by_source.values()),
        category_regions=dict(category_regions),
        taxonomy_version=latest.version if latest else None,
    )


def fresh_rollups(db: Database, where: FeedFilter, grain: Grain) -> None:
    """Count again the days of `where`'s range whose rollups are missing or out of date (none, most
    times: only days whose posts or labels changed since), when the rollups can answer `where`."""
    if not insights_repo.rollup_fits(where, grain):
        return
    span = insights_repo.rollup_span(where)
    if span is None:
        return
    with db.read() as session:
        stale = insights_repo.stale_days(session, *span)
    if stale:
        with db.write() as session:
            insights_repo.refresh_rollups(session, insights_repo.stale_days(session, *span))


def _region(source: Source | None) -> str:
    return (source.region if source else None) or NO_REGION


def _by_key(rows: list[CubeRow], names: dict[str, str]) -> list[Tally]:
    found: dict[str, Tally] = {}
    for row in rows:
        found.setdefault(row.category, Tally(row.category, names.get(row.category, row.category))).add(
            row.sentiment, row.posts
        )
    return _rank(found.values())


def feed_link(where: FeedFilter, **narrower: str | datetime | None) -> str:
    """Return the feed's address showing the posts behind a number: `where` narrowed further."""
    params: dict[str, str] = {}
    for name in ("source", "region", "language", "category", "sentiment", "since", "until"):
        value = narrower[name] if name in narrower else getattr(where, name)
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
            # A whole day is written as a day, which the feed's date boxes can show (and so keep
            # when the form is applied again); an hour keeps its time.
            at_midnight = value == value.replace(hour=0, minute=0, second=0, microsecond=0)
            value = f"{value:%Y-%m-%d}" if at_midnight else value.isoformat(timespec="seconds")
        if value and not (name == "region" and value == NO_REGION):
            params[name] = str(value)
    return "/feed?" + urlencode(params)


def bars(tallies: Iterable[Tally], where: FeedFilter, dimension: str, *, base: str = "") -> list[Bar]:
    """Return chart bars of tallies split by sentiment, each linking to its posts in the feed."""
    found = []
    for t in tallies:
        href: str | None
        if dimension == "time":
            href = feed_link(where, since=t.start, until=t.end)
        elif dimension == "region" and t.key == NO_REGION:
            href = None  # the feed cannot narrow to sources without a region: no link beats a wrong one
        else:
            href = feed_link(where, **{dimension: t.key})
        parts = {
            s: float(t.by_sentiment.get(s, 0)) for s in (*SENTIMENTS, "unscored") if t.by_sentiment.get(s)
        }
        found.append(Bar(t.name, parts or {"complaint": 0.0}, base + href if href else None))
    return found


def newest_post(db: Database) -> datetime | None:
    """Return when the newest post was posted (UTC), or None when there are none."""
    with db.read() as session:
        span = insights_repo.posted_span(session)
    if span is None:
        return None
    return span[1].replace(tzinfo=UTC) if span[1].tzinfo is None else span[1].astimezone(UTC)


def month_to(last: datetime) -> tuple[datetime, datetime]:
    """Return the 30 whole days (UTC) that end with the day of `last`."""
    until = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return until - timedelta(days=30), until


def newest_month(db: Database) -> tuple[datetime, datetime] | None:
    """Return the 30 days up to the newest post (for an empty range to offer instead), or None."""
    last = newest_post(db)
    return month_to(last) if last is not None else None


@dataclass(frozen=True, slots=True)
class Choices:
    """What the dashboard's filters may be set to: what exists, so a typo cannot hide every post."""

    categories: list[tuple[str, str, bool]]  # key, name, whether it is a subcategory; in taxonomy order
    regions: list[str]
    sources: list[tuple[str, str | None]]  # name, region

    def source_region(self, name: str) -> str | None:
        """Return the region of the source called `name` ("" for a source without one), or None
        when there is no such source."""
        return next(((region or "") for found, region in self.sources if found == name), None)


def choices(db: Database) -> Choices:
    """Return the newest taxonomy's categories, the sources' regions and the sources."""
    with db.read() as session:
        names = taxonomy_repo.display_names(session)
        sources = [(s.name, s.region) for s in sources_repo.all_sources(session)]
    return Choices(
        categories=[(key, name, "." in key) for key, name in names.items()],
        regions=sorted({region for _, region in sources if region}, key=str.casefold),
        sources=sorted(sources, key=lambda s: s[0].casefold()),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """The period of the same length just before a range, counted the same way."""

    since: datetime
    until: datetime
    total: Tally
    categories: dict[str, Tally]

    @property
    def span(self) -> str:
        """Return the period's length in words: "7 days", "24 hours", "3.5 days"."""
        hours = (self.until - self.since).total_seconds() / 3600
        days = hours / 24
        if hours <= 48 or days * 2 != int(days * 2):
            return f"{hours:.0f} hour{'' if round(hours) == 1 else 's'}"
        return f"{days:g} day{'' if days == 1 else 's'}"


def previous(db: Database, where: FeedFilter, since: datetime, until: datetime) -> Comparison:
    """Return the posts of the period as long as [since, until) that ends where it starts, in total
    and by category, with the same filters."""
    before = replace(where, since=since - (until - since), until=since)
    day = Grain("day")  # only totals are wanted: the coarsest bucket the database offers
    fresh_rollups(db, before, day)
    with db.read() as session:
        volume = insights_repo.rolled_volume(session, before, day)
        tops = insights_repo.category_totals(session, before, day, "top")
    total = Tally("", "All posts")
    for row in volume:
        total.add(row.sentiment, row.posts)
    categories: dict[str, Tally] = {}
    for row in tops:
        categories.setdefault(row.category, Tally(row.category, row.category)).add(row.sentiment, row.posts)
    assert before.since is not None
    return Comparison(before.since, since, total, categories)


def change(now: int, before: int) -> str:
    """Return the change from `before` to `now` in words: "+150%", "−20%", "no change", "new"."""
    if now == before:
        return "no change"
    if not before:
        return "new"
    percent = round(100 * (now - before) / before)
    return f"+{percent}%" if percent > 0 else f"−{-percent}%" if percent < 0 else "about the same"


def points(now: float, before: float) -> str:
    """Return the change between two shares in percentage points: "+12 points", "−3 points"."""
    moved = round(100 * (now - before))
    if not moved:
        return "no change"
    return f"+{moved} points" if moved > 0 else f"−{-moved} points"
