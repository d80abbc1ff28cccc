"""Emerging topics: the posts no category fits well, and the topics found among them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from earful.store.models import Category, Label, Post, Topic
from earful.store.repos.feed import effective_label

CATCH_ALL = "other"  # the default taxonomy's category for what fits nowhere


def unfitted(
    session: Session, since: datetime, until: datetime, confidence: float, limit: int
) -> list[tuple[int, str, str | None]]:
    """Return up to `limit` recent original posts that no category fits with at least `confidence`
    (an analyst's label always fits), newest first, as (id, text, the parent of their surest weak
    label or None)."""
    parent = aliased(Category)
    # Correlated (NOT EXISTS), so both engines check each recent post's own labels through the
    # label index instead of building the set of every post that fits.
    fitted = (
        select(Label.id)
        .join(Category, Category.id == Label.category_id)
        .where(
            Label.post_id == Post.id,
            effective_label(),
            Category.key != CATCH_ALL,
            or_(Label.by == "analyst", Label.confidence >= confidence),
        )
        .exists()
    )
    rows = session.execute(
        select(Post.id, Post.title, Post.text)
        .where(
            Post.posted_at >= since,
            Post.posted_at < until,
            Post.duplicate_of.is_(None),
            Post.text.is_not(None),
            ~fitted,
        )
        .order_by(Post.posted_at.desc(), Post.id.desc())
        .limit(limit)
    ).all()
    ids = [r[0] for r in rows]
    guesses: dict[int, Counter[str]] = defaultdict(Counter)
    for i in range(0, len(ids), 1000):
        for post_id, key in session.execute(
            select(Label.post_id, parent.key)
            .join(Category, Category.id == Label.category_id)
            .join(parent, parent.id == Category.parent_id)
            .where(Label.post_id.in_(ids[i : i + 1000]))
        ):
            guesses[post_id][key] += 1
    return [
        (
            pid,
            f"{title}. {text}" if title else text or "",
            guesses[pid].most_common(1)[0][0] if guesses[pid] else None,
        )
        for pid, title, text in rows
    ]


def all_topics(session: Session) -> Sequence[Topic]:
    """Return every topic, newest seen first."""
    return session.scalars(select(Topic).order_by(Topic.last_seen.desc(), Topic.id.desc())).all()


def topic(session: Session, topic_id: int) -> Topic | None:
    """Return one topic."""
    return session.get(Topic, topic_id)


def add(session: Session, **fields: Any) -> Topic:
    """Store a new topic and return it."""
    found = Topic(**fields)
    session.add(found)
    session.flush()
    return found


def texts(session: Session, post_ids: Sequence[int]) -> dict[int, str]:
    """Return the (redacted) texts of these posts."""
    if not post_ids:
        return {}
    return {
        pid: text or ""
        for pid, text in session.execute(select(Post.id, Post.text).where(Post.id.in_(post_ids)))
    }


def forget_posts(session: Session, post_ids: Sequence[int]) -> int:
    """Remove these posts from every topic's members and examples; return how many topics changed."""
    doomed = set(post_ids)
    changed = 0
    for found in session.scalars(select(Topic)):
        members = [i for i in found.members or [] if i not in doomed]
        examples = [i for i in found.examples or [] if i not in doomed]
        if len(members) != len(found.members or []) or len(examples) != len(found.examples or []):
            found.members, found.examples = members, examples
            changed += 1
    return changed
