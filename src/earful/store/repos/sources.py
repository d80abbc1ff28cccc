"""Sources: where posts come from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from earful.store.models import Post, Source, WebhookDelivery


def get_by_name(session: Session, name: str) -> Source | None:
    """Return the source called `name`, or None."""
    return session.scalars(select(Source).where(Source.name == name)).one_or_none()


def get(session: Session, source_id: int) -> Source | None:
    """Return the source with id `source_id`, or None."""
    return session.get(Source, source_id)


def add(session: Session, **fields: Any) -> Source:
    """Create a source and return it with its id."""
    source = Source(**fields)
    session.add(source)
    session.flush()
    return source


def all_sources(session: Session) -> Sequence[Source]:
    """Return every source, by name."""
    return session.scalars(select(Source).order_by(Source.name)).all()


def set_fields(session: Session, source_id: int, **fields: Any) -> None:
    """Change a source's settings (retention, enabled, consent basis...)."""
    session.execute(update(Source).where(Source.id == source_id).values(**fields))


def due_for_poll(session: Session, now: datetime, kinds: Sequence[str]) -> Sequence[Source]:
    """Return enabled sources of these kinds whose next poll time has come (or was never set)."""
    return session.scalars(
        select(Source)
        .where(
            Source.enabled.is_(True),
            Source.kind.in_(kinds),
            or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now),
        )
        .order_by(Source.id)
        # PostgreSQL: a source another worker's scheduler is claiming is left to it.
        .with_for_update(skip_locked=True)
    ).all()


def activity(session: Session, since: datetime) -> dict[int, tuple[int, datetime | None]]:
    """Return, per source, how many posts were captured since `since` and when the last one was."""
    found: dict[int, tuple[int, datetime | None]] = {}
    for source_id, last in session.execute(
        select(Post.source_id, func.max(Post.captured_at)).group_by(Post.source_id)
    ):
        found[int(source_id)] = (0, last)
    recent = session.execute(
        select(Post.source_id, func.count()).where(Post.captured_at >= since).group_by(Post.source_id)
    )
    for source_id, n in recent:
        found[int(source_id)] = (int(n), found.get(int(source_id), (0, None))[1])
    return found


def record_delivery(session: Session, signature: str, now: datetime, forget_before: datetime) -> bool:
    """Remember a webhook delivery's signature; return False when it was seen already (a replay)."""
    session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.received_at < forget_before),
        execution_options={"synchronize_session": False},
    )
    if session.get(WebhookDelivery, signature) is not None:
        return False
    session.add(WebhookDelivery(signature=signature, received_at=now))
    session.flush()
    return True
