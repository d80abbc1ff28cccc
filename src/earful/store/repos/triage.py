"""Triage items, their timelines, and teams."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from earful.store.models import (
    Category,
    Label,
    Post,
    Spike,
    TaxonomyVersion,
    Team,
    TriageEvent,
    TriageItem,
    User,
)
from earful.store.repos.bulk import bulk_insert_ignoring

NO_SYNC = {"synchronize_session": False}


def item(session: Session, post_id: int) -> TriageItem | None:
    """Return the post's triage item, or None when nobody has touched it."""
    return session.scalars(select(TriageItem).where(TriageItem.post_id == post_id)).one_or_none()


def ensure_items(session: Session, post_ids: Sequence[int], now: datetime) -> None:
    """Create a 'new' item for each of these posts that has none (safe against a concurrent creator)."""
    if post_ids:
        rows = [
            {"post_id": pid, "status": "new", "flagged": False, "created_at": now, "updated_at": now}
            for pid in post_ids
        ]
        bulk_insert_ignoring(session, TriageItem, rows, ["post_id"])


def items_for(session: Session, post_ids: Sequence[int]) -> dict[int, TriageItem]:
    """Return the triage items of these posts, by post id."""
    rows = session.scalars(select(TriageItem).where(TriageItem.post_id.in_(post_ids)))
    return {row.post_id: row for row in rows}


def update_item(session: Session, post_id: int, now: datetime, **fields: Any) -> None:
    """Change fields of a post's item."""
    session.execute(
        update(TriageItem).where(TriageItem.post_id == post_id).values(updated_at=now, **fields),
        execution_options=NO_SYNC,
    )


def _free(stale_before: datetime, user_id: int) -> Any:
    """Nobody else has the item open: no lock, the user's own, or one that has lapsed."""
    return or_(
        TriageItem.locked_by.is_(None), TriageItem.locked_by == user_id, TriageItem.locked_at < stale_before
    )


def unassigned_candidates(
    session: Session,
    limit: int,
    user_id: int,
    stale_before: datetime,
    skip: Sequence[int] = (),
    within: Select[Any] | None = None,
) -> Sequence[int]:
    """Return up to `limit` ids of enriched original posts that are new, unassigned and not open in
    anyone's hands, most urgent first; only those among the ids `within` selects, when given."""
    stmt = (
        select(Post.id)
        .outerjoin(TriageItem, TriageItem.post_id == Post.id)
        .where(
            Post.duplicate_of.is_(None),
            Post.text.is_not(None),
            or_(
                TriageItem.id.is_(None),
                and_(
                    TriageItem.status == "new", TriageItem.assignee_id.is_(None), _free(stale_before, user_id)
                ),
            ),
        )
        .order_by(Post.urgency.desc(), Post.posted_at.desc(), Post.id.desc())
        .limit(limit)
    )
    if skip:
        stmt = stmt.where(Post.id.not_in(skip))
    if within is not None:
        stmt = stmt.where(Post.id.in_(within))
    return session.scalars(stmt).all()


def claim(
    session: Session, post_ids: Sequence[int], user_id: int, now: datetime, limit: int, stale_before: datetime
) -> list[int]:
    """Assign still-unassigned new items to `user_id`, up to `limit`; return the posts this call won.

    Each claim is a conditional UPDATE, so when two analysts take a batch at once every item goes
    to exactly one of them.
    """
    won: list[int] = []
    for pid in post_ids:
        if len(won) >= limit:
            break
        result = session.execute(
            update(TriageItem)
            .where(
                TriageItem.post_id == pid,
                TriageItem.assignee_id.is_(None),
                TriageItem.status == "new",
                _free(stale_before, user_id),
            )
            .values(assignee_id=user_id, status="investigating", updated_at=now),
            execution_options=NO_SYNC,
        )
        if getattr(result, "rowcount", 0) == 1:
            won.append(pid)
    return won


