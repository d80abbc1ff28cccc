"""Aggregates over posts for trends, spikes and reports: counts per hour, source, sentiment, category.

Queries return small "cubes" (one row per hour or day, source, sentiment and category) that the
insights domain rolls up in Python, so one pass over the posts serves every chart of a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, case, delete, func, insert, literal, null, or_, select, text, union_all
from sqlalchemy.orm import Session, aliased

from earful.kit.clock import as_utc
from earful.store.models import (
    Category,
    Label,
    ModelVersion,
    Post,
    RollupCategory,
    RollupChange,
    RollupDay,
    RollupVolume,
    RollupVolumeDay,
    Source,
    Spike,
    Team,
    Topic,
    TriageItem,
)
from earful.store.repos.feed import FeedFilter, _filtered, effective_label, in_category

NO_SYNC = {"synchronize_session": False}


class CubeRow(NamedTuple):
    """Posts counted in one time bucket (UTC, "YYYY-MM-DD HH" or "YYYY-MM-DD"), source, sentiment
    and category key ("" when the count is over every category).

    A named tuple, not a dataclass: a year of Insights reads tens of thousands of them per page,
    and a tuple is built in a fraction of the time."""

    bucket: str
    source_id: int
    sentiment: str | None
    category: str
    posts: int


@dataclass(frozen=True, slots=True)
class Grain:
    """How posts are bucketed: by UTC hour, or by day of a time zone.

    Days are counted in the zone's wall-clock time. PostgreSQL converts each post by the zone's
    rules; SQLite has no time zones, so it is given the zone's offsets over the range counted:
    `offsets` is ((from, minutes), ...), each offset applying from its instant to the next one.
    """

    unit: str  # "hour" or "day"
    zone: str = "UTC"
    offsets: tuple[tuple[datetime, int], ...] = ()


HOURLY = Grain("hour")


def _bucket(session: Session, grain: Grain, stamp: Any = Post.posted_at) -> Any:
    """Return the SQL expression of a post's UTC hour or local day, as text that sorts in time order
    (of `stamp`: a post's posted_at, or a rollup's hour)."""
    if session.get_bind().dialect.name == "sqlite":
        if grain.unit == "hour":
            return func.strftime("%Y-%m-%d %H", stamp)
        if len(grain.offsets) <= 1:
            minutes = grain.offsets[0][1] if grain.offsets else 0
            return func.strftime("%Y-%m-%d", stamp, f"{minutes:+d} minutes")
        until_change = [
            (stamp < start, f"{minutes:+d} minutes")
            for (_, minutes), (start, _) in zip(grain.offsets, grain.offsets[1:], strict=False)
        ]
        shift = case(*until_change, else_=f"{grain.offsets[-1][1]:+d} minutes")
        return func.strftime("%Y-%m-%d", stamp, shift)
    if grain.unit == "hour":
        return func.to_char(func.timezone("UTC", stamp), "YYYY-MM-DD HH24")
    return func.to_char(func.timezone(grain.zone, stamp), "YYYY-MM-DD")


def volume(session: Session, where: FeedFilter, grain: Grain) -> list[CubeRow]:
    """Return original posts counted per bucket, source and sentiment."""
    bucket = _bucket(session, grain)
    stmt: Select[Any] = _filtered(session, where, (bucket, Post.source_id, Post.sentiment, func.count()))
    stmt = stmt.group_by(bucket, Post.source_id, Post.sentiment)
    return [CubeRow(b, s, t, "", int(n)) for b, s, t, n in session.execute(stmt)]


def by_category(session: Session, where: FeedFilter, grain: Grain, level: str) -> list[CubeRow]:
    """Return original posts counted per bucket, source, sentiment and category; `level` "sub"
    counts subcategories, "top" their parents (a post in two subcategories of one parent counts once)."""
    bucket = _bucket(session, grain)
    parent = aliased(Category)
    key = Category.key if level == "sub" else func.coalesce(parent.key, Category.key)
    counted = func.count(Post.id) if level == "sub" else func.count(Post.id.distinct())
    stmt: Select[Any] = _filtered(
        session, where, (bucket, Post.source_id, Post.sentiment, key, counted), category_as_set=True
    )
    stmt = (
        stmt.join(Label, Label.post_id == Post.id)
        .join(Category, Category.id == Label.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(effective_label())
        .group_by(bucket, Post.source_id, Post.sentiment, key)
    )
    return [CubeRow(b, s, t, k, int(n)) for b, s, t, k, n in session.execute(stmt)]


def examples(session: Session, where: FeedFilter, keys: Sequence[str], limit: int) -> dict[str, list[Post]]:
    """Return, for each subcategory key, up to `limit` original posts the classifier is surest
    belong to it, complaints first.

    One pass ranks every key's posts with a window function: a short range then reads only its own
    posts, where a query per key would walk each category's labels across all time.
    """
    names = dict(session.execute(select(Category.id, Category.key).where(Category.key.in_(list(keys)))).all())
    if not names:
        return {}
    complaint = case((Post.sentiment == "complaint", 1), else_=0)
    rank = func.row_number().over(
        partition_by=Label.category_id,
        order_by=(complaint.desc(), func.coalesce(Label.confidence, 1.0).desc(), Post.id.desc()),
    )
    ranked = (
        _filtered(
            session,
            where,
            (Label.category_id.label("category_id"), Post.id.label("post_id"), rank.label("rank")),
        )
        .join(Label, Label.post_id == Post.id)
        .where(Label.category_id.in_(list(names)), effective_label())
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.category_id, ranked.c.post_id).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
    ).all()
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_([r[1] for r in rows])))}
    found: dict[str, list[Post]] = {}
    for category_id, post_id in rows:
        if post_id in posts:
            found.setdefault(names[category_id], []).append(posts[post_id])
    return found


def save_spike(session: Session, **fields: Any) -> Spike:
    """Return the stored spike of this category, region and start, storing it (or growing it) first."""
    found = session.scalars(
        select(Spike).where(
            Spike.category == fields["category"],
            Spike.region == fields["region"],
            Spike.started_at == fields["started_at"],
        )
    ).one_or_none()
    if found is None:
        found = Spike(**fields)
        session.add(found)
    else:
        for name in ("ended_at", "observed", "expected", "score"):
            setattr(found, name, fields[name])
    session.flush()
    return found


def spike_overlapping(
    session: Session, category: str, region: str, since: datetime, until: datetime
) -> Spike | None:
    """Return the latest-starting spike of this category and region whose hours reach into
    [since, until] (started by `until`, ended at or after `since`), or None."""
    return session.scalars(
        select(Spike)
        .where(
            Spike.category == category,
            Spike.region == region,
            Spike.started_at <= until,
            Spike.ended_at >= since,
        )
        .order_by(Spike.started_at.desc(), Spike.id.desc())
        .limit(1)
    ).first()


def spikes_during(session: Session, since: datetime, until: datetime) -> Sequence[Spike]:
    """Return the spikes whose hours reach into [since, until], oldest first."""
    return session.scalars(
        select(Spike).where(Spike.started_at <= until, Spike.ended_at >= since).order_by(Spike.id)
    ).all()


def incident(session: Session, incident_id: int) -> Sequence[Spike]:
    """Return the spikes of one incident (a spike stored before incidents is one of its own), oldest first."""
    return session.scalars(
        select(Spike)
        .where((Spike.incident_id == incident_id) | ((Spike.id == incident_id) & Spike.incident_id.is_(None)))
        .order_by(Spike.id)
    ).all()


def spikes_of_incidents(session: Session, incident_ids: set[int]) -> Sequence[Spike]:
    """Return the spikes of these incidents."""
    if not incident_ids:
        return []
    return session.scalars(select(Spike).where(Spike.incident_id.in_(sorted(incident_ids)))).all()


def spikes_between(session: Session, since: datetime, until: datetime) -> Sequence[Spike]:
    """Return the spikes that started in [since, until), biggest first."""
    return session.scalars(
        select(Spike)
        .where(Spike.started_at >= since, Spike.started_at < until)
        .order_by(Spike.score.desc(), Spike.id)
    ).all()


def open_spikes(session: Session) -> Sequence[Spike]:
    """Return spikes not yet seen to subside."""
    return session.scalars(select(Spike).where(Spike.subsided_at.is_(None))).all()


def spike(session: Session, spike_id: int) -> Spike | None:
    """Return one spike."""
    return session.get(Spike, spike_id)


def escalations(session: Session, since: datetime, until: datetime) -> list[tuple[TriageItem, Post]]:
    """Return the items escalated before `until` that were still open at `since` or escalated since,
    with their posts, oldest escalation first."""
    stmt = (
        select(TriageItem, Post)
        .join(Post, Post.id == TriageItem.post_id)
        .where(
            TriageItem.escalated_at.is_not(None),
            TriageItem.escalated_at < until,
            or_(
                TriageItem.status == "escalated",
                TriageItem.escalated_at >= since,
                TriageItem.updated_at >= since,
            ),
        )
        .order_by(TriageItem.escalated_at, TriageItem.id)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def classifier_evaluation(session: Session) -> tuple[str, datetime, dict[str, Any]] | None:
    """Return the name, date and stored evaluation of the classifier in use, or None for the built-in one."""
    row = session.execute(
        select(ModelVersion.name, ModelVersion.created_at, ModelVersion.evaluation)
        .where(ModelVersion.kind == "classifier", ModelVersion.active.is_(True))
        .limit(1)
    ).first()
    return (row[0], row[1], dict(row[2] or {})) if row else None


def posts_by_id(session: Session, post_ids: Sequence[int]) -> dict[int, Post]:
    """Return these posts by id."""
    return {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))} if post_ids else {}


def topics_seen(session: Session, since: datetime, until: datetime) -> Sequence[Topic]:
    """Return the emerging topics seen in [since, until), largest first."""
    return session.scalars(
        select(Topic)
        .where(Topic.last_seen >= since, Topic.first_seen < until)
        .order_by(Topic.size.desc(), Topic.id)
    ).all()


def post_category_keys(session: Session, post_id: int) -> list[str]:
    """Return the category keys a post counts under (an analyst's labels replacing the model's)."""
    return list(
        session.scalars(
            select(Category.key)
            .join(Label, Label.category_id == Category.id)
            .where(Label.post_id == post_id, effective_label())
            .order_by(Label.confidence.desc(), Category.key)
        )
    )


def team_name(session: Session, team_id: int) -> str | None:
    """Return a team's name."""
    return session.scalar(select(Team.name).where(Team.id == team_id))


