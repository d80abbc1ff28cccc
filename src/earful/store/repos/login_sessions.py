"""Browser sessions, stored by the hash of the token their cookie carries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from earful.store.models import LoginSession, User


def add(session: Session, token_hash: str, user_id: int, now: datetime) -> None:
    """Store a new session for the user."""
    session.add(LoginSession(id=token_hash, user_id=user_id, created_at=now, last_seen_at=now))


def with_user(session: Session, token_hash: str) -> tuple[LoginSession, User] | None:
    """Return the session with this token hash and its user, in one primary-key lookup, or None."""
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == token_hash)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def touch(session: Session, token_hash: str, now: datetime) -> None:
    """Record that the session was used now."""
    session.execute(update(LoginSession).where(LoginSession.id == token_hash).values(last_seen_at=now))


def end(session: Session, token_hash: str) -> None:
    """End one session."""
    session.execute(delete(LoginSession).where(LoginSession.id == token_hash))


def end_for_user(session: Session, user_id: int) -> int:
    """End every session of the user; return how many there were."""
    result = session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def end_stale(session: Session, user_id: int, created_before: datetime, seen_before: datetime) -> None:
    """Delete the user's sessions that are past their age or idle limit (their rows only take room)."""
    session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user_id,
            (LoginSession.created_at < created_before) | (LoginSession.last_seen_at < seen_before),
        )
    )
