"""Alert rules, the alerts they raised, and what alerts are about: spikes, urgent posts, stories, silences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from earful.store.models import Alert, AlertRule, Post, Source, Spike
from earful.store.repos.bulk import bulk_insert_ignoring
from earful.store.repos.feed import in_category
from earful.store.repos.labels import names_for


def rules(session: Session, enabled_only: bool = False) -> Sequence[AlertRule]:
    """Return the alert rules by name."""
    stmt = select(AlertRule).order_by(AlertRule.name)
    if enabled_only:
        stmt = stmt.where(AlertRule.enabled.is_(True))
    return session.scalars(stmt).all()


def rule(session: Session, rule_id: int) -> AlertRule | None:
    """Return one rule."""
    return session.get(AlertRule, rule_id)


def rule_by_name(session: Session, name: str) -> AlertRule | None:
    """Return the rule called `name`."""
    return session.scalars(select(AlertRule).where(AlertRule.name == name)).one_or_none()


def save_rule(session: Session, rule_id: int | None, **fields: Any) -> AlertRule:
    """Create a rule, or change one; return it."""
    found = session.get(AlertRule, rule_id) if rule_id else None
    if found is None:
        found = AlertRule(**fields)
        session.add(found)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
    session.flush()
    return found


def delete_rule(session: Session, rule_id: int) -> None:
    """Delete a rule and its alerts."""
    session.execute(
        delete(Alert).where(Alert.rule_id == rule_id), execution_options={"synchronize_session": False}
    )
    session.execute(
        delete(AlertRule).where(AlertRule.id == rule_id), execution_options={"synchronize_session": False}
    )


def add_alerts(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert alerts, skipping any whose rule already raised one about the same subject; return how many."""
    if not rows:
        return 0
    return len(bulk_insert_ignoring(session, Alert, rows, ["rule_id", "subject"], returning=["id"]))


def known_subjects(session: Session, rule_id: int, subjects: Sequence[str]) -> set[str]:
    """Return which of these subjects the rule has already alerted on."""
    if not subjects:
        return set()
    return set(
        session.scalars(select(Alert.subject).where(Alert.rule_id == rule_id, Alert.subject.in_(subjects)))
    )


def recent_keys(session: Session, rule_id: int, since: datetime) -> set[str]:
    """Return the keys the rule raised a delivered (or about to be) alert for since `since`."""
    return set(
        session.scalars(
            select(Alert.key).where(
                Alert.rule_id == rule_id,
                Alert.created_at >= since,
                Alert.status.in_(("pending", "held", "sending", "sent")),
            )
        )
    )


# "sending": claimed by a worker; if it died mid-send, the claim lapses at deliver_after.
WAITING = ("pending", "held", "sending")


def due(session: Session, now: datetime, limit: int = 100) -> Sequence[Alert]:
    """Return alerts waiting to be delivered whose time has come, oldest first."""
    return session.scalars(
        select(Alert)
        .where(Alert.status.in_(WAITING), Alert.deliver_after <= now)
        .order_by(Alert.id)
        .limit(limit)
    ).all()


def claim(session: Session, alert_id: int, now: datetime, until: datetime) -> bool:
    """Take the alert for sending until `until`, unless another worker has it; return True if taken."""
    result = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status.in_(WAITING), Alert.deliver_after <= now)
        .values(status="sending", deliver_after=until),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def recent(session: Session, limit: int = 50, before_id: int | None = None) -> Sequence[Alert]:
    """Return the newest alerts."""
    stmt = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Alert.id < before_id)
    return session.scalars(stmt).all()


def folded_since(session: Session, rule_id: int, key: str, since: datetime) -> int:
    """Return how many alerts of this rule and key were folded since `since`."""
    return int(
        session.scalar(
            select(func.count()).where(
                Alert.rule_id == rule_id,
                Alert.key == key,
                Alert.status == "folded",
                Alert.created_at >= since,
            )
        )
        or 0
    )


def fresh_spikes(session: Session, since: datetime) -> Sequence[Spike]:
    """Return spikes still going that were first stored since `since`."""
    return session.scalars(
        select(Spike).where(Spike.created_at >= since, Spike.subsided_at.is_(None)).order_by(Spike.id)
    ).all()