def escalated_for_spike(session: Session, spike_id: int) -> Sequence[int]:
    """Return the ids of posts escalated as raised by this spike."""
    return session.scalars(
        select(TriageItem.post_id).where(TriageItem.spike_id == spike_id).order_by(TriageItem.post_id)
    ).all()


def posted_span(session: Session) -> tuple[datetime, datetime] | None:
    """Return when the first and the last enriched original posts were posted, or None."""
    # Two ends of the shown posts' index (ix_posts_shown), each one row: SQLite answered a min and
    # a max together, under these conditions, by reading the whole table (0.4 s at 1M posts).
    shown = select(Post.posted_at).where(Post.text.is_not(None), Post.duplicate_of.is_(None)).limit(1)
    first = session.scalar(shown.order_by(Post.posted_at))
    if first is None:
        return None
    last = session.scalar(shown.order_by(Post.posted_at.desc()))
    return first, last if last is not None else first


def surest_post(session: Session, category: str, since: datetime, until: datetime) -> int | None:
    """Return the most urgent original post of `category` (any, for "") posted in [since, until), or None."""
    stmt = (
        select(Post.id)
        .where(
            Post.posted_at >= since,
            Post.posted_at < until,
            Post.duplicate_of.is_(None),
            Post.text.is_not(None),
        )
        .order_by(Post.urgency.desc(), Post.id)
        .limit(1)
    )
    if category:
        stmt = stmt.where(in_category(category))
    return session.scalar(stmt)


