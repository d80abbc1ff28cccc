"""Login and logout pages."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.policies import signed_in
from earful.accounts.service import authenticate
from earful.audit.service import record
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import check_csrf, csrf_token, end_session, get_db, get_settings, start_session
from earful.web.render import render

router = APIRouter()


class LoginLimiter:
    """Count failed logins per (address, username) in a sliding window, in this process."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], settings: Settings) -> deque[float]:
        stamps = self._failures[key]
        cutoff = time.monotonic() - settings.login_window_seconds
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        return stamps

    def blocked(self, key: tuple[str, str], settings: Settings) -> bool:
        """Return True when this address has failed too often for this username lately."""
        with self._lock:
            return len(self._recent(key, settings)) >= settings.login_attempts

    def fail(self, key: tuple[str, str], settings: Settings) -> None:
        """Count one failed login."""
        with self._lock:
            self._recent(key, settings).append(time.monotonic())


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
    if limiter.blocked((client, username.strip().casefold()), settings):
        record(db, None, username[:80] or "?", "login.refused", reason="too many failures")
        context = {
            "next": _safe_next(next),
            "error": f"Too many failed logins. Wait {settings.login_window_seconds // 60} minutes and "
            "try again, or ask an admin to reset your password.",
            "csrf": csrf_token(request),
        }
        return render(request, "login.html", context, status_code=429)
    account = authenticate(db, username, password)
    if account is None:
        limiter.fail((client, username.strip().casefold()), settings)
        record(db, None, username[:80] or "?", "login.failed")
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
