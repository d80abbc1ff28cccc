"""Login and logout pages."""

from __future__ import annotations

import threading
import time
from collections import deque

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
ADDRESS_SHARE = 10  # an address may fail this many times `login_attempts`, over all usernames
MAX_KEYS = 10_000  # (address, username) pairs remembered; the oldest go first past this


class LoginLimiter:
    """Count failed logins per (address, username) and per address in a sliding window, in this
    process; remember what it counts for one window only, and at most MAX_KEYS pairs, so a flood of
    made-up usernames cannot grow it without end."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._refused: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def _count(self, key: tuple[str, str], cutoff: float) -> int:
        stamps = self._failures.get(key)
        if stamps is None:
            return 0
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return len(stamps)

    def blocked(self, key: tuple[str, str], settings: Settings) -> tuple[str, str] | None:
        """Return what is refused when this address has failed too often lately: for this username
        (the pair), or for any usernames at all (the address, as (address, ""): trying many names
        from one address is guessing too); None when neither."""
        cutoff = time.monotonic() - settings.login_window_seconds
        address = (key[0], "")
        with self._lock:
            if self._count(address, cutoff) >= settings.login_attempts * ADDRESS_SHARE:
                return address
            return key if self._count(key, cutoff) >= settings.login_attempts else None

    def first_refusal(self, key: tuple[str, str], settings: Settings) -> bool:
        """Return True the first time in a window that `key` is refused (so it is audited once,
        not once for every request of a flood)."""
        now = time.monotonic()
        with self._lock:
            for old in [k for k, at in self._refused.items() if at < now - settings.login_window_seconds]:
                del self._refused[old]
            if key in self._refused or len(self._refused) >= MAX_KEYS:
                return False
            self._refused[key] = now
            return True

    def fail(self, key: tuple[str, str], settings: Settings) -> None:
        """Count one failed login, for the pair and for its address."""
        now = time.monotonic()
        with self._lock:
            for counted in (key, (key[0], "")):
                self._failures.setdefault(counted, deque()).append(now)
            if len(self._failures) > MAX_KEYS:
                self._forget(now - settings.login_window_seconds)

    def _forget(self, cutoff: float) -> None:
        """Drop what has left the window; past MAX_KEYS still, the pairs whose last failure is oldest."""
        for key in list(self._failures):
            self._count(key, cutoff)
        if len(self._failures) > MAX_KEYS:
            by_age = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in by_age[: len(self._failures) - MAX_KEYS]:
                del self._failures[key]

    def __len__(self) -> int:
        return len(self._failures)


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
    refused = limiter.blocked(key, settings)
    if refused is not None:
        if limiter.first_refusal(refused, settings):
            record(db, None, username[:MAX_USERNAME] or "?", "login.refused", reason="too many failures")
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
        record(db, None, username[:MAX_USERNAME] or "?", "login.failed")
        context = {
            "next": _safe_next(next),
            "error": "Wrong username or password.",
            "csrf": csrf_token(request),
        }
        return render(request, "login.html", context, status_code=401)
    start_session(request, db, account)
    record(db, account.id, account.username, "login")
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(guard.page(signed_in, "Signing out needs a session."))])
def logout(request: Request, csrf: str = Form(""), db: Database = Depends(get_db)) -> Response:
    """Sign out, ending the session on the server so a copy of the cookie opens nothing."""
    check_csrf(request, csrf)
    end_session(request, db)
    return RedirectResponse("/login", status_code=303)