def first_posted(session: Session) -> datetime | None:
    """Return when the first enriched original post was posted, or None (one step down an index)."""
    return session.scalar(
        select(Post.posted_at)
        .where(Post.text.is_not(None), Post.duplicate_of.is_(None))
        .order_by(Post.posted_at)
        .limit(1)
    )


def sample_posts(session: Session, where: FeedFilter, limit: int) -> list[Any]:
    """Return up to `limit` original posts that `where` selects, as rows of (id, title, text,
    author_key, source_id, posted_at, repost_of), spread over its range: ordered by id modulo a
    prime rather than by time, so a cap does not keep only the first hour's posts."""
    columns = (
        Post.id,
        Post.title,
        Post.text,
        Post.author_key,
        Post.source_id,
        Post.posted_at,
        Post.repost_of,
    )
    stmt = (
        _filtered(session, where, columns, category_as_set=True).order_by(Post.id % 997, Post.id).limit(limit)
    )
    return list(session.execute(stmt))


# --- Rollups: the counts above, kept per UTC hour and day (migration 0021), for long ranges. ---

DAY = "%Y-%m-%d"
# Month rows of rollup_categories (hour NULL, day the month's first) under levels of their own, so
# a range of days never reads them: the sums of each month's day rows of level "top" and "sub".
MONTH = {"top": "mtp", "sub": "msb"}
ANALYZE_AFTER_DAYS = 28


