"""Users and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from earful.store.models import ApiToken, Team, User


def get_by_username(session: Session, username: str) -> User | None:
    """Return the user with this username, or None."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get_by_sso_subject(session: Session, subject: str) -> User | None:
    """Return the user bound to this single sign-on subject, or None."""
    return session.scalars(select(User).where(User.sso_subject == subject)).one_or_none()


def get(session: Session, user_id: int) -> User | None:
    """Return the user with this id, or None."""
    return session.get(User, user_id)


def add(session: Session, username: str, password_hash: str, role: str, display_name: str | None) -> User:
    """Create a user."""
    user = User(username=username, password_hash=password_hash, role=role, display_name=display_name)
    session.add(user)
    session.flush()
    return user


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def touch_login(session: Session, user_id: int, now: datetime) -> None:
    """Record a successful login."""
    session.execute(update(User).where(User.id == user_id).values(last_login_at=now))


def add_token(session: Session, user_id: int, name: str, token_hash: str) -> ApiToken:
    """Store a new API token's hash."""
    token = ApiToken(user_id=user_id, name=name, token_hash=token_hash)
    session.add(token)
    session.flush()
    return token


def user_for_token(session: Session, token_hash: str) -> User | None:
    """Return the active user owning the token with this hash, or None."""
    return session.scalars(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, User.active.is_(True))
    ).one_or_none()


def all_users(session: Session) -> Sequence[User]:
    """Return every user, by username."""
    return session.scalars(select(User).order_by(User.username)).all()


def set_fields(session: Session, user_id: int, **fields: Any) -> None:
    """Change a user's role, team, display name or active flag."""
    session.execute(update(User).where(User.id == user_id).values(**fields))


def team_exists(session: Session, team_id: int) -> bool:
    """Return whether there is a team with this id."""
    return session.get(Team, team_id) is not None


def team_names(session: Session) -> dict[int, str]:
    """Return {team id: name}."""
    return {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}


def tokens(session: Session, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Return API tokens with their owner's username, oldest first (one user's when `username`)."""
    stmt = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if username is not None:
        stmt = stmt.where(User.username == username)
    return [(token, owner) for token, owner in session.execute(stmt)]


def token(session: Session, token_id: int) -> tuple[ApiToken, str] | None:
    """Return one API token with its owner's username, or None."""
    row = session.execute(
        select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def delete_token(session: Session, token_id: int) -> None:
    """Delete an API token."""
    session.execute(delete(ApiToken).where(ApiToken.id == token_id))
