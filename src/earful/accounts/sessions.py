"""Browser sessions kept on the server: begun at sign-in, checked on each request, ended at will.

The cookie carries only a random token; the table keeps its SHA-256, the user, when the session
began and when it was last used. A session ends when its person signs out, when their password
changes, when they are deactivated, `max_age` seconds after sign-in however busy it is, and after
`idle_seconds` without a request. Checking one is a single primary-key read; the last-used time is
written at most once a minute (after the response, by the web layer), so a busy session costs no
write per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from earful.accounts.service import Account
from earful.kit.clock import as_utc, utcnow
from earful.store.db import Database
from earful.store.repos import login_sessions as sessions_repo

# The last-used time is rewritten at most this often, whatever the traffic.
TOUCH_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin_session(db: Database, user_id: int, *, max_age: int, idle_seconds: int) -> str:
    """Start a session for the user and return its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.write() as session:
        # Sign-in is a write anyway: clear this person's lapsed sessions so the table stays small.
        sessions_repo.end_stale(
            session, user_id, now - timedelta(seconds=max_age), now - timedelta(seconds=idle_seconds)
        )
        sessions_repo.add(session, _hash(token), user_id, now)
    return token


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session that checked out: whose it is, and whether its last-used time is due a rewrite."""

    account: Account
    due_touch: bool


def check_session(db: Database, token: str, *, max_age: int, idle_seconds: int) -> LiveSession | None:
    """Return the live session of `token`, or None when it ended, lapsed or never was (one read)."""
    with db.read() as session:
        found = sessions_repo.with_user(session, _hash(token))
    if found is None:
        return None
    live, user = found
    now = utcnow()
    age = (now - (as_utc(live.created_at) or now)).total_seconds()
    idle = (now - (as_utc(live.last_seen_at) or now)).total_seconds()
    if not user.active or age > max_age or idle > idle_seconds:
        return None
    account = Account(user.id, user.username, user.role, user.display_name, user.team_id)
    # A small idle limit needs fresher marks than once a minute, or a busy session would lapse.
    return LiveSession(account, due_touch=idle >= min(TOUCH_SECONDS, idle_seconds / 2))


def touch_session(db: Database, token: str) -> None:
    """Record that the session was used now (callers do this only when `due_touch` says so)."""
    with db.write() as session:
        sessions_repo.touch(session, _hash(token), utcnow())


def end_session(db: Database, token: str) -> None:
    """End one session (signing out)."""
    with db.write() as session:
        sessions_repo.end(session, _hash(token))
