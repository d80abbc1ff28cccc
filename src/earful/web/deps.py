"""Request dependencies: the database, settings, and who is signed in."""

from __future__ import annotations

import secrets
from typing import cast

from fastapi import BackgroundTasks, HTTPException, Request

from earful.accounts import sessions
from earful.accounts.service import Account, account_for_token
from earful.kit.seal import same_secret
from earful.settings import Settings
from earful.store.db import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def get_db(request: Request) -> Database:
    """Return the app's database."""
    return cast(Database, request.app.state.db)


def get_settings(request: Request) -> Settings:
    """Return the app's settings."""
    return cast(Settings, request.app.state.settings)


def _session_limits(request: Request) -> dict[str, int]:
    settings = get_settings(request)
    return {"max_age": settings.session_max_age, "idle_seconds": settings.session_idle_minutes * 60}


def session_account(request: Request, db: Database, later: BackgroundTasks) -> Account | None:
    """Return the account of the session cookie, or None; an ended or lapsed session is dropped here."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    live = sessions.check_session(db, token, **_session_limits(request))
    if live is None:
        request.session.clear()
        return None
    if live.due_touch:
        # After the response: on SQLite this write may wait for an import's lock, the page need not.
        later.add_task(sessions.touch_session, db, token)
    return live.account


def session_still_live(request: Request, db: Database) -> Account | None:
    """Return the account of the session cookie while its session is live, or None; unlike
    `session_account` it neither touches nor clears anything (for a long response, a stream, to
    ask again as it goes)."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    live = sessions.check_session(db, token, **_session_limits(request))
    return live.account if live is not None else None


def start_session(request: Request, db: Database, account: Account) -> None:
    """Sign the browser in as `account`, ending any session its cookie held before."""
    end_session(request, db)
    request.session["sid"] = sessions.begin_session(db, account.id, **_session_limits(request))


def end_session(request: Request, db: Database) -> None:
    """End the cookie's session on the server and empty the cookie."""
    token = request.session.get("sid")
    if isinstance(token, str):
        sessions.end_session(db, token)
    request.session.clear()


def page_account(request: Request, db: Database, later: BackgroundTasks) -> Account:
    """Return the signed-in account, or send the browser to the login page."""
    account = session_account(request, db, later)
    if account is None:
        raise LoginRequired(request.url.path)
    request.state.account = account
    return account


def api_account(request: Request, db: Database, later: BackgroundTasks) -> Account:
    """Return the account of the API token or session, or answer 401."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        account = account_for_token(db, header[7:].strip())
    else:
        account = session_account(request, db, later)
        if account is not None and request.method not in SAFE_METHODS:
            # A browser session may call the API from our own pages only: they send the CSRF token.
            expected = request.session.get("csrf")
            sent = request.headers.get("x-csrf-token", "")
            if not isinstance(expected, str) or not same_secret(expected, sent):
                raise HTTPException(
                    status_code=403,
                    detail="Send the page's CSRF token as X-CSRF-Token, or use an API token.",
                )
    if account is None:
        raise HTTPException(
            status_code=401,
            detail="Sign in, or send an API token as 'Authorization: Bearer <token>' "
            "(create one with `earful token add USERNAME`).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


def csrf_token(request: Request) -> str:
    """Return this session's CSRF token, creating it on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str) -> None:
    """Refuse a form whose CSRF token does not match the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not same_secret(expected, submitted or ""):
        raise HTTPException(status_code=400, detail="The form expired. Reload the page and try again.")