def _hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hour_ceil(moment: datetime) -> datetime:
    floor = _hour_floor(moment)
    return floor if floor == moment.astimezone(UTC) else floor + timedelta(hours=1)


def _hour_of(session: Session) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        # Reads as SQLAlchemy stores a DateTime on SQLite, so it compares with bound datetimes.
        return func.strftime("%Y-%m-%d %H:00:00.000000", Post.posted_at)
    return func.date_trunc("hour", Post.posted_at, "UTC")


# What the rollup rows are counted by, besides the hour: a filter narrowed by these alone fits them.
ROLLED_UP = ("source", "region", "sentiment", "since", "until")


def _narrowed_only_by(where: FeedFilter, *fields: str) -> bool:
    """Tell whether `where` narrows by nothing but `fields` (every other field left at its default)."""
    return where == FeedFilter(**{name: getattr(where, name) for name in fields})


def rollup_fits(where: FeedFilter, grain: Grain) -> bool:
    """Tell whether the rollups can answer `where` in `grain`: a range narrowed at most by source,
    region and sentiment (what they are counted by), in UTC hours or days of whole-hour offsets."""
    if not _narrowed_only_by(where, *ROLLED_UP) or where.since is None or where.until is None:
        return False
    return all(minutes % 60 == 0 for _, minutes in grain.offsets)


def _days(since: datetime, until: datetime) -> list[str]:
    day = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = []
    while day < until:
        found.append(day.strftime(DAY))
        day += timedelta(days=1)
    return found


def stale_days(session: Session, since: datetime, until: datetime) -> list[str]:
    """Return the UTC days touching [since, until) whose rollup rows are missing or out of date."""
    wanted = _days(since, until)
    if not wanted:
        return []
    first, last = wanted[0], wanted[-1]
    fresh = set(session.scalars(select(RollupDay.day).where(RollupDay.day.between(first, last))))
    changed = set(session.scalars(select(RollupChange.day).where(RollupChange.day.between(first, last))))
    return [day for day in wanted if day not in fresh or day in changed]


