"""Login and logout pages."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.policies import signed_in
from earful.accounts.service import MAX_USERNAME, authenticate
from earful.audit.service import record
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import check_csrf, csrf_token, end_session, get_db, get_settings, start_session
from earful.web.render import render

router = APIRouter()


MAX_PASSWORD = 1024  # longer than any password people type; a megabyte of form is not hashed
AUDITED_PER_ADDRESS = 50  # failed or refused logins audited per address in a window; then one note
MAX_KEYS = 10_000  # (address, username) pairs and addresses remembered; the oldest go first past this


class LoginLimiter:
    """Count failed logins per (address, username) in a sliding window, in this process, and how
    many of an address's failures and refusals were audited in it.

    Only a pair is ever refused: behind a proxy that is not trusted every client shares its
    address, and refusing an address would let anyone lock everyone out. The address count only
    bounds the audit log: past AUDITED_PER_ADDRESS rows a window, one row says more went unlogged.
    Both forget what left the window and keep at most MAX_KEYS entries, so a flood of made-up
    usernames cannot grow them without end."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._audited: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str], settings: Settings) -> bool:
        """Return True when this address has failed too often for this username lately."""
        with self._lock:
            return _recent(self._failures, key, self._cutoff(settings)) >= settings.login_attempts

    def fail(self, key: tuple[str, str], settings: Settings) -> None:
        """Count one failed login for the pair."""
        with self._lock:
            self._failures.setdefault(key, deque()).append(time.monotonic())
            _bound(self._failures, self._cutoff(settings))

    def audit(self, address: str, settings: Settings) -> str | None:
        """Return how to audit one more failure or refusal from `address`: "all" while under the
        window's share, "last" for the row that says the rest go unlogged, None after it."""
        with self._lock:
            seen = _recent(self._audited, address, self._cutoff(settings))
            if seen > AUDITED_PER_ADDRESS:
                return None
            self._audited.setdefault(address, deque()).append(time.monotonic())
            _bound(self._audited, self._cutoff(settings))
            return "last" if seen == AUDITED_PER_ADDRESS else "all"

    def __len__(self) -> int:
        return len(self._failures)

    @staticmethod
    def _cutoff(settings: Settings) -> float:
        return time.monotonic() - settings.login_window_seconds


def _recent(counts: dict[Any, deque[float]], key: Any, cutoff: float) -> int:
    """Return how many of `key`'s stamps are in the window, dropping the rest (and the key, empty)."""
    stamps = counts.get(key)
    if stamps is None:
        return 0
    while stamps and stamps[0] < cutoff:
        stamps.popleft()
    if not stamps:
        del counts[key]
    return len(stamps)


def _bound(counts: dict[Any, deque[float]], cutoff: float) -> None:
    """Past MAX_KEYS entries, drop what left the window, then the oldest, down to 90% of it (so
    the sweep runs once in many failures, not on each)."""
    if len(counts) <= MAX_KEYS:
        return
    for key in list(counts):
        _recent(counts, key, cutoff)
    keep = MAX_KEYS * 9 // 10
    if len(counts) > keep:
        for key in sorted(counts, key=lambda k: counts[k][-1])[: len(counts) - keep]:
            del counts[key]


def _limiter(request: Request) -> LoginLimiter:
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = request.app.state.login_limiter = LoginLimiter()
    return limiter


def _safe_next(next_url: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    if next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return "/feed"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/feed") -> Response:
    """Show the login form with the confidentiality notice."""
    return render(
        request, "login.html", {"next": _safe_next(next), "error": None, "csrf": csrf_token(request)}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/feed"),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Sign in and go to the page asked for, or show the form again with the error."""
    check_csrf(request, csrf)
    client = request.client.host if request.client else "?"
    limiter = _limiter(request)
    # No account has a longer name, and no one types a longer password: such a form is a wrong
    # login, counted under the name's first characters, and the password is never hashed.
    too_long = len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD
    key = (client, username.strip().casefold()[: MAX_USERNAME + 1])
    if limiter.blocked(key, settings):
        _audit_failure(db, limiter, client, username, "login.refused", settings, reason="too many failures")
        context = {
            "next": _safe_next(next),
            "error": f"Too many failed logins. Wait {settings.login_window_seconds // 60} minutes and "
            "try again, or ask an admin to reset your password.",
            "csrf": csrf_token(request),
        }
        return render(request, "login.html", context, status_code=429)
    account = None if too_long else authenticate(db, username, password)
    if account is None:
        limiter.fail(key, settings)
        _audit_failure(db, limiter, client, username, "login.failed", settings)
        context = {
            "next": _safe_next(next),
            "error": "Wrong username or password.",
            "csrf": csrf_token(request),
        }
        return render(request, "login.html", context, status_code=401)
    start_session(request, db, account)
    record(db, account.id, account.username, "login")
    return RedirectResponse(_safe_next(next), status_code=303)


def _audit_failure(
    db: Database,
    limiter: LoginLimiter,
    client: str,
    username: str,
    action: str,
    settings: Settings,
    reason: str | None = None,
) -> None:
    """Audit a failed or refused login, unless this address has had its share this window."""
    how = limiter.audit(client, settings)
    if how == "last":
        reason = (
            f"{reason + '; ' if reason else ''}more failed logins from this address in the next "
            f"{settings.login_window_seconds // 60} minutes are not logged"
        )
    if how is not None:
        record(db, None, username[:MAX_USERNAME] or "?", action, **({"reason": reason} if reason else {}))


@router.post("/logout", dependencies=[Depends(guard.page(signed_in, "Signing out needs a session."))])
def logout(request: Request, csrf: str = Form(""), db: Database = Depends(get_db)) -> Response:
    """Sign out, ending the session on the server so a copy of the cookie opens nothing."""
    check_csrf(request, csrf)
    end_session(request, db)
    return RedirectResponse("/login", status_code=303)