def take_lock(session: Session, post_id: int, user_id: int, now: datetime, stale_before: datetime) -> int:
    """Lock the item for `user_id` unless someone else holds a fresh lock; return the holder's id."""
    session.execute(
        update(TriageItem)
        .where(
            TriageItem.post_id == post_id,
            or_(
                TriageItem.locked_by.is_(None),
                TriageItem.locked_by == user_id,
                TriageItem.locked_at < stale_before,
            ),
        )
        .values(locked_by=user_id, locked_at=now),
        execution_options=NO_SYNC,
    )
    holder = session.scalar(select(TriageItem.locked_by).where(TriageItem.post_id == post_id))
    return int(holder) if holder is not None else user_id


def lock_of(session: Session, post_id: int) -> tuple[int | None, datetime | None]:
    """Return who holds the item's lock and since when, as stored now (lapsed or not)."""
    row = session.execute(
        select(TriageItem.locked_by, TriageItem.locked_at).where(TriageItem.post_id == post_id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def release_lock(session: Session, post_id: int, user_id: int) -> None:
    """Release the user's lock on the item, if they hold it."""
    session.execute(
        update(TriageItem)
        .where(TriageItem.post_id == post_id, TriageItem.locked_by == user_id)
        .values(locked_by=None, locked_at=None),
        execution_options=NO_SYNC,
    )


def take_over_lock(
    session: Session, post_id: int, user_id: int, from_id: int, now: datetime, stale_before: datetime
) -> bool:
    """Move a fresh lock held by `from_id` to `user_id`; return False when it was no longer theirs."""
    result = session.execute(
        update(TriageItem)
        .where(
            TriageItem.post_id == post_id,
            TriageItem.locked_by == from_id,
            TriageItem.locked_at >= stale_before,
        )
        .values(locked_by=user_id, locked_at=now),
        execution_options=NO_SYNC,
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def add_event(
    session: Session,
    post_id: int,
    actor_id: int | None,
    actor: str,
    action: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    """Append a step to the post's timeline."""
    session.add(
        TriageEvent(post_id=post_id, actor_id=actor_id, actor=actor, action=action, detail=detail, at=now)
    )


def timeline(session: Session, post_id: int) -> Sequence[TriageEvent]:
    """Return the post's timeline, oldest first."""
    return session.scalars(
        select(TriageEvent).where(TriageEvent.post_id == post_id).order_by(TriageEvent.id)
    ).all()


def teams(session: Session) -> Sequence[Team]:
    """Return every team, by name."""
    return session.scalars(select(Team).order_by(Team.name)).all()


def team(session: Session, team_id: int) -> Team | None:
    """Return the team with this id, or None."""
    return session.get(Team, team_id)


def team_by_name(session: Session, name: str) -> Team | None:
    """Return the team with this name, or None."""
    return session.scalars(select(Team).where(Team.name == name)).one_or_none()


def add_team(session: Session, name: str, contact: str | None, owns: list[str]) -> Team:
    """Create a team."""
    row = Team(name=name, contact=contact, owns=owns)
    session.add(row)
    session.flush()
    return row


def set_team(session: Session, team_id: int, **fields: Any) -> None:
    """Change a team's name, contact or owned categories."""
    session.execute(update(Team).where(Team.id == team_id).values(**fields), execution_options=NO_SYNC)


def open_counts(session: Session) -> dict[int, int]:
    """Return how many escalated items wait in each team's queue."""
    rows = session.execute(
        select(TriageItem.team_id, func.count())
        .where(TriageItem.team_id.is_not(None), TriageItem.status == "escalated")
        .group_by(TriageItem.team_id)
    )
    return {int(team): int(n) for team, n in rows if team is not None}


def overdue(now: datetime) -> ColumnElement[bool]:
    """An escalation still open past its next deadline: not acknowledged by its acknowledge-by time,
    or not closed by its resolve-by time (what the queues mark "overdue")."""
    return and_(
        TriageItem.resolved_at.is_(None),
        or_(
            and_(TriageItem.acknowledged_at.is_(None), TriageItem.ack_due_at < now),
            TriageItem.resolve_due_at < now,
        ),
    )


def overdue_counts(session: Session, now: datetime) -> dict[int, int]:
    """Return how many escalated items in each team's queue are past a deadline at `now`."""
    rows = session.execute(
        select(TriageItem.team_id, func.count())
        .where(TriageItem.team_id.is_not(None), TriageItem.status == "escalated", overdue(now))
        .group_by(TriageItem.team_id)
    )
    return {int(team): int(n) for team, n in rows if team is not None}


def members(session: Session) -> dict[int, list[User]]:
    """Return active users by team id."""
    found: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User).where(User.team_id.is_not(None), User.active.is_(True)).order_by(User.username)
    ):
        found.setdefault(int(user.team_id or 0), []).append(user)
    return found


def post_labels(session: Session, post_id: int) -> list[tuple[str, float | None]]:
    """Return the post's current labels as (key, confidence), surest first (an analyst's replace the
    model's)."""
    rows = session.execute(
        select(Label.by, Category.key, Label.confidence)
        .join(Category, Category.id == Label.category_id)
        .where(Label.post_id == post_id)
        .order_by(Label.by, Label.confidence.desc(), Label.id)
    ).all()
    if any(by == "analyst" for by, _, _ in rows):
        return [(key, confidence) for by, key, confidence in rows if by == "analyst"]
    return [(key, confidence) for _, key, confidence in rows]


def post_category_keys(session: Session, post_id: int) -> list[str]:
    """Return the keys of the post's current labels, surest first (an analyst's replace the model's)."""
    return [key for key, _ in post_labels(session, post_id)]


def category_order(session: Session) -> dict[str, int]:
    """Return {category key: its place} in the newest taxonomy, in the order it was written."""
    newest = select(func.max(TaxonomyVersion.id)).scalar_subquery()
    keys = session.scalars(
        select(Category.key).where(Category.taxonomy_version_id == newest).order_by(Category.id)
    )
    return {key: place for place, key in enumerate(keys)}


def user(session: Session, user_id: int) -> User | None:
    """Return the user with this id, or None."""
    return session.get(User, user_id)


def user_names(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """Return usernames by id."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {int(uid): str(name) for uid, name in rows}


def category_slas(session: Session) -> dict[str, dict[str, float]]:
    """Return {category key: its SLA hours} for the categories of the newest taxonomy that set one."""
    newest = select(func.max(TaxonomyVersion.id)).scalar_subquery()
    rows = session.execute(
        select(Category.key, Category.sla).where(
            Category.taxonomy_version_id == newest, Category.sla.is_not(None)
        )
    )
    return {key: dict(sla) for key, sla in rows if sla}


def escalated_open(session: Session) -> Sequence[TriageItem]:
    """Return the escalations not yet closed (still escalated, or being investigated), oldest first."""
    return session.scalars(
        select(TriageItem)
        .where(
            TriageItem.escalated_at.is_not(None),
            TriageItem.resolved_at.is_(None),
            TriageItem.status.not_in(("resolved", "dismissed")),
        )
        .order_by(TriageItem.escalated_at, TriageItem.id)
    ).all()


def claim_stamp(session: Session, post_id: int, field: str, before: datetime | None, now: datetime) -> bool:
    """Set the item's `field` to `now` if it still holds `before`; return True when this call set it."""
    column = getattr(TriageItem, field)
    same = column.is_(None) if before is None else column == before
    result = session.execute(
        update(TriageItem).where(TriageItem.post_id == post_id, same).values({field: now}),
        execution_options=NO_SYNC,
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def spike_exists(session: Session, spike_id: int) -> bool:
    """Return True when there is a spike with this id."""
    return session.get(Spike, spike_id) is not None