def refresh_rollups(session: Session, days: Sequence[str]) -> None:
    """Count these UTC days' posts into the rollups again (in the caller's write transaction).

    The days' pending changes are deleted first: a change committed while the counting runs adds
    its day again, so the day is counted again next time rather than left wrong.
    """
    if not days:
        return
    if session.get_bind().dialect.name == "postgresql":
        # The counts group a day's hours in memory rather than sorting them on disk.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    for start in range(0, len(days), 200):
        chunk = list(days[start : start + 200])
        session.execute(delete(RollupChange).where(RollupChange.day.in_(chunk)))
        session.execute(delete(RollupVolume).where(RollupVolume.day.in_(chunk)))
        session.execute(delete(RollupVolumeDay).where(RollupVolumeDay.day.in_(chunk)))
        session.execute(delete(RollupCategory).where(RollupCategory.day.in_(chunk)))
        session.execute(delete(RollupDay).where(RollupDay.day.in_(chunk)))
    for since, until in _runs(days):
        _count_range(session, since, until)
    _count_months(session, sorted({day[:7] for day in days}))
    stamp = datetime.now(UTC)
    session.execute(insert(RollupDay), [{"day": day, "refreshed_at": stamp} for day in days])
    if len(days) >= ANALYZE_AFTER_DAYS and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, or the planner takes a year's rows for a few and sorts them on disk.
        session.execute(text("ANALYZE rollup_volume, rollup_categories"))


def _month_bounds(month: str) -> tuple[str, str]:
    """Return the first day of a month ("YYYY-MM") and of the month after, as rollup days."""
    year, number = int(month[:4]), int(month[5:7])
    after = f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"
    return f"{month}-01", f"{after}-01"


def _count_months(session: Session, months: Sequence[str]) -> None:
    """Sum the day rows of these months ("YYYY-MM") into their month rows again (a year's page
    then reads a dozen months' rows rather than 365 days' worth)."""
    r = RollupCategory
    for month in months:
        first, after = _month_bounds(month)
        session.execute(delete(r).where(r.level.in_(list(MONTH.values())), r.hour.is_(None), r.day == first))
        for level, code in MONTH.items():
            session.execute(
                insert(r).from_select(
                    ["day", "hour", "level", "category_id", "source_id", "sentiment", "posts"],
                    select(
                        literal(first),
                        null(),
                        literal(code),
                        r.category_id,
                        r.source_id,
                        r.sentiment,
                        func.sum(r.posts),
                    )
                    .where(r.level == level, r.hour.is_(None), r.day >= first, r.day < after)
                    .group_by(r.category_id, r.source_id, r.sentiment),
                )
            )


def fill_months(session: Session) -> int:
    """Count the month rows of every month that has day rows but none (rollups counted before
    month rows existed); return how many months were counted."""
    r = RollupCategory
    month = func.substr(r.day, 1, 7)
    counted = set(session.scalars(select(month).where(r.level == MONTH["top"], r.hour.is_(None)).distinct()))
    # Months with day rows: a counted month without posts has none of either, and is left alone.
    days = select(month).where(r.level == "top", r.hour.is_(None)).distinct()
    months = sorted(set(session.scalars(days)) - counted)
    _count_months(session, months)
    return len(months)


