"""Delete posts and everything derived from them, in one place that knows every table.

Foreign keys with ON DELETE CASCADE remove raw items, enrichments, labels, sentiment labels,
near-duplicate bands, triage items and timeline events with the post; SQLite's FTS5 triggers (and
PostgreSQL's expression index) drop its search entries in the same statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from earful.store.models import Label, ModelVersion, Post, Quarantined, SentimentLabel, Source
from earful.store.repos import alerts as alerts_repo
from earful.store.repos import topics as topics_repo
from earful.store.repos.reports import withdraw_citing


def author_posts(session: Session, source_id: int, author_key: str) -> Sequence[int]:
    """Return the ids of one author's posts in one source."""
    return session.scalars(
        select(Post.id).where(Post.source_id == source_id, Post.author_key == author_key)
    ).all()


def expired_posts(session: Session, source_id: int, before: datetime, limit: int) -> Sequence[int]:
    """Return up to `limit` ids of the source's posts posted before `before`."""
    return session.scalars(
        select(Post.id).where(Post.source_id == source_id, Post.posted_at < before).limit(limit)
    ).all()


def taught_models(session: Session, post_ids: Sequence[int]) -> bool:
    """Return True when an analyst labelled any of these posts (so trained models learned from them)."""
    if not post_ids:
        return False
    categories = session.scalar(select(exists().where(Label.post_id.in_(post_ids), Label.by == "analyst")))
    tones = session.scalar(select(exists().where(SentimentLabel.post_id.in_(post_ids))))
    return bool(categories or tones)


def delete_posts(session: Session, post_ids: Sequence[int]) -> int:
    """Delete these posts and, by cascade, everything derived from them; return how many went."""
    # Alerts and emerging topics list post ids (never text): the erased ones are taken off the lists.
    alerts_repo.forget_posts(session, post_ids)
    topics_repo.forget_posts(session, post_ids)
    gone = 0
    for i in range(0, len(post_ids), 1000):
        chunk = post_ids[i : i + 1000]
        # Copies of an erased post stay (they are other people's words) but lose the link.
        session.execute(
            update(Post).where(Post.duplicate_of.in_(chunk)).values(duplicate_of=None),
            execution_options={"synchronize_session": False},
        )
        # Enrichment failures set aside with the post's sealed text are derived from it too.
        session.execute(
            delete(Quarantined).where(Quarantined.origin.in_([f"enrich:post:{pid}" for pid in chunk])),
            execution_options={"synchronize_session": False},
        )
        # Archived reports quote example posts: a report quoting an erased one loses its files.
        withdraw_citing(session, chunk, "It quoted a post that has since been erased; make it again.")
        result = session.execute(
            delete(Post).where(Post.id.in_(chunk)), execution_options={"synchronize_session": False}
        )
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone


def drop_model_weights(session: Session) -> int:
    """Remove every stored model's weights (their evaluations stay); return how many had weights."""
    result = session.execute(
        update(ModelVersion).where(ModelVersion.artifact != b"").values(artifact=b"", active=False),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sources_with_retention(session: Session) -> Sequence[Source]:
    """Return the sources that set a retention period."""
    return session.scalars(select(Source).where(Source.retention_days.is_not(None))).all()
