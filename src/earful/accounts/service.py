"""Create users, check passwords, issue and resolve API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from earful.accounts.policies import ROLES, can_manage_users
from earful.contracts import Actor
from earful.kit.clock import utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden, NotFound
from earful.store.db import Database
from earful.store.repos import audit as audit_repo
from earful.store.repos import login_sessions as sessions_repo
from earful.store.repos import users as users_repo

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps login time the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10
MAX_USERNAME = 80


@dataclass(frozen=True, slots=True)
class Account:
    """The signed-in person, as the rest of the app sees them."""

    id: int
    username: str
    role: str
    display_name: str | None
    team_id: int | None = None

    @property
    def actor(self) -> Actor:
        """Return who is acting, as the domains take it."""
        return Actor(self.id, self.username, self.role)


def add_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    *,
    actor: Actor | None = None,
    team_id: int | None = None,
) -> Account:
    """Create a user with an argon2 password hash; audited when an `actor` (an admin) adds them."""
    if actor is not None and not can_manage_users(actor.role):
        raise Forbidden("Adding users takes the admin role.")
    if role not in ROLES:
        raise EarfulError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise EarfulError(f"The password must be at least {MIN_PASSWORD} characters.")
    username = username.strip()
    if not username:
        raise EarfulError("The username must not be empty.")
    if len(username) > MAX_USERNAME:
        raise EarfulError(f"The username must be at most {MAX_USERNAME} characters.")
    display_name = (display_name or "").strip() or None
    with db.write() as session:
        if users_repo.get_by_username(session, username):
            raise Conflict(f"A user called {username!r} already exists.")
        if team_id is not None and not users_repo.team_exists(session, team_id):
            raise EarfulError(f"There is no team {team_id}.")
        user = users_repo.add(session, username, _hasher.hash(password), role, display_name)
        if team_id is not None:
            users_repo.set_fields(session, user.id, team_id=team_id)
        if actor is not None:
            detail = {"role": role, "team_id": team_id}
            audit_repo.append(session, actor.id, actor.name, "user.add", f"user:{username}", detail)
        return Account(user.id, user.username, user.role, user.display_name, team_id)


def authenticate(db: Database, username: str, password: str) -> Account | None:
    """Return the account when the password matches an active user, else None."""
    with db.read() as session:
        user = users_repo.get_by_username(session, username.strip())
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    with db.write() as session:
        users_repo.touch_login(session, user.id, utcnow())
        if _hasher.check_needs_rehash(user.password_hash):
            users_repo.set_password_hash(session, user.id, _hasher.hash(password))
    return Account(user.id, user.username, user.role, user.display_name, user.team_id)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """Return the stored form of an API token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Database, user_id: int, name: str, *, actor: Actor | None = None) -> str:
    """Create an API token for the user and return it; it is shown once and stored only hashed."""
    token = "ef_" + secrets.token_urlsafe(32)
    with db.write() as session:
        user = users_repo.get(session, user_id)
        if user is None:
            raise NotFound(f"There is no user {user_id}.")
        saved = users_repo.add_token(session, user_id, name, token_hash(token))
        if actor is not None:
            detail = {"token": saved.id, "name": name}
            audit_repo.append(session, actor.id, actor.name, "token.add", f"user:{user.username}", detail)
    return token


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token as `earful token list` shows it (never the token itself: only its hash is kept)."""

    id: int
    username: str
    name: str
    created_at: datetime


def list_tokens(db: Database, username: str | None = None) -> list[TokenRow]:
    """Return every API token, or one user's, oldest first."""
    with db.read() as session:
        if username is not None and users_repo.get_by_username(session, username) is None:
            raise NotFound(f"No user called {username!r}.")
        return [
            TokenRow(token.id, owner, token.name, token.created_at)
            for token, owner in users_repo.tokens(session, username)
        ]


def revoke_token(db: Database, actor: Actor, token_id: int) -> TokenRow:
    """Delete an API token, so it opens nothing from now on; audited. Return what it was."""
    if not can_manage_users(actor.role):
        raise Forbidden("Revoking tokens takes the admin role.")
    with db.write() as session:
        found = users_repo.token(session, token_id)
        if found is None:
            raise NotFound(f"There is no token {token_id}; `earful token list` shows them.")
        token, owner = found
        row = TokenRow(token.id, owner, token.name, token.created_at)
        users_repo.delete_token(session, token_id)
        detail = {"token": token_id, "name": token.name}
        audit_repo.append(session, actor.id, actor.name, "token.revoke", f"user:{owner}", detail)
    return row