def _roomy(session: Session) -> None:
    """Let this transaction's sums group a year's rows in memory (PostgreSQL's 4 MB would spill)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def _runs(days: Sequence[str]) -> list[tuple[datetime, datetime]]:
    """Return runs of consecutive days as [since, until) instants (so each reads one index range)."""
    runs: list[tuple[datetime, datetime]] = []
    for day in sorted(days):
        start = datetime.strptime(day, DAY).replace(tzinfo=UTC)
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], start + timedelta(days=1))
        else:
            runs.append((start, start + timedelta(days=1)))
    return runs


def _day_of_hour(session: Session, hour: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(hour, 1, 10)
    return func.to_char(func.timezone("UTC", hour), "YYYY-MM-DD")


def _count_range(session: Session, since: datetime, until: datetime) -> None:
    # Grouped by hour first; the day is read off each group's hour, not off every post.
    hour = _hour_of(session).label("hour")
    shown = (
        Post.text.is_not(None),
        Post.duplicate_of.is_(None),
        Post.posted_at >= since,
        Post.posted_at < until,
    )
    counts = (
        select(hour, Post.source_id, Post.sentiment, func.count().label("posts"))
        .where(*shown)
        .group_by(hour, Post.source_id, Post.sentiment)
        .subquery()
    )
    session.execute(
        insert(RollupVolume).from_select(
            ["day", "hour", "source_id", "sentiment", "posts"],
            select(_day_of_hour(session, counts.c.hour), *counts.c),
        )
    )
    first, last = since.strftime(DAY), (until - timedelta(days=1)).strftime(DAY)
    v = RollupVolume
    session.execute(
        insert(RollupVolumeDay).from_select(
            ["day", "source_id", "sentiment", "posts"],
            select(v.day, v.source_id, v.sentiment, func.sum(v.posts))
            .where(v.day.between(first, last))
            .group_by(v.day, v.source_id, v.sentiment),
        )
    )
    labelled = (
        select(Post.id, hour, Post.source_id, Post.sentiment, Label.category_id, Category.parent_id)
        .join(Label, Label.post_id == Post.id)
        .join(Category, Category.id == Label.category_id)
        .where(*shown, effective_label())
    )
    sub = labelled.subquery()
    # A post in two subcategories of one category counts once under the category.
    top = (
        select(
            sub.c.id,
            sub.c.hour,
            sub.c.source_id,
            sub.c.sentiment,
            func.coalesce(sub.c.parent_id, sub.c.category_id).label("category_id"),
        )
        .distinct()
        .subquery()
    )
    for level, rows in (("sub", sub), ("top", top)):
        grouped = (
            select(
                rows.c.hour,
                rows.c.category_id,
                rows.c.source_id,
                rows.c.sentiment,
                func.count().label("posts"),
            )
            .group_by(rows.c.hour, rows.c.category_id, rows.c.source_id, rows.c.sentiment)
            .subquery()
        )
        session.execute(
            insert(RollupCategory).from_select(
                ["day", "hour", "level", "category_id", "source_id", "sentiment", "posts"],
                select(
                    _day_of_hour(session, grouped.c.hour),
                    grouped.c.hour,
                    literal(level),
                    grouped.c.category_id,
                    grouped.c.source_id,
                    grouped.c.sentiment,
                    grouped.c.posts,
                ),
            )
        )
    session.execute(
        insert(RollupCategory).from_select(
            ["day", "hour", "level", "category_id", "source_id", "sentiment", "posts"],
            select(
                RollupCategory.day,
                null(),
                RollupCategory.level,
                RollupCategory.category_id,
                RollupCategory.source_id,
                RollupCategory.sentiment,
                func.sum(RollupCategory.posts),
            )
            .where(RollupCategory.day.between(first, last), RollupCategory.hour.is_not(None))
            .group_by(
                RollupCategory.day,
                RollupCategory.level,
                RollupCategory.category_id,
                RollupCategory.source_id,
                RollupCategory.sentiment,
            ),
        )
    )


def rollup_span(where: FeedFilter) -> tuple[datetime, datetime] | None:
    """Return the whole UTC hours of `where`'s range that the rollups count, or None if there are none."""
    assert where.since is not None and where.until is not None
    first, last = _hour_ceil(where.since), _hour_floor(where.until)
    return (first, last) if first < last else None


def _source_ids(session: Session, where: FeedFilter) -> list[int] | None:
    if not (where.source or where.region):
        return None
    wanted = select(Source.id)
    if where.source:
        wanted = wanted.where(Source.name == where.source)
    if where.region:
        wanted = wanted.where(Source.region == where.region)
    return list(session.scalars(wanted)) or [-1]


def _narrowed(session: Session, stmt: Any, table: Any, where: FeedFilter) -> Any:
    ids = _source_ids(session, where)
    if ids is not None:
        stmt = stmt.where(table.source_id.in_(ids))
    if where.sentiment:
        stmt = stmt.where(table.sentiment == where.sentiment)
    return stmt


