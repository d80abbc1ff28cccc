"""Aggregates over posts for trends, spikes and reports: counts per hour, source, sentiment, category.

Queries return small "cubes" (one row per hour or day, source, sentiment and category) that the
insights domain rolls up in Python, so one pass over the posts serves every chart of a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from earful.store.models import Category, Label, ModelVersion, Post, Spike, Team, Topic, TriageItem
from earful.store.repos.feed import FeedFilter, _filtered, effective_label, in_category

NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True, slots=True)
class CubeRow:
    """Posts counted in one time bucket (UTC, "YYYY-MM-DD HH" or "YYYY-MM-DD"), source, sentiment
    and category key ("" when the count is over every category)."""

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


def _bucket(session: Session, grain: Grain) -> Any:
    """Return the SQL expression of a post's UTC hour or local day, as text that sorts in time order."""
    if session.get_bind().dialect.name == "sqlite":
        if grain.unit == "hour":
            return func.strftime("%Y-%m-%d %H", Post.posted_at)
        if len(grain.offsets) <= 1:
            minutes = grain.offsets[0][1] if grain.offsets else 0
            return func.strftime("%Y-%m-%d", Post.posted_at, f"{minutes:+d} minutes")
        until_change = [
            (Post.posted_at < start, f"{minutes:+d} minutes")
            for (_, minutes), (start, _) in zip(grain.offsets, grain.offsets[1:], strict=False)
        ]
        shift = case(*until_change, else_=f"{grain.offsets[-1][1]:+d} minutes")
        return func.strftime("%Y-%m-%d", Post.posted_at, shift)
    if grain.unit == "hour":
        return func.to_char(func.timezone("UTC", Post.posted_at), "YYYY-MM-DD HH24")
    return func.to_char(func.timezone(grain.zone, Post.posted_at), "YYYY-MM-DD")


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
    row = session.execute(
        select(func.min(Post.posted_at), func.max(Post.posted_at)).where(
            Post.text.is_not(None), Post.duplicate_of.is_(None)
        )
    ).one()
    return (row[0], row[1]) if row[0] is not None else None


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