def incident_alerts(session: Session, rule_id: int, since: datetime) -> Sequence[Alert]:
    """Return the rule's alerts about spike incidents ("spike:ID") raised since `since` that went
    out or are about to (not folded, not failed), oldest first."""
    return session.scalars(
        select(Alert)
        .where(
            Alert.rule_id == rule_id,
            Alert.created_at >= since,
            Alert.subject.like("spike:%"),
            Alert.subject.not_like("%:subsided"),
            Alert.status.in_(("pending", "held", "sending", "sent")),
        )
        .order_by(Alert.id)
    ).all()


def urgent_posts(
    session: Session, threshold: float, captured_since: datetime, category: str | None, limit: int = 200
) -> Sequence[Post]:
    """Return original posts captured since `captured_since` whose urgency is at least `threshold`."""
    stmt = (
        select(Post)
        .where(
            Post.urgency >= threshold,
            Post.captured_at >= captured_since,
            Post.duplicate_of.is_(None),
            Post.text.is_not(None),
        )
        .order_by(Post.urgency.desc(), Post.id)
        .limit(limit)
    )
    if category:
        stmt = stmt.where(in_category(category))
    return session.scalars(stmt).all()


def new_stories(session: Session, captured_since: datetime, min_articles: int) -> list[tuple[Post, int]]:
    """Return stories whose first article arrived since `captured_since` and that have at least
    `min_articles` articles, with their article counts."""
    firsts = session.scalars(
        select(Post).where(Post.story_id == Post.id, Post.captured_at >= captured_since).order_by(Post.id)
    ).all()
    if not firsts:
        return []
    counts = dict(
        session.execute(
            select(Post.story_id, func.count())
            .where(Post.story_id.in_([p.id for p in firsts]))
            .group_by(Post.story_id)
        ).all()
    )
    return [(p, int(counts.get(p.id, 1))) for p in firsts if counts.get(p.id, 1) >= min_articles]


def silent_sources(session: Session) -> Sequence[Source]:
    """Return the sources whose silence is being alerted now."""
    return session.scalars(
        select(Source).where(Source.silence_alerted_at.is_not(None)).order_by(Source.name)
    ).all()


def posts_in(
    session: Session, category: str, region: str, since: datetime, until: datetime, limit: int
) -> list[int]:
    """Return up to `limit` ids of original posts of `category` (every post for "") in `region` (every
    region for "") posted in [since, until)."""
    stmt = (
        select(Post.id)
        .where(
            Post.posted_at >= since,
            Post.posted_at < until,
            Post.duplicate_of.is_(None),
            Post.text.is_not(None),
        )
        .order_by(Post.id)
        .limit(limit)
    )
    if category:
        stmt = stmt.where(in_category(category))
    if region:
        stmt = stmt.where(Post.source_id.in_(select(Source.id).where(Source.region == region)))
    return list(session.scalars(stmt))


def forget_posts(session: Session, post_ids: Sequence[int]) -> int:
    """Remove these posts from every alert's list of posts; return how many alerts changed."""
    doomed = set(post_ids)
    changed = 0
    for alert_id, listed in session.execute(select(Alert.id, Alert.post_ids)):
        if listed and doomed.intersection(listed):
            session.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .values(post_ids=[i for i in listed if i not in doomed]),
                execution_options={"synchronize_session": False},
            )
            changed += 1
    return changed


def where_and_what(session: Session, post_ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
    """Return each post's surest category key (the labels it shows) and its source's region."""
    if not post_ids:
        return {}
    labels = names_for(session, post_ids)
    rows = session.execute(
        select(Post.id, Source.region).join(Source, Source.id == Post.source_id).where(Post.id.in_(post_ids))
    )
    regions = {pid: region for pid, region in rows}
    return {pid: (labels[pid][0][0] if labels.get(pid) else None, regions.get(pid)) for pid in post_ids}


def regions(session: Session) -> list[str]:
    """Return the regions sources are in, by name."""
    found = session.scalars(select(Source.region).where(Source.region.is_not(None)).distinct())
    return sorted(r for r in found if r)