def account_for_token(db: Database, token: str) -> Account | None:
    """Return the account a bearer token belongs to, or None."""
    with db.read() as session:
        user = users_repo.user_for_token(session, token_hash(token))
    if user is None:
        return None
    return Account(user.id, user.username, user.role, user.display_name, user.team_id)


def set_password(db: Database, username: str, password: str, *, actor: Actor | None = None) -> int:
    """Replace a user's password and end their sessions: whoever knew the old one is signed out.

    Return how many sessions ended. Audited when an `actor` (an admin) resets it.
    """
    if actor is not None and not can_manage_users(actor.role):
        raise Forbidden("Resetting passwords takes the admin role.")
    if len(password) < MIN_PASSWORD:
        raise EarfulError(f"The password must be at least {MIN_PASSWORD} characters.")
    with db.write() as session:
        user = users_repo.get_by_username(session, username)
        if user is None:
            raise NotFound(f"No user called {username!r}.")
        users_repo.set_password_hash(session, user.id, _hasher.hash(password))
        ended = sessions_repo.end_for_user(session, user.id)
        if actor is not None:
            detail = {"sessions_ended": ended}
            audit_repo.append(session, actor.id, actor.name, "user.password", f"user:{user.username}", detail)
        return ended


def generate_password() -> str:
    """Return a new random password (16 characters), for an admin to pass on."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the admin page lists them."""

    id: int
    username: str
    display_name: str | None
    role: str
    team_id: int | None
    active: bool
    last_login_at: datetime | None
    team: str | None = None


def list_users(db: Database) -> list[UserRow]:
    """Return every user, by username."""
    with db.read() as session:
        teams = users_repo.team_names(session)
        return [
            UserRow(
                u.id,
                u.username,
                u.display_name,
                u.role,
                u.team_id,
                u.active,
                u.last_login_at,
                teams.get(u.team_id) if u.team_id else None,
            )
            for u in users_repo.all_users(session)
        ]


def update_user(
    db: Database, actor: Actor, user_id: int, *, role: str, team_id: int | None, active: bool
) -> None:
    """Change a user's role, team and whether they may sign in (admins only), and audit the change."""
    if not can_manage_users(actor.role):
        raise Forbidden("Managing users takes the admin role.")
    if role not in ROLES:
        raise EarfulError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if user_id == actor.id and (role != "admin" or not active):
        raise EarfulError("You cannot demote or deactivate yourself; ask another admin.")
    with db.write() as session:
        user = users_repo.get(session, user_id)
        if user is None:
            raise EarfulError(f"There is no user {user_id}.")
        before = {"role": user.role, "team_id": user.team_id, "active": user.active}
        after = {"role": role, "team_id": team_id, "active": active}
        users_repo.set_fields(session, user_id, **after)
        if not active:
            # Ended, not just refused: reactivating the account must not bring old sessions back.
            sessions_repo.end_for_user(session, user_id)
        change = {"before": before, "after": after}
        audit_repo.append(session, actor.id, actor.name, "user.update", f"user:{user.username}", change)


def set_active(db: Database, actor: Actor, username: str, active: bool) -> bool:
    """Let a user sign in again, or stop them (ending their sessions); audited. Return whether it
    changed anything."""
    if not can_manage_users(actor.role):
        raise Forbidden("Managing users takes the admin role.")
    with db.write() as session:
        user = users_repo.get_by_username(session, username)
        if user is None:
            raise NotFound(f"No user called {username!r}; `earful user list` shows them.")
        if user.id == actor.id and not active:
            raise EarfulError("You cannot deactivate yourself; ask another admin.")
        if user.active == active:
            return False
        users_repo.set_fields(session, user.id, active=active)
        if not active:
            sessions_repo.end_for_user(session, user.id)
        change = {"before": {"active": user.active}, "after": {"active": active}}
        audit_repo.append(session, actor.id, actor.name, "user.update", f"user:{user.username}", change)
        return True


def account_for_sign_on(db: Database, subject: str, username: str) -> Account | None:
    """Return the active account a single sign-on identity belongs to, or None.

    `subject` ("issuer|sub") is the provider's stable id for the person. An account bound to it is
    theirs, whatever they are called now. Otherwise the account named `username` is bound to it,
    if no other identity holds it yet: an admin created that account for this person. A name
    already bound to another identity is refused, so renaming oneself at the provider to an
    admin's username gets nowhere.
    """
    with db.write() as session:
        user = users_repo.get_by_sso_subject(session, subject)
        if user is None and username:
            named = users_repo.get_by_username(session, username)
            if named is not None and named.sso_subject is None:
                users_repo.set_fields(session, named.id, sso_subject=subject)
                user = named
        if user is None or not user.active:
            return None
        return Account(user.id, user.username, user.role, user.display_name, user.team_id)