def _edges(where: FeedFilter, span: tuple[datetime, datetime]) -> list[FeedFilter]:
    """Return `where` narrowed to the parts of its range outside the rollups' whole hours."""
    assert where.since is not None and where.until is not None
    parts = []
    if where.since < span[0]:
        parts.append(replace(where, until=span[0]))
    if span[1] < where.until:
        parts.append(replace(where, since=span[1]))
    return parts


def _whole_days(span: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """Return the first and the end of the whole UTC days within a span of whole hours (the first
    not before the end when there are none)."""
    first_day = span[0] if span[0].hour == 0 else span[0].replace(hour=0) + timedelta(days=1)
    return first_day, span[1].replace(hour=0)


def rolled_volume(session: Session, where: FeedFilter, grain: Grain) -> list[CubeRow]:
    """Return what `volume` does, from the rollups for the whole hours of the range (fresh ones:
    see `stale_days`) and from the posts for the minutes either side."""
    span = rollup_span(where) if rollup_fits(where, grain) else None
    if span is None:
        return volume(session, where, grain)
    _roomy(session)
    utc_days = grain.unit == "day" and (
        all(minutes == 0 for _, minutes in grain.offsets) if grain.offsets else grain.zone == "UTC"
    )
    first_day, last_day = _whole_days(span)
    if utc_days and first_day < last_day:
        # Whole UTC days from the day rows; the hours either side from hour rows, by their day.
        parts: list[tuple[Any, Any, Any]] = [
            (
                RollupVolumeDay,
                RollupVolumeDay.day,
                and_(
                    RollupVolumeDay.day >= first_day.strftime(DAY),
                    RollupVolumeDay.day < last_day.strftime(DAY),
                ),
            ),
            (
                RollupVolume,
                RollupVolume.day,
                and_(RollupVolume.hour >= span[0], RollupVolume.hour < first_day),
            ),
            (
                RollupVolume,
                RollupVolume.day,
                and_(RollupVolume.hour >= last_day, RollupVolume.hour < span[1]),
            ),
        ]
    else:
        bucket = _bucket(session, grain, RollupVolume.hour)
        parts = [(RollupVolume, bucket, and_(RollupVolume.hour >= span[0], RollupVolume.hour < span[1]))]
    # One statement: each part a plain index range (SQLite scanned the table for their OR).
    pieces = union_all(
        *(
            _narrowed(
                session,
                select(
                    bucket.label("bucket"),
                    table.source_id.label("source_id"),
                    table.sentiment.label("sentiment"),
                    table.posts.label("posts"),
                ).where(when),
                table,
                where,
            )
            for table, bucket, when in parts
        )
    ).subquery()
    stmt = select(pieces.c.bucket, pieces.c.source_id, pieces.c.sentiment, func.sum(pieces.c.posts)).group_by(
        pieces.c.bucket, pieces.c.source_id, pieces.c.sentiment
    )
    rows = [CubeRow(b, s, t, "", int(n)) for b, s, t, n in session.execute(stmt)]
    for part in _edges(where, span):
        rows += volume(session, part, grain)
    return rows


def category_totals(session: Session, where: FeedFilter, grain: Grain, level: str) -> list[CubeRow]:
    """Return what `by_category` does summed over the range (bucket ""): per category, source and
    sentiment, from the rollups' days and hours within the range and the posts either side."""
    span = rollup_span(where) if rollup_fits(where, grain) else None
    if span is None:
        return _summed(by_category(session, where, grain, level))
    first_day, last_day = _whole_days(span)
    _roomy(session)
    r = RollupCategory
    # One query per part, each a plain index range (SQLite scanned the table for their OR): whole
    # months from month rows, whole days from day rows, the hours either side from hour rows.
    parts: list[tuple[str, Any]] = []
    if first_day < last_day:
        first_month = first_day if first_day.day == 1 else (first_day.replace(day=1) + timedelta(days=32))
        first_month = first_month.replace(day=1)
        last_month = last_day.replace(day=1)
        if first_month < last_month:
            parts.append(
                (MONTH[level], and_(r.day >= first_month.strftime(DAY), r.day < last_month.strftime(DAY)))
            )
            days = [(first_day, first_month), (last_month, last_day)]
        else:
            days = [(first_day, last_day)]
        parts += [
            (level, and_(r.hour.is_(None), r.day >= a.strftime(DAY), r.day < b.strftime(DAY)))
            for a, b in days
            if a < b
        ]
        parts += [
            (level, and_(r.hour >= span[0], r.hour < first_day)),
            (level, and_(r.hour >= last_day, r.hour < span[1])),
        ]
    else:
        parts = [(level, and_(r.hour >= span[0], r.hour < span[1]))]
    # One statement over the parts, each a plain index range (SQLite scanned the table for their OR).
    pieces = union_all(
        *(
            _narrowed(
                session,
                select(
                    r.category_id.label("category_id"),
                    r.source_id.label("source_id"),
                    r.sentiment.label("sentiment"),
                    r.posts.label("posts"),
                ).where(r.level == code, when),
                r,
                where,
            )
            for code, when in parts
        )
    ).subquery()
    stmt = (
        select(Category.key, pieces.c.source_id, pieces.c.sentiment, func.sum(pieces.c.posts))
        .join(Category, Category.id == pieces.c.category_id)
        .group_by(Category.key, pieces.c.source_id, pieces.c.sentiment)
    )
    rows = [CubeRow("", s, t, k, int(n)) for k, s, t, n in session.execute(stmt)]
    for part in _edges(where, span):
        rows += by_category(session, part, grain, level)
    return _summed(rows)


def countable_span(session: Session, where: FeedFilter) -> tuple[datetime, datetime] | None:
    """Return the range over which `rolled_count` can count `where`'s posts, or None where it cannot.

    It can for a filter by source, region, sentiment, top-level category and dates only, when the
    category's key names one category whose subcategories are the keys under it (the feed's filter
    goes by key, the rollups by parent). Not for a subcategory: its rollup rows count labels, and
    the feed counts posts. The range is `where`'s narrowed to the posts' own first and last
    moments, so an open or a far-flung range does not walk years of empty days.
    """
    if not _narrowed_only_by(where, *ROLLED_UP, "category"):
        return None
    if where.category and ("." in where.category or not _category_by_parent(session, where.category)):
        return None
    posted = posted_span(session)
    if posted is None:
        return None
    first, last = (as_utc(posted[0]) or posted[0]), (as_utc(posted[1]) or posted[1])
    since = max(where.since, first) if where.since else first
    until = (
        min(where.until, last + timedelta(microseconds=1))
        if where.until
        else last + timedelta(microseconds=1)
    )
    return (since, until) if since < until else None


def _category_by_parent(session: Session, key: str) -> bool:
    """Tell whether `key` names one category and the keys under it are exactly its subcategories."""
    found = session.scalars(select(Category.id).where(Category.key == key)).all()
    if len(found) != 1:
        return False
    under = select(func.count()).where(
        Category.key.startswith(key + ".", autoescape=True),
        or_(Category.parent_id.is_(None), Category.parent_id != found[0]),
    )
    return not session.scalar(under)


def rolled_count(session: Session, where: FeedFilter, span: tuple[datetime, datetime]) -> int:
    """Return how many posts match `where` within `span` (from `countable_span`), from the rollups
    and, for the minutes either side of their whole hours, from the posts."""
    ranged = FeedFilter(
        source=where.source, region=where.region, sentiment=where.sentiment, since=span[0], until=span[1]
    )
    day = Grain("day")
    if not where.category:
        return sum(row.posts for row in rolled_volume(session, ranged, day))
    rows = category_totals(session, ranged, day, "top")
    return sum(row.posts for row in rows if row.category == where.category)


def _summed(rows: list[CubeRow]) -> list[CubeRow]:
    totals: dict[tuple[int, str | None, str], int] = {}
    for row in rows:
        key = (row.source_id, row.sentiment, row.category)
        totals[key] = totals.get(key, 0) + row.posts
    return [CubeRow("", s, t, k, n) for (s, t, k), n in totals.items()]
